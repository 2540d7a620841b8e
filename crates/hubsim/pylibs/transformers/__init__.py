"""Stand-in for `transformers`: the entry points generated text apps use, a tiny deterministic model."""

import hashlib

_WORDS = (
    "river stone lantern quiet orbit meadow signal copper harbor ember window thread "
    "garden compass winter echo paper falcon summit velvet"
).split()


def _continue(model_id, prompt, max_new_tokens):
    """A continuation that depends on the model, the prompt and the length, nothing else."""
    digest = hashlib.sha256(f"{model_id}|{prompt}".encode()).digest()
    count = max(1, min(int(max_new_tokens), 64))
    return " ".join(_WORDS[digest[i % 32] % len(_WORDS)] for i in range(count))


class _TextGeneration:
    def __init__(self, model_id):
        self.model_id = model_id

    def __call__(self, prompt, max_new_tokens=20, **kwargs):
        if isinstance(prompt, list):
            text = " ".join(str(m.get("content", "")) for m in prompt if isinstance(m, dict))
        else:
            text = str(prompt)
        return [{"generated_text": f"{text} {_continue(self.model_id, text, max_new_tokens)}"}]


def pipeline(task=None, model=None, **kwargs):
    """`pipeline("text-generation", model=...)`; other tasks are not simulated."""
    if task not in ("text-generation", "text2text-generation"):
        raise ValueError(f"the Hub simulator's transformers stand-in only runs text-generation, not {task!r}")
    return _TextGeneration(model or "unknown")


class AutoTokenizer:
    @classmethod
    def from_pretrained(cls, model_id, **kwargs):
        return cls()


class AutoModelForCausalLM:
    @classmethod
    def from_pretrained(cls, model_id, **kwargs):
        return cls()

    def to(self, *args, **kwargs):
        return self
