//! The bucket as a FUSE filesystem with hf-mount's default ("streaming") write semantics
//! (`shared/reference/hub-api.md` §8; hf-mount's `src/virtual_fs/mod.rs` is the reference):
//!
//! - a file opened for writing must be new (`create`) or opened with `O_TRUNC`; opening an
//!   existing file for writing without it (`>>`, `OpenOptions::append`) fails with `EPERM`.
//!   `FUSE_ATOMIC_O_TRUNC` is negotiated, so `open(O_TRUNC)` arrives as one call and a plain
//!   `echo x > file` works; a separate truncation (`ftruncate`) is ignored, as hf-mount does;
//! - writes are sequential (a write at any other offset than the end fails with `EINVAL`) and
//!   buffered in memory, in the open handle;
//! - the content is published to the bucket when the file is closed: at `flush` (a `close(2)`)
//!   by the process that opened it, once it wrote something, or else at `release` (the last
//!   close, which also publishes a new empty file); a close by another process holding a copy
//!   of the descriptor (a shell redirection's child) waits for the release, as in hf-mount.
//!   After the content is published the handle takes no more writes (`EIO`). Until then the
//!   bucket API lists the file's previous content, or nothing if it is new; a crash before the
//!   close loses the content;
//! - reads, directory listings, `mkdir`, `rmdir`, `unlink` and `rename` act on the bucket's
//!   files at once (a `mkdir`'d folder exists in the mount only until a file lands in it, as
//!   buckets have no real folders).
//!
//! **Inode table.** Inodes are allocated on first sight (lookup, readdir, create, mkdir) and
//! kept for the life of the mount: each records its parent inode and its name, so its path is
//! found by walking up to the root, and a rename moves a whole subtree by changing one entry.
//! What an inode *is* (file or folder, size, time) is read from the bucket's folder each time,
//! except for a file being written (its size is the bytes buffered so far) and for `mkdir`'d
//! folders not yet in the bucket. Attributes and entries are not cached by the kernel (TTL 0),
//! so a file published through the API is seen by the next `stat`.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use fuser::{
    FileAttr, FileType, Filesystem, KernelConfig, ReplyAttr, ReplyCreate, ReplyData,
    ReplyDirectory, ReplyEmpty, ReplyEntry, ReplyOpen, ReplyWrite, Request, TimeOrNow,
};
use libc::c_int;

use crate::buckets::{is_temp, publish};

/// The kernel must not cache what it learns: the bucket changes behind the mount too.
const TTL: Duration = Duration::ZERO;
const ROOT: u64 = fuser::FUSE_ROOT_ID;
/// `FUSE_ATOMIC_O_TRUNC`: the kernel passes `O_TRUNC` to `open` instead of a separate
/// truncation.
const ATOMIC_O_TRUNC: u32 = 1 << 3;

struct Node {
    parent: u64,
    name: OsString,
    /// A folder made with `mkdir` that is not (yet) in the bucket.
    virtual_dir: bool,
}

enum Handle {
    Read(std::fs::File),
    Write(Upload),
}

/// A file being written: its bytes so far, published when it is closed.
struct Upload {
    ino: u64,
    bytes: Vec<u8>,
    /// The process (thread group) that opened it.
    opener: Option<u32>,
    /// Published: the handle takes no more writes.
    committed: bool,
    /// The file was unlinked while open: nothing is published.
    unlinked: bool,
}

/// The process (thread group) of a thread: FUSE tells the calling thread.
fn process_of(tid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("Tgid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A bucket folder (or a sub-folder of it) served with hf-mount's streaming semantics.
pub(crate) struct BucketFs {
    root: PathBuf,
    read_only: bool,
    /// Where each publish is counted (see [`super::Uploads`]).
    uploads: super::Uploads,
    nodes: HashMap<u64, Node>,
    by_name: HashMap<(u64, OsString), u64>,
    next_ino: u64,
    handles: HashMap<u64, Handle>,
    next_fh: u64,
}

enum Kind {
    File { size: u64, mtime: SystemTime },
    Dir { mtime: SystemTime },
}

impl BucketFs {
    pub fn new(root: PathBuf, read_only: bool, uploads: super::Uploads) -> BucketFs {
        let mut nodes = HashMap::new();
        nodes.insert(
            ROOT,
            Node {
                parent: ROOT,
                name: OsString::new(),
                virtual_dir: false,
            },
        );
        BucketFs {
            root,
            read_only,
            uploads,
            nodes,
            by_name: HashMap::new(),
            next_ino: ROOT + 1,
            handles: HashMap::new(),
            next_fh: 1,
        }
    }

    /// The inode of `name` in `parent`, allocated on first sight.
    fn ino_of(&mut self, parent: u64, name: &OsStr) -> u64 {
        if let Some(ino) = self.by_name.get(&(parent, name.to_os_string())) {
            return *ino;
        }
        let ino = self.next_ino;
        self.next_ino += 1;
        self.nodes.insert(
            ino,
            Node {
                parent,
                name: name.to_os_string(),
                virtual_dir: false,
            },
        );
        self.by_name.insert((parent, name.to_os_string()), ino);
        ino
    }

    /// The path of an inode relative to the mount's root.
    fn rel_path(&self, ino: u64) -> Option<PathBuf> {
        let mut parts = Vec::new();
        let mut at = ino;
        while at != ROOT {
            let node = self.nodes.get(&at)?;
            parts.push(node.name.clone());
            at = node.parent;
        }
        Some(parts.iter().rev().collect())
    }

    fn backing(&self, ino: u64) -> Option<PathBuf> {
        self.rel_path(ino).map(|rel| self.root.join(rel))
    }

    /// An open upload of `ino`, if any (the newest).
    fn upload_of(&self, ino: u64) -> Option<&Upload> {
        self.handles
            .iter()
            .filter_map(|(fh, h)| match h {
                Handle::Write(u) if u.ino == ino && !u.unlinked => Some((*fh, u)),
                _ => None,
            })
            .max_by_key(|(fh, _)| *fh)
            .map(|(_, u)| u)
    }

    fn kind(&self, ino: u64) -> Option<Kind> {
        if let Some(upload) = self.upload_of(ino) {
            return Some(Kind::File {
                size: upload.bytes.len() as u64,
                mtime: SystemTime::now(),
            });
        }
        let node = self.nodes.get(&ino)?;
        let path = self.backing(ino)?;
        match std::fs::metadata(&path) {
            Ok(md) if md.is_dir() => Some(Kind::Dir {
                mtime: md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            }),
            Ok(md) => Some(Kind::File {
                size: md.len(),
                mtime: md.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            }),
            Err(_) if node.virtual_dir || ino == ROOT => Some(Kind::Dir {
                mtime: SystemTime::now(),
            }),
            Err(_) => None,
        }
    }

    fn attr(&self, ino: u64) -> Option<FileAttr> {
        let (kind, size, mtime, perm, nlink) = match self.kind(ino)? {
            Kind::File { size, mtime } => (FileType::RegularFile, size, mtime, 0o644, 1),
            Kind::Dir { mtime } => (FileType::Directory, 0, mtime, 0o755, 2),
        };
        let perm = if self.read_only { perm & 0o555 } else { perm };
        Some(FileAttr {
            ino,
            size,
            blocks: size.div_ceil(512),
            atime: mtime,
            mtime,
            ctime: mtime,
            crtime: mtime,
            kind,
            perm,
            nlink,
            uid: 0,
            gid: 0,
            rdev: 0,
            blksize: 4096,
            flags: 0,
        })
    }

    fn child_attr(&mut self, parent: u64, name: &OsStr) -> Option<FileAttr> {
        if is_temp(&name.to_string_lossy()) {
            return None;
        }
        let ino = self.ino_of(parent, name);
        self.attr(ino)
    }

    fn new_fh(&mut self, handle: Handle) -> u64 {
        let fh = self.next_fh;
        self.next_fh += 1;
        self.handles.insert(fh, handle);
        fh
    }

    fn start_upload(&mut self, ino: u64, pid: u32) -> u64 {
        self.new_fh(Handle::Write(Upload {
            ino,
            bytes: Vec::new(),
            opener: process_of(pid),
            committed: false,
            unlinked: false,
        }))
    }

    /// Publishes an upload's bytes to the bucket (the close of a file, on the Hub the commit).
    fn publish(&mut self, fh: u64) -> Result<(), c_int> {
        let Some(Handle::Write(upload)) = self.handles.get(&fh) else {
            return Ok(());
        };
        if upload.committed || upload.unlinked {
            return Ok(());
        }
        let target = self.backing(upload.ino).ok_or(libc::ENOENT)?;
        publish(&target, &upload.bytes).map_err(|e| {
            tracing::warn!("bucket mount: could not publish {}: {e}", target.display());
            e.raw_os_error().unwrap_or(libc::EIO)
        })?;
        self.uploads.count(&target);
        if let Some(Handle::Write(upload)) = self.handles.get_mut(&fh) {
            upload.committed = true;
        }
        Ok(())
    }

    /// Names in a folder: the bucket's files and folders, plus folders made in the mount and
    /// new files being written.
    fn entries(&mut self, ino: u64) -> Option<Vec<(u64, FileType, OsString)>> {
        let dir = self.backing(ino)?;
        let mut names: Vec<OsString> = std::fs::read_dir(&dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.file_name())
                    .filter(|n| !is_temp(&n.to_string_lossy()))
                    .collect()
            })
            .unwrap_or_default();
        let local: Vec<OsString> = self
            .nodes
            .iter()
            .filter(|(child, n)| {
                n.parent == ino
                    && **child != ROOT
                    && (n.virtual_dir || self.upload_of(**child).is_some())
            })
            .map(|(_, n)| n.name.clone())
            .collect();
        for name in local {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names.sort();
        let mut out = Vec::new();
        for name in names {
            let child = self.ino_of(ino, &name);
            if let Some(attr) = self.attr(child) {
                out.push((child, attr.kind, name));
            }
        }
        Some(out)
    }

    fn refuse_if_read_only(&self) -> Result<(), c_int> {
        if self.read_only {
            Err(libc::EROFS)
        } else {
            Ok(())
        }
    }
}

impl Filesystem for BucketFs {
    fn init(&mut self, _req: &Request<'_>, config: &mut KernelConfig) -> Result<(), c_int> {
        // Without it `open(O_TRUNC)` would arrive as an open without O_TRUNC plus a separate
        // truncation, and a plain rewrite (`>`) would be refused.
        config.add_capabilities(ATOMIC_O_TRUNC).map_err(|_| {
            tracing::error!("bucket mount: the kernel does not offer FUSE_ATOMIC_O_TRUNC");
            libc::ENOSYS
        })
    }

    fn lookup(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEntry) {
        match self.child_attr(parent, name) {
            Some(attr) => reply.entry(&TTL, &attr, 0),
            None => reply.error(libc::ENOENT),
        }
    }

    fn getattr(&mut self, _req: &Request<'_>, ino: u64, _fh: Option<u64>, reply: ReplyAttr) {
        match self.attr(ino) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(libc::ENOENT),
        }
    }

    /// Modes, owners and times are not kept (a bucket has none); a truncation is ignored, as
    /// hf-mount does in streaming mode: a rewrite goes through `open(O_TRUNC)`.
    fn setattr(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _mode: Option<u32>,
        _uid: Option<u32>,
        _gid: Option<u32>,
        _size: Option<u64>,
        _atime: Option<TimeOrNow>,
        _mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<u64>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<u32>,
        reply: ReplyAttr,
    ) {
        if let Err(e) = self.refuse_if_read_only() {
            return reply.error(e);
        }
        match self.attr(ino) {
            Some(attr) => reply.attr(&TTL, &attr),
            None => reply.error(libc::ENOENT),
        }
    }

    fn mkdir(
        &mut self,
        _req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        if let Err(e) = self.refuse_if_read_only() {
            return reply.error(e);
        }
        if self.child_attr(parent, name).is_some() {
            return reply.error(libc::EEXIST);
        }
        let ino = self.ino_of(parent, name);
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.virtual_dir = true;
        }
        match self.attr(ino) {
            Some(attr) => reply.entry(&TTL, &attr, 0),
            None => reply.error(libc::EIO),
        }
    }

    fn unlink(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        if let Err(e) = self.refuse_if_read_only() {
            return reply.error(e);
        }
        let ino = self.ino_of(parent, name);
        let mut found = false;
        for handle in self.handles.values_mut() {
            if let Handle::Write(u) = handle
                && u.ino == ino
                && !u.unlinked
            {
                u.unlinked = true;
                found = true;
            }
        }
        if let Some(path) = self.backing(ino) {
            match std::fs::remove_file(&path) {
                Ok(()) => found = true,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return reply.error(e.raw_os_error().unwrap_or(libc::EIO)),
            }
        }
        if found {
            reply.ok()
        } else {
            reply.error(libc::ENOENT)
        }
    }

    fn rmdir(&mut self, _req: &Request<'_>, parent: u64, name: &OsStr, reply: ReplyEmpty) {
        if let Err(e) = self.refuse_if_read_only() {
            return reply.error(e);
        }
        let ino = self.ino_of(parent, name);
        match self.entries(ino) {
            Some(e) if !e.is_empty() => return reply.error(libc::ENOTEMPTY),
            _ => {}
        }
        let virtual_dir = self.nodes.get(&ino).is_some_and(|n| n.virtual_dir);
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.virtual_dir = false;
        }
        match self.backing(ino).map(std::fs::remove_dir) {
            Some(Ok(())) => reply.ok(),
            _ if virtual_dir => reply.ok(),
            Some(Err(e)) => reply.error(e.raw_os_error().unwrap_or(libc::EIO)),
            None => reply.error(libc::ENOENT),
        }
    }

    fn rename(
        &mut self,
        _req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        newparent: u64,
        newname: &OsStr,
        _flags: u32,
        reply: ReplyEmpty,
    ) {
        if let Err(e) = self.refuse_if_read_only() {
            return reply.error(e);
        }
        let ino = self.ino_of(parent, name);
        let target = self.ino_of(newparent, newname);
        let (Some(from), Some(to)) = (self.backing(ino), self.backing(target)) else {
            return reply.error(libc::ENOENT);
        };
        if self.upload_of(ino).is_some() {
            // A file being written has nothing in the bucket to move yet.
            return reply.error(libc::EBUSY);
        }
        if let Some(dir) = to.parent()
            && let Err(e) = std::fs::create_dir_all(dir)
        {
            return reply.error(e.raw_os_error().unwrap_or(libc::EIO));
        }
        if let Err(e) = std::fs::rename(&from, &to) {
            return reply.error(e.raw_os_error().unwrap_or(libc::EIO));
        }
        // The inode keeps its identity under its new name; the replaced one is forgotten.
        self.by_name.remove(&(parent, name.to_os_string()));
        self.by_name
            .insert((newparent, newname.to_os_string()), ino);
        self.nodes.remove(&target);
        if let Some(node) = self.nodes.get_mut(&ino) {
            node.parent = newparent;
            node.name = newname.to_os_string();
        }
        reply.ok()
    }

    fn open(&mut self, req: &Request<'_>, ino: u64, flags: i32, reply: ReplyOpen) {
        let writing = flags & libc::O_ACCMODE != libc::O_RDONLY;
        if writing {
            if let Err(e) = self.refuse_if_read_only() {
                return reply.error(e);
            }
            if flags & libc::O_TRUNC == 0 {
                // hf-mount's streaming mode: an existing file can only be replaced.
                return reply.error(libc::EPERM);
            }
            if matches!(self.kind(ino), Some(Kind::Dir { .. })) {
                return reply.error(libc::EISDIR);
            }
            let fh = self.start_upload(ino, req.pid());
            return reply.opened(fh, 0);
        }
        let Some(path) = self.backing(ino) else {
            return reply.error(libc::ENOENT);
        };
        match std::fs::File::open(&path) {
            Ok(file) => {
                let fh = self.new_fh(Handle::Read(file));
                reply.opened(fh, 0)
            }
            // A new file being written has no content in the bucket yet.
            Err(_) if self.upload_of(ino).is_some() => reply.error(libc::EBUSY),
            Err(e) => reply.error(e.raw_os_error().unwrap_or(libc::EIO)),
        }
    }

    fn create(
        &mut self,
        req: &Request<'_>,
        parent: u64,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        if let Err(e) = self.refuse_if_read_only() {
            return reply.error(e);
        }
        if is_temp(&name.to_string_lossy()) {
            return reply.error(libc::EINVAL);
        }
        if self.child_attr(parent, name).is_some() {
            return reply.error(libc::EEXIST);
        }
        let ino = self.ino_of(parent, name);
        let fh = self.start_upload(ino, req.pid());
        match self.attr(ino) {
            Some(attr) => reply.created(&TTL, &attr, 0, fh, 0),
            None => reply.error(libc::EIO),
        }
    }

    fn read(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        size: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyData,
    ) {
        let Some(Handle::Read(file)) = self.handles.get(&fh) else {
            // A file opened for writing is write-only, as in hf-mount.
            return reply.error(libc::EBADF);
        };
        let mut buf = vec![0u8; size as usize];
        let mut filled = 0;
        while filled < buf.len() {
            match file.read_at(&mut buf[filled..], offset.max(0) as u64 + filled as u64) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return reply.error(e.raw_os_error().unwrap_or(libc::EIO)),
            }
        }
        reply.data(&buf[..filled])
    }

    fn write(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        offset: i64,
        data: &[u8],
        _write_flags: u32,
        _flags: i32,
        _lock_owner: Option<u64>,
        reply: ReplyWrite,
    ) {
        let Some(Handle::Write(upload)) = self.handles.get_mut(&fh) else {
            return reply.error(libc::EBADF);
        };
        if upload.committed {
            // hf-mount: a write after the content was committed is lost, so it fails.
            return reply.error(libc::EIO);
        }
        if offset < 0 || offset as u64 != upload.bytes.len() as u64 {
            // Streaming writes are append-only: no seeking back or ahead.
            return reply.error(libc::EINVAL);
        }
        upload.bytes.extend_from_slice(data);
        reply.written(data.len() as u32)
    }

    /// The `close(2)` of a descriptor. When the process that opened the file closes it after
    /// writing, the content is published before `close` returns, so the writer knows the
    /// bucket has it (hf-mount commits here too); any other close waits for the release.
    fn flush(&mut self, req: &Request<'_>, _ino: u64, fh: u64, _lock: u64, reply: ReplyEmpty) {
        let commit_now = match self.handles.get(&fh) {
            Some(Handle::Write(u)) => {
                !u.committed
                    && !u.bytes.is_empty()
                    && u.opener.is_some()
                    && u.opener == process_of(req.pid())
            }
            _ => false,
        };
        if !commit_now {
            return reply.ok();
        }
        match self.publish(fh) {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn release(
        &mut self,
        _req: &Request<'_>,
        _ino: u64,
        fh: u64,
        _flags: i32,
        _lock_owner: Option<u64>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let published = self.publish(fh);
        self.handles.remove(&fh);
        match published {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    fn fsync(&mut self, _req: &Request<'_>, _ino: u64, _fh: u64, _ds: bool, reply: ReplyEmpty) {
        // Streaming handles are committed on close, not on fsync (as hf-mount).
        reply.ok()
    }

    fn readdir(
        &mut self,
        _req: &Request<'_>,
        ino: u64,
        _fh: u64,
        offset: i64,
        mut reply: ReplyDirectory,
    ) {
        let Some(entries) = self.entries(ino) else {
            return reply.error(libc::ENOENT);
        };
        let parent = self.nodes.get(&ino).map_or(ROOT, |n| n.parent);
        let all = [
            (ino, FileType::Directory, OsString::from(".")),
            (parent, FileType::Directory, OsString::from("..")),
        ]
        .into_iter()
        .chain(entries);
        for (i, (child, kind, name)) in all.enumerate().skip(offset.max(0) as usize) {
            if reply.add(child, (i + 1) as i64, kind, &name) {
                break;
            }
        }
        reply.ok()
    }
}

/// Whether a path's metadata says it is a mount point of its own (its device differs from its
/// parent's): how the start-up check sees that a FUSE mount really happened.
pub(crate) fn is_mount_point(path: &Path) -> bool {
    let (Ok(md), Some(Ok(parent))) = (
        std::fs::metadata(path),
        path.parent().map(std::fs::metadata),
    ) else {
        return false;
    };
    md.dev() != parent.dev()
}
