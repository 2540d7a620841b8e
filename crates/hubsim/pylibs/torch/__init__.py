"""Stand-in for `torch` in the Hub simulator's Spaces: the names generated apps touch, with the
devices of the Space's hardware (see `_hubsim_weights`). Never part of a real Space."""

import contextlib

import _hubsim_weights as _w

__version__ = "2.6.0+hubsim"


class dtype:
    def __init__(self, name, itemsize, is_floating_point=True):
        self.name = name
        self.itemsize = itemsize
        self.is_floating_point = is_floating_point

    def __repr__(self):
        return f"torch.{self.name}"


float64 = double = dtype("float64", 8)
float32 = float = dtype("float32", 4)
float16 = half = dtype("float16", 2)
bfloat16 = dtype("bfloat16", 2)
int8 = dtype("int8", 1, False)
uint8 = dtype("uint8", 1, False)


class device:
    def __init__(self, type, index=None):
        if isinstance(type, device):
            type, index = type.type, type.index
        type = str(type)
        if ":" in type:
            type, index = type.split(":", 1)
            index = int(index)
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self}')"


class OutOfMemoryError(RuntimeError):
    """`torch.OutOfMemoryError` (also `torch.cuda.OutOfMemoryError`)."""


class _Cuda:
    OutOfMemoryError = OutOfMemoryError

    @staticmethod
    def is_available():
        # ZeroGPU reports a GPU in the main process too (the `spaces` package arranges it).
        return _w.MACHINE.gpus > 0

    @staticmethod
    def device_count():
        return _w.MACHINE.gpus

    @staticmethod
    def get_device_name(index=0):
        if _w.MACHINE.gpus == 0:
            raise _w.no_gpu_error()
        return f"hubsim GPU ({_w.MACHINE.flavor})"

    @staticmethod
    def empty_cache():
        return None

    @staticmethod
    def manual_seed(seed):
        return seed

    @staticmethod
    def manual_seed_all(seed):
        return seed


cuda = _Cuda()


class Generator:
    def __init__(self, device="cpu"):
        if _w.is_cuda(device) and _w.MACHINE.simulated and _w.MACHINE.gpus == 0:
            raise _w.no_gpu_error()
        self.device = device
        self.seed = 0

    def manual_seed(self, seed):
        self.seed = int(seed)
        return self


def manual_seed(seed):
    return Generator().manual_seed(seed)


class _NoGrad(contextlib.ContextDecorator):
    """`with torch.no_grad():` and `@torch.no_grad()` (nothing to track here)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def no_grad():
    return _NoGrad()


def inference_mode(mode=True):
    return _NoGrad()
