//! The run's job as the Jobs API reports it, and the launch result of a run started in this
//! browser.

use leptos::prelude::*;
use sf_hub::types::JobInfo;

use crate::launch::LaunchRecord;

#[component]
pub fn JobPanel(job: JobInfo) -> impl IntoView {
    let not_yet = |t: Option<String>| t.unwrap_or_else(|| "not yet".into());
    view! {
        <section class="card" data-testid="job-panel">
            <h2>"Job"</h2>
            <dl class="facts">
                <dt>"Job id"</dt><dd><code>{job.id}</code></dd>
                <dt>"Stage"</dt><dd data-testid="job-stage">{job.status.stage.to_string()}</dd>
                {job.status.message.map(|m| view! { <dt>"Message"</dt><dd>{m}</dd> })}
                <dt>"Created"</dt><dd>{job.created_at.unwrap_or_default()}</dd>
                <dt>"Started"</dt><dd>{not_yet(job.started_at)}</dd>
                <dt>"Finished"</dt><dd>{not_yet(job.finished_at)}</dd>
                <dt>"Hardware"</dt><dd>{job.flavor.unwrap_or_default()}</dd>
            </dl>
        </section>
    }
}

/// Job id and the Hub's answer (redacted), for a run launched in this browser.
#[component]
pub fn LaunchResult(record: LaunchRecord) -> impl IntoView {
    let pretty = serde_json::to_string_pretty(&record.job).unwrap_or_default();
    view! {
        <details class="card">
            <summary>"Launch result (job " <code>{record.job_id}</code> ")"</summary>
            <pre data-testid="launch-result"><code>{pretty}</code></pre>
        </details>
    }
}
