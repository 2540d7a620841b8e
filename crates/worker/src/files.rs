//! The wrapper's own checks of what the agent wrote: only the expected files are taken from the
//! workspace, Python compiles, the smoke-test manifest reads, blockers are collected, and the
//! README front matter is completed (the Space's settings are the wrapper's, not the agent's).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Files the Space needs.
pub const REQUIRED: &[&str] = &["app.py", "requirements.txt", "README.md"];
/// Files the agent may add: the smoke-test manifest and the blockers.
pub use sf_core::smoke_test::{MANIFEST, parse_manifest};
pub const BLOCKERS: &str = "BLOCKERS.md";
/// Where the workspace holds the model card and facts for the agent (never uploaded).
pub const INPUT_DIR: &str = "model-card";
/// Largest file taken from the workspace.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// What the workspace holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workspace {
    /// Expected files found (name → content).
    pub files: BTreeMap<String, String>,
    /// Other files the agent left (not uploaded).
    pub extras: Vec<String>,
    /// Problems with the expected files (missing, too large, not text).
    pub problems: Vec<String>,
}

impl Workspace {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.files.get(name).map(String::as_str)
    }
}

fn list(dir: &Path, rel: &str, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        if rel.is_empty() && name == INPUT_DIR || name == "__pycache__" {
            continue;
        }
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            list(&e.path(), &path, out);
        } else {
            out.push(path);
        }
    }
}

/// Reads a file the agent wrote. The workspace is the agent's and the worker reads it as root, so
/// only a plain file is read: never through a symbolic link (`O_NOFOLLOW`) nor a second hard link,
/// either of which could make the worker read for the agent what the agent may not (the
/// worker's `/proc/<pid>/environ`, a root-only file).
fn read_own_file(path: &Path) -> Result<String, String> {
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|e| {
            if e.raw_os_error() == Some(libc::ELOOP) {
                "is a link, not a file".to_string()
            } else {
                "cannot be read".to_string()
            }
        })?;
    let meta = file.metadata().map_err(|_| "cannot be read".to_string())?;
    if !meta.is_file() {
        return Err("is not a regular file".to_string());
    }
    if meta.nlink() > 1 {
        return Err("is a hard link to another file".to_string());
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(format!("is larger than {} KB", MAX_FILE_BYTES / 1024));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| "cannot be read".to_string())?;
    String::from_utf8(bytes).map_err(|_| "is not UTF-8 text".to_string())
}

/// Reads the expected files of the workspace and lists the others.
pub fn scan(ws: &Path) -> Workspace {
    let mut all = Vec::new();
    list(ws, "", &mut all);
    all.sort();
    let mut out = Workspace::default();
    for name in all {
        let expected = REQUIRED.contains(&name.as_str()) || name == MANIFEST || name == BLOCKERS;
        if !expected {
            out.extras.push(name);
            continue;
        }
        match read_own_file(&ws.join(&name)) {
            Err(problem) => out.problems.push(format!("{name} {problem}")),
            Ok(text) => {
                out.files.insert(name, text);
            }
        }
    }
    for name in REQUIRED {
        if !out.files.contains_key(*name) && !out.problems.iter().any(|p| p.starts_with(name)) {
            out.problems.push(format!("{name} is missing"));
        }
    }
    if out.files.get("app.py").is_some_and(|t| t.trim().is_empty()) {
        out.problems.push("app.py is empty".to_string());
    }
    out
}

/// `python -m py_compile <file>` in `ws` (bytecode goes to a throw-away folder). `Ok(None)` when
/// it compiles, `Ok(Some(error))` when it does not, `Err` when Python could not be run.
pub async fn py_compile(
    python: &str,
    ws: &Path,
    file: &str,
    cache: &Path,
) -> Result<Option<String>, String> {
    // Isolated (`-I`): the workspace is the agent's, and a `py_compile.py` of its own there must
    // not be imported by the worker's Python (nor PYTHON* variables read).
    let mut prefix = std::ffi::OsString::from("pycache_prefix=");
    prefix.push(cache);
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg("-I")
        .arg("-X")
        .arg(prefix)
        .args(["-m", "py_compile", file])
        .current_dir(ws);
    let out = crate::process::run_captured(cmd, Duration::from_secs(60))
        .await
        .map_err(|e| format!("could not run `{python}`: {e}"))?;
    if out.success() {
        Ok(None)
    } else if out.timed_out {
        Err(format!(
            "`{python} -m py_compile` did not finish within 60 s"
        ))
    } else {
        let text = format!("{}{}", out.stdout, out.stderr);
        let tail: Vec<&str> = text.lines().rev().take(8).collect();
        Ok(Some(tail.into_iter().rev().collect::<Vec<_>>().join("\n")))
    }
}

/// The blockers in `BLOCKERS.md`: its bullet items, else its non-heading paragraphs.
pub fn parse_blockers(text: &str) -> Vec<String> {
    let bullets: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter_map(|l| {
            l.strip_prefix("- ")
                .or_else(|| l.strip_prefix("* "))
                .or_else(|| {
                    let (num, rest) = l.split_once(". ")?;
                    num.chars().all(|c| c.is_ascii_digit()).then_some(rest)
                })
        })
        .map(|s| s.trim().trim_end_matches('.').to_string())
        .filter(|s| !s.is_empty())
        .collect();
    if !bullets.is_empty() {
        return bullets;
    }
    text.split("\n\n")
        .map(|p| p.trim())
        .filter(|p| !p.is_empty() && !p.starts_with('#'))
        .map(|p| p.replace('\n', " ").trim_end_matches('.').to_string())
        .take(5)
        .collect()
}

/// The front matter keys the wrapper decides.
const OWN_KEYS: &[&str] = &[
    "sdk",
    "sdk_version",
    "app_file",
    "python_version",
    "pinned",
    "models",
    "suggested_hardware",
    "hf_oauth",
    "fullWidth",
    "disable_embedding",
];

fn yaml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The README with its front matter completed: the agent's `title`, `emoji`, `colorFrom`,
/// `colorTo`, `short_description`, `license`, `tags` … are kept; `sdk: gradio`,
/// `app_file: app.py`, `pinned: false`, `models: [<model>]` and `suggested_hardware` are the
/// wrapper's; a missing `title` is added. (The Space's privacy is set when it is created: the
/// front matter has no such setting.)
pub fn complete_readme(
    readme: &str,
    title: &str,
    model_id: &str,
    suggested_hardware: &str,
) -> String {
    let (front, body) = match readme
        .strip_prefix("---\n")
        .or_else(|| readme.strip_prefix("---\r\n"))
    {
        Some(rest) => match rest.find("\n---") {
            Some(end) => {
                let after = &rest[end + 4..];
                let body = after
                    .strip_prefix('\n')
                    .or_else(|| after.strip_prefix("\r\n"))
                    .unwrap_or(after);
                (rest[..end].to_string(), body.to_string())
            }
            None => (String::new(), readme.to_string()),
        },
        None => (String::new(), readme.to_string()),
    };
    let mut kept = Vec::new();
    let mut skipping = false;
    let mut has_title = false;
    for line in front.lines() {
        let top = !line.starts_with([' ', '\t', '-']) && !line.trim().is_empty();
        if top {
            let key = line.split(':').next().unwrap_or("").trim();
            skipping = OWN_KEYS.contains(&key);
            if key == "title" {
                has_title = true;
            }
        }
        if !skipping {
            kept.push(line.to_string());
        }
    }
    let mut out = String::from("---\n");
    if !has_title {
        out.push_str(&format!("title: {}\n", yaml_string(title)));
    }
    for line in kept {
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("sdk: gradio\napp_file: app.py\npinned: false\n");
    out.push_str(&format!("models:\n  - {}\n", yaml_string(model_id)));
    out.push_str(&format!("suggested_hardware: {suggested_hardware}\n"));
    out.push_str("---\n\n");
    out.push_str(body.trim_start_matches('\n'));
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_only_expected_files() {
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path();
        std::fs::create_dir_all(ws.join("model-card")).unwrap();
        std::fs::write(ws.join("model-card/MODEL_CARD.md"), "card").unwrap();
        std::fs::write(ws.join("app.py"), "print(1)\n").unwrap();
        std::fs::write(ws.join("README.md"), "# x\n").unwrap();
        std::fs::write(ws.join("notes.txt"), "scratch").unwrap();
        std::fs::create_dir_all(ws.join("__pycache__")).unwrap();
        std::fs::write(ws.join("__pycache__/app.pyc"), [0u8]).unwrap();
        std::fs::write(ws.join(MANIFEST), [0xffu8, 0xfe]).unwrap();
        let w = scan(ws);
        assert_eq!(
            w.files.keys().collect::<Vec<_>>(),
            vec!["README.md", "app.py"]
        );
        assert_eq!(w.extras, vec!["notes.txt"]);
        assert_eq!(
            w.problems,
            vec![
                "smoke_test.json is not UTF-8 text",
                "requirements.txt is missing"
            ]
        );
    }

    #[test]
    fn blockers() {
        assert_eq!(
            parse_blockers(
                "# Blockers\n\n- Needs 8 GPUs.\n* Licence forbids it\n1. custom CUDA kernels\n"
            ),
            vec!["Needs 8 GPUs", "Licence forbids it", "custom CUDA kernels"]
        );
        assert_eq!(
            parse_blockers("# Why not\n\nThe model needs\ntwo GPUs.\n"),
            vec!["The model needs two GPUs"]
        );
        assert!(parse_blockers("").is_empty());
    }

    #[test]
    fn readme_front_matter_is_completed() {
        let agent = "---\ntitle: Fox Maker\nemoji: 🦊\nsdk: streamlit\nsdk_version: 1.0\nmodels:\n  - other/model\ntags:\n  - image\n---\n# Fox Maker\n\nMakes foxes.\n";
        let out = complete_readme(
            agent,
            "space-factory-x",
            "Tongyi-MAI/Z-Image-Turbo",
            "zero-a10g",
        );
        assert_eq!(
            out,
            "---\ntitle: Fox Maker\nemoji: 🦊\ntags:\n  - image\nsdk: gradio\napp_file: app.py\npinned: false\nmodels:\n  - \"Tongyi-MAI/Z-Image-Turbo\"\nsuggested_hardware: zero-a10g\n---\n\n# Fox Maker\n\nMakes foxes.\n"
        );
        let bare = complete_readme("# Just text", "my \"space\"", "a/b", "cpu-basic");
        assert!(
            bare.starts_with("---\ntitle: \"my \\\"space\\\"\"\nsdk: gradio\n"),
            "{bare}"
        );
        assert!(bare.ends_with("---\n\n# Just text\n"));
    }

    #[tokio::test]
    async fn py_compile_reports_syntax_errors() {
        let _serial = crate::process::tests::SERIAL.lock().await;
        let python = std::env::var("SF_PYTHON").unwrap_or_else(|_| "python3".to_string());
        if crate::process::find_on_path(&python).is_none() && !Path::new(&python).is_file() {
            panic!(
                "No Python found for this test: run `cargo xtask setup` and set SF_PYTHON, or install python3."
            );
        }
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("ok.py"), "x = 1\n").unwrap();
        std::fs::write(tmp.path().join("bad.py"), "def f(:\n  pass\n").unwrap();
        let cache = tmp.path().join("cache");
        assert_eq!(
            py_compile(&python, tmp.path(), "ok.py", &cache).await,
            Ok(None)
        );
        let err = py_compile(&python, tmp.path(), "bad.py", &cache)
            .await
            .unwrap()
            .unwrap();
        assert!(
            err.contains("SyntaxError") || err.contains("invalid syntax"),
            "{err}"
        );
        assert!(!tmp.path().join("__pycache__").exists());
        assert!(
            py_compile("/no/such/python", tmp.path(), "ok.py", &cache)
                .await
                .is_err()
        );
        // A `py_compile.py` the agent left in its workspace is not what the worker runs.
        let marker = tmp.path().join("ran");
        std::fs::write(
            tmp.path().join("py_compile.py"),
            format!("open({:?}, 'w').write('x')\n", marker.display().to_string()),
        )
        .unwrap();
        assert_eq!(
            py_compile(&python, tmp.path(), "ok.py", &cache).await,
            Ok(None)
        );
        assert!(!marker.exists(), "the workspace's py_compile.py ran");
    }

    #[test]
    fn links_in_the_workspace_are_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = tmp.path().join("secret");
        std::fs::write(&secret, "hf_secret\n").unwrap();
        let ws = tmp.path().join("ws");
        std::fs::create_dir_all(&ws).unwrap();
        std::os::unix::fs::symlink(&secret, ws.join("app.py")).unwrap();
        std::os::unix::fs::symlink("/proc/self/environ", ws.join("README.md")).unwrap();
        std::fs::hard_link(&secret, ws.join("requirements.txt")).unwrap();
        let w = scan(&ws);
        assert!(w.files.is_empty(), "{:?}", w.files);
        assert_eq!(
            w.problems,
            vec![
                "README.md is a link, not a file",
                "app.py is a link, not a file",
                "requirements.txt is a hard link to another file",
            ]
        );
    }
}
