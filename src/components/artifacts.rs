//! The run's output artifacts, shown inline (images, audio, video, text) or offered for download.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::auth::use_auth;
use crate::bucket::use_run_bucket;
use crate::run_data::{self, Artifact};

/// How an artifact is shown, from its file name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    Image(&'static str),
    Audio(&'static str),
    Video(&'static str),
    Text,
    Download,
}

pub fn shown_as(path: &str) -> Shown {
    let ext = path.rsplit('.').next().unwrap_or("").to_ascii_lowercase();
    match ext.as_str() {
        "png" => Shown::Image("image/png"),
        "jpg" | "jpeg" => Shown::Image("image/jpeg"),
        "webp" => Shown::Image("image/webp"),
        "gif" => Shown::Image("image/gif"),
        "wav" => Shown::Audio("audio/wav"),
        "mp3" => Shown::Audio("audio/mpeg"),
        "ogg" | "oga" => Shown::Audio("audio/ogg"),
        "flac" => Shown::Audio("audio/flac"),
        "mp4" => Shown::Video("video/mp4"),
        "webm" => Shown::Video("video/webm"),
        "txt" | "json" | "md" | "log" | "csv" => Shown::Text,
        _ => Shown::Download,
    }
}

/// The run's output artifacts, shown inline. Bucket files need the token, so each is fetched
/// with it and shown through a blob URL (revoked when the view goes away).
/// Files already shown keep their downloaded content when new ones appear (keyed by path).
#[component]
pub fn Artifacts(#[prop(into)] files: Signal<Vec<Artifact>>) -> impl IntoView {
    // Only the change from none to some redraws the section; the list itself is keyed.
    let any = Memo::new(move |_| !files.with(Vec::is_empty));
    move || {
        any.get().then(|| {
            view! {
                <section class="card" data-testid="artifacts">
                    <h2>"Artifacts"</h2>
                    <div class="artifacts">
                        <For each=move || files.get() key=|a| a.path.clone() let:artifact>
                            <ArtifactView artifact=artifact />
                        </For>
                    </div>
                </section>
            }
        })
    }
}

#[component]
fn ArtifactView(artifact: Artifact) -> impl IntoView {
    let auth = use_auth();
    let bucket = use_run_bucket().bucket(&auth);
    let shown = shown_as(&artifact.path);
    let name = artifact
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&artifact.path)
        .to_string();
    let content = RwSignal::new(None::<Result<(String, String), String>>);
    let path = artifact.path.clone();
    leptos::task::spawn_local(async move {
        let loaded = match bucket {
            Some(bucket) => run_data::read_file(auth, bucket, path).await,
            None => Err("Sign in with Hugging Face to see this file.".to_string()),
        };
        content.set(Some(loaded.map(|bytes| match shown {
            Shown::Text => (
                String::new(),
                String::from_utf8_lossy(&bytes[..bytes.len().min(16 * 1024)]).into_owned(),
            ),
            Shown::Image(mime) | Shown::Audio(mime) | Shown::Video(mime) => {
                (blob_url(&bytes, mime), String::new())
            }
            Shown::Download => (blob_url(&bytes, "application/octet-stream"), String::new()),
        })));
    });
    on_cleanup(move || {
        if let Some(Some(Ok((url, _)))) = content.try_get_untracked()
            && !url.is_empty()
        {
            let _ = web_sys::Url::revoke_object_url(&url);
        }
    });
    let title = name.clone();
    view! {
        <figure class="artifact">
            {move || match content.get() {
                None => view! { <p class="muted">"Loading…"</p> }.into_any(),
                Some(Err(e)) => view! { <p class="error">{e}</p> }.into_any(),
                Some(Ok((url, text))) => match shown {
                    Shown::Image(_) => view! { <img src=url alt=title.clone() /> }.into_any(),
                    Shown::Audio(_) => view! { <audio controls=true src=url></audio> }.into_any(),
                    Shown::Video(_) => view! { <video controls=true src=url></video> }.into_any(),
                    Shown::Text => view! { <pre>{text}</pre> }.into_any(),
                    Shown::Download => view! { <a href=url download=title.clone()>"Download"</a> }.into_any(),
                },
            }}
            <figcaption><code>{name}</code>{artifact.size.map(|s| format!(" · {s} bytes"))}</figcaption>
        </figure>
    }
}

fn blob_url(bytes: &[u8], mime: &str) -> String {
    let array = js_sys::Uint8Array::from(bytes);
    let parts = js_sys::Array::of1(&array.buffer());
    let options = web_sys::BlobPropertyBag::new();
    options.set_type(mime);
    web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &options)
        .ok()
        .and_then(|blob| web_sys::Url::create_object_url_with_blob(blob.unchecked_ref()).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifacts_are_shown_by_kind() {
        assert_eq!(
            shown_as("runs/r/artifacts/output.webp"),
            Shown::Image("image/webp")
        );
        assert_eq!(shown_as("a/OUT.PNG"), Shown::Image("image/png"));
        assert_eq!(shown_as("a/speech.wav"), Shown::Audio("audio/wav"));
        assert_eq!(shown_as("a/clip.mp4"), Shown::Video("video/mp4"));
        assert_eq!(shown_as("a/answer.txt"), Shown::Text);
        assert_eq!(shown_as("a/weights.bin"), Shown::Download);
    }
}
