"""Simulated model weights, shared by the Hub simulator's stand-ins of torch, diffusers and
transformers. Never part of a real Space: see README.md in this folder.

Loading a model here does what loading it does in a Space, minus the tensors:

- **Download.** The files the real library fetches (the configuration, then every weight file
  the repo lists) come through the Hub's `resolve` endpoint with `huggingface_hub` itself, so
  `HF_ENDPOINT` and the Space's `HF_TOKEN` secret (only if the Space has one) apply, and a gated
  or private model without access raises `huggingface_hub`'s own `GatedRepoError` /
  `RepositoryNotFoundError` with its own words.
- **Size.** From the model info's safetensors parameter counts per dtype, with the bytes per
  parameter the worker's estimate uses; floating-point weights take the `torch_dtype` asked
  for (quantized ones keep theirs).
- **Memory.** Weights land in RAM first, then on a GPU when moved there (`.to("cuda")`,
  `device=0`, `device_map=...`); each must hold them, as the machine of the Space's hardware
  says (hubsim's `HUBSIM_*` variables). Too large raises torch's own errors. On ZeroGPU the move
  to the GPU happens at the first call, as the `spaces` package defers it: the Space starts,
  then its first generation runs out of memory.
- **Time.** Loading takes `HUBSIM_LOAD_SECONDS_PER_GB` (default 0.005) seconds per GB moved.

Outside a hubsim Space (no `HUBSIM_SPACE_HARDWARE`, e.g. an app started by hand) nothing is
downloaded and any size fits.
"""

import os
import re
import sys
import time

GB = 1_000_000_000
GIB = 1 << 30
_FLOATS = ("F64", "F32", "F16", "BF16")


def _env_int(name):
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return None


class Machine:
    """The Space's hardware, as hubsim describes it."""

    def __init__(self):
        self.flavor = os.environ.get("HUBSIM_SPACE_HARDWARE")
        self.gpus = _env_int("HUBSIM_GPU_COUNT") or 0
        self.gpu_bytes = (_env_int("HUBSIM_GPU_MEMORY_GB") or 0) * GB
        ram = _env_int("HUBSIM_RAM_GB")
        self.ram_bytes = ram * GB if ram else None
        try:
            self.seconds_per_gb = float(os.environ.get("HUBSIM_LOAD_SECONDS_PER_GB", "0.005"))
        except ValueError:
            self.seconds_per_gb = 0.005

    @property
    def simulated(self):
        return self.flavor is not None

    @property
    def zero_gpu(self):
        return self.flavor == "zero-a10g"

    def pace(self, nbytes):
        time.sleep(max(0.0, self.seconds_per_gb * nbytes / GB))


MACHINE = Machine()


def log(message):
    print(f"hubsim: {message}", file=sys.stderr, flush=True)


def bytes_per_param(dtype):
    d = dtype.upper()
    if "64" in d:
        return 8
    if "32" in d:
        return 4
    if "16" in d:
        return 2
    if "8" in d or "4" in d:
        return 1
    return 2


def weight_bytes(parameters, torch_dtype=None):
    """Bytes of weights with these parameter counts per stored dtype, floats cast to `torch_dtype`."""
    cast = getattr(torch_dtype, "itemsize", None)
    total = 0
    for dtype, count in parameters.items():
        size = cast if cast and dtype.upper() in _FLOATS else bytes_per_param(dtype)
        total += int(count) * size
    return total


def is_cuda(device):
    """Whether a device argument (`"cuda"`, `"cuda:0"`, `0`, `torch.device`) names a GPU."""
    if device is None:
        return False
    if isinstance(device, bool):
        return False
    if isinstance(device, int):
        return device >= 0
    name = str(getattr(device, "type", device))
    return name.startswith("cuda") or name == "auto" or name == "balanced"


def no_gpu_error():
    """What a CUDA build of torch (the one PyPI installs) raises on a machine without a GPU."""
    return RuntimeError(
        "Found no NVIDIA driver on your system. Please check that you have an NVIDIA GPU and "
        "installed a driver from http://www.nvidia.com/Download/index.aspx"
    )


def shard_bytes(weights):
    """The size of one weight file: what a loader allocates at a time."""
    shards = len(weights.files)
    for name in weights.files:
        match = re.search(r"-of-0*(\d+)\.", name)
        if match:
            shards = max(shards, int(match.group(1)))
    return max(weights.nbytes // max(shards, 1), 1)


def cuda_oom(weights, capacity):
    import torch

    chunk = shard_bytes(weights)
    used = capacity * 0.98
    return torch.OutOfMemoryError(
        f"CUDA out of memory. Tried to allocate {chunk / GIB:.2f} GiB. GPU 0 has a total capacity "
        f"of {capacity / GIB:.2f} GiB of which {(capacity - used) / GIB:.2f} GiB is free. Of the "
        f"allocated memory {used / GIB:.2f} GiB is allocated by PyTorch, and 0 bytes is reserved by "
        "PyTorch but unallocated. If reserved but unallocated memory is large try setting "
        "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True to avoid fragmentation.  See "
        "documentation for Memory Management  "
        "(https://pytorch.org/docs/stable/notes/cuda.html#environment-variables)"
    )


def cpu_oom(nbytes):
    return RuntimeError(
        "[enforce fail at alloc_cpu.cpp:114] data. DefaultCPUAllocator: not enough memory: "
        f"you tried to allocate {nbytes} bytes."
    )


class Weights:
    """A model's weights: where they are and how large they are."""

    def __init__(self, model_id, nbytes, files, dtype_name):
        self.model_id = model_id
        self.nbytes = nbytes
        self.files = files
        self.dtype_name = dtype_name
        self.device = "cpu"
        # On ZeroGPU, `.to("cuda")` outside a GPU call is recorded and done at the first call.
        self.pending_gpu = None

    def describe(self):
        return f"{self.model_id} ({self.nbytes / GB:.1f} GB in {self.dtype_name})"

    def to(self, device, device_map=False):
        """Moves the weights to `device`; raises as torch would when it cannot hold them."""
        if not is_cuda(device):
            self.device = "cpu"
            return
        if not MACHINE.simulated:
            self.device = "cuda"
            return
        if MACHINE.gpus == 0:
            log(f"{MACHINE.flavor} has no GPU; moving {self.describe()} to {device} fails.")
            raise no_gpu_error()
        if MACHINE.zero_gpu:
            self.pending_gpu = device_map
            return
        self._place_on_gpu(device_map)

    def _place_on_gpu(self, device_map):
        gpus = MACHINE.gpus if device_map else 1
        capacity = MACHINE.gpu_bytes * gpus
        if self.nbytes > capacity:
            MACHINE.pace(capacity)
            log(
                f"{self.describe()} does not fit in {gpus} GPU(s) of {MACHINE.gpu_bytes // GB} GB "
                f"on {MACHINE.flavor}."
            )
            raise cuda_oom(self, MACHINE.gpu_bytes)
        MACHINE.pace(self.nbytes)
        self.device = "cuda"

    def before_call(self):
        """At a generation: ZeroGPU moves the weights now (once)."""
        if self.pending_gpu is not None:
            device_map = self.pending_gpu
            self.pending_gpu = None
            self._place_on_gpu(device_map)


def _token(token):
    if token is True or token is None:
        return None  # huggingface_hub reads HF_TOKEN from the environment
    return token


def load(model_id, torch_dtype=None, token=None, config_file="config.json", wrap_errors=None, to_gpu=False):
    """Downloads the model's files and loads its weights into RAM (straight onto the GPU with
    `to_gpu`, as a `device_map` does); returns the `Weights`.

    `wrap_errors(model_id, error)` may turn a `huggingface_hub` error into the library's own.
    """
    if not MACHINE.simulated:
        return Weights(model_id, 0, [], "float32")
    from huggingface_hub import HfApi, hf_hub_download

    token = _token(token)
    try:
        info = HfApi().model_info(model_id, token=token)
        names = [s.rfilename for s in (info.siblings or [])]
        files = [n for n in names if n.endswith((".safetensors", ".bin", ".gguf"))]
        safetensors = [n for n in files if n.endswith(".safetensors")]
        if safetensors:
            files = safetensors
        for name in ([config_file] if config_file in names else []) + files:
            hf_hub_download(model_id, name, token=token)
    except Exception as e:
        if wrap_errors is not None:
            wrapped = wrap_errors(model_id, e)
            if wrapped is not None:
                raise wrapped from e
        raise
    parameters = dict(getattr(info.safetensors, "parameters", None) or {})
    nbytes = weight_bytes(parameters, torch_dtype)
    dtype_name = getattr(torch_dtype, "name", None) or "/".join(sorted(parameters)) or "unknown dtype"
    weights = Weights(model_id, nbytes, files, dtype_name)
    log(
        f"loading {weights.describe()} on {MACHINE.flavor}: {MACHINE.gpus} GPU(s) of "
        f"{MACHINE.gpu_bytes // GB} GB, "
        + (f"{MACHINE.ram_bytes // GB} GB RAM." if MACHINE.ram_bytes else "RAM as needed.")
    )
    if to_gpu:
        return weights
    if MACHINE.ram_bytes is not None and nbytes > MACHINE.ram_bytes:
        MACHINE.pace(MACHINE.ram_bytes)
        log(f"{weights.describe()} does not fit in the {MACHINE.ram_bytes // GB} GB of RAM.")
        raise cpu_oom(shard_bytes(weights))
    MACHINE.pace(nbytes)
    return weights
