"""Test double of `torch`: only the names generated apps touch when choosing a device."""

bfloat16 = "bfloat16"
float16 = "float16"
float32 = "float32"


class _Cuda:
    @staticmethod
    def is_available():
        return False


cuda = _Cuda()


def manual_seed(seed):
    return seed
