//! Web links to the Hub pages of a run: job, Space, Space settings, bucket, the run's folder,
//! model, and a Space's app origin. The Hub origin is taken as configured (trailing `/` removed) —
//! never from a page's URL parameters.
//!
//! [`encode_segment`] and [`encode_path`] are the project's one path encoder: these links and
//! every Hub API URL (`sf-hub`) use them.

use crate::env::RunRequest;
use crate::ids::RunId;
use crate::refs::{BucketRef, ModelRef, SpaceRef};

/// Percent-encodes one path segment or query part: everything but RFC 3986's unreserved
/// characters (`A-Za-z0-9-._~`) is escaped, so `/`, `?`, `#`, `&`, `=`, `+` and `%` never keep
/// their URL meaning. An empty segment stays empty.
pub fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Percent-encodes a `/`-separated path, keeping the `/`s between segments. Empty segments
/// (a leading, trailing or doubled `/`) are dropped: `/a//b c/` → `a/b%20c`, and an empty path
/// stays empty.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

/// Builds links against one Hub origin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    hub: String,
    app_scheme: String,
    app_domain: String,
}

impl Links {
    /// Links for the Hub at `hub_origin`, e.g. `https://huggingface.co` (a trailing `/` is ignored).
    /// Space apps are at `https://{subdomain}.hf.space`.
    pub fn new(hub_origin: &str) -> Links {
        Links {
            hub: hub_origin.trim().trim_end_matches('/').to_string(),
            app_scheme: "https".to_string(),
            app_domain: "hf.space".to_string(),
        }
    }

    /// Serves Space apps from `{scheme}://{subdomain}.{domain}` instead (for the local simulator).
    pub fn with_space_apps(mut self, scheme: &str, domain: &str) -> Links {
        self.app_scheme = scheme.to_string();
        self.app_domain = domain.trim_matches('.').to_string();
        self
    }

    /// The Hub origin in use.
    pub fn hub(&self) -> &str {
        &self.hub
    }

    /// `{hub}/jobs/{owner}/{job_id}`.
    pub fn job(&self, owner: &str, job_id: &str) -> String {
        format!(
            "{}/jobs/{}/{}",
            self.hub,
            encode_segment(owner),
            encode_segment(job_id)
        )
    }

    /// `{hub}/spaces/{owner}/{name}`.
    pub fn space(&self, space: &SpaceRef) -> String {
        format!(
            "{}/spaces/{}/{}",
            self.hub,
            encode_segment(space.owner()),
            encode_segment(space.name())
        )
    }

    /// `{hub}/spaces/{owner}/{name}/settings` (where hardware is chosen by hand).
    pub fn space_settings(&self, space: &SpaceRef) -> String {
        format!("{}/settings", self.space(space))
    }

    /// `{hub}/spaces/{owner}/{name}?logs=container` — the Space page with its logs open.
    pub fn space_logs(&self, space: &SpaceRef) -> String {
        format!("{}?logs=container", self.space(space))
    }

    /// `{hub}/{owner}/{name}`.
    pub fn model(&self, model: &ModelRef) -> String {
        format!(
            "{}/{}/{}",
            self.hub,
            encode_segment(model.owner()),
            encode_segment(model.name())
        )
    }

    /// `{hub}/buckets/{owner}/{name}`.
    pub fn bucket(&self, bucket: &BucketRef) -> String {
        format!(
            "{}/buckets/{}/{}",
            self.hub,
            encode_segment(bucket.owner()),
            encode_segment(bucket.name())
        )
    }

    /// `{hub}/buckets/{owner}/{name}/tree/runs/{run_id}` — the run's folder in the bucket's web view.
    pub fn bucket_run_folder(&self, bucket: &BucketRef, run_id: &RunId) -> String {
        format!(
            "{}/tree/runs/{}",
            self.bucket(bucket),
            encode_segment(run_id.as_str())
        )
    }

    /// `{hub}/buckets/{owner}/{name}/resolve/{path}` — a file of the bucket (download).
    pub fn bucket_file(&self, bucket: &BucketRef, path: &str) -> String {
        format!(
            "{}/resolve/{}",
            self.bucket(bucket),
            encode_path(path.trim_start_matches('/'))
        )
    }

    /// `https://{subdomain}.hf.space` — where the Space's app answers.
    pub fn space_app_origin(&self, space: &SpaceRef) -> String {
        self.app_origin(&space.subdomain())
    }

    /// `https://{subdomain}.hf.space` for a host label the Hub gave (`subdomain` in a Space's
    /// info), which wins over [`SpaceRef::subdomain`] when at hand.
    pub fn app_origin(&self, subdomain: &str) -> String {
        format!(
            "{}://{}.{}",
            self.app_scheme,
            subdomain.trim().trim_matches('.'),
            self.app_domain
        )
    }
}

/// The links of one run's report: the Hub, the run's folder in its bucket, its Space and its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLinks {
    pub links: Links,
    pub run_id: RunId,
    pub bucket: BucketRef,
    pub space: Option<SpaceRef>,
    /// `(namespace, job id)` when the run knows its job.
    pub job: Option<(String, String)>,
}

impl RunLinks {
    /// The links of run `run_id` recorded in `bucket` on the Hub at `hub_origin`, about `space`.
    /// The job (`job_id`, when known) runs in the namespace of the bucket's owner, who launched it.
    pub fn new(
        hub_origin: &str,
        run_id: RunId,
        bucket: BucketRef,
        space: Option<SpaceRef>,
        job_id: Option<String>,
    ) -> RunLinks {
        let job = job_id.map(|j| (bucket.owner().to_string(), j));
        RunLinks {
            links: Links::new(hub_origin),
            run_id,
            bucket,
            space,
            job,
        }
    }
}

impl RunLinks {
    /// The links of the run `request` asks for, about its target Space.
    pub fn of_request(hub_origin: &str, request: &RunRequest, job_id: Option<String>) -> RunLinks {
        let (bucket, space) = match request {
            RunRequest::Build(r) => (&r.bucket, &r.target_space),
            RunRequest::Validate(r) => (&r.bucket, &r.target_space),
        };
        RunLinks::new(
            hub_origin,
            request.run_id().clone(),
            bucket.clone(),
            Some(space.clone()),
            job_id,
        )
    }
}

impl Default for Links {
    fn default() -> Self {
        Links::new(crate::jobspec::DEFAULT_HUB_URL)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn links() {
        let l = Links::new("https://huggingface.co/");
        let space = SpaceRef::parse("alice/My_App.v2").unwrap();
        let bucket = BucketRef::parse("alice/space-factory-runs").unwrap();
        let run = RunId::parse("build-20261128-142501-a3f9c2").unwrap();
        assert_eq!(
            l.job("alice", "6759a1b2c3d4e5f601234567"),
            "https://huggingface.co/jobs/alice/6759a1b2c3d4e5f601234567"
        );
        assert_eq!(
            l.space(&space),
            "https://huggingface.co/spaces/alice/My_App.v2"
        );
        assert_eq!(
            l.space_settings(&space),
            "https://huggingface.co/spaces/alice/My_App.v2/settings"
        );
        assert_eq!(
            l.space_logs(&space),
            "https://huggingface.co/spaces/alice/My_App.v2?logs=container"
        );
        assert_eq!(
            l.bucket(&bucket),
            "https://huggingface.co/buckets/alice/space-factory-runs"
        );
        assert_eq!(
            l.bucket_run_folder(&bucket, &run),
            "https://huggingface.co/buckets/alice/space-factory-runs/tree/runs/build-20261128-142501-a3f9c2"
        );
        assert_eq!(
            l.bucket_file(&bucket, "runs/r1/artifacts/out put.png"),
            "https://huggingface.co/buckets/alice/space-factory-runs/resolve/runs/r1/artifacts/out%20put.png"
        );
        assert_eq!(
            l.model(&ModelRef::parse("Tongyi-MAI/Z-Image-Turbo").unwrap()),
            "https://huggingface.co/Tongyi-MAI/Z-Image-Turbo"
        );
        assert_eq!(
            l.space_app_origin(&space),
            "https://alice-my-app-v2.hf.space"
        );
        assert_eq!(
            l.job("a/b", "x?y"),
            "https://huggingface.co/jobs/a%2Fb/x%3Fy"
        );
        let local = Links::new("http://127.0.0.1:9000").with_space_apps("http", "localhost:9001");
        assert_eq!(
            local.space_app_origin(&space),
            "http://alice-my-app-v2.localhost:9001"
        );
        assert_eq!(local.hub(), "http://127.0.0.1:9000");
        assert_eq!(
            l.app_origin("alice-app-2f1a"),
            "https://alice-app-2f1a.hf.space"
        );
        assert_eq!(Links::default().hub(), "https://huggingface.co");
    }

    #[test]
    fn run_links_put_the_job_in_the_bucket_owners_namespace() {
        let bucket = BucketRef::parse("alice/space-factory-runs").unwrap();
        let run = RunId::parse("validate-1").unwrap();
        let space = SpaceRef::parse("alice/demo").ok();
        let l = RunLinks::new(
            "https://huggingface.co/",
            run.clone(),
            bucket.clone(),
            space.clone(),
            Some("abc123".into()),
        );
        assert_eq!(l.job, Some(("alice".to_string(), "abc123".to_string())));
        assert_eq!(l.links, Links::new("https://huggingface.co"));
        assert_eq!(
            (l.run_id, l.bucket, l.space),
            (run.clone(), bucket.clone(), space)
        );
        assert_eq!(
            RunLinks::new("https://huggingface.co", run, bucket, None, None).job,
            None
        );
    }

    #[test]
    fn run_links_of_a_request_point_at_its_space_and_bucket() {
        let ctx = crate::form::LaunchContext {
            namespace: "alice",
            unix_seconds: 0,
            random: 1,
        };
        let build = crate::form::BuildForm {
            target_space_name: "app".into(),
            ..crate::form::BuildForm::default()
        }
        .validate(&ctx)
        .unwrap();
        let validate = crate::form::ValidateForm {
            target_space: "bob/other".into(),
            ..crate::form::ValidateForm::default()
        }
        .validate(&ctx)
        .unwrap();
        for (request, space) in [
            (RunRequest::Build(build), "alice/app"),
            (RunRequest::Validate(validate), "bob/other"),
        ] {
            let l = RunLinks::of_request("https://huggingface.co", &request, Some("j1".into()));
            assert_eq!(&l.run_id, request.run_id());
            assert_eq!(l.space.unwrap().id(), space);
            assert_eq!(l.bucket.id(), "alice/space-factory-runs");
            assert_eq!(l.job, Some(("alice".into(), "j1".into())));
        }
    }

    /// Reverses [`encode_segment`] (for the properties below).
    fn decode(e: &str) -> String {
        let bytes = e.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'%' {
                out.push(u8::from_str_radix(&e[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                out.push(bytes[i]);
                i += 1;
            }
        }
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn paths_drop_empty_segments_and_segments_escape_everything_else() {
        assert_eq!(encode_segment(""), "");
        assert_eq!(
            encode_segment("a b/c?d#e&f=g+h%"),
            "a%20b%2Fc%3Fd%23e%26f%3Dg%2Bh%25"
        );
        assert_eq!(encode_path(""), "");
        assert_eq!(encode_path("/"), "");
        assert_eq!(encode_path("/a//b c/"), "a/b%20c");
        assert_eq!(
            encode_path("runs/r 1/état.json"),
            "runs/r%201/%C3%A9tat.json"
        );
    }

    proptest! {
        #[test]
        fn encoded_segments_are_safe_and_reversible(s in "\\PC{0,30}") {
            let e = encode_segment(&s);
            prop_assert!(e.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
            prop_assert_eq!(decode(&e), s);
        }

        #[test]
        fn encoded_paths_keep_exactly_the_non_empty_segments(
            segments in proptest::collection::vec("[^/]{0,8}", 0..6),
            leading in any::<bool>(),
            trailing in any::<bool>(),
        ) {
            let mut path = segments.join("/");
            if leading { path.insert(0, '/'); }
            if trailing { path.push('/'); }
            let encoded = encode_path(&path);
            let kept: Vec<&String> = segments.iter().filter(|s| !s.is_empty()).collect();
            let back: Vec<String> = if encoded.is_empty() {
                Vec::new()
            } else {
                encoded.split('/').map(decode).collect()
            };
            prop_assert!(back.iter().all(|s| !s.is_empty()), "no empty segment: {}", encoded);
            prop_assert_eq!(back.iter().collect::<Vec<_>>(), kept);
        }
    }
}
