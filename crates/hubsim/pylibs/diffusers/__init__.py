"""Test double of `diffusers`: the entry points generated apps use, a tiny deterministic model."""

import hashlib


class _PipelineOutput:
    def __init__(self, images):
        self.images = images


class DiffusionPipeline:
    """Loads nothing; `__call__` paints a 64x64 image whose colours come from the prompt."""

    def __init__(self, model_id="unknown"):
        self.model_id = model_id

    @classmethod
    def from_pretrained(cls, model_id, **kwargs):
        return cls(model_id)

    def to(self, *args, **kwargs):
        return self

    def __call__(self, prompt="", num_inference_steps=4, **kwargs):
        from PIL import Image

        digest = hashlib.sha256(f"{self.model_id}|{prompt}|{num_inference_steps}".encode()).digest()
        image = Image.new("RGB", (64, 64))
        pixels = image.load()
        for y in range(64):
            for x in range(64):
                pixels[x, y] = (digest[x % 32], digest[y % 32], (x * y + digest[0]) % 256)
        return _PipelineOutput([image])


AutoPipelineForText2Image = DiffusionPipeline
