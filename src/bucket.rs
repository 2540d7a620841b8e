//! The run bucket: `<username>/<bucket name>`, where every run is recorded. The name is chosen
//! once (default `space-factory-runs`) and remembered; Build, Validate and the run views use it.

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
