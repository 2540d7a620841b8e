//! A server-sent events parser (the WHATWG event-stream format), fed with byte chunks as they
//! arrive. Pure: no I/O. Chunks may split lines, `\r\n` pairs and UTF-8 sequences anywhere.

/// One dispatched event.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SseEvent {
    /// The `event:` field; `None` means the default type, "message".
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
    /// The last `id:` seen on this stream, if any.
    pub id: Option<String>,
}

/// Incremental parser. Comments (`: keep-alive`) and unknown fields are ignored.
#[derive(Debug, Default)]
pub struct SseParser {
    line: Vec<u8>,
    /// The previous byte was `\r`: a following `\n` belongs to the same line break.
    after_cr: bool,
    /// The first line has been seen (a UTF-8 BOM is only stripped there).
    started: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    last_id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        let mut start = 0;
        for (i, &byte) in chunk.iter().enumerate() {
            match byte {
                b'\n' if self.after_cr => {
                    self.after_cr = false;
                    start = i + 1;
                }
                b'\n' | b'\r' => {
                    self.line.extend_from_slice(&chunk[start..i]);
                    self.after_cr = byte == b'\r';
                    start = i + 1;
                    let line = std::mem::take(&mut self.line);
                    self.process_line(&line, &mut events);
                }
                _ => self.after_cr = false,
            }
        }
        self.line.extend_from_slice(&chunk[start..]);
        events
    }

    /// Nothing half-read: no partial line and no event waiting for its blank line.
    pub fn is_idle(&self) -> bool {
        self.line.is_empty() && !self.has_data
    }

    /// The stream ended cleanly: an unterminated last line is taken as complete and a pending
    /// event is dispatched (lenient: the format says to drop it, but a server that closes right
    /// after its last `data:` line means it).
    pub fn finish(&mut self) -> Vec<SseEvent> {
        let mut events = Vec::new();
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, &mut events);
        }
        self.process_line(b"", &mut events);
        events
    }

    fn process_line(&mut self, raw: &[u8], events: &mut Vec<SseEvent>) {
        let mut line = raw;
        if !self.started {
            self.started = true;
            line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
        }
        if line.is_empty() {
            self.dispatch(events);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let text = String::from_utf8_lossy(line);
        let (field, value) = match text.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (text.as_ref(), ""),
        };
        match field {
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "event" => self.event = Some(value.to_owned()),
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        let event = self.event.take();
        if !std::mem::take(&mut self.has_data) {
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop();
        events.push(SseEvent {
            event: event.filter(|e| !e.is_empty()),
            data,
            id: self.last_id.clone(),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::new();
        let mut events: Vec<SseEvent> = chunks.iter().flat_map(|c| parser.feed(c)).collect();
        events.extend(parser.finish());
        events
    }

    fn data(d: &str) -> SseEvent {
        SseEvent {
            data: d.into(),
            ..SseEvent::default()
        }
    }

    #[test]
    fn data_lines_comments_and_blank_lines() {
        let stream =
            b": keep-alive\n\ndata: {\"a\":1}\n\n: keep-alive\n\ndata: two\ndata:  lines\n\n";
        assert_eq!(
            parse_all(&[stream]),
            vec![data("{\"a\":1}"), data("two\n lines")]
        );
    }

    #[test]
    fn event_type_and_id_are_kept() {
        let events = parse_all(&[b"event: metric\nid: 7\ndata: x\n\ndata: y\n\n"]);
        assert_eq!(events[0].event.as_deref(), Some("metric"));
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[1].event, None);
        assert_eq!(events[1].id.as_deref(), Some("7"));
    }

    #[test]
    fn crlf_and_cr_line_endings_even_split_across_chunks() {
        assert_eq!(
            parse_all(&[b"data: a\r", b"\n\r", b"\ndata: b\r\r"]),
            vec![data("a"), data("b")]
        );
    }

    #[test]
    fn utf8_split_inside_a_character() {
        let text = "data: é日本\n\n".as_bytes();
        let (a, b) = text.split_at(8); // inside "é"
        assert_eq!(parse_all(&[a, b]), vec![data("é日本")]);
    }

    #[test]
    fn bom_is_stripped_at_start_only() {
        assert_eq!(
            parse_all(&[b"\xEF\xBB", b"\xBFdata: a\n\n"]),
            vec![data("a")]
        );
    }

    #[test]
    fn unterminated_last_event_is_dispatched_on_finish() {
        assert_eq!(parse_all(&[b"data: last"]), vec![data("last")]);
        let mut p = SseParser::new();
        assert!(p.feed(b"data: pending\n").is_empty());
        assert_eq!(p.finish(), vec![data("pending")]);
    }

    #[test]
    fn idle_only_between_events() {
        let mut p = SseParser::new();
        assert!(p.is_idle());
        p.feed(b"data: x");
        assert!(!p.is_idle());
        p.feed(b"\n");
        assert!(!p.is_idle());
        p.feed(b"\n: keep-alive\n\n");
        assert!(p.is_idle());
    }

    #[test]
    fn fields_without_value_and_unknown_fields() {
        assert_eq!(
            parse_all(&[b"data\nretry: 10\nfoo: bar\n\n"]),
            vec![data("")]
        );
        assert!(parse_all(&[b"event: x\n\n"]).is_empty());
    }

    fn arb_event() -> impl Strategy<Value = SseEvent> {
        (
            proptest::option::of("[a-z]{1,8}"),
            proptest::collection::vec("[^\r\n]{0,12}", 1..4),
        )
            .prop_map(|(event, lines)| SseEvent {
                event,
                data: lines.join("\n"),
                id: None,
            })
    }

    fn encode(events: &[SseEvent], eol: &str, comments: bool) -> Vec<u8> {
        let mut out = String::new();
        for e in events {
            if comments {
                out.push_str(&format!(": keep-alive{eol}{eol}"));
            }
            if let Some(t) = &e.event {
                out.push_str(&format!("event: {t}{eol}"));
            }
            for line in e.data.split('\n') {
                out.push_str(&format!("data: {line}{eol}"));
            }
            out.push_str(eol);
        }
        out.into_bytes()
    }

    proptest! {
        #[test]
        fn any_chunking_gives_the_same_events(
            events in proptest::collection::vec(arb_event(), 0..8),
            eol in prop_oneof![Just("\n"), Just("\r\n"), Just("\r")],
            comments in any::<bool>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
        ) {
            let bytes = encode(&events, eol, comments);
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
            points.push(0);
            points.push(bytes.len());
            points.sort_unstable();
            let chunks: Vec<&[u8]> = points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect();
            prop_assert_eq!(parse_all(&chunks), events.clone());
            prop_assert_eq!(parse_all(&[&bytes]), events);
        }
    }
}
