//! `cargo xtask serve`: the whole product on this machine.
//!
//! By default it builds the release folder (`cargo xtask dist`: the app and the static worker)
//! and starts the Hub simulator, which
//! - serves that folder at `/` the way a static Space does (OAuth variables from its README),
//! - holds it as the public static Space `sf-tester/space-factory` too, so a job's `space` volume
//!   finds the worker binary there exactly as on the Hub (`SF_FACTORY_SPACE`),
//! - runs jobs as local processes with the project's tools on `PATH` (the real `pi` among them),
//! - answers the coding agent at `<hub>/v1/chat/completions` with its scripted demo agent, or
//!   `--inference-url` names a real OpenAI-compatible endpoint instead,
//! - runs the generated Gradio Spaces for real with the project's Python (gradio installed by the
//!   set-up), the model libraries replaced by small stand-ins that simulate the weights (their
//!   download with the Space's token, their memory on its hardware) because no weights can be
//!   downloaded here (`crates/hubsim/pylibs`).
//!
//! `--hub https://huggingface.co` serves the same app pointed at the real Hub instead (sign in
//! by pasting a token; `--factory-space` names the deployed factory Space whose worker the jobs
//! run).

use std::path::{Path, PathBuf};

/// The factory Space the local run seeds with the release folder.
pub const LOCAL_FACTORY_SPACE: &str = "sf-tester/space-factory";
/// The OAuth client id the local run's simulator accepts.
pub const LOCAL_CLIENT_ID: &str = "space-factory-local";

#[derive(Debug, PartialEq, Eq)]
pub struct ServeArgs {
    pub port: u16,
    /// `None`: the local simulator is the Hub. `Some(url)`: the app talks to that Hub.
    pub hub: Option<String>,
    pub inference_url: Option<String>,
    pub factory_space: Option<String>,
    /// Job buckets as plain folders (`hubsim --plain-bucket-mounts`), for a machine that cannot
    /// mount FUSE: not the Hub's rules, so writes that would fail there succeed.
    pub plain_bucket_mounts: bool,
}

pub fn parse_args(args: &[String]) -> Result<ServeArgs, String> {
    let mut out = ServeArgs {
        port: 8000,
        hub: None,
        inference_url: None,
        factory_space: None,
        plain_bucket_mounts: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = |name: &str, example: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{name} needs a value, e.g. {name} {example}"))
        };
        match arg.as_str() {
            "--port" => {
                out.port = value("--port", "8000")?
                    .parse()
                    .map_err(|_| "--port needs a number from 1 to 65535, e.g. --port 8000")?
            }
            "--hub" => {
                let url = value("--hub", "https://huggingface.co")?;
                http_url(&url, "--hub")?;
                out.hub = Some(url.trim_end_matches('/').to_string());
            }
            "--inference-url" => {
                let url = value("--inference-url", "http://127.0.0.1:11434/v1")?;
                http_url(&url, "--inference-url")?;
                out.inference_url = Some(url.trim_end_matches('/').to_string());
            }
            "--factory-space" => {
                let id = value("--factory-space", "your-name/space-factory")?;
                sf_core::SpaceRef::parse(&id).map_err(|e| format!("--factory-space {id}: {e}"))?;
                out.factory_space = Some(id);
            }
            "--plain-bucket-mounts" => out.plain_bucket_mounts = true,
            other => {
                return Err(format!(
                    "serve: unknown option `{other}` (options: --port N, --hub URL, --inference-url URL, --factory-space owner/name, --plain-bucket-mounts)"
                ));
            }
        }
    }
    if out.hub.is_none() && out.factory_space.is_some() {
        return Err("--factory-space goes with --hub: the local run uses its own factory Space (sf-tester/space-factory)".into());
    }
    Ok(out)
}

fn http_url(url: &str, flag: &str) -> Result<(), String> {
    if url.starts_with("http://") || url.starts_with("https://") {
        Ok(())
    } else {
        Err(format!(
            "{flag} must be an http(s) URL, e.g. https://huggingface.co; got `{url}`"
        ))
    }
}

/// Where the pieces of a local run are.
pub struct Paths<'a> {
    pub release: &'a Path,
    pub data_dir: &'a Path,
    pub python: &'a Path,
    pub stand_ins: &'a Path,
}

/// The `hubsim` arguments for a run.
pub fn hubsim_args(a: &ServeArgs, p: &Paths<'_>) -> Vec<String> {
    let local = format!("http://127.0.0.1:{}", a.port);
    let mut out: Vec<String> = vec![
        "--port".into(),
        a.port.to_string(),
        "--data-dir".into(),
        p.data_dir.display().to_string(),
        "--app-dir".into(),
        p.release.display().to_string(),
    ];
    let var = |out: &mut Vec<String>, k: &str, v: &str| {
        out.push("--var".into());
        out.push(format!("{k}={v}"));
    };
    match &a.hub {
        None => {
            out.extend([
                "--oauth-client-id".into(),
                LOCAL_CLIENT_ID.into(),
                "--seed-space".into(),
                format!("{LOCAL_FACTORY_SPACE}={}", p.release.display()),
                "--space-python".into(),
                p.python.display().to_string(),
                "--space-pythonpath".into(),
                p.stand_ins.display().to_string(),
                "--demo-agent".into(),
            ]);
            if a.plain_bucket_mounts {
                out.push("--plain-bucket-mounts".into());
            }
            var(&mut out, "SF_FACTORY_SPACE", LOCAL_FACTORY_SPACE);
            let inference = a
                .inference_url
                .clone()
                .unwrap_or_else(|| format!("{local}/v1"));
            var(&mut out, "SF_INFERENCE_URL", &inference);
        }
        Some(hub) => {
            // Only the app is served; every call goes to that Hub. No OAuth client is
            // registered for this address, so the app offers token paste.
            var(&mut out, "SF_HUB_URL", hub);
            var(&mut out, "OPENID_PROVIDER_URL", hub);
            if let Some(space) = &a.factory_space {
                var(&mut out, "SF_FACTORY_SPACE", space);
            }
            if let Some(url) = &a.inference_url {
                var(&mut out, "SF_INFERENCE_URL", url);
            }
        }
    }
    out
}

/// What the person sees once the server is up.
pub fn banner(a: &ServeArgs) -> String {
    let url = format!("http://127.0.0.1:{}/", a.port);
    match &a.hub {
        None => format!(
            "\nSpace Factory runs at {url} against the local Hub simulator (Ctrl-C stops it).\n\
             1. Sign in with Hugging Face: the simulator's consent page signs you in as sf-tester.\n\
             2. Create the run bucket (sf-tester/space-factory-runs).\n\
             3. Build: keep Tongyi-MAI/Z-Image-Turbo (or try openai-community/gpt2), name a Space, Launch.\n\
             The job runs the release worker from {LOCAL_FACTORY_SPACE}, the real Pi talks to {}, \n\
             and the generated Space runs with gradio on this machine (model libraries are stand-ins).\n\
             Then Validate that Space. Files live in target/hubsim-data/.\n",
            a.inference_url
                .clone()
                .unwrap_or_else(|| "the simulator's demo agent".into())
        ),
        Some(hub) => format!(
            "\nSpace Factory runs at {url} against {hub} (Ctrl-C stops it).\n\
             Sign in by pasting a token from {hub}/settings/tokens (scopes: see README.md).\n{}",
            match &a.factory_space {
                Some(s) => format!("Jobs run the worker of the factory Space {s}.\n"),
                None => "No --factory-space: launching a job will say the app is not configured; deploy first (cargo xtask deploy) and pass --factory-space owner/name.\n".into(),
            }
        ),
    }
}

/// The simulator's data folder.
pub fn data_dir(root: &Path) -> PathBuf {
    root.join("target").join("hubsim-data")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<ServeArgs, String> {
        parse_args(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    fn paths() -> (PathBuf, PathBuf, PathBuf, PathBuf) {
        (
            "/r/target/space".into(),
            "/r/target/hubsim-data".into(),
            "/venv/bin/python".into(),
            "/r/crates/hubsim/pylibs".into(),
        )
    }

    fn built(a: &ServeArgs) -> Vec<String> {
        let (release, data_dir, python, stand_ins) = paths();
        hubsim_args(
            a,
            &Paths {
                release: &release,
                data_dir: &data_dir,
                python: &python,
                stand_ins: &stand_ins,
            },
        )
    }

    fn has_pair(v: &[String], a: &str, b: &str) -> bool {
        v.windows(2).any(|w| w[0] == a && w[1] == b)
    }

    #[test]
    fn the_default_is_the_whole_flow_on_the_simulator() {
        let a = args(&[]).unwrap();
        let v = built(&a);
        assert!(has_pair(&v, "--port", "8000"));
        assert!(has_pair(&v, "--app-dir", "/r/target/space"));
        assert!(has_pair(
            &v,
            "--seed-space",
            "sf-tester/space-factory=/r/target/space"
        ));
        assert!(has_pair(&v, "--space-python", "/venv/bin/python"));
        assert!(has_pair(
            &v,
            "--space-pythonpath",
            "/r/crates/hubsim/pylibs"
        ));
        assert!(v.contains(&"--demo-agent".to_string()));
        assert!(has_pair(
            &v,
            "--var",
            "SF_FACTORY_SPACE=sf-tester/space-factory"
        ));
        assert!(has_pair(
            &v,
            "--var",
            "SF_INFERENCE_URL=http://127.0.0.1:8000/v1"
        ));
    }

    #[test]
    fn plain_bucket_mounts_are_asked_for_by_name_only() {
        assert!(!built(&args(&[]).unwrap()).contains(&"--plain-bucket-mounts".to_string()));
        let a = args(&["--plain-bucket-mounts"]).unwrap();
        assert!(built(&a).contains(&"--plain-bucket-mounts".to_string()));
    }

    #[test]
    fn a_real_model_endpoint_replaces_the_demo_agent_url() {
        let a = args(&["--port", "9000", "--inference-url", "http://gpu:8080/v1/"]).unwrap();
        assert!(has_pair(
            &built(&a),
            "--var",
            "SF_INFERENCE_URL=http://gpu:8080/v1"
        ));
    }

    #[test]
    fn the_real_hub_serves_only_the_app_pointed_there() {
        let a = args(&[
            "--hub",
            "https://huggingface.co/",
            "--factory-space",
            "me/space-factory",
        ])
        .unwrap();
        let v = built(&a);
        assert!(has_pair(&v, "--var", "SF_HUB_URL=https://huggingface.co"));
        assert!(has_pair(&v, "--var", "SF_FACTORY_SPACE=me/space-factory"));
        assert!(!v.contains(&"--demo-agent".to_string()));
        assert!(!v.contains(&"--oauth-client-id".to_string()));
        assert!(!v.iter().any(|s| s.starts_with("sf-tester/")));
    }

    #[test]
    fn bad_options_say_what_to_write() {
        assert!(args(&["--port", "x"]).unwrap_err().contains("--port 8000"));
        assert!(
            args(&["--hub", "huggingface.co"])
                .unwrap_err()
                .contains("http(s) URL")
        );
        assert!(
            args(&["--factory-space", "me/x"])
                .unwrap_err()
                .contains("--hub")
        );
        assert!(args(&["--hub", "https://huggingface.co", "--factory-space", "nope"]).is_err());
        assert!(
            args(&["--frobnicate"])
                .unwrap_err()
                .contains("unknown option")
        );
    }
}
