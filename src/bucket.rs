//! The run bucket: `<username>/<bucket name>`, where every run is recorded. The name is chosen
//! once (default `space-factory-runs`) and remembered; Build, Validate and the run views use it.
//! Checking and creating it on the Hub ([`check_or_create`]) is here too.

use leptos::prelude::*;
use sf_core::{BucketName, BucketRef, DEFAULT_BUCKET_NAME};

use crate::auth::Auth;
use crate::storage;

const KEY: &str = "space-factory:bucket-name";

/// The bucket name as typed (kept across reloads), shared through a context.
#[derive(Clone, Copy)]
pub struct RunBucket {
    pub name: RwSignal<String>,
}

pub fn provide_run_bucket() -> RunBucket {
    let name =
        RwSignal::new(storage::get_string(KEY).unwrap_or_else(|| DEFAULT_BUCKET_NAME.to_string()));
    Effect::new(move |_| storage::set_string(KEY, &name.get()));
    let bucket = RunBucket { name };
    provide_context(bucket);
    bucket
}

pub fn use_run_bucket() -> RunBucket {
    expect_context::<RunBucket>()
}

impl RunBucket {
    /// The problem with the typed name, as a sentence, if any.
    pub fn name_error(&self) -> Option<String> {
        self.name
            .with(|n| BucketName::parse(n).err().map(|e| e.to_string()))
    }

    /// `<username>/<name>` for the signed-in user, when both are valid.
    pub fn bucket(&self, auth: &Auth) -> Option<BucketRef> {
        let user = auth.username()?;
        let name = self.name.with(|n| BucketName::parse(n).ok())?;
        BucketRef::in_namespace(&user, &name).ok()
    }
}

/// What checking or creating the run bucket found.
#[derive(Clone, Debug, PartialEq)]
pub enum BucketOutcome {
    Ready {
        bucket: String,
        uri: String,
        created: bool,
        existed: bool,
    },
    NotFound {
        bucket: String,
    },
    NoPermission {
        bucket: String,
        detail: String,
    },
    CouldNotCheck {
        bucket: String,
        detail: String,
    },
}

/// Checks that `bucket` exists, or creates it (private) when `create`; creating one that
/// already exists changes nothing and says so.
pub async fn check_or_create(auth: Auth, bucket: BucketRef, create: bool) -> BucketOutcome {
    let id = bucket.id();
    let Some(hub) = auth.hub() else {
        return BucketOutcome::CouldNotCheck {
            bucket: id,
            detail: "Sign in with Hugging Face first.".into(),
        };
    };
    let ready = |created: bool, existed: bool| BucketOutcome::Ready {
        bucket: id.clone(),
        uri: bucket.uri(),
        created,
        existed,
    };
    let classify = |e: &sf_hub::HubError| {
        let detail = auth.explain(e);
        if e.is_forbidden() {
            BucketOutcome::NoPermission {
                bucket: id.clone(),
                detail,
            }
        } else {
            BucketOutcome::CouldNotCheck {
                bucket: id.clone(),
                detail,
            }
        }
    };
    if create {
        match hub.create_private_bucket(&bucket).await {
            Ok(_) => ready(true, false),
            Err(e) if e.is_conflict() => ready(false, true),
            Err(e) => classify(&e),
        }
    } else {
        match hub.bucket_info(&bucket).await {
            Ok(_) => ready(false, false),
            Err(e) if e.is_not_found() => BucketOutcome::NotFound { bucket: id.clone() },
            Err(e) => classify(&e),
        }
    }
}
