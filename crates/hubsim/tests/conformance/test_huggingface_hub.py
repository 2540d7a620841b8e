"""Conformance of the Hub simulator with the official `huggingface_hub` client (2.4.0).

Run by `tests/conformance.rs`, which starts a simulator and sets:
  HF_ENDPOINT / HUBSIM_URL  the simulator's URL
  HUBSIM_TEST_TOKEN         a full-scope token of HUBSIM_TEST_USER
  HUBSIM_OTHER_TOKEN        a full-scope token of another user

Where the client expects something the simulator does not do, the simulator is wrong.
"""

import json
import os
import tempfile
import time
import urllib.request
import uuid

import pytest
from huggingface_hub import HfApi, __version__, hf_hub_download
from huggingface_hub.errors import (
    BucketNotFoundError,
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
)

URL = os.environ["HUBSIM_URL"]
TOKEN = os.environ["HUBSIM_TEST_TOKEN"]
USER = os.environ["HUBSIM_TEST_USER"]
OTHER_TOKEN = os.environ["HUBSIM_OTHER_TOKEN"]


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def control(method, path, body=None, raw=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(f"{URL}/__sim{path}", data=data, method=method)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read() or b"null")


def wait_until(what, check, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def api():
    return HfApi(endpoint=URL, token=TOKEN)


def test_client_version():
    assert __version__ == "2.4.0"


def test_whoami(api):
    me = api.whoami()
    assert me["name"] == USER
    assert me["type"] == "user"
    assert me["auth"]["accessToken"]["role"] == "write"


def test_whoami_with_an_invalid_token():
    with pytest.raises(HfHubHTTPError) as err:
        HfApi(endpoint=URL, token="hf_" + "x" * 34).whoami()
    assert err.value.response.status_code == 401
    assert "Invalid user token" in str(err.value)


def test_buckets(api):
    name = unique("conformance")
    bucket_id = f"{USER}/{name}"
    url = api.create_bucket(name, private=True)  # the "me" namespace
    assert url.bucket_id == bucket_id
    assert url.namespace == USER
    api.create_bucket(bucket_id, private=True, exist_ok=True)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_bucket(bucket_id, private=True)
    assert err.value.response.status_code == 409

    info = api.bucket_info(bucket_id)
    assert info.id == bucket_id
    assert info.private is True
    assert info.total_files == 0
    assert info.created_at.year >= 2025

    for i in range(4):
        control("PUT", f"/buckets/{bucket_id}/files/runs/r{i}/state.json", raw=b'{"schema": 1}')
    control("PUT", f"/buckets/{bucket_id}/files/runs/r0/report.md", raw=b"# Report")
    control("PUT", f"/buckets/{bucket_id}/files/top.txt", raw=b"hello")

    root = list(api.list_bucket_tree(bucket_id))
    assert [(type(e).__name__, e.path) for e in root] == [("BucketFolder", "runs"), ("BucketFile", "top.txt")]
    assert root[1].size == 5 and root[1].mtime is not None and len(root[1].xet_hash) == 64

    folders = list(api.list_bucket_tree(bucket_id, prefix="runs"))  # 4 entries over 2 pages
    assert [e.path for e in folders] == [f"runs/r{i}" for i in range(4)]

    files = list(api.list_bucket_tree(bucket_id, prefix="runs/r0", recursive=True))  # %2F-encoded
    assert sorted(f.path for f in files) == ["runs/r0/report.md", "runs/r0/state.json"]

    everything = list(api.list_bucket_tree(bucket_id, recursive=True))
    assert len(everything) == 6

    infos = list(api.get_bucket_paths_info(bucket_id, ["top.txt", "missing.txt"]))
    assert [i.path for i in infos] == ["top.txt"]

    assert bucket_id in [b.id for b in api.list_buckets()]
    assert api.bucket_info(bucket_id).total_files == 6

    with pytest.raises(BucketNotFoundError):
        api.bucket_info(f"{USER}/{unique('missing')}")
    with pytest.raises(BucketNotFoundError):
        HfApi(endpoint=URL, token=OTHER_TOKEN).bucket_info(bucket_id)


def test_jobs(api):
    job = api.run_job(
        image="python:3.12",
        command=["sh", "-c", "echo hello; sleep 1; echo done"],
        env={"GREETING": "hi"},
        secrets={"HF_TOKEN": "hf_not_a_real_secret"},
        labels={"suite": "conformance"},
        timeout="5m",
    )
    assert len(job.id) == 24
    assert job.status.stage in ("SCHEDULING", "RUNNING")
    assert job.owner.name == USER
    assert job.url == f"{URL}/jobs/{USER}/{job.id}"
    assert job.labels["suite"] == "conformance"

    request = control("GET", "/jobs/requests")[-1]["body"]
    assert request["secrets"] == {"HF_TOKEN": "hf_not_a_real_secret"}
    assert request["timeoutSeconds"] == 300
    assert request["dockerImage"] == "python:3.12"

    inspected = api.inspect_job(job_id=job.id)
    assert inspected.id == job.id

    lines = list(api.fetch_job_logs(job_id=job.id, follow=True))
    assert lines == ["hello", "done"]

    final = wait_until("the job to complete", lambda: (j := api.inspect_job(job_id=job.id)).status.stage == "COMPLETED" and j)
    assert final.finished_at is not None and final.started_at is not None
    assert final.durations.total_secs is not None

    assert list(api.fetch_job_logs(job_id=job.id)) == ["hello", "done"]
    assert list(api.fetch_job_logs(job_id=job.id, tail=1)) == ["done"]

    # list_jobs resolves a missing namespace with the module-level whoami(), which ignores the
    # HfApi token (a client quirk): pass the namespace.
    listed = list(api.list_jobs(labels={"suite": "conformance"}, namespace=USER))
    assert job.id in [j.id for j in listed]
    completed = api.list_jobs(status="COMPLETED", labels={"suite": "conformance"}, namespace=USER)
    assert [j.id for j in completed] == [job.id]

    hardware = api.list_jobs_hardware()
    assert "cpu-basic" in [h.name for h in hardware]
    # The Hub gzips JSON answers for a client that accepts it (huggingface_hub#3269), and so does
    # the simulator: the client above read the list through its own gzip decoding.
    from huggingface_hub.utils import get_session
    answer = get_session().get(f"{URL}/api/jobs/hardware")
    assert answer.headers.get("content-encoding") == "gzip", dict(answer.headers)
    assert [h["name"] for h in answer.json()] == [h.name for h in hardware]


def test_cancel_job(api):
    job = api.run_job(image="python:3.12", command=["sh", "-c", "echo started; sleep 60"])
    wait_until("the job to run", lambda: api.inspect_job(job_id=job.id).status.stage == "RUNNING")
    api.cancel_job(job_id=job.id)
    final = wait_until("the job to be canceled", lambda: (j := api.inspect_job(job_id=job.id)).status.stage == "CANCELED" and j)
    assert final.status.stage == "CANCELED"


def test_job_errors(api):
    job = api.run_job(image="python:3.12", command=["sh", "-c", "exit 2"])
    final = wait_until("the job to fail", lambda: (j := api.inspect_job(job_id=job.id)).status.stage == "ERROR" and j)
    assert "exit code" in final.status.message
    with pytest.raises(HfHubHTTPError) as err:
        api.inspect_job(job_id="0" * 24)
    assert err.value.response.status_code == 404


def test_spaces(api):
    repo_id = f"{USER}/{unique('space')}"
    url = api.create_repo(repo_id, repo_type="space", space_sdk="gradio", private=True)
    assert url.repo_id == repo_id
    assert url.repo_type == "space"
    api.create_repo(repo_id, repo_type="space", space_sdk="gradio", exist_ok=True)
    with pytest.raises(HfHubHTTPError) as err:
        api.create_repo(repo_id, repo_type="space", space_sdk="gradio")
    assert err.value.response.status_code == 409

    runtime = api.get_space_runtime(repo_id)
    assert runtime.stage in ("BUILDING", "NO_APP_FILE")
    # No app.py yet: the build ends in NO_APP_FILE.
    wait_until("NO_APP_FILE", lambda: api.get_space_runtime(repo_id).stage == "NO_APP_FILE")

    commit = api.upload_file(
        path_or_fileobj=b"import gradio as gr\n",
        path_in_repo="app.py",
        repo_id=repo_id,
        repo_type="space",
        commit_message="Add the app",
    )
    assert len(commit.oid) == 40
    running = wait_until("RUNNING", lambda: (r := api.get_space_runtime(repo_id)).stage == "RUNNING" and r)
    assert running.hardware == "cpu-basic"

    info = api.space_info(repo_id)
    assert info.sdk == "gradio"
    assert info.private is True
    assert "app.py" in [s.rfilename for s in info.siblings]
    assert info.runtime.stage == "RUNNING"

    runtime = api.request_space_hardware(repo_id, "t4-small")
    assert runtime.requested_hardware == "t4-small"
    running = wait_until("t4-small", lambda: (r := api.get_space_runtime(repo_id)).hardware == "t4-small" and r)
    assert running.stage == "RUNNING"

    path = hf_hub_download(repo_id, "app.py", repo_type="space", endpoint=URL, token=TOKEN)
    with open(path) as f:
        assert f.read() == "import gradio as gr\n"


def test_models(api):
    info = api.model_info("Tongyi-MAI/Z-Image-Turbo")
    assert info.pipeline_tag == "text-to-image"
    assert info.library_name == "diffusers"
    assert info.card_data.license == "apache-2.0"
    assert 5e9 < info.safetensors.total < 7e9

    slim = api.model_info("openai-community/gpt2", expand=["pipeline_tag", "safetensors"])
    assert slim.pipeline_tag == "text-generation"
    assert slim.library_name is None
    assert slim.safetensors.total == 137022720

    assert api.model_info("deepseek-ai/DeepSeek-V3").safetensors.total > 6e11
    assert api.model_info("meta-llama/Llama-3.1-8B-Instruct").gated == "manual"

    with pytest.raises(RepositoryNotFoundError):
        api.model_info(f"nobody/{unique('model')}")

    readme = hf_hub_download("openai-community/gpt2", "README.md", endpoint=URL, token=TOKEN)
    with open(readme) as f:
        assert f.read().startswith("---\n")
    with pytest.raises(GatedRepoError):
        hf_hub_download("meta-llama/Llama-3.1-8B-Instruct", "README.md", endpoint=URL, token=TOKEN)
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("sim-fixtures/model-without-card", "README.md", endpoint=URL, token=TOKEN)

    # A private model: its owner reads it; anyone else is told it is not found.
    private = f"{USER}/private-gpt2"
    assert api.model_info(private).private is True
    hf_hub_download(private, "model.safetensors", endpoint=URL, token=TOKEN)
    with pytest.raises(RepositoryNotFoundError):
        HfApi(endpoint=URL, token=OTHER_TOKEN).model_info(private)
    with pytest.raises(RepositoryNotFoundError):
        # A cache of its own: the owner's copy above would otherwise be served.
        hf_hub_download(
            private, "model.safetensors", endpoint=URL, token=False, cache_dir=tempfile.mkdtemp()
        )

def test_model_search(api):
    found = list(api.list_models(pipeline_tag="text-generation", sort="likes", limit=2,
                                 expand=["pipeline_tag", "likes", "gated", "private"]))
    assert [m.id for m in found] == ["meta-llama/Llama-3.1-8B-Instruct", "deepseek-ai/DeepSeek-V3"]
    assert found[0].gated == "manual" and found[0].likes == 4512
    assert found[0].downloads is None  # not asked for
    trending = list(api.list_models(sort="trending_score", limit=1))
    assert trending[0].id == "Tongyi-MAI/Z-Image-Turbo"
    # The owner's own private model is listed to its owner, and to no one else.
    assert [m.id for m in api.list_models(search="gpt")] == ["openai-community/gpt2", f"{USER}/private-gpt2"]
    other = HfApi(endpoint=URL, token=OTHER_TOKEN)
    assert [m.id for m in other.list_models(search="gpt")] == ["openai-community/gpt2"]
