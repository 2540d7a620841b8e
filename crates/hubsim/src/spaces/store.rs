//! What the simulator keeps about a Space: its settings on disk
//! (`data_dir/space-meta/{ns}/{name}.json`), its files (`data_dir/spaces/{ns}/{name}/`), and in
//! memory its stage, logs, secrets and app process.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::Stage;
use super::lifecycle::{Lifecycle, start_lifecycle};
use crate::state::{LogLine, Sim, lock};
use crate::util::{MetaDir, now_iso, random_hex, valid_repo_name};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct SpaceMeta {
    pub(super) object_id: String,
    pub(super) sdk: String,
    pub(super) private: bool,
    pub(super) created_at: String,
    pub(super) hardware_requested: Option<String>,
    pub(super) sleep_time: Option<u64>,
    pub(super) variables: BTreeMap<String, KeyValue>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct KeyValue {
    pub(super) value: String,
    pub(super) description: Option<String>,
    pub(super) updated_at: String,
}

pub(super) struct SpaceRecord {
    pub(super) meta: SpaceMeta,
    pub(super) sha: String,
    pub(super) last_modified: String,
    pub(super) stage: Stage,
    pub(super) hardware_current: Option<String>,
    pub(super) error_message: Option<String>,
    pub(super) secrets: BTreeMap<String, KeyValue>,
    pub(super) build_logs: Vec<LogLine>,
    pub(super) run_logs: Vec<LogLine>,
    /// Bumped at every lifecycle start, so a stale timer does nothing.
    pub(super) generation: u64,
    pub(super) changed: Arc<watch::Sender<u64>>,
    /// The app process while one runs (only with `SimConfig::run_spaces_with`).
    pub(super) app: Option<AppProcess>,
    /// The Space's local proxy port, bound at its first start and kept for its lifetime, so its
    /// `host` stays the same across restarts (only with `SimConfig::run_spaces_with`).
    pub(super) proxy_port: Option<u16>,
}

/// A Space app running as a local process.
#[derive(Debug, Clone, Copy)]
pub(super) struct AppProcess {
    /// Its process group (the app is the group leader).
    pub(super) pgid: i32,
    pub(super) pid: u32,
    /// The port Gradio listens on (`GRADIO_SERVER_PORT`).
    pub(super) port: u16,
}

impl SpaceRecord {
    pub(super) fn touch(&self) {
        self.changed.send_modify(|v| *v += 1);
    }
}

pub(crate) struct SpaceStore {
    pub(super) files_root: PathBuf,
    pub(super) meta_root: MetaDir,
    pub(super) spaces: Mutex<BTreeMap<String, SpaceRecord>>,
    /// How many Space app processes are running or not yet reaped.
    pub(super) live_apps: Arc<watch::Sender<usize>>,
}

impl SpaceStore {
    /// Reads the Spaces a previous run left in `data_dir`; they start again from BUILDING.
    pub fn load(data_dir: &Path) -> std::io::Result<SpaceStore> {
        let files_root = data_dir.join("spaces");
        let meta_root = MetaDir::open(data_dir.join("space-meta"))?;
        std::fs::create_dir_all(&files_root)?;
        let spaces = meta_root
            .load::<SpaceMeta>()?
            .into_iter()
            .map(|(id, meta)| (id, new_record(meta)))
            .collect();
        Ok(SpaceStore {
            files_root,
            meta_root,
            spaces: Mutex::new(spaces),
            live_apps: Arc::new(watch::channel(0).0),
        })
    }

    pub fn folder(&self, ns: &str, name: &str) -> PathBuf {
        self.files_root.join(ns).join(name)
    }

    /// Whether the Space exists and `user` may read it.
    pub fn readable_by(&self, id: &str, user: Option<&str>) -> bool {
        let owner = id.split('/').next().unwrap_or("");
        lock(&self.spaces)
            .get(id)
            .is_some_and(|s| !s.meta.private || user == Some(owner))
    }

    pub(super) fn save_meta(&self, id: &str, meta: &SpaceMeta) -> std::io::Result<()> {
        self.meta_root.save(id, meta)
    }
}

pub(super) fn new_record(meta: SpaceMeta) -> SpaceRecord {
    SpaceRecord {
        meta,
        sha: random_hex(40),
        last_modified: now_iso(),
        stage: Stage::Building,
        hardware_current: None,
        error_message: None,
        secrets: BTreeMap::new(),
        build_logs: Vec::new(),
        run_logs: Vec::new(),
        generation: 0,
        changed: Arc::new(watch::channel(0).0),
        app: None,
        proxy_port: None,
    }
}

/// What [`crate::HubSim::space_app`] reports about a running Space app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpaceProcess {
    /// Process id of `python app.py` (also its process group id).
    pub pid: u32,
    /// The port Gradio listens on, behind the proxy.
    pub app_port: u16,
    /// `http://127.0.0.1:<proxy port>`, as `host` in the Space info.
    pub host: String,
}

pub(crate) fn space_process(sim: &Sim, id: &str) -> Option<SpaceProcess> {
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces.get(id)?;
    let app = s.app?;
    Some(SpaceProcess {
        pid: app.pid,
        app_port: app.port,
        host: local_host(s)?,
    })
}

/// The Space's local address, once it has a proxy.
pub(super) fn local_host(s: &SpaceRecord) -> Option<String> {
    s.proxy_port.map(|p| format!("http://127.0.0.1:{p}"))
}

/// Whether this Space runs as a local process: a Gradio Space, with a Space Python configured.
pub(super) fn runs_locally(sim: &Sim, s: &SpaceRecord) -> bool {
    sim.cfg.run_spaces_with.is_some() && s.meta.sdk == "gradio"
}

/// What the simulator's Space web page shows.
pub(crate) struct SpaceSummary {
    pub sdk: String,
    pub private: bool,
    pub stage: Stage,
    pub hardware_requested: Option<String>,
    pub hardware_current: Option<String>,
    pub error: Option<String>,
    /// The Gradio app's own port while it runs.
    pub app_port: Option<u16>,
    pub run_logs: Vec<String>,
}

pub(crate) fn summary(sim: &Sim, id: &str) -> Option<SpaceSummary> {
    let spaces = lock(&sim.spaces.spaces);
    let s = spaces.get(id)?;
    Some(SpaceSummary {
        sdk: s.meta.sdk.clone(),
        private: s.meta.private,
        stage: s.stage,
        hardware_requested: s.meta.hardware_requested.clone(),
        hardware_current: s.hardware_current.clone(),
        error: s.error_message.clone(),
        app_port: s.app.map(|a| a.port),
        run_logs: s.run_logs.iter().map(|l| l.data.clone()).collect(),
    })
}

/// Creates the public static Space `id` (or refreshes its files) as a copy of `dir`: how the
/// local run puts the released factory Space, worker binary included, on the simulated Hub.
pub(crate) fn seed(sim: &Arc<Sim>, id: &str, dir: &Path) -> std::io::Result<()> {
    let (ns, name) = id
        .split_once('/')
        .filter(|(ns, name)| valid_repo_name(ns) && valid_repo_name(name))
        .ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("seed Space '{id}' is not 'owner/name'"),
            )
        })?;
    if !dir.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!("seed Space folder {} does not exist", dir.display()),
        ));
    }
    let folder = sim.spaces.folder(ns, name);
    if folder.exists() {
        std::fs::remove_dir_all(&folder)?;
    }
    copy_tree(dir, &folder)?;
    let meta = {
        let mut spaces = lock(&sim.spaces.spaces);
        let record = spaces.entry(id.to_string()).or_insert_with(|| {
            new_record(SpaceMeta {
                object_id: random_hex(24),
                sdk: "static".to_string(),
                private: false,
                created_at: now_iso(),
                hardware_requested: None,
                sleep_time: None,
                variables: BTreeMap::new(),
            })
        });
        record.sha = random_hex(40);
        record.last_modified = now_iso();
        record.meta.clone()
    };
    sim.spaces.save_meta(id, &meta)?;
    start_lifecycle(sim, id, Lifecycle::Build);
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
