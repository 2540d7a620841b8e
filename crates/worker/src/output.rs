//! What a generation returned: Gradio output values, downloaded files, their kind by magic
//! bytes (first) and content type (second).

use serde_json::Value;
use sf_core::record::ObservedOutput;

/// A file's kind and the extension to store it with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileKind {
    pub output: ObservedOutput,
    pub extension: &'static str,
}

const fn kind(output: ObservedOutput, extension: &'static str) -> FileKind {
    FileKind { output, extension }
}

/// The kind of a file from its first bytes, when they are a known signature.
pub fn sniff(bytes: &[u8]) -> Option<FileKind> {
    use ObservedOutput::*;
    let at = |offset: usize, sig: &[u8]| {
        bytes.len() >= offset + sig.len() && &bytes[offset..offset + sig.len()] == sig
    };
    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Some(kind(Image, "png"));
    }
    if at(0, b"\xFF\xD8\xFF") {
        return Some(kind(Image, "jpg"));
    }
    if at(0, b"GIF87a") || at(0, b"GIF89a") {
        return Some(kind(Image, "gif"));
    }
    if at(0, b"RIFF") && at(8, b"WEBP") {
        return Some(kind(Image, "webp"));
    }
    if at(0, b"RIFF") && at(8, b"WAVE") {
        return Some(kind(Audio, "wav"));
    }
    if at(0, b"RIFF") && at(8, b"AVI ") {
        return Some(kind(Video, "avi"));
    }
    if at(0, b"BM") && bytes.len() > 26 && at(6, b"\0\0\0\0") {
        return Some(kind(Image, "bmp"));
    }
    if at(0, b"II*\0") || at(0, b"MM\0*") {
        return Some(kind(Image, "tiff"));
    }
    if at(4, b"ftyp") {
        let brand = bytes.get(8..12).unwrap_or_default();
        return Some(match brand {
            b"avif" | b"avis" => kind(Image, "avif"),
            b"heic" | b"heix" | b"mif1" | b"msf1" => kind(Image, "heic"),
            b"M4A " | b"M4B " => kind(Audio, "m4a"),
            b"qt  " => kind(Video, "mov"),
            _ => kind(Video, "mp4"),
        });
    }
    if at(0, b"\x1A\x45\xDF\xA3") {
        return Some(kind(Video, "webm"));
    }
    if at(0, b"OggS") {
        return Some(kind(Audio, "ogg"));
    }
    if at(0, b"fLaC") {
        return Some(kind(Audio, "flac"));
    }
    if at(0, b"ID3")
        || (bytes.len() > 1 && bytes[0] == 0xFF && matches!(bytes[1], 0xFB | 0xF3 | 0xF2))
    {
        return Some(kind(Audio, "mp3"));
    }
    if at(0, b"%PDF") {
        return Some(kind(File, "pdf"));
    }
    None
}

/// The kind of a file from its `Content-Type`.
pub fn from_content_type(content_type: &str) -> Option<FileKind> {
    use ObservedOutput::*;
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let (top, sub) = mime.split_once('/')?;
    let ext = match sub {
        "jpeg" => "jpg",
        "svg+xml" => "svg",
        "mpeg" if top == "audio" => "mp3",
        "plain" => "txt",
        "x-wav" | "wave" => "wav",
        "quicktime" => "mov",
        s if !s.is_empty() && s.len() <= 8 && s.chars().all(|c| c.is_ascii_alphanumeric()) => {
            // Static strings only: the common ones.
            match s {
                "png" => "png",
                "gif" => "gif",
                "webp" => "webp",
                "bmp" => "bmp",
                "avif" => "avif",
                "mp4" => "mp4",
                "webm" => "webm",
                "ogg" => "ogg",
                "wav" => "wav",
                "flac" => "flac",
                "json" => "json",
                "html" => "html",
                "csv" => "csv",
                _ => "bin",
            }
        }
        _ => "bin",
    };
    Some(match top {
        "image" => kind(Image, ext),
        "video" => kind(Video, ext),
        "audio" => kind(Audio, ext),
        "text" => kind(Text, ext),
        _ if sub == "json" => kind(Json, "json"),
        _ => return None,
    })
}

/// A file's kind: magic bytes first, then the content type; empty files are [`ObservedOutput::Empty`].
pub fn classify_file(bytes: &[u8], content_type: Option<&str>) -> FileKind {
    if bytes.is_empty() {
        return kind(ObservedOutput::Empty, "bin");
    }
    sniff(bytes)
        .or_else(|| content_type.and_then(from_content_type))
        .unwrap_or(kind(ObservedOutput::File, "bin"))
}

/// One output value of a Gradio call, before any download.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputValue {
    /// A file to download (`FileData`), with the component's hint when known.
    File {
        url: Option<String>,
        path: Option<String>,
        mime_type: Option<String>,
        orig_name: Option<String>,
    },
    Text(String),
    Json(Value),
    Empty,
}

fn file_data(v: &Value) -> Option<OutputValue> {
    let obj = v.as_object()?;
    let is_file = obj
        .get("meta")
        .and_then(|m| m.get("_type"))
        .and_then(Value::as_str)
        == Some("gradio.FileData")
        || (obj.contains_key("path") && (obj.contains_key("url") || obj.contains_key("orig_name")));
    if !is_file {
        return None;
    }
    let s = |k: &str| obj.get(k).and_then(Value::as_str).map(str::to_string);
    Some(OutputValue::File {
        url: s("url"),
        path: s("path"),
        mime_type: s("mime_type"),
        orig_name: s("orig_name"),
    })
}

/// Reads one output value: `FileData`, `{"video": FileData}` (Video), a gallery's first image,
/// text, empty values, or other JSON.
pub fn read_output(v: &Value) -> OutputValue {
    if let Some(f) = file_data(v) {
        return f;
    }
    match v {
        Value::Null => OutputValue::Empty,
        Value::String(s) if s.trim().is_empty() => OutputValue::Empty,
        Value::String(s) => OutputValue::Text(s.clone()),
        Value::Array(items) if items.is_empty() => OutputValue::Empty,
        Value::Array(items) => {
            // A gallery: [{"image": FileData, "caption": ..}, ..] or [[FileData, caption], ..].
            let first = &items[0];
            let inner = first
                .get("image")
                .or_else(|| first.get("video"))
                .or_else(|| first.as_array().and_then(|a| a.first()));
            match inner.and_then(file_data) {
                Some(f) => f,
                None => OutputValue::Json(v.clone()),
            }
        }
        Value::Object(obj) => {
            for key in ["video", "image", "audio", "value"] {
                if let Some(f) = obj.get(key).and_then(file_data) {
                    return f;
                }
            }
            if obj.is_empty() {
                OutputValue::Empty
            } else {
                OutputValue::Json(v.clone())
            }
        }
        _ => OutputValue::Json(v.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ObservedOutput::*;
    use serde_json::json;

    #[test]
    fn magic_bytes() {
        let cases: &[(&[u8], ObservedOutput, &str)] = &[
            (b"\x89PNG\r\n\x1a\n....", Image, "png"),
            (b"\xFF\xD8\xFF\xE0..JFIF", Image, "jpg"),
            (b"GIF89a...", Image, "gif"),
            (b"RIFF\x10\0\0\0WEBPVP8 ", Image, "webp"),
            (b"RIFF\x10\0\0\0WAVEfmt ", Audio, "wav"),
            (b"\0\0\0\x20ftypisom\0\0\x02\0", Video, "mp4"),
            (b"\0\0\0\x20ftypM4A \0\0\x02\0", Audio, "m4a"),
            (b"\0\0\0\x1cftypavif", Image, "avif"),
            (b"\x1A\x45\xDF\xA3\x9f", Video, "webm"),
            (b"OggS\0\x02", Audio, "ogg"),
            (b"fLaC\0\0", Audio, "flac"),
            (b"ID3\x04\0", Audio, "mp3"),
            (b"\xFF\xFB\x90\x64", Audio, "mp3"),
        ];
        for (bytes, out, ext) in cases {
            let k = sniff(bytes).unwrap_or_else(|| panic!("{bytes:?}"));
            assert_eq!((k.output, k.extension), (*out, *ext), "{bytes:?}");
        }
        assert_eq!(sniff(b"hello world"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn bytes_win_over_a_wrong_content_type() {
        let k = classify_file(b"\x89PNG\r\n\x1a\nxxxx", Some("text/plain"));
        assert_eq!(k.output, Image);
        let k = classify_file(b"just words", Some("text/plain; charset=utf-8"));
        assert_eq!((k.output, k.extension), (Text, "txt"));
        let k = classify_file(b"<svg/>", Some("image/svg+xml"));
        assert_eq!((k.output, k.extension), (Image, "svg"));
        assert_eq!(classify_file(b"\x00\x01", None).output, File);
        assert_eq!(classify_file(b"", Some("image/png")).output, Empty);
        assert_eq!(classify_file(b"{}", Some("application/json")).output, Json);
        assert_eq!(
            classify_file(b"\x00", Some("application/octet-stream")).output,
            File
        );
    }

    #[test]
    fn gradio_values() {
        let fd = json!({"path": "/tmp/x/image.webp", "url": "http://h/gradio_api/file=/tmp/x/image.webp",
                        "size": null, "orig_name": "image.webp", "mime_type": null, "is_stream": false,
                        "meta": {"_type": "gradio.FileData"}});
        let OutputValue::File { url, orig_name, .. } = read_output(&fd) else {
            panic!()
        };
        assert_eq!(
            url.as_deref(),
            Some("http://h/gradio_api/file=/tmp/x/image.webp")
        );
        assert_eq!(orig_name.as_deref(), Some("image.webp"));
        assert!(matches!(
            read_output(&json!({"video": fd, "subtitles": null})),
            OutputValue::File { .. }
        ));
        assert!(matches!(
            read_output(&json!([{"image": fd, "caption": null}])),
            OutputValue::File { .. }
        ));
        assert_eq!(
            read_output(&json!("HELLO")),
            OutputValue::Text("HELLO".into())
        );
        assert_eq!(read_output(&json!("  ")), OutputValue::Empty);
        assert_eq!(read_output(&json!(null)), OutputValue::Empty);
        assert_eq!(read_output(&json!([])), OutputValue::Empty);
        assert_eq!(read_output(&json!({})), OutputValue::Empty);
        assert_eq!(read_output(&json!(3.5)), OutputValue::Json(json!(3.5)));
        assert_eq!(
            read_output(&json!({"label": "cat"})),
            OutputValue::Json(json!({"label": "cat"}))
        );
    }
}
