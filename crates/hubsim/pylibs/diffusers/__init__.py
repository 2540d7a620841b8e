"""Stand-in for `diffusers` in the Hub simulator's Spaces: the entry points generated apps use.
Loading downloads the model's files from the simulated Hub and needs the memory its weights
would (see `_hubsim_weights`); a call paints a small deterministic image. Never part of a real
Space."""

import hashlib

import _hubsim_weights as _w


class _PipelineOutput:
    def __init__(self, images):
        self.images = images


class DiffusionPipeline:
    """`from_pretrained` loads the simulated weights; `__call__` paints a 64x64 image whose
    colours come from the model, the prompt and the steps."""

    def __init__(self, weights):
        self._weights = weights
        self.model_id = weights.model_id

    @classmethod
    def from_pretrained(cls, model_id, torch_dtype=None, token=None, device_map=None, **kwargs):
        import torch

        # As diffusers does, weights load in float32 unless a torch_dtype is given.
        weights = _w.load(
            model_id,
            torch_dtype=torch_dtype or torch.float32,
            token=token,
            config_file="model_index.json",
            to_gpu=device_map is not None,
        )
        pipe = cls(weights)
        if device_map is not None:
            weights.to("cuda", device_map=device_map != "cuda")
        return pipe

    @property
    def device(self):
        import torch

        return torch.device(self._weights.device)

    def to(self, *args, **kwargs):
        target = kwargs.get("device", args[0] if args else None)
        if _w.is_cuda(target) or str(getattr(target, "type", target)) == "cpu":
            self._weights.to(target)
        return self

    def enable_model_cpu_offload(self, *args, **kwargs):
        # The weights stay in RAM and go to the GPU one component at a time: not simulated
        # beyond needing a GPU.
        if _w.MACHINE.simulated and _w.MACHINE.gpus == 0:
            raise _w.no_gpu_error()

    enable_sequential_cpu_offload = enable_model_cpu_offload

    def set_progress_bar_config(self, **kwargs):
        return None

    def __call__(self, prompt="", num_inference_steps=4, **kwargs):
        from PIL import Image

        self._weights.before_call()
        digest = hashlib.sha256(f"{self.model_id}|{prompt}|{num_inference_steps}".encode()).digest()
        image = Image.new("RGB", (64, 64))
        pixels = image.load()
        for y in range(64):
            for x in range(64):
                pixels[x, y] = (digest[x % 32], digest[y % 32], (x * y + digest[0]) % 256)
        return _PipelineOutput([image])


AutoPipelineForText2Image = DiffusionPipeline
