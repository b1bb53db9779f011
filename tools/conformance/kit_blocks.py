#!/usr/bin/python3
"""Writes the PyTorch reference vectors of LpPool1D/2D/3D (issue 14, the rest of Luma's kit).

    /usr/bin/python3 tools/conformance/kit_blocks.py

writes src/test/resources/conformance/<name>.safetensors (format: the folder's README). Math in
float64 on inputs that are exact float32 values; stored as float32. Needs Debian's python3-torch (1.13).

Files (metadata: the settings, comma-separated per axis):
  lppool1d_*, lppool2d_*   F.lp_pool1d / F.lp_pool2d (nn.LPPool1d / 2d)
  lppool3d_*   PyTorch 2.2's LPPool3d formula, which 1.13 lacks, written with F.avg_pool3d:
               (sign(a) * relu(|a|) * K)^(1/p), a = avg_pool3d(x^p, kernel, stride, 0, ceil_mode)
  Cases named *_zeros hold an all-zero window: its gradient is 0 (sign(0) = 0, relu'(0) = 0).
"""
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import axes, f32, layer_case  # noqa: E402


def lp_pool3d(x, p, k, stride, ceil):
    a = F.avg_pool3d(x.pow(p), k, stride, 0, ceil)
    ks = k if isinstance(k, tuple) else (k,) * 3
    return (torch.sign(a) * F.relu(torch.abs(a))).mul(ks[0] * ks[1] * ks[2]).pow(1.0 / p)


def lppool(dims, name, p, shape, k, stride=None, ceil=False, positive=False, zeros=False):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 5)
    x = torch.rand(*shape, generator=g, dtype=torch.float64)
    x = f32(x + 0.1 if positive else x * 2 - 1)
    if zeros:
        x[..., : (k if isinstance(k, int) else k[-1])] = 0  # the first window along the last axis is all 0
    s = stride if stride is not None else k
    if dims == 1:
        fn = lambda x, q: F.lp_pool1d(x, p, k, s, ceil)
    elif dims == 2:
        fn = lambda x, q: F.lp_pool2d(x, p, k, s, ceil)
    else:
        fn = lambda x, q: lp_pool3d(x, p, k, s, ceil)
    layer_case(name, fn, x, {}, {"kind": "lppool%dd" % dims, "norm_type": p, "kernel": axes(k, dims),
                                 "stride": axes(s, dims), "ceil_mode": str(ceil).lower()})


def lppools():
    lppool(1, "lppool1d_p2_k3_s2", 2.0, (2, 3, 9), 3, 2)
    lppool(1, "lppool1d_p3_k2_ceil", 3.0, (2, 2, 9), 2, ceil=True, positive=True)
    lppool(1, "lppool1d_p1_k4_s3_ceil", 1.0, (1, 2, 11), 4, 3, ceil=True)
    lppool(1, "lppool1d_p2_k2_zeros", 2.0, (2, 2, 6), 2, zeros=True)
    lppool(2, "lppool2d_p2_k23_s12", 2.0, (2, 2, 5, 7), (2, 3), (1, 2))
    lppool(2, "lppool2d_p1.5_k2_ceil", 1.5, (1, 3, 5, 5), 2, ceil=True, positive=True)
    lppool(3, "lppool3d_p2_k2", 2.0, (2, 2, 4, 5, 4), 2)
    lppool(3, "lppool3d_p3_k322_s211_ceil", 3.0, (1, 2, 5, 4, 5), (3, 2, 2), (2, 1, 1), ceil=True, positive=True)
    lppool(3, "lppool3d_p2_k2_zeros", 2.0, (1, 2, 2, 2, 4), 2, zeros=True)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    lppools()
