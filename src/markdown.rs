//! `report.md` rendered safely: the Markdown the worker writes (crates/worker/src/report.rs:
//! headings, paragraphs, lists, tables, block quotes of the agent's notes, code, emphasis, links)
//! to HTML. Every character of the input reaches the page escaped, so raw HTML shows as text; the
//! only tags are the ones written here, and a link or image keeps its address only when it is
//! http(s) (an image becomes a link: bucket files need the token, other hosts would be fetched
//! on sight). Anything else in the input (entities, HTML, footnotes) stays visible as text.
//!
//! Why not a Markdown crate: pulldown-cmark did this job, but with its HTML entity table and
//! Unicode case folding it was about 90 KB of a wasm whose size is the page's first load
//! (issue 13), for a report whose grammar we write ourselves. Pure; tested natively, with
//! property tests for the escaping (the page holds a token).

/// How deep block quotes, list items and inline spans may nest before the rest is plain text
/// (bounds the recursion on hostile input).
const MAX_DEPTH: usize = 8;

/// HTML for `markdown` that is safe to insert into the page.
pub fn to_safe_html(markdown: &str) -> String {
    let lines: Vec<&str> = markdown
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let mut out = String::with_capacity(markdown.len() * 5 / 4 + 16);
    blocks(&lines, 0, false, &mut out);
    out
}

/// Appends `text` with `&`, `<`, `>` and `"` escaped: safe as text and inside the
/// double-quoted attributes this module writes.
fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
}

fn is_web_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    lower.starts_with("https://") || lower.starts_with("http://")
}

/// `line` without up to three leading spaces (what CommonMark allows before a block marker).
fn unindent3(line: &str) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(3)..]
}

fn is_blank(line: &str) -> bool {
    line.trim().is_empty()
}

/// The fence (three or more backticks or tildes) a fenced code block starts with.
fn fence(line: &str) -> Option<&str> {
    let l = unindent3(line);
    let c = l.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let n = l.len() - l.trim_start_matches(c).len();
    (n >= 3 && !(c == '`' && l[n..].contains('`'))).then(|| &l[..n])
}

/// Level and text of an ATX heading (`## Title`).
fn heading(line: &str) -> Option<(usize, &str)> {
    let l = unindent3(line);
    let level = l.len() - l.trim_start_matches('#').len();
    let rest = &l[level..];
    if !(1..=6).contains(&level) || !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    let text = rest.trim();
    // A closing run of `#` (after a space) is not part of the title.
    let stripped = text.trim_end_matches('#');
    let text = if stripped.is_empty() || stripped.ends_with([' ', '\t']) {
        stripped.trim_end()
    } else {
        text
    };
    Some((level, text))
}

fn is_thematic_break(line: &str) -> bool {
    let l: String = unindent3(line).chars().filter(|c| *c != ' ').collect();
    l.len() >= 3 && ['-', '*', '_'].iter().any(|m| l.chars().all(|c| c == *m))
}

/// A list item's marker: (ordered, width of the marker with its space).
fn list_marker(line: &str) -> Option<(bool, usize)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let l = &line[indent..];
    let after = |width: usize| {
        let rest = &l[width..];
        (rest.is_empty() || rest.starts_with(' '))
            .then_some(indent + width + rest.starts_with(' ') as usize)
    };
    if l.starts_with(['-', '*', '+']) {
        return after(1).map(|w| (false, w));
    }
    let digits = l.len() - l.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if (1..=9).contains(&digits) && l[digits..].starts_with(['.', ')']) {
        return after(digits + 1).map(|w| (true, w));
    }
    None
}

/// The cells of a table row: split on `|` not escaped by `\`, outer pipes dropped, `\|` kept
/// for [`inline`] to unescape.
fn cells(line: &str) -> Vec<&str> {
    let l = line.trim();
    let l = l.strip_prefix('|').unwrap_or(l);
    let l = match l.strip_suffix('|') {
        Some(s) if !s.ends_with('\\') => s,
        _ => l,
    };
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = l.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'|' => {
                out.push(l[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(l[start..].trim());
    out
}

fn is_table_separator(line: &str) -> bool {
    line.contains('-')
        && cells(line).iter().all(|c| {
            let c = c.strip_prefix(':').unwrap_or(c);
            let c = c.strip_suffix(':').unwrap_or(c);
            !c.is_empty() && c.chars().all(|ch| ch == '-')
        })
}

/// Whether `line` starts a block other than a paragraph (so it ends a paragraph).
fn starts_block(line: &str) -> bool {
    let l = unindent3(line);
    heading(line).is_some()
        || fence(line).is_some()
        || l.starts_with('>')
        || list_marker(line).is_some()
        || is_thematic_break(line)
}

/// Starts a block on a line of its own (as CommonMark's HTML writer does).
fn fresh_line(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

/// Renders the block structure of `lines`. `tight`: a list item's only paragraph is not
/// wrapped in `<p>`.
fn blocks(lines: &[&str], depth: usize, tight: bool, out: &mut String) {
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_blank(line) {
            i += 1;
        } else if let Some(marker) = fence(line) {
            // Up to the closing fence (or the end): shown as it is.
            let close = lines[i + 1..]
                .iter()
                .position(|l| {
                    unindent3(l).trim_end().starts_with(marker)
                        && unindent3(l)
                            .trim_end()
                            .trim_start_matches(marker.chars().next().unwrap_or('`'))
                            .is_empty()
                })
                .map_or(lines.len(), |p| i + 1 + p);
            fresh_line(out);
            out.push_str("<pre><code>");
            for l in &lines[i + 1..close] {
                escape(l, out);
                out.push('\n');
            }
            out.push_str("</code></pre>\n");
            i = close + 1;
        } else if let Some((level, text)) = heading(line) {
            fresh_line(out);
            out.push_str(&format!("<h{level}>"));
            inline(text, depth, out);
            out.push_str(&format!("</h{level}>\n"));
            i += 1;
        } else if is_thematic_break(line) {
            fresh_line(out);
            out.push_str("<hr />\n");
            i += 1;
        } else if unindent3(line).starts_with('>') && depth < MAX_DEPTH {
            // A block quote: its lines without the `>` (lazy continuation lines included).
            let mut inner = Vec::new();
            while i < lines.len() && !is_blank(lines[i]) {
                let l = unindent3(lines[i]);
                match l.strip_prefix('>') {
                    Some(rest) => inner.push(rest.strip_prefix(' ').unwrap_or(rest)),
                    None if starts_block(lines[i]) => break,
                    None => inner.push(lines[i]),
                }
                i += 1;
            }
            fresh_line(out);
            out.push_str("<blockquote>\n");
            blocks(&inner, depth + 1, false, out);
            out.push_str("</blockquote>\n");
        } else if let (Some((ordered, _)), true) = (list_marker(line), depth < MAX_DEPTH) {
            i = list(lines, i, ordered, depth, out);
        } else if line.contains('|') && lines.get(i + 1).is_some_and(|l| is_table_separator(l)) {
            i = table(lines, i, depth, out);
        } else {
            // A paragraph: up to a blank line or the start of another block.
            let start = i;
            i += 1;
            let mut setext = None;
            while i < lines.len() && !is_blank(lines[i]) {
                // `===` or `---` under the text makes it a heading.
                let under = unindent3(lines[i]).trim_end();
                if let Some(level) = ["=", "-"]
                    .iter()
                    .position(|m| !under.is_empty() && under.trim_start_matches(m).is_empty())
                {
                    setext = Some(level + 1);
                    break;
                }
                if starts_block(lines[i]) {
                    break;
                }
                i += 1;
            }
            let text = lines[start..i]
                .iter()
                .map(|l| l.trim())
                .collect::<Vec<_>>()
                .join("\n");
            if !tight || setext.is_some() {
                fresh_line(out);
            }
            if let Some(level) = setext {
                out.push_str(&format!("<h{level}>"));
                inline(&text, depth, out);
                out.push_str(&format!("</h{level}>\n"));
                i += 1;
                continue;
            }
            if tight {
                inline(&text, depth, out);
            } else {
                out.push_str("<p>");
                inline(&text, depth, out);
                out.push_str("</p>\n");
            }
        }
    }
}

/// A list starting at `lines[start]`; returns the index after it.
fn list(lines: &[&str], start: usize, ordered: bool, depth: usize, out: &mut String) -> usize {
    let mut items: Vec<Vec<&str>> = Vec::new();
    // A blank line between items or inside one makes the whole list loose (paragraphs in `<p>`).
    let mut loose = false;
    let mut i = start;
    while let Some((_, width)) = list_marker(lines[i]).filter(|(o, _)| *o == ordered) {
        let mut item = vec![&lines[i][width..]];
        i += 1;
        // The item's further lines: indented ones, lazy continuations of its text, and blank
        // lines followed by an indented line.
        while i < lines.len() {
            let l = lines[i];
            let indent = l.len() - l.trim_start_matches(' ').len();
            if is_blank(l) {
                let next = (i..lines.len()).find(|&j| !is_blank(lines[j]));
                let continues = next
                    .filter(|&j| lines[j].len() - lines[j].trim_start_matches(' ').len() >= width);
                if let Some(next) = continues {
                    loose = true;
                    item.push("");
                    i = next;
                    continue;
                }
                // A blank line, then the next item of this list.
                if let Some(next) =
                    next.filter(|&j| list_marker(lines[j]).is_some_and(|(o, _)| o == ordered))
                {
                    loose = true;
                    i = next;
                }
                break;
            } else if indent >= width {
                item.push(&l[width..]);
            } else if list_marker(l).is_none()
                && !starts_block(l)
                && !is_blank(item[item.len() - 1])
            {
                item.push(l);
            } else {
                break;
            }
            i += 1;
        }
        items.push(item);
        if i >= lines.len() {
            break;
        }
    }
    fresh_line(out);
    // An ordered list numbers from its first item's number.
    let first = lines[start].trim_start().split(['.', ')']).next();
    match first
        .and_then(|n| n.parse::<u64>().ok())
        .filter(|_| ordered)
    {
        Some(1) => out.push_str("<ol>\n"),
        Some(n) => out.push_str(&format!("<ol start=\"{n}\">\n")),
        None => out.push_str("<ul>\n"),
    }
    for item in items {
        out.push_str("<li>");
        blocks(&item, depth + 1, !loose, out);
        out.push_str("</li>\n");
    }
    out.push_str(if ordered { "</ol>\n" } else { "</ul>\n" });
    i
}

/// A table whose header is `lines[start]` (the separator follows); returns the index after it.
fn table(lines: &[&str], start: usize, depth: usize, out: &mut String) -> usize {
    let header = cells(lines[start]);
    fresh_line(out);
    out.push_str("<table><thead><tr>");
    for c in &header {
        out.push_str("<th>");
        inline(c, depth, out);
        out.push_str("</th>");
    }
    out.push_str("</tr></thead><tbody>\n");
    let mut i = start + 2;
    while i < lines.len() && !is_blank(lines[i]) && !starts_block(lines[i]) {
        let row = cells(lines[i]);
        out.push_str("<tr>");
        // As many cells as the header: missing ones empty, extra ones dropped (as GFM does).
        for k in 0..header.len() {
            out.push_str("<td>");
            inline(row.get(k).copied().unwrap_or(""), depth, out);
            out.push_str("</td>");
        }
        out.push_str("</tr>\n");
        i += 1;
    }
    out.push_str("</tbody></table>\n");
    i
}

/// Where the run of `delim` closing a span opened just before `text` is, if any: not preceded by
/// whitespace or `\`, the span not empty; an `_` span also not followed by a letter or digit
/// (`snake_case_names` stay text).
fn closing(text: &str, delim: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(p) = text[from..].find(delim) {
        let at = from + p;
        let end = at + delim.len();
        let intraword = delim.starts_with('_') && text[end..].starts_with(char::is_alphanumeric);
        if at > 0 && !intraword && !text[..at].ends_with(|c: char| c.is_whitespace() || c == '\\') {
            return Some(at);
        }
        from = end;
    }
    None
}

/// The longest link text and address looked for (CommonMark's limit for a link label is 999),
/// so that unclosed brackets cost linear time.
const MAX_LINK: usize = 1000;

/// The link text and address of `[text](address)` at the start of `text` (which starts with
/// `[`), and the length of the whole link.
fn link_at(text: &str) -> Option<(&str, &str, usize)> {
    let mut depth = 0usize;
    let mut end = None;
    let mut chars = text.char_indices().take_while(|(i, _)| *i < MAX_LINK);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => depth += 1,
            ']' => {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            _ => {}
        }
    }
    let end = end?;
    let rest = text[end + 1..].strip_prefix('(')?;
    let close = rest
        .char_indices()
        .take_while(|(i, _)| *i < MAX_LINK)
        .find(|(_, c)| *c == ')')?
        .0;
    let target = rest[..close].trim();
    // `<address>` or `address "title"`: the title is not shown.
    let address = match target.strip_prefix('<') {
        Some(t) => t.split('>').next().unwrap_or(""),
        None => target.split([' ', '\t', '\n']).next().unwrap_or(""),
    };
    Some((&text[1..end], address, end + 2 + close + 1))
}

fn open_link(address: &str, out: &mut String) {
    out.push_str("<a target=\"_blank\" rel=\"noopener noreferrer\" href=\"");
    escape(address.trim(), out);
    out.push_str("\">");
}

/// Renders inline Markdown: code spans, strong/emphasis/strikethrough, links, autolinks and
/// backslash escapes; every other character is text.
fn inline(text: &str, depth: usize, out: &mut String) {
    // Searches that found nothing from an offset find nothing from a later one either: each is
    // remembered (delimiter or backtick count → offset), so unclosed markers cost linear time.
    let mut no_closer: Vec<(&str, usize)> = Vec::new();
    let mut no_backticks: Vec<(usize, usize)> = Vec::new();
    let mut no_gt = false;
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let pos = text.len() - rest.len();
        let after = &rest[c.len_utf8()..];
        match c {
            '\\' if after.starts_with(|n: char| n.is_ascii_punctuation()) => {
                escape(&after[..1], out);
                rest = &after[1..];
                continue;
            }
            '`' => {
                let n = rest.len() - rest.trim_start_matches('`').len();
                let ticks = &rest[..n];
                let body = &rest[n..];
                let known_missing = no_backticks.iter().any(|&(k, p)| k == n && p <= pos);
                // The closing run has exactly as many backticks.
                let mut from = 0;
                let mut found = None;
                while let (false, Some(p)) = (known_missing, body[from..].find(ticks)) {
                    let at = from + p;
                    let run = body[at..].len() - body[at..].trim_start_matches('`').len();
                    if run == n && !body[..at].ends_with('`') {
                        found = Some(at);
                        break;
                    }
                    from = at + run;
                }
                match found {
                    Some(at) => {
                        let code = body[..at].replace('\n', " ");
                        let code = match code.strip_prefix(' ').and_then(|c| c.strip_suffix(' ')) {
                            Some(inner) if !inner.trim().is_empty() => inner,
                            _ => &code,
                        };
                        out.push_str("<code>");
                        escape(code, out);
                        out.push_str("</code>");
                        rest = &body[at + n..];
                    }
                    None => {
                        if !known_missing {
                            no_backticks.push((n, pos));
                        }
                        escape(ticks, out);
                        rest = body;
                    }
                }
                continue;
            }
            // `_` opens only at the start of a word (`snake_case_names` stay text).
            '*' | '~' | '_'
                if depth < MAX_DEPTH
                    && (c != '_' || !text[..pos].ends_with(char::is_alphanumeric)) =>
            {
                let (delim, open, close) = if rest.starts_with("**") {
                    ("**", "<strong>", "</strong>")
                } else if rest.starts_with("__") {
                    ("__", "<strong>", "</strong>")
                } else if rest.starts_with("~~") {
                    ("~~", "<del>", "</del>")
                } else if c == '*' {
                    ("*", "<em>", "</em>")
                } else if c == '_' {
                    ("_", "<em>", "</em>")
                } else {
                    ("", "", "")
                };
                let body = &rest[delim.len()..];
                let known_missing = no_closer.iter().any(|&(d, p)| d == delim && p <= pos);
                if !delim.is_empty() && !known_missing && !body.starts_with(char::is_whitespace) {
                    match closing(body, delim) {
                        Some(at) => {
                            out.push_str(open);
                            inline(&body[..at], depth + 1, out);
                            out.push_str(close);
                            rest = &body[at + delim.len()..];
                            continue;
                        }
                        None => no_closer.push((delim, pos)),
                    }
                }
            }
            '!' | '[' if depth < MAX_DEPTH => {
                let image = c == '!';
                let at = if image { after } else { rest };
                if at.starts_with('[')
                    && let Some((label, address, len)) = link_at(at)
                {
                    let keep = is_web_url(address);
                    if keep {
                        open_link(address, out);
                    }
                    inline(label, depth + 1, out);
                    if keep {
                        out.push_str("</a>");
                    }
                    rest = &at[len..];
                    continue;
                }
            }
            '<' if !no_gt => {
                // An autolink `<https://…>`; anything else in angle brackets is text.
                match after.find('>') {
                    Some(end) => {
                        let address = &after[..end];
                        if is_web_url(address) && !address.contains(char::is_whitespace) {
                            open_link(address, out);
                            escape(address, out);
                            out.push_str("</a>");
                            rest = &after[end + 1..];
                            continue;
                        }
                    }
                    None => no_gt = true,
                }
            }
            _ => {}
        }
        escape(&rest[..c.len_utf8()], out);
        rest = after;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn markdown_is_rendered() {
        let html = to_safe_html(
            "# Verdict\n\n**full_inference_success** — see [the Space](https://huggingface.co/spaces/a/b).\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        );
        assert!(html.contains("<h1>Verdict</h1>"));
        assert!(html.contains("<strong>full_inference_success</strong>"));
        assert!(html.contains(r#"href="https://huggingface.co/spaces/a/b""#));
        assert!(html.contains("rel=\"noopener noreferrer\""));
        assert!(html.contains("<table>"));
        assert!(html.contains("<td>1</td><td>2</td>"), "{html}");
    }

    #[test]
    fn raw_html_is_shown_as_text() {
        let html = to_safe_html(
            "before <script>alert(1)</script> <img src=x onerror=alert(2)>\n\n<div onclick=\"x()\">block</div>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<div"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");
    }

    #[test]
    fn only_web_links_survive() {
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "vbscript:x",
            "file:///etc/passwd",
        ] {
            let html = to_safe_html(&format!("[click]({bad}) and ![pic]({bad})"));
            assert!(!html.contains("href"), "{bad}: {html}");
            assert!(html.contains("click"), "{html}");
            assert!(html.contains("pic"), "{html}");
        }
        let html = to_safe_html("<javascript:alert(1)>");
        assert!(!html.contains("href=\"javascript"), "{html}");
        let html = to_safe_html("<https://huggingface.co/docs>");
        assert!(
            html.contains(r#"href="https://huggingface.co/docs">https://huggingface.co/docs</a>"#),
            "{html}"
        );
    }

    #[test]
    fn an_address_cannot_leave_its_attribute() {
        let html = to_safe_html("[x](https://a.example/\"onmouseover=\"alert(1))");
        assert!(!html.contains("\"onmouseover"), "{html}");
        assert!(html.contains("&quot;onmouseover=&quot;"), "{html}");
    }

    /// The run page shows the report's next steps; rule 7c's, with the Space settings as an
    /// autolink (as the worker writes it), links the settings page.
    #[test]
    fn the_space_token_next_step_links_the_settings() {
        let settings = "https://huggingface.co/spaces/a/b/settings";
        let step = sf_core::rules::space_token_next_step(&format!("<{settings}>"));
        let html = to_safe_html(&format!("## Next steps\n\n- {step}\n"));
        assert!(
            html.contains(&format!(r#"href="{settings}">{settings}</a>"#)),
            "{html}"
        );
        assert!(
            html.contains("<code>HF_TOKEN</code>") && html.contains("then Validate this Space."),
            "{html}"
        );
    }

    #[test]
    fn images_become_links() {
        let html = to_safe_html("![output](https://example.org/a.png)");
        assert!(!html.contains("<img"));
        assert!(html.contains(r#"href="https://example.org/a.png""#));
        assert!(html.contains(">output</a>"), "{html}");
    }

    /// Everything crates/worker/src/report.rs writes comes out as the same HTML pulldown-cmark
    /// gave (this subset is what the renderer promises).
    #[test]
    fn the_reports_grammar_is_rendered_as_commonmark_does() {
        let cases = [
            (
                "## Run\n\n- Model: [`a/b`](https://huggingface.co/a/b)\n- Started: 2026-11-30T07:00:00Z\n",
                "<h2>Run</h2>\n<ul>\n<li>Model: <a target=\"_blank\" rel=\"noopener noreferrer\" href=\"https://huggingface.co/a/b\"><code>a/b</code></a></li>\n<li>Started: 2026-11-30T07:00:00Z</li>\n</ul>\n",
            ),
            (
                "**Verdict:** `failed` — the Space did not start\n\n**Why:** x",
                "<p><strong>Verdict:</strong> <code>failed</code> — the Space did not start</p>\n<p><strong>Why:</strong> x</p>\n",
            ),
            (
                "| Check | Result | Detail |\n|---|---|---|\n| a | ✅ pass | x \\| y |\n| b | ❌ fail |  |\n",
                "<table><thead><tr><th>Check</th><th>Result</th><th>Detail</th></tr></thead><tbody>\n<tr><td>a</td><td>✅ pass</td><td>x | y</td></tr>\n<tr><td>b</td><td>❌ fail</td><td></td></tr>\n</tbody></table>\n",
            ),
            (
                "> first note\n> second line\n\n> another",
                "<blockquote>\n<p>first note\nsecond line</p>\n</blockquote>\n<blockquote>\n<p>another</p>\n</blockquote>\n",
            ),
            (
                "- [`generated/app.py`](generated/app.py) (12 bytes)",
                "<ul>\n<li><code>generated/app.py</code> (12 bytes)</li>\n</ul>\n",
            ),
            (
                "```python\nprint(\"<hi>\")\n```\n\ntext",
                "<pre><code>print(&quot;&lt;hi&gt;&quot;)\n</code></pre>\n<p>text</p>\n",
            ),
            (
                "1. one\n2. *two* and ~~three~~\n\n---\n",
                "<ol>\n<li>one</li>\n<li><em>two</em> and <del>three</del></li>\n</ol>\n<hr />\n",
            ),
            (
                "- a\n  - nested\n- b",
                "<ul>\n<li>a\n<ul>\n<li>nested</li>\n</ul>\n</li>\n<li>b</li>\n</ul>\n",
            ),
            (
                "Task (pipeline tag): text_generation, 2 * 3 = 6, a_b_c",
                "<p>Task (pipeline tag): text_generation, 2 * 3 = 6, a_b_c</p>\n",
            ),
        ];
        for (md, want) in cases {
            assert_eq!(to_safe_html(md), want, "{md}");
        }
    }

    #[test]
    fn hostile_nesting_is_bounded() {
        let deep = ">".repeat(100_000) + " x";
        assert!(to_safe_html(&deep).contains('x'));
        let deep = "[".repeat(50_000) + &"*".repeat(50_000) + &"`".repeat(1000);
        assert!(!to_safe_html(&deep).is_empty());
        let deep = "- ".repeat(10_000) + "x";
        assert!(to_safe_html(&deep).contains('x'));
    }

    /// The tags the renderer writes; an `<a>` has exactly the attributes of [`open_link`].
    fn assert_only_own_markup(md: &str, html: &str) {
        const TAGS: &[&str] = &[
            "p",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "ul",
            "ol",
            "li",
            "blockquote",
            "pre",
            "code",
            "strong",
            "em",
            "del",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "hr /",
        ];
        let mut rest = html;
        while let Some(lt) = rest.find('<') {
            let tag_end = rest[lt..].find('>').map(|p| lt + p);
            let Some(tag_end) = tag_end else {
                panic!("an unclosed '<' in {html:?} from {md:?}");
            };
            let tag = &rest[lt + 1..tag_end];
            let name = tag.strip_prefix('/').unwrap_or(tag);
            let numbered = tag
                .strip_prefix("ol start=\"")
                .and_then(|n| n.strip_suffix('"'))
                .is_some_and(|n| n.chars().all(|c| c.is_ascii_digit()));
            if numbered || name == "a" && tag.starts_with('/') {
            } else if let Some(attrs) = tag.strip_prefix("a ") {
                let href = attrs
                    .strip_prefix("target=\"_blank\" rel=\"noopener noreferrer\" href=\"")
                    .and_then(|h| h.strip_suffix('"'))
                    .unwrap_or_else(|| panic!("a link with other attributes: {tag:?} from {md:?}"));
                assert!(!href.contains('"'), "{tag:?} from {md:?}");
                let lower = href.to_ascii_lowercase();
                assert!(
                    lower.starts_with("https://") || lower.starts_with("http://"),
                    "a link that is not http(s): {tag:?} from {md:?}"
                );
            } else {
                assert!(
                    TAGS.contains(&name),
                    "a tag the renderer does not write: {tag:?} in {html:?} from {md:?}"
                );
            }
            rest = &rest[tag_end + 1..];
        }
        assert!(!rest.contains('>'), "a stray '>' in {html:?} from {md:?}");
    }

    /// Documents in the grammar crates/worker/src/report.rs writes.
    fn report_like() -> impl Strategy<Value = String> {
        // Words, punctuation and snake_case names; Markdown only where the worker writes it (raw
        // HTML is text here and HTML to CommonMark: `any_input_gives_only_own_markup` covers it).
        let word = "[a-zA-Z0-9.,:;()/—é'&\"$]{1,12}|[a-z]{1,5}(_[a-z0-9]{1,5}){1,3}";
        let span = prop_oneof![
            4 => word.prop_map(|w| w),
            1 => "[a-z_/.]{1,10}".prop_map(|w| format!("`{w}`")),
            1 => "[a-z]{1,8}".prop_map(|w| format!("**{w}:**")),
            1 => "[a-z]{1,8}".prop_map(|w| format!("*{w}*")),
            1 => ("[a-z]{1,8}", "[a-z]{1,8}").prop_map(|(t, p)| format!("[`{t}`](https://huggingface.co/{p})")),
            1 => ("[a-z]{1,8}", "[a-z/]{1,8}").prop_map(|(t, p)| format!("[{t}]({p})")),
        ];
        // A line starts with a plain word, as the worker's lines do: `0)` or `1.` at the start
        // of a line is an ordered list to CommonMark (proptest found `> 0)`), which the worker
        // never writes inside a quote or an item.
        let text = ("[a-zA-Z]{1,8}", prop::collection::vec(span, 0..7)).prop_map(|(first, s)| {
            std::iter::once(first)
                .chain(s)
                .collect::<Vec<_>>()
                .join(" ")
        });
        let block = prop_oneof![
            ("[1-3]", text.clone())
                .prop_map(|(n, t)| format!("{} {t}", "#".repeat(n.parse().unwrap_or(1)))),
            prop::collection::vec(text.clone(), 1..3).prop_map(|l| l.join("\n")),
            prop::collection::vec(text.clone(), 1..4).prop_map(|l| l
                .iter()
                .map(|t| format!("- {t}"))
                .collect::<Vec<_>>()
                .join("\n")),
            prop::collection::vec(text.clone(), 1..3).prop_map(|l| l
                .iter()
                .map(|t| format!("> {t}"))
                .collect::<Vec<_>>()
                .join("\n")),
            prop::collection::vec((text.clone(), text.clone()), 1..4).prop_map(|rows| {
                let mut t = String::from("| Check | Detail |\n|---|---|\n");
                for (a, b) in rows {
                    t.push_str(&format!(
                        "| {} | {} |\n",
                        a.replace('|', "\\|"),
                        b.replace('|', "\\|")
                    ));
                }
                t
            }),
        ];
        prop::collection::vec(block, 1..6).prop_map(|b| b.join("\n\n") + "\n")
    }

    /// What pulldown-cmark (the renderer before this one) made of a report, links to other
    /// than http(s) dropped and opened in a new tab as before.
    fn pulldown(md: &str) -> String {
        use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
        let mut dropped = Vec::new();
        let events = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
            .filter_map(|e| match e {
                Event::Start(Tag::Link { ref dest_url, .. }) => {
                    let keep = is_web_url(dest_url);
                    dropped.push(!keep);
                    keep.then_some(e)
                }
                Event::End(TagEnd::Link) => (!dropped.pop().unwrap_or(false)).then_some(e),
                e => Some(e),
            });
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, events);
        html.replace(
            "<a href=",
            "<a target=\"_blank\" rel=\"noopener noreferrer\" href=",
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// Whatever the report holds, the HTML has only the renderer's own tags, and links only
        /// to http(s) addresses that stay inside their attribute.
        #[test]
        fn any_input_gives_only_own_markup(md in "([ -~\\n]|<script>|<img src=x onerror=alert(1)>|\\[a\\]\\(|javascript:|https://x\\.example/|\\*\\*|`|\\||> |- |# |\\n\\n|&amp;|\"|')*") {
            let html = to_safe_html(&md);
            assert_only_own_markup(&md, &html);
        }

        /// A report renders exactly as CommonMark (pulldown-cmark, which rendered it before) does.
        #[test]
        fn reports_render_as_commonmark_does(md in report_like()) {
            // pulldown-cmark leaves `"` unescaped in text; both are the same text.
            let ours = to_safe_html(&md).replace("&quot;", "\"");
            prop_assert_eq!(ours, pulldown(&md).replace("&quot;", "\""), "{}", md);
        }

        /// Text without Markdown punctuation comes out as its escaped self.
        #[test]
        fn plain_text_is_escaped_text(text in "[a-zA-Z][a-zA-Z0-9 .,;=/&<>\"'é—]{0,80}") {
            let html = to_safe_html(&text);
            let mut want = String::from("<p>");
            escape(text.trim(), &mut want);
            want.push_str("</p>\n");
            prop_assert_eq!(html, want);
        }
    }
}
