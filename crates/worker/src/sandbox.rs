//! The coding agent's user: Pi runs as the unprivileged uid/gid 65534 (`nobody`/`nogroup` in
//! Debian images; the kernel needs no passwd entry, so an image without one works too), with no
//! supplementary groups, `no_new_privs`, an environment built from an allow-list (no token), in a
//! workspace and home owned by that uid. A process of another uid cannot read the worker's
//! `/proc/<pid>/environ` (root's, mode 0400, ptrace-checked), so the token is out of its reach;
//! its model goes through the worker's loopback proxy (`crate::proxy`).
//!
//! 65534 rather than a fresh uid: it is the conventional "owns nothing" id present in every
//! Debian-based image (the job image `node:22-bookworm`), and rather than `node` (1000) because a
//! developer's own account is often uid 1000. Only root can switch users: a worker that is not
//! root refuses to run the agent (see [`AgentUser::for_this_process`]).

use std::ffi::OsString;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The agent's uid and gid.
pub const AGENT_UID: u32 = 65534;
pub const AGENT_GID: u32 = 65534;

/// The unprivileged user the agent runs as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AgentUser {
    pub uid: u32,
    pub gid: u32,
}

#[allow(unsafe_code)] // geteuid(2): see the SAFETY comment
fn effective_uid() -> u32 {
    // SAFETY: geteuid(2) takes no arguments, cannot fail and touches no memory.
    unsafe { libc::geteuid() }
}

impl AgentUser {
    /// The agent's user, when this process can switch to it (it runs as root). Otherwise the
    /// sentence that says why the agent cannot run: running it as the worker's own user would put
    /// the token within its reach (`/proc/<worker>/environ`), so the build stops instead.
    pub fn for_this_process() -> Result<AgentUser, String> {
        AgentUser::for_worker_uid(effective_uid())
    }

    /// [`AgentUser::for_this_process`] for a worker running as `euid`.
    pub fn for_worker_uid(euid: u32) -> Result<AgentUser, String> {
        match euid {
            0 => Ok(AgentUser {
                uid: AGENT_UID,
                gid: AGENT_GID,
            }),
            uid => Err(format!(
                "The coding agent must run as a separate unprivileged user so that it cannot read your token, and only root can start it that way; this worker runs as uid {uid}. Run the job as root (the default user of the job image node:22-bookworm), or run the worker by hand with sudo."
            )),
        }
    }

    /// Gives `path` and everything under it to the agent, without following links. Only for a
    /// tree the worker has just made: the agent has not run in it yet, so it cannot swap an entry
    /// for a link while the worker walks it.
    pub fn give(&self, path: &Path) -> std::io::Result<()> {
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))?;
        let meta = std::fs::symlink_metadata(path)?;
        if meta.is_dir() {
            for entry in std::fs::read_dir(path)? {
                self.give(&entry?.path())?;
            }
        }
        Ok(())
    }

    /// A fresh, empty folder of the agent's (mode 0700): whatever was at `path` is removed first
    /// (without following links).
    pub fn fresh_dir(&self, path: &Path) -> std::io::Result<()> {
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path)?,
            Ok(_) => std::fs::remove_file(path)?,
            Err(_) => {}
        }
        std::fs::create_dir_all(path)?;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700))?;
        std::os::unix::fs::lchown(path, Some(self.uid), Some(self.gid))
    }
}

/// The first folder on the way to `path` (inclusive) that other users cannot enter, if any.
pub fn closed_ancestor(path: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(path).ok()?;
    let mut dir = PathBuf::new();
    for part in abs.components() {
        dir.push(part);
        match std::fs::metadata(&dir) {
            Ok(m) if m.is_dir() && m.mode() & 0o001 == 0 => return Some(dir),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// Prepares the worker's folder for an agent that runs as another user: created when missing and
/// opened to others (mode 0755, the worker's). It must be the worker's own (not a shared folder
/// such as `/tmp` itself: the agent could then plant links where the worker writes), and every
/// folder above it must let other users pass.
pub fn open_work_dir(work: &Path) -> Result<(), String> {
    std::fs::create_dir_all(work)
        .map_err(|e| format!("Could not prepare the work folder {}: {e}.", work.display()))?;
    let meta = std::fs::symlink_metadata(work)
        .map_err(|e| format!("Could not prepare the work folder {}: {e}.", work.display()))?;
    if !meta.is_dir() || meta.uid() != effective_uid() || meta.mode() & 0o022 != 0 {
        return Err(format!(
            "The work folder {} is shared with other users; set SF_WORK_DIR to a folder of the worker's own (the default is a new folder under /tmp).",
            work.display()
        ));
    }
    std::fs::set_permissions(work, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| format!("Could not prepare the work folder {}: {e}.", work.display()))?;
    match closed_ancestor(work) {
        Some(closed) => Err(format!(
            "The work folder {} is inside {}, which other users cannot enter, and the coding agent runs as an unprivileged user that must reach its workspace. Set SF_WORK_DIR to a folder under /tmp (the default).",
            work.display(),
            closed.display()
        )),
        None => Ok(()),
    }
}

/// Whether the agent's user can run the program at `bin` (following links): every folder on
/// the way lets others pass and the file is readable and executable by others.
fn others_can_run(bin: &Path) -> bool {
    let Ok(real) = std::fs::canonicalize(bin) else {
        return false;
    };
    let Ok(meta) = std::fs::metadata(&real) else {
        return false;
    };
    meta.mode() & 0o005 == 0o005 && real.parent().is_none_or(|p| closed_ancestor(p).is_none())
}

/// The Pi executable the agent's user can run: `bin` itself when it can, otherwise a copy under
/// `stage` owned by the worker (read-only to the agent). A Pi installed with npm is a script in a
/// `node_modules` tree whose modules it loads by path, so the whole tree is copied, with hard
/// links where the file system allows them (a root home is typically closed to other users).
pub fn runnable_pi(bin: &Path, stage: &Path) -> Result<PathBuf, String> {
    if others_can_run(bin) {
        return Ok(bin.to_path_buf());
    }
    let real = std::fs::canonicalize(bin).map_err(|e| {
        format!(
            "Could not find the Pi coding agent at {}: {e}.",
            bin.display()
        )
    })?;
    let modules = real
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "node_modules"));
    let (from, to, target) = match modules {
        Some(m) => {
            let rel = real.strip_prefix(m).unwrap_or(&real);
            let to = stage.join("node_modules");
            (m.to_path_buf(), to.clone(), to.join(rel))
        }
        None => {
            let name = real.file_name().unwrap_or_default();
            (real.clone(), stage.join(name), stage.join(name))
        }
    };
    if !target.is_file() {
        let _ = std::fs::remove_dir_all(stage);
        std::fs::create_dir_all(stage)
            .and_then(|()| std::fs::set_permissions(stage, std::fs::Permissions::from_mode(0o755)))
            .and_then(|()| copy_tree(&from, &to))
            .map_err(|e| {
                format!(
                    "The Pi coding agent at {} is not readable by the agent's unprivileged user, and copying it where it is failed: {e}.",
                    real.display()
                )
            })?;
    }
    Ok(target)
}

/// Copies `from` to `to`: folders 0755, links as they are, files hard-linked when they are
/// readable by others (else copied and made readable).
fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(from)?;
    if meta.file_type().is_symlink() {
        std::os::unix::fs::symlink(std::fs::read_link(from)?, to)
    } else if meta.is_dir() {
        std::fs::create_dir_all(to)?;
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(0o755))?;
        for entry in std::fs::read_dir(from)? {
            let entry = entry?;
            copy_tree(&entry.path(), &to.join(entry.file_name()))?;
        }
        Ok(())
    } else if meta.mode() & 0o004 != 0 && std::fs::hard_link(from, to).is_ok() {
        Ok(())
    } else {
        std::fs::copy(from, to)?;
        let exec = if meta.mode() & 0o100 != 0 {
            0o755
        } else {
            0o644
        };
        std::fs::set_permissions(to, std::fs::Permissions::from_mode(exec))
    }
}

/// Variables taken from the worker's environment as they are (locale and time zone); nothing
/// else of it reaches the agent.
const PASSED: &[&str] = &["LANG", "LC_ALL", "LC_CTYPE", "TZ"];
/// `PATH` when the worker has none.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The whole environment of the agent: `PATH`, locale and time zone from the worker, `HOME`,
/// `USER`/`LOGNAME`, then `extra` (Pi's own settings). Never the token or any other variable.
pub fn agent_env(
    get: impl Fn(&str) -> Option<OsString>,
    home: &Path,
    extra: &[(&str, OsString)],
) -> Vec<(String, OsString)> {
    let mut env = vec![
        (
            "PATH".to_string(),
            get("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
        ),
        ("HOME".to_string(), home.as_os_str().to_owned()),
        ("USER".to_string(), "nobody".into()),
        ("LOGNAME".to_string(), "nobody".into()),
    ];
    for name in PASSED {
        if let Some(v) = get(name) {
            env.push((name.to_string(), v));
        }
    }
    for (k, v) in extra {
        env.push((k.to_string(), v.clone()));
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_environment_is_an_allow_list() {
        let worker: std::collections::HashMap<&str, &str> = [
            ("PATH", "/usr/bin:/bin"),
            ("HF_TOKEN", "hf_secret"),
            ("LANG", "C.UTF-8"),
            ("SF_HUB_URL", "https://huggingface.co"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
        ]
        .into_iter()
        .collect();
        let env = agent_env(
            |k| worker.get(k).map(OsString::from),
            Path::new("/w/home"),
            &[("PI_OFFLINE", "1".into())],
        );
        let names: Vec<&str> = env.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            ["PATH", "HOME", "USER", "LOGNAME", "LANG", "PI_OFFLINE"]
        );
        assert!(env.iter().all(|(_, v)| v != "hf_secret"));
        assert_eq!(env[1].1, "/w/home");
        let bare = agent_env(|_| None, Path::new("/h"), &[]);
        assert_eq!(bare[0].1, DEFAULT_PATH);
    }

    #[test]
    fn a_closed_folder_on_the_way_is_found() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let inner = root.join("a/b");
        std::fs::create_dir_all(&inner).unwrap();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(root.join("a"), std::fs::Permissions::from_mode(0o700)).unwrap();
        assert_eq!(closed_ancestor(&inner), Some(root.join("a")));
        let e = open_work_dir(&inner.join("work")).unwrap_err();
        assert!(
            e.contains(&root.join("a").display().to_string()) && e.contains("SF_WORK_DIR"),
            "{e}"
        );
        std::fs::set_permissions(root.join("a"), std::fs::Permissions::from_mode(0o711)).unwrap();
        assert_eq!(closed_ancestor(&inner), None);
        open_work_dir(&inner.join("work")).unwrap();
        let mode = std::fs::metadata(inner.join("work")).unwrap().mode();
        assert_eq!(mode & 0o777, 0o755);
        // A folder others may write in (like /tmp itself) is refused, and left as it was.
        let shared = root.join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        let e = open_work_dir(&shared).unwrap_err();
        assert!(e.contains("shared with other users"), "{e}");
        assert_eq!(std::fs::metadata(&shared).unwrap().mode() & 0o7777, 0o1777);
    }

    #[test]
    fn pi_in_a_closed_folder_is_staged_where_the_agent_can_run_it() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).unwrap();
        // An npm prefix inside a closed home: .bin/pi -> ../pkg/cli.js, which loads ../dep.
        let closed = root.join("home");
        let modules = closed.join("npm/node_modules");
        std::fs::create_dir_all(modules.join(".bin")).unwrap();
        std::fs::create_dir_all(modules.join("pkg")).unwrap();
        std::fs::create_dir_all(modules.join("dep")).unwrap();
        std::fs::write(modules.join("pkg/cli.js"), "#!/usr/bin/env node\n").unwrap();
        std::fs::set_permissions(
            modules.join("pkg/cli.js"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        std::fs::write(modules.join("dep/index.js"), "x").unwrap();
        std::fs::set_permissions(
            modules.join("dep/index.js"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
        std::os::unix::fs::symlink("../pkg/cli.js", modules.join(".bin/pi")).unwrap();
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o700)).unwrap();
        let bin = modules.join(".bin/pi");
        assert!(!others_can_run(&bin));
        let stage = root.join("work/pi-stage");
        let staged = runnable_pi(&bin, &stage).unwrap();
        assert_eq!(staged, stage.join("node_modules/pkg/cli.js"));
        assert!(others_can_run(&staged));
        let dep = stage.join("node_modules/dep/index.js");
        assert_eq!(std::fs::read_to_string(&dep).unwrap(), "x");
        assert_eq!(std::fs::metadata(&dep).unwrap().mode() & 0o004, 0o004);
        assert_eq!(
            std::fs::read_link(stage.join("node_modules/.bin/pi")).unwrap(),
            Path::new("../pkg/cli.js")
        );
        // Staged once; a reachable Pi is used where it is.
        assert_eq!(runnable_pi(&bin, &stage).unwrap(), staged);
        assert_eq!(runnable_pi(&staged, &root.join("other")).unwrap(), staged);
        assert!(!root.join("other").exists());
    }

    #[test]
    fn a_worker_that_is_not_root_does_not_run_the_agent() {
        let e = AgentUser::for_worker_uid(1000).unwrap_err();
        assert!(
            e.contains("cannot read your token") && e.contains("uid 1000") && e.contains("root"),
            "{e}"
        );
        assert_eq!(
            AgentUser::for_worker_uid(0),
            Ok(AgentUser {
                uid: 65534,
                gid: 65534
            })
        );
    }

    #[test]
    fn the_agent_owns_its_folders() {
        if effective_uid() != 0 {
            assert!(AgentUser::for_this_process().is_err());
            return;
        }
        let user = AgentUser::for_this_process().unwrap();
        let tmp = tempfile::tempdir().unwrap();
        let ws = tmp.path().join("ws");
        std::fs::create_dir_all(ws.join("input")).unwrap();
        std::fs::write(ws.join("input/card.md"), "card").unwrap();
        std::os::unix::fs::symlink("/etc/shadow", ws.join("link")).unwrap();
        user.give(&ws).unwrap();
        for p in [ws.clone(), ws.join("input"), ws.join("input/card.md")] {
            let m = std::fs::metadata(&p).unwrap();
            assert_eq!(
                (m.uid(), m.gid()),
                (AGENT_UID, AGENT_GID),
                "{}",
                p.display()
            );
        }
        // The link was given, not what it points to.
        assert_eq!(std::fs::metadata("/etc/shadow").unwrap().uid(), 0);
        // A fresh folder replaces what was there, without following a link put in its place.
        let home = tmp.path().join("home");
        std::os::unix::fs::symlink(tmp.path().join("ws/input"), &home).unwrap();
        user.fresh_dir(&home).unwrap();
        let m = std::fs::symlink_metadata(&home).unwrap();
        assert!(m.is_dir());
        assert_eq!((m.uid(), m.mode() & 0o777), (AGENT_UID, 0o700));
        assert!(tmp.path().join("ws/input/card.md").is_file());
        std::fs::write(home.join("old"), "x").unwrap();
        user.fresh_dir(&home).unwrap();
        assert!(!home.join("old").exists());
    }
}
