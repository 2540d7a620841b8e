//! Storage Buckets: the answer of a create call ([`RepoUrl`], also used for Spaces),
//! `GET /api/buckets/{id}` ([`BucketInfo`]) and one entry of a tree listing ([`BucketEntry`]).

use serde::{Deserialize, Serialize};

/// The answer of a create call: `{url, id?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RepoUrl {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub id: Option<String>,
}

/// `GET /api/buckets/{ns}/{name}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BucketInfo {
    /// `namespace/name`.
    pub id: String,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// Total size in bytes.
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub total_files: Option<u64>,
}

/// One entry of a bucket tree listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum BucketEntry {
    #[serde(rename_all = "camelCase")]
    File {
        path: String,
        #[serde(default)]
        size: Option<u64>,
        #[serde(default)]
        xet_hash: Option<String>,
        /// Modification time as the Hub sends it (ISO string or epoch number).
        #[serde(default, deserialize_with = "super::lenient_string")]
        mtime: Option<String>,
        #[serde(default)]
        uploaded_at: Option<String>,
    },
    #[serde(rename_all = "camelCase")]
    Directory {
        path: String,
        #[serde(default)]
        uploaded_at: Option<String>,
    },
    /// An entry type this client does not know.
    #[serde(other)]
    Other,
}

impl BucketEntry {
    /// The path inside the bucket (`None` for unknown entry types).
    pub fn path(&self) -> Option<&str> {
        match self {
            BucketEntry::File { path, .. } | BucketEntry::Directory { path, .. } => Some(path),
            BucketEntry::Other => None,
        }
    }

    pub fn is_file(&self) -> bool {
        matches!(self, BucketEntry::File { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_entries_of_every_kind() {
        let entries: Vec<BucketEntry> = serde_json::from_str(
            r#"[{"type":"file","path":"runs/a/state.json","size":12,"xetHash":"ab","mtime":1700000000000},
                {"type":"directory","path":"runs/a","uploadedAt":"2026-01-01T00:00:00Z"},
                {"type":"symlink","path":"x"}]"#,
        )
        .unwrap();
        assert_eq!(entries[0].path(), Some("runs/a/state.json"));
        assert!(entries[0].is_file());
        assert!(
            matches!(&entries[0], BucketEntry::File { mtime: Some(m), .. } if m == "1700000000000")
        );
        assert_eq!(entries[1].path(), Some("runs/a"));
        assert_eq!(entries[2], BucketEntry::Other);
    }
}
