//! `cargo xtask dist` and `cargo xtask deploy`: the release as a static Hugging Face Space.
//!
//! `dist` writes `target/space/`: the release web app (index.html at the root, as a static Space
//! serves it), the worker as a static x86_64 musl binary at `worker/space-factory-worker` (the
//! jobs mount this Space read-only at `/factory` and run that file), and README.md with the
//! Space's front matter (xtask/space/README.md: sdk, OAuth scopes with the reason for each, token
//! lifetime).
//!
//! `deploy --space owner/name` builds that folder, prints what it will do, asks, then uses the
//! `hf` command of huggingface_hub (installed by `setup` in the project's venv): create the
//! static Space if it is missing, set its `SF_FACTORY_SPACE` variable so jobs know where the
//! worker is, and upload the folder.

use std::path::{Path, PathBuf};

use crate::csp;
use crate::setup::Tools;
use crate::size;
use crate::util::{Cmd, project_root};

pub const WORKER_TARGET: &str = "x86_64-unknown-linux-musl";
pub const WORKER_PATH_IN_SPACE: &str = "worker/space-factory-worker";

fn copy_dir(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::create_dir_all(to).map_err(|e| format!("cannot create {}: {e}", to.display()))?;
    for entry in
        std::fs::read_dir(from).map_err(|e| format!("cannot read {}: {e}", from.display()))?
    {
        let entry = entry.map_err(|e| e.to_string())?;
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)
                .map_err(|e| format!("cannot copy {}: {e}", entry.path().display()))?;
        }
    }
    Ok(())
}

/// Builds the static worker binary and returns its path.
pub fn build_worker() -> Result<PathBuf, String> {
    let root = project_root();
    Cmd::new("cargo")
        .args([
            "build",
            "--release",
            "--locked",
            "-p",
            "sf-worker",
            "--target",
            WORKER_TARGET,
        ])
        .current_dir(&root)
        .run()?;
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    Ok(target_dir
        .join(WORKER_TARGET)
        .join("release")
        .join("space-factory-worker"))
}

/// Writes target/space/ and returns its path. Its `index.html` carries the Content-Security-Policy
/// for `hub`, the Hub origin the app talks to (`csp::HF_HUB` for a deployment).
pub fn dist(app_dist: &Path, hub: &str) -> Result<PathBuf, String> {
    let root = project_root();
    let worker = build_worker()?;
    let out = root.join("target").join("space");
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .map_err(|e| format!("cannot clear {}: {e}", out.display()))?;
    }
    copy_dir(app_dist, &out)?;
    let index = out.join("index.html");
    let html = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    std::fs::write(&index, csp::apply(&html, hub)?).map_err(|e| e.to_string())?;
    let worker_dest = out.join(WORKER_PATH_IN_SPACE);
    std::fs::create_dir_all(worker_dest.parent().unwrap()).map_err(|e| e.to_string())?;
    std::fs::copy(&worker, &worker_dest).map_err(|e| format!("cannot copy the worker: {e}"))?;
    let readme =
        std::fs::read_to_string(root.join("xtask/space/README.md")).map_err(|e| e.to_string())?;
    // A Space whose front matter does not parse would not get OAuth: refuse to write it.
    front_matter(&readme)
        .ok_or("xtask/space/README.md must start with a --- front matter block")?;
    std::fs::write(out.join("README.md"), readme).map_err(|e| e.to_string())?;
    size::report(&out)?;
    let worker_len = std::fs::metadata(&worker_dest)
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "  {:<48} {:>9} bytes (static musl binary)",
        WORKER_PATH_IN_SPACE, worker_len
    );
    println!("release folder ready: {}", out.display());
    Ok(out)
}

#[derive(Debug)]
pub struct DeployArgs {
    pub space: String,
    pub public: bool,
    pub yes: bool,
}

pub fn parse_deploy_args(args: &[String]) -> Result<DeployArgs, String> {
    let mut space = None;
    let (mut public, mut yes) = (false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--space" => space = it.next().cloned(),
            "--public" => public = true,
            "--yes" | "-y" => yes = true,
            other => return Err(format!("deploy: unknown option `{other}`")),
        }
    }
    let space =
        space.ok_or("deploy needs --space owner/name (the static Space to create or update)")?;
    sf_core::SpaceRef::parse(&space).map_err(|e| format!("--space {space}: {e}"))?;
    Ok(DeployArgs { space, public, yes })
}

/// The three `hf` commands that deploy `folder` as the static Space `args.space`: create it if
/// missing (private unless `--public`), set `SF_FACTORY_SPACE` (jobs find the worker in it), upload.
pub fn deploy_plan(args: &DeployArgs, folder: &Path) -> Vec<Vec<String>> {
    let visibility = if args.public { "--public" } else { "--private" };
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        s(&[
            "repos",
            "create",
            &args.space,
            "--type",
            "space",
            "--space-sdk",
            "static",
            "--exist-ok",
            visibility,
        ]),
        s(&[
            "spaces",
            "variables",
            "add",
            &args.space,
            "-e",
            &format!("SF_FACTORY_SPACE={}", args.space),
        ]),
        s(&[
            "upload",
            &args.space,
            &folder.display().to_string(),
            ".",
            "--repo-type",
            "space",
            "--commit-message",
            "Deploy Space Factory",
        ]),
    ]
}

/// Runs the plan with the `hf` command (it uses `hf auth login` or `HF_TOKEN`, and `HF_ENDPOINT`).
pub fn run_plan(hf: &Path, plan: &[Vec<String>]) -> Result<(), String> {
    for step in plan {
        Cmd::new(hf).args(step).run()?;
    }
    Ok(())
}

pub fn deploy(args: DeployArgs, tools: &Tools, app_dist: &Path) -> Result<(), String> {
    let hf = tools.python.parent().unwrap().join("hf");
    let out = dist(app_dist, csp::HF_HUB)?;
    let plan = deploy_plan(&args, &out);
    println!(
        "\nDeploying Space Factory to https://huggingface.co/spaces/{}:",
        args.space
    );
    let why = [
        "creates the static Space if it does not exist",
        "jobs find the worker in this Space",
        "uploads the release folder",
    ];
    for (i, (step, why)) in plan.iter().zip(why).enumerate() {
        println!("  {}. hf {}   ({why})", i + 1, step.join(" "));
    }
    println!("The `hf` command uses your Hugging Face login (`hf auth login`) or HF_TOKEN.");
    if !args.yes {
        print!("Proceed? [y/N] ");
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            return Err("deploy cancelled; nothing was changed".into());
        }
    }
    run_plan(&hf, &plan)?;
    println!("Deployed: https://huggingface.co/spaces/{}", args.space);
    Ok(())
}

/// The front matter of a README (between the first two `---` lines), as key → raw value lines.
pub fn front_matter(readme: &str) -> Option<Vec<(String, Vec<String>)>> {
    let mut lines = readme.lines();
    if lines.next()?.trim() != "---" {
        return None;
    }
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in lines {
        if line.trim() == "---" {
            return Some(out);
        }
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if let Some(item) = trimmed.strip_prefix("- ") {
            out.last_mut()?.1.push(item.trim().to_string());
        } else {
            let (key, value) = trimmed.split_once(':')?;
            let value = value.trim();
            out.push((
                key.trim().to_string(),
                if value.is_empty() {
                    vec![]
                } else {
                    vec![value.to_string()]
                },
            ));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space_readme() -> Vec<(String, Vec<String>)> {
        let text = std::fs::read_to_string(project_root().join("xtask/space/README.md")).unwrap();
        front_matter(&text).expect("README.md starts with front matter")
    }

    fn get(fm: &[(String, Vec<String>)], key: &str) -> Vec<String> {
        fm.iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_else(|| panic!("no {key}"))
    }

    #[test]
    fn release_readme_declares_a_static_space_with_oauth() {
        let fm = space_readme();
        assert_eq!(get(&fm, "sdk"), ["static"]);
        assert_eq!(get(&fm, "app_file"), ["index.html"]);
        assert_eq!(get(&fm, "hf_oauth"), ["true"]);
        assert_eq!(get(&fm, "hf_oauth_expiration_minutes"), ["480"]);
        assert!(!get(&fm, "title")[0].is_empty());
        assert!(!get(&fm, "emoji")[0].is_empty());
        assert!(
            get(&fm, "short_description")[0].len() <= 60,
            "the Hub caps short descriptions at 60 characters"
        );
    }

    #[test]
    fn release_readme_lists_exactly_the_scopes_the_app_needs() {
        let scopes = get(&space_readme(), "hf_oauth_scopes");
        assert_eq!(
            scopes,
            [
                "read-repos",
                "write-repos",
                "manage-repos",
                "gated-repos",
                "inference-api",
                "jobs"
            ]
        );
    }

    #[test]
    fn front_matter_parser_handles_lists_and_comments() {
        let fm = front_matter("---\na: 1\n# note\nb:\n  - x\n  - y\n---\nbody").unwrap();
        assert_eq!(
            fm,
            vec![
                ("a".into(), vec!["1".into()]),
                ("b".into(), vec!["x".into(), "y".into()])
            ]
        );
        assert!(front_matter("no front matter").is_none());
        assert!(front_matter("---\na: 1\n").is_none());
    }

    #[test]
    fn deploy_needs_a_valid_space() {
        assert!(parse_deploy_args(&[]).unwrap_err().contains("--space"));
        assert!(parse_deploy_args(&["--space".into(), "not a space".into()]).is_err());
        let a = parse_deploy_args(&["--space".into(), "me/space-factory".into(), "--yes".into()])
            .unwrap();
        assert!(a.yes && !a.public);
    }

    /// The deploy plan, run with the real `hf` command of huggingface_hub against the Hub
    /// simulator, leaves the release folder in a static Space with its `SF_FACTORY_SPACE`.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn deploy_plan_runs_with_the_real_hf_command() {
        let python = std::env::var_os("SF_PYTHON").map(PathBuf::from).expect(
            "SF_PYTHON is not set: run the tests with `cargo xtask test` (the venv has the `hf` command)",
        );
        let hf = python.parent().unwrap().join("hf");
        let tmp = tempfile::tempdir().unwrap();
        let sim = sf_hubsim::HubSim::start(
            sf_hubsim::SimConfig::for_tests(tmp.path().join("hub")),
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        // A release folder: the real Space README, an app page and a worker-sized binary.
        let folder = tmp.path().join("space");
        std::fs::create_dir_all(folder.join("worker")).unwrap();
        std::fs::write(
            folder.join("index.html"),
            "<!doctype html><title>SF</title>",
        )
        .unwrap();
        std::fs::write(
            folder.join("README.md"),
            std::fs::read_to_string(project_root().join("xtask/space/README.md")).unwrap(),
        )
        .unwrap();
        let worker: Vec<u8> = (0..3_000_000u64).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(folder.join(WORKER_PATH_IN_SPACE), &worker).unwrap();

        let args = DeployArgs {
            space: "sf-tester/space-factory".into(),
            public: false,
            yes: true,
        };
        let plan = deploy_plan(&args, &folder);
        let url = sim.url();
        let ran = tokio::task::spawn_blocking(move || {
            for step in &plan {
                let out = std::process::Command::new(&hf)
                    .args(step)
                    .env("HF_ENDPOINT", &url)
                    .env("HF_TOKEN", sf_hubsim::TEST_TOKEN)
                    .env("HF_HUB_DISABLE_TELEMETRY", "1")
                    .env("NO_COLOR", "1")
                    .output()
                    .unwrap();
                if !out.status.success() {
                    return Err(format!(
                        "hf {} failed:\n{}{}",
                        step.join(" "),
                        String::from_utf8_lossy(&out.stdout),
                        String::from_utf8_lossy(&out.stderr)
                    ));
                }
            }
            Ok(())
        })
        .await
        .unwrap();
        ran.unwrap();

        let http = reqwest::Client::new();
        let get = |path: String| {
            http.get(format!("{}{path}", sim.url()))
                .bearer_auth(sf_hubsim::TEST_TOKEN)
        };
        let info: serde_json::Value = get("/api/spaces/sf-tester/space-factory".into())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["sdk"], "static");
        assert_eq!(info["private"], true);
        assert_eq!(info["cardData"]["hf_oauth"], true);
        let vars: serde_json::Value = get("/api/spaces/sf-tester/space-factory/variables".into())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(
            vars["SF_FACTORY_SPACE"]["value"], "sf-tester/space-factory",
            "{vars}"
        );
        let uploaded = get(format!(
            "/spaces/sf-tester/space-factory/resolve/main/{WORKER_PATH_IN_SPACE}"
        ))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
        assert!(
            uploaded.as_ref() == worker.as_slice(),
            "the worker binary differs"
        );
        sim.shutdown().await;
    }
}
