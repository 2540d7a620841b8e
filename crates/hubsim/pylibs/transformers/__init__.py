"""Stand-in for `transformers` in the Hub simulator's Spaces: the entry points generated text
apps use. Loading downloads the model's files from the simulated Hub and needs the memory its
weights would (see `_hubsim_weights`); generation continues the prompt with a few words that
depend on the model and the prompt only. Never part of a real Space."""

import hashlib

import _hubsim_weights as _w

_WORDS = (
    "river stone lantern quiet orbit meadow signal copper harbor ember window thread "
    "garden compass winter echo paper falcon summit velvet"
).split()


def _continue(model_id, prompt, max_new_tokens):
    """A continuation that depends on the model, the prompt and the length, nothing else."""
    digest = hashlib.sha256(f"{model_id}|{prompt}".encode()).digest()
    count = max(1, min(int(max_new_tokens), 64))
    return " ".join(_WORDS[digest[i % 32] % len(_WORDS)] for i in range(count))


def _hub_error(model_id, error):
    """transformers' own wording around huggingface_hub's errors (`utils/hub.py`)."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    if isinstance(error, GatedRepoError):
        return OSError(
            "You are trying to access a gated repo.\nMake sure to have access to it at "
            f"https://huggingface.co/{model_id}.\n{error}"
        )
    if isinstance(error, RepositoryNotFoundError):
        return OSError(
            f"{model_id} is not a local folder and is not a valid model identifier listed on "
            "'https://huggingface.co/models'\nIf this is a private repository, make sure to pass a "
            "token having permission to this repo either by logging in with `hf auth login` or by "
            "passing `token=<your_token>`"
        )
    return None


def _load(model_id, torch_dtype=None, token=None, device_map=None):
    dtype = None if torch_dtype == "auto" else torch_dtype
    weights = _w.load(
        model_id,
        torch_dtype=dtype,
        token=token,
        wrap_errors=_hub_error,
        to_gpu=device_map not in (None, "cpu"),
    )
    if device_map is not None:
        weights.to("cuda" if device_map != "cpu" else "cpu", device_map=device_map not in ("cuda", "cpu"))
    return weights


class _TextGeneration:
    def __init__(self, weights):
        self._weights = weights
        self.model_id = weights.model_id

    def __call__(self, prompt, max_new_tokens=20, **kwargs):
        self._weights.before_call()
        if isinstance(prompt, list):
            text = " ".join(str(m.get("content", "")) for m in prompt if isinstance(m, dict))
        else:
            text = str(prompt)
        return [{"generated_text": f"{text} {_continue(self.model_id, text, max_new_tokens)}"}]


def pipeline(task=None, model=None, device=None, torch_dtype=None, dtype=None, token=None, device_map=None, **kwargs):
    """`pipeline("text-generation", model=..., device=...)`; other tasks are not simulated."""
    if task not in ("text-generation", "text2text-generation"):
        raise ValueError(f"the Hub simulator's transformers stand-in only runs text-generation, not {task!r}")
    if isinstance(model, _Model):
        weights = model._weights
    else:
        weights = _load(model or "unknown", torch_dtype or dtype, token, device_map)
    if device is not None:
        weights.to(device)
    return _TextGeneration(weights)


class _Encoding(dict):
    def to(self, *args, **kwargs):
        return self


class AutoTokenizer:
    def __init__(self, model_id):
        self.model_id = model_id
        self.eos_token_id = 0

    @classmethod
    def from_pretrained(cls, model_id, **kwargs):
        return cls(model_id)

    def __call__(self, text, **kwargs):
        return _Encoding(input_ids=[[str(text)]], attention_mask=[[1]])

    def apply_chat_template(self, messages, tokenize=True, **kwargs):
        text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        return _Encoding(input_ids=[[text]], attention_mask=[[1]]) if tokenize else text

    def decode(self, tokens, skip_special_tokens=False, **kwargs):
        return " ".join(str(t) for t in tokens)

    def batch_decode(self, sequences, **kwargs):
        return [self.decode(s) for s in sequences]


class _Model:
    def __init__(self, weights):
        self._weights = weights

    @classmethod
    def from_pretrained(cls, model_id, torch_dtype=None, dtype=None, token=None, device_map=None, **kwargs):
        return cls(_load(model_id, torch_dtype or dtype, token, device_map))

    @property
    def device(self):
        import torch

        return torch.device(self._weights.device)

    def to(self, *args, **kwargs):
        target = kwargs.get("device", args[0] if args else None)
        if _w.is_cuda(target) or str(getattr(target, "type", target)) == "cpu":
            self._weights.to(target)
        return self

    def eval(self):
        return self

    def generate(self, input_ids=None, max_new_tokens=20, **kwargs):
        self._weights.before_call()
        prompt = " ".join(str(t) for t in (input_ids or [[""]])[0])
        return [[prompt, _continue(self._weights.model_id, prompt, max_new_tokens)]]


class AutoModelForCausalLM(_Model):
    pass


class AutoModelForSeq2SeqLM(_Model):
    pass
