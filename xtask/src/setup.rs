//! `cargo xtask setup`: brings every tool the project needs onto a fresh machine where only the
//! package registries (crates.io, npm, PyPI, Debian) are reachable. Idempotent: each step checks
//! the installed version first and skips what is already right.

use std::path::{Path, PathBuf};

use crate::util::{Cmd, project_root};

pub const TRUNK_VERSION: &str = "0.21.14";
const RUST_TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "x86_64-unknown-linux-musl"];

/// Where the tools that are not cargo binaries live (npm packages, the Python venv).
/// `SF_TOOLS_DIR` overrides the default `~/.cache/space-factory`.
pub fn tools_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SF_TOOLS_DIR") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").unwrap_or_else(|| "/root".into());
    PathBuf::from(home).join(".cache").join("space-factory")
}

/// What the other commands need to find the tools.
pub struct Tools {
    pub npm_bin: PathBuf,
    pub python: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

impl Tools {
    /// PATH with the project's npm tools (wasm-opt, pi) and cargo's bin dir first.
    pub fn path_env(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.npm_bin.clone(), cargo_bin_dir()];
        if let Some(path) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&path));
        }
        std::env::join_paths(dirs).expect("PATH entries contain no separator")
    }
}

fn cargo_bin_dir() -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_else(|| "/root".into())).join(".cargo")
        });
    cargo_home.join("bin")
}

pub fn run() -> Result<Tools, String> {
    let root = project_root();
    let tools = tools_dir();
    std::fs::create_dir_all(&tools)
        .map_err(|e| format!("cannot create {}: {e}", tools.display()))?;

    rust_targets()?;
    cargo_tool("trunk", TRUNK_VERSION, &["--locked"])?;
    // wasm-bindgen-cli must equal the wasm-bindgen in Cargo.lock; its own lockfile pins a crate
    // version the index lacks, so it is installed without --locked (see reference/toolchain.md).
    let wbg = locked_version(&root.join("Cargo.lock"), "wasm-bindgen")?;
    cargo_tool_named("wasm-bindgen-cli", "wasm-bindgen", &wbg, &[])?;
    let npm_bin = npm_tools(&root, &tools)?;
    let (chromium, chromedriver) = debian_packages()?;
    let python = python_env(&root, &tools)?;
    Ok(Tools {
        npm_bin,
        python,
        chromium,
        chromedriver,
    })
}

fn rust_targets() -> Result<(), String> {
    let installed = Cmd::new("rustup")
        .args(["target", "list", "--installed"])
        .output_quiet()
        .unwrap_or_default();
    for target in RUST_TARGETS {
        if !installed.lines().any(|l| l.trim() == target) {
            Cmd::new("rustup").args(["target", "add", target]).run()?;
        }
    }
    Ok(())
}

fn cargo_tool(name: &str, version: &str, extra: &[&str]) -> Result<(), String> {
    cargo_tool_named(name, name, version, extra)
}

/// Installs crate `krate` (binary `bin`) at exactly `version` unless `bin --version` says so.
fn cargo_tool_named(krate: &str, bin: &str, version: &str, extra: &[&str]) -> Result<(), String> {
    let have = Cmd::new(cargo_bin_dir().join(bin))
        .arg("--version")
        .output_quiet()
        .unwrap_or_default();
    if have.split_whitespace().any(|w| w == version) {
        return Ok(());
    }
    println!("setup: installing {krate} {version} (a few minutes, once per machine)");
    Cmd::new("cargo")
        .args(["install", krate, "--version", version])
        .args(extra)
        .run()
}

/// The version of `package` recorded in a Cargo.lock.
pub fn locked_version(lock: &Path, package: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(lock)
        .map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"")
            && let Some(v) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
        {
            return Ok(v.trim_end_matches('"').to_string());
        }
    }
    Err(format!("{} has no package `{package}`", lock.display()))
}

/// npm packages pinned by xtask/tools/package-lock.json: binaryen (wasm-opt 132; Debian's 108
/// silently breaks the page), esbuild (the app's JS in one minified file, xtask/src/wasm.rs) and
/// the Pi coding agent the worker drives.
fn npm_tools(root: &Path, tools: &Path) -> Result<PathBuf, String> {
    let src = root.join("xtask").join("tools");
    let dir = tools.join("npm");
    let stamp = dir.join(".installed-lock");
    let lock = std::fs::read_to_string(src.join("package-lock.json")).map_err(|e| e.to_string())?;
    let bin = dir.join("node_modules").join(".bin");
    if std::fs::read_to_string(&stamp).ok().as_deref() != Some(lock.as_str())
        || !["wasm-opt", "esbuild", "pi"]
            .iter()
            .all(|tool| bin.join(tool).exists())
    {
        // Installed next to the old folder, then swapped in: builds and tests running meanwhile
        // keep their tools, and a failed install leaves the old ones.
        let next = tools.join("npm.next");
        let _ = std::fs::remove_dir_all(&next);
        std::fs::create_dir_all(&next).map_err(|e| e.to_string())?;
        for f in ["package.json", "package-lock.json"] {
            std::fs::copy(src.join(f), next.join(f))
                .map_err(|e| format!("cannot copy {f}: {e}"))?;
        }
        Cmd::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&next)
            .run()?;
        std::fs::write(next.join(".installed-lock"), &lock).map_err(|e| e.to_string())?;
        let old = tools.join("npm.old");
        let _ = std::fs::remove_dir_all(&old);
        if dir.exists() {
            std::fs::rename(&dir, &old)
                .map_err(|e| format!("cannot move {}: {e}", dir.display()))?;
        }
        std::fs::rename(&next, &dir).map_err(|e| format!("cannot move {}: {e}", next.display()))?;
        let _ = std::fs::remove_dir_all(&old);
    }
    Ok(bin)
}

/// Debian's packages: the browser of the end-to-end tests and its driver, musl-tools, and fuse3.
fn debian_packages() -> Result<(PathBuf, PathBuf), String> {
    let chromium = PathBuf::from("/usr/bin/chromium");
    let driver = PathBuf::from("/usr/bin/chromedriver");
    // musl-gcc builds the C parts of the static worker (x86_64-unknown-linux-musl).
    let musl_gcc = Path::new("/usr/bin/musl-gcc");
    // fusermount3 mounts the simulator's job buckets as FUSE filesystems (crates/hubsim/src/mount).
    let fusermount3 = Path::new("/usr/bin/fusermount3");
    if !(chromium.exists() && driver.exists() && musl_gcc.exists() && fusermount3.exists()) {
        println!("setup: installing Debian's chromium, chromium-driver, musl-tools and fuse3");
        Cmd::new("apt-get")
            .args(["update", "-qq"])
            .run()
            .map_err(apt_hint)?;
        Cmd::new("apt-get")
            .args([
                "install",
                "-y",
                "-qq",
                "chromium",
                "chromium-driver",
                "musl-tools",
                "fuse3",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .run()
            .map_err(apt_hint)?;
    }
    Ok((chromium, driver))
}

fn apt_hint(e: String) -> String {
    format!(
        "{e}\nInstalling Debian's packages needs root (apt-get). Run `sudo apt-get install chromium chromium-driver musl-tools fuse3` and try again."
    )
}

/// A Python venv with the pinned xtask/tools/requirements.txt: the real `huggingface_hub` client
/// (simulator conformance), pytest, and gradio (the generated Spaces really run).
fn python_env(root: &Path, tools: &Path) -> Result<PathBuf, String> {
    let venv = tools.join("venv");
    let python = venv.join("bin").join("python");
    let req_path = root.join("xtask").join("tools").join("requirements.txt");
    let req = std::fs::read_to_string(&req_path)
        .map_err(|e| format!("cannot read {}: {e}", req_path.display()))?;
    let stamp = venv.join(".installed-requirements");
    if python.exists() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(req.as_str()) {
        return Ok(python);
    }
    println!(
        "setup: creating the Python environment in {}",
        venv.display()
    );
    Cmd::new("python3").args(["-m", "venv"]).arg(&venv).run()?;
    Cmd::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "-r",
        ])
        .arg(&req_path)
        .run()?;
    std::fs::write(&stamp, &req).map_err(|e| e.to_string())?;
    Ok(python)
}

/// What only `cargo xtask bench` needs in the venv: the Gradio peer it compares with runs on
/// `gradio[oauth]` (its `gr.LoginButton`). Installed on the first bench, then stamped like the rest.
pub fn bench_python(python: &Path) -> Result<(), String> {
    const EXTRAS: &str = "gradio[oauth]==6.31.0";
    let stamp = python
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(".installed-bench");
    if std::fs::read_to_string(&stamp).ok().as_deref() == Some(EXTRAS) {
        return Ok(());
    }
    println!("setup: installing {EXTRAS} for the benchmark's Gradio peer");
    Cmd::new(python)
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            EXTRAS,
        ])
        .run()?;
    std::fs::write(&stamp, EXTRAS).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wasm_bindgen_cli_version_comes_from_the_lockfile_and_matches_the_pins() {
        let root = project_root();
        let locked = locked_version(&root.join("Cargo.lock"), "wasm-bindgen").unwrap();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains(&format!("wasm-bindgen = \"={locked}\"")),
            "Cargo.toml pins another wasm-bindgen than Cargo.lock has ({locked})"
        );
        assert!(
            locked_version(&root.join("Cargo.lock"), "no-such-crate")
                .unwrap_err()
                .contains("no-such-crate")
        );
    }
}
