//! A job's own view of the filesystem: the job process starts in a private mount namespace
//! whose root is a fresh tmpfs holding the host's top-level folders (bind mounts) plus each
//! volume at its literal `mountPath`, so `/output` and `/factory` exist for the job alone and
//! nothing is created in the host's `/`.
//!
//! Everything is prepared before `fork` ([`JobRoot::new`]); [`JobRoot::enter`] runs in the
//! child between `fork` and `exec` and only makes system calls (no allocation, no locks).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// One volume as the job sees it.
pub(crate) struct VolumeBind {
    /// The local folder (or FUSE mount) shown at `mount_path`.
    pub source: PathBuf,
    /// Absolute path in the job (`/output`).
    pub mount_path: String,
    pub read_only: bool,
}

enum Entry {
    /// A folder or file of the host's `/`, bind-mounted at the same name.
    Bind {
        source: CString,
        target: CString,
        dir: bool,
    },
    /// A symbolic link of the host's `/` (`/bin -> usr/bin`), copied.
    Link { points_to: CString, target: CString },
}

struct Volume {
    /// Folders to create inside the new root, parents first.
    make: Vec<CString>,
    source: CString,
    target: CString,
    read_only: bool,
}

/// What [`JobRoot::enter`] needs, prepared before `fork`.
pub(crate) struct JobRoot {
    root: CString,
    host: Vec<Entry>,
    volumes: Vec<Volume>,
    workdir: CString,
}

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(io::Error::other)
}

fn check(ret: libc::c_int) -> io::Result<()> {
    if ret == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

impl JobRoot {
    /// `root` (an empty folder of the host) becomes the job's `/`; `workdir` (absolute, under a
    /// host folder) its working directory.
    pub fn new(root: &Path, workdir: &Path, volumes: &[VolumeBind]) -> io::Result<JobRoot> {
        std::fs::create_dir_all(root)?;
        let mut host = Vec::new();
        for entry in std::fs::read_dir("/")?.flatten() {
            let name = entry.file_name();
            let target = c_path(&root.join(&name))?;
            let kind = entry.file_type()?;
            if kind.is_symlink() {
                let points_to = std::fs::read_link(entry.path())?;
                host.push(Entry::Link {
                    points_to: c_path(&points_to)?,
                    target,
                });
            } else if kind.is_dir() || kind.is_file() {
                host.push(Entry::Bind {
                    source: c_path(&entry.path())?,
                    target,
                    dir: kind.is_dir(),
                });
            }
        }
        let mut sorted: Vec<&VolumeBind> = volumes.iter().collect();
        // Parents before children, so a nested mount lands inside its parent's.
        sorted.sort_by_key(|v| v.mount_path.len());
        let mut out = Vec::new();
        for v in sorted {
            let mut make = Vec::new();
            let mut at = root.to_path_buf();
            for part in v.mount_path.split('/').filter(|p| !p.is_empty()) {
                at.push(part);
                make.push(c_path(&at)?);
            }
            out.push(Volume {
                make,
                source: c_path(&v.source)?,
                target: c_path(&at)?,
                read_only: v.read_only,
            });
        }
        Ok(JobRoot {
            root: c_path(root)?,
            host,
            volumes: out,
            workdir: c_path(workdir)?,
        })
    }

    /// Moves the calling process into its own mount namespace and its own root. Runs in the
    /// forked child before `exec`: system calls only.
    pub fn enter(&self) -> io::Result<()> {
        let none = std::ptr::null::<libc::c_char>();
        // SAFETY: plain system calls on NUL-terminated strings owned by `self`, which outlives
        // the calls; no memory is shared with other threads after `fork`.
        #[allow(unsafe_code)]
        unsafe {
            check(libc::unshare(libc::CLONE_NEWNS))?;
            // Nothing done here may reach the host's mount table.
            check(libc::mount(
                none,
                c"/".as_ptr(),
                none,
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ))?;
            check(libc::mount(
                c"hubsim-job".as_ptr(),
                self.root.as_ptr(),
                c"tmpfs".as_ptr(),
                0,
                c"mode=0755".as_ptr().cast(),
            ))?;
            for entry in &self.host {
                match entry {
                    Entry::Bind {
                        source,
                        target,
                        dir,
                    } => {
                        if *dir {
                            check(libc::mkdir(target.as_ptr(), 0o755))?;
                        } else {
                            let fd = libc::open(
                                target.as_ptr(),
                                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                                0o644,
                            );
                            if fd < 0 {
                                return Err(io::Error::last_os_error());
                            }
                            libc::close(fd);
                        }
                        check(libc::mount(
                            source.as_ptr(),
                            target.as_ptr(),
                            none,
                            libc::MS_BIND | libc::MS_REC,
                            std::ptr::null(),
                        ))?;
                    }
                    Entry::Link { points_to, target } => {
                        check(libc::symlink(points_to.as_ptr(), target.as_ptr()))?;
                    }
                }
            }
            for v in &self.volumes {
                for dir in &v.make {
                    if libc::mkdir(dir.as_ptr(), 0o755) != 0
                        && io::Error::last_os_error().raw_os_error() != Some(libc::EEXIST)
                    {
                        return Err(io::Error::last_os_error());
                    }
                }
                check(libc::mount(
                    v.source.as_ptr(),
                    v.target.as_ptr(),
                    none,
                    libc::MS_BIND,
                    std::ptr::null(),
                ))?;
                if v.read_only {
                    check(libc::mount(
                        none,
                        v.target.as_ptr(),
                        none,
                        libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY,
                        std::ptr::null(),
                    ))?;
                }
            }
            check(libc::chroot(self.root.as_ptr()))?;
            check(libc::chdir(self.workdir.as_ptr()))?;
        }
        Ok(())
    }
}
