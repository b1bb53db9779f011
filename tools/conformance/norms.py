#!/usr/bin/python3
"""Writes the LayerNorm and RMSNorm conformance vectors into src/test/resources/conformance/.

Run from the repository root with /usr/bin/python3 (torch 1.13): the files it writes are committed,
so the Java tests (LayerNormTest, RMSNormTest) need no Python. Follows
src/test/resources/conformance/README.md: inputs are exact float32 values, everything is computed in
float64 and stored as float32; the loss is sum(y * gy).

- layernorm_last: torch.nn.LayerNorm(8) on [2, 5, 8], random weight and bias
- layernorm_last2: torch.nn.LayerNorm([5, 8]) on [2, 5, 8], random weight and bias
- layernorm_noaffine: torch.nn.LayerNorm(8, elementwise_affine=False) on [2, 5, 8]
- rmsnorm_last, rmsnorm_last2: RMSNorm as PyTorch 2.4's nn.RMSNorm (torch 1.13 has none), written
  here in float64: y = x * rsqrt(mean(x^2 over the normalized axes) + eps) * weight, with eps
  torch.finfo(torch.float32).eps (nn.RMSNorm's eps=None on float32 input) and 1e-6.
"""
import json
import os
import struct

import numpy as np
import torch

OUT = os.path.join("src", "test", "resources", "conformance")


def f32(t):
    return t.detach().to(torch.float32).contiguous().numpy()


def write(name, tensors, meta):
    header = {"__metadata__": {k: str(v) for k, v in meta.items()}}
    blobs = []
    offset = 0
    for key, value in tensors.items():
        arr = np.ascontiguousarray(f32(value) if isinstance(value, torch.Tensor) else value, dtype="<f4")
        data = arr.tobytes()
        header[key] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def exact(shape, gen, lo=-2.0, hi=2.0):
    """Uniform float32 values, as float64."""
    return (torch.rand(shape, generator=gen, dtype=torch.float64) * (hi - lo) + lo).float().double()


def layer_norm(name, normalized, affine, seed):
    gen = torch.Generator().manual_seed(seed)
    x = exact((2, 5, 8), gen, -1.0, 3.0).requires_grad_(True)
    gy = exact((2, 5, 8), gen)
    ln = torch.nn.LayerNorm(normalized, eps=1e-5, elementwise_affine=affine).double()
    tensors = {}
    if affine:
        with torch.no_grad():
            ln.weight.copy_(exact(ln.weight.shape, gen, 0.5, 1.5))
            ln.bias.copy_(exact(ln.bias.shape, gen))
    y = ln(x)
    (y * gy).sum().backward()
    tensors.update({"x": x, "y": y, "gy": gy, "gx": x.grad})
    if affine:
        tensors.update({"weight": ln.weight, "bias": ln.bias, "grad.weight": ln.weight.grad, "grad.bias": ln.bias.grad})
    write(name, tensors, {"kind": "layernorm", "normalized_shape": ",".join(map(str, normalized)),
                          "eps": 1e-5, "elementwise_affine": str(affine).lower()})


def rms_norm(name, normalized, eps, seed):
    gen = torch.Generator().manual_seed(seed)
    x = exact((2, 5, 8), gen).requires_grad_(True)
    gy = exact((2, 5, 8), gen)
    weight = exact(tuple(normalized), gen, 0.5, 1.5).requires_grad_(True)
    dims = tuple(range(-len(normalized), 0))
    y = x * torch.rsqrt(x.pow(2).mean(dims, keepdim=True) + eps) * weight
    (y * gy).sum().backward()
    write(name, {"x": x, "y": y, "gy": gy, "gx": x.grad, "weight": weight, "grad.weight": weight.grad},
          {"kind": "rmsnorm", "normalized_shape": ",".join(map(str, normalized)), "eps": repr(eps)})


def main():
    layer_norm("layernorm_last", [8], True, 1)
    layer_norm("layernorm_last2", [5, 8], True, 2)
    layer_norm("layernorm_noaffine", [8], False, 3)
    rms_norm("rmsnorm_last", [8], float(torch.finfo(torch.float32).eps), 4)
    rms_norm("rmsnorm_last2", [5, 8], 1e-6, 5)


if __name__ == "__main__":
    main()
