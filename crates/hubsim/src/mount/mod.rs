//! Job volumes the way HF Jobs mount them: each volume at its literal `mountPath` in a mount
//! namespace of the job's own ([`namespace`]), a bucket through a FUSE filesystem with
//! hf-mount's default streaming semantics ([`fs`]), a repository read-only.
//!
//! Mounting needs `/dev/fuse`, `fusermount3` (Debian's `fuse3`, installed by
//! `cargo xtask setup`) and the right to make mount namespaces (root). [`check`] tries all of
//! it once at start-up; where it fails, the simulator says why in one sentence and every job
//! with volumes ends in `ERROR` with that sentence — there is no silent fallback to a plain
//! folder. [`BucketMounts::Plain`] is the documented opt-out for a person's machine without FUSE
//! (`hubsim --plain-bucket-mounts`): buckets are then plain bind-mounted folders, which hide
//! exactly the mistakes the strict mount exists to catch.

pub(crate) mod fs;
pub(crate) mod namespace;

use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How a job's bucket volumes behave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BucketMounts {
    /// hf-mount's default mode, through FUSE: an existing file can only be replaced (open with
    /// truncation), appending fails with `EPERM`, and content reaches the bucket when the file
    /// is closed.
    #[default]
    Strict,
    /// The bucket's folder, bind-mounted as it is: any write is visible at once and appending
    /// works. Not what the Hub does; for machines that cannot mount FUSE.
    Plain,
}

/// How many times each file was published through the strict mounts of one simulator (the
/// closes that upload, a commit each on the Hub), by its path on this machine. The benchmark
/// reads it through [`crate::HubSim::bucket_uploads`] to count a run's uploads.
#[derive(Debug, Clone, Default)]
pub struct Uploads(Arc<Mutex<BTreeMap<PathBuf, u64>>>);

impl Uploads {
    pub(crate) fn count(&self, file: &Path) {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *counts.entry(file.to_path_buf()).or_default() += 1;
    }

    /// The counts of the files under `folder`, by their path relative to it.
    pub(crate) fn under(&self, folder: &Path) -> BTreeMap<String, u64> {
        let counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        counts
            .iter()
            .filter_map(|(path, n)| {
                let rel = path.strip_prefix(folder).ok()?;
                Some((rel.to_string_lossy().replace('\\', "/"), *n))
            })
            .collect()
    }
}

/// A bucket folder mounted through [`fs::BucketFs`] at a folder of this machine; unmounted when
/// dropped.
pub struct BucketMount {
    at: PathBuf,
    session: Option<fuser::BackgroundSession>,
}

impl BucketMount {
    /// Mounts `folder` (a bucket's folder or a sub-folder of it) at `at` (created if missing);
    /// each file it publishes is counted in `uploads`.
    pub(crate) fn mount(
        folder: &Path,
        at: &Path,
        read_only: bool,
        uploads: &Uploads,
    ) -> Result<BucketMount, String> {
        std::fs::create_dir_all(folder)
            .and_then(|()| std::fs::create_dir_all(at))
            .map_err(|e| format!("could not prepare {}: {e}", at.display()))?;
        let mut options = vec![
            fuser::MountOption::FSName("hubsim-bucket".to_string()),
            fuser::MountOption::Subtype("hubsim".to_string()),
            // fusermount3 unmounts it even if the simulator dies.
            fuser::MountOption::AutoUnmount,
        ];
        if read_only {
            options.push(fuser::MountOption::RO);
        }
        let session = fuser::spawn_mount2(
            fs::BucketFs::new(folder.to_path_buf(), read_only, uploads.clone()),
            at,
            &options,
        )
        .map_err(|e| format!("could not mount a FUSE filesystem at {}: {e}", at.display()))?;
        Ok(BucketMount {
            at: at.to_path_buf(),
            session: Some(session),
        })
    }

    /// Where it is mounted.
    pub fn path(&self) -> &Path {
        &self.at
    }
}

impl Drop for BucketMount {
    fn drop(&mut self) {
        if let Ok(at) = std::ffi::CString::new(self.at.as_os_str().as_bytes()) {
            // SAFETY: umount2 on a NUL-terminated path; a lazy unmount never blocks.
            #[allow(unsafe_code)]
            unsafe {
                libc::umount2(at.as_ptr(), libc::MNT_DETACH);
            }
        }
        drop(self.session.take());
    }
}

/// Whether this machine can mount job volumes as the Hub does, tried for real under
/// `scratch`: `Err` holds the one sentence that says why not and what to do.
pub(crate) fn check(mode: BucketMounts, scratch: &Path) -> Result<(), String> {
    let cannot = |why: String| {
        Err(format!(
            "hubsim cannot mount job volumes the way HF Jobs do: {why}."
        ))
    };
    if let Err(e) = can_unshare() {
        return cannot(format!(
            "it may not make a private mount namespace ({e}); run it as root"
        ));
    }
    if mode == BucketMounts::Plain {
        return Ok(());
    }
    let plain = "or start hubsim with --plain-bucket-mounts to accept plain folders";
    if !Path::new("/dev/fuse").exists() {
        return cannot(format!(
            "/dev/fuse is missing (load the fuse module, or give the container the device), {plain}"
        ));
    }
    if crate::util::find_on_path("fusermount3").is_none() {
        return cannot(format!(
            "fusermount3 is not installed (run `cargo xtask setup`: Debian package fuse3), {plain}"
        ));
    }
    let folder = scratch.join("bucket");
    let at = scratch.join("mounted");
    let tried = BucketMount::mount(&folder, &at, false, &Uploads::default()).and_then(|mount| {
        if fs::is_mount_point(mount.path()) {
            Ok(())
        } else {
            Err(format!("nothing appeared at {}", at.display()))
        }
    });
    let _ = std::fs::remove_dir_all(scratch);
    match tried {
        Ok(()) => Ok(()),
        Err(e) => cannot(format!("{e}, {plain}")),
    }
}

/// Tries `unshare(CLONE_NEWNS)` in a short-lived child process.
fn can_unshare() -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;
    let mut command = std::process::Command::new("/bin/sh");
    command
        .args(["-c", "exit 0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    // SAFETY: only a system call between fork and exec.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(|| {
            if libc::unshare(libc::CLONE_NEWNS) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let status = command.status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "a test process ended {status}"
        )))
    }
}
