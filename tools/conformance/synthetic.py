"""Synthetic weights: every state-dict entry a formula of its name, so that parity tests of whole
models commit no weights (the Java twin is org.autoprop.testing.SyntheticWeights).

    u(name, i) = ((crc32(name) + i * 2654435761) mod 2^32) / 2^32          in [0, 1)
    4-D weight [o, i, kh, kw]       (2u - 1) * sqrt(6 / (i * kh * kw))
    2-D weight [o, i]               (2u - 1) * sqrt(1 / i)
    bias, running_mean              (2u - 1) * 0.2
    other weight (norms), running_var   0.5 + u
    anything else (inputs)          2u - 1

computed in float64, then rounded to float32 (returned as float64 holding float32 values).
"""
import zlib

import torch


def u(name, n):
    i = torch.arange(n, dtype=torch.int64)
    return ((zlib.crc32(name.encode()) + i * 2654435761) % (1 << 32)).to(torch.float64) / float(1 << 32)


def synthetic(name, shape):
    n = 1
    for d in shape:
        n *= d
    v = u(name, n)
    if name.endswith("num_batches_tracked"):
        raise ValueError(name + ": integer buffers have no synthetic value")
    if len(shape) == 4 and name.endswith("weight"):
        v = (2 * v - 1) * (6.0 / (shape[1] * shape[2] * shape[3])) ** 0.5
    elif len(shape) == 2 and name.endswith("weight"):
        v = (2 * v - 1) * (1.0 / shape[1]) ** 0.5
    elif name.endswith(("bias", "running_mean")):
        v = (2 * v - 1) * 0.2
    elif name.endswith(("weight", "running_var")):
        v = 0.5 + v
    else:
        v = 2 * v - 1
    return v.to(torch.float32).to(torch.float64).reshape(shape)
