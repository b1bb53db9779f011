#!/usr/bin/python3
"""Writes the PyTorch reference vectors of the 1-D and 3-D layers.

    /usr/bin/python3 tools/conformance/conv_nd.py

writes src/test/resources/conformance/<name>.safetensors (the folder's README describes the
format and the tensor names). Math in float64 on inputs that are exact float32 values; stored as
float32. Tests read the files only; Python is not needed to run them. Needs Debian's python3-torch (1.13).

Files (metadata: the layer's settings, comma-separated per axis):
  conv1d_*   nn.Conv1d on [N, C, L]       (Conv1DTest)
  conv3d_*   nn.Conv3d on [N, C, D, H, W] (Conv3DTest)
  batchnorm3d_train, batchnorm3d_eval   nn.BatchNorm3d(3) on [2, 3, 3, 4, 5]; running stats start at
             random values, after.running_* hold them after the forward (BatchNorm3DTest)
  pool1d_*, pool3d_*   MaxPool/AvgPool 1d and 3d with kernel, stride, padding, ceil_mode and
             count_include_pad (PoolNDTest)
  adaptive1d_*, adaptive3d_*   AdaptiveAvgPool1d/3d; output size 1 is the global pool (PoolNDTest)
"""
import json
import os
import struct
import zlib

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "src", "test", "resources", "conformance"))


def save(name, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach()
        if t.dtype == torch.int64:  # counters such as BatchNorm's num_batches_tracked stay integers
            raw, dtype = t.contiguous().numpy().astype("<i8").tobytes(), "I64"
        else:
            raw, dtype = t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes(), "F32"
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print(name, sorted(tensors))


def f32(t):
    """Rounds to float32 values, back in float64 for exact reference math."""
    return t.to(torch.float32).to(torch.float64)


def rand(g, *shape):
    return f32(torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1)


def layer_case(name, fn, x, params, metadata, buffers=None):
    """Runs fn(x, params) forward and backward with loss sum(y * gy); saves x, params, y, gy, gx, grad.*."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    xs = x.clone().requires_grad_(True)
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    y = fn(xs, ps)
    gy = rand(g, *y.shape)
    (y * gy).sum().backward()
    out = {"x": x, "y": y, "gy": gy, "gx": xs.grad}
    for k, v in params.items():
        out[k] = v
        out["grad." + k] = ps[k].grad
    out.update(buffers or {})
    save(name, out, dict(metadata, torch=torch.__version__))


def axes(v, n):
    return ",".join(str(i) for i in (v if isinstance(v, tuple) else (v,) * n))


def conv(dims, name, cin, cout, k, shape, stride=1, padding=0, dilation=1, groups=1, bias=True):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 1)
    ks = k if isinstance(k, tuple) else (k,) * dims
    x = rand(g, *shape)
    w = rand(g, cout, cin // groups, *ks)
    params = {"weight": w}
    if bias:
        params["bias"] = rand(g, cout)
    f = F.conv1d if dims == 1 else F.conv3d
    layer_case(name, lambda x, p: f(x, p["weight"], p.get("bias"), stride, padding, dilation, groups), x, params,
               {"kind": "conv%dd" % dims, "layer": "Conv%dD" % dims, "in_channels": cin, "out_channels": cout,
                "kernel": axes(ks, dims), "stride": axes(stride, dims),
                "padding": padding if isinstance(padding, str) else axes(padding, dims),
                "dilation": axes(dilation, dims), "groups": groups, "bias": str(bias).lower()})


def conv1d():
    conv(1, "conv1d_k3_p1", 3, 4, 3, (2, 3, 9), padding=1)
    conv(1, "conv1d_k5_s2_p2_d2_g2_nobias", 4, 6, 5, (2, 4, 13), stride=2, padding=2, dilation=2, groups=2,
         bias=False)
    conv(1, "conv1d_depthwise_multiplier2_same", 3, 6, 3, (2, 3, 8), padding="same", groups=3)
    conv(1, "conv1d_pointwise", 5, 3, 1, (3, 5, 7))
    conv(1, "conv1d_wide_same", 16, 8, 3, (2, 16, 11), padding="same")
    conv(1, "conv1d_wide_s2", 16, 6, 4, (2, 16, 12), stride=2, padding=1)


def conv3d():
    conv(3, "conv3d_k3_p1", 2, 3, 3, (2, 2, 4, 5, 6), padding=1)
    conv(3, "conv3d_k3_s2_p1_nobias", 3, 4, 3, (2, 3, 5, 6, 5), stride=2, padding=1, bias=False)
    conv(3, "conv3d_k233_mixed", 4, 6, (2, 3, 3), (2, 4, 7, 6, 7), stride=(1, 2, 1), padding=(1, 0, 2),
         dilation=(2, 1, 2), groups=2)
    conv(3, "conv3d_depthwise_same", 4, 8, 3, (1, 4, 4, 5, 5), padding="same", groups=4)
    conv(3, "conv3d_wide", 16, 4, 3, (2, 16, 3, 4, 5), padding=1)
    conv(3, "conv3d_s2_dilated_depth", 2, 3, (3, 2, 2), (2, 2, 9, 5, 4), stride=(2, 1, 2), dilation=(3, 1, 1),
         padding=(2, 1, 0))


def batchnorm3d():
    for mode in ("train", "eval"):
        name = "batchnorm3d_" + mode
        g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 4)  # not layer_case's stream (gy)
        x = f32(torch.rand(2, 3, 3, 4, 5, generator=g) * 4 - 1)
        bn = torch.nn.BatchNorm3d(3)
        with torch.no_grad():
            bn.running_mean.copy_(rand(g, 3))
            bn.running_var.copy_(f32(torch.rand(3, generator=g) + 0.5))
        before = {"running_mean": bn.running_mean.clone(), "running_var": bn.running_var.clone()}
        bn.train(mode == "train")

        def fn(x, p):
            return F.batch_norm(x, bn.running_mean, bn.running_var, p["weight"], p["bias"], mode == "train", 0.1, 1e-5)
        params = {"weight": f32(torch.rand(3, generator=g) + 0.5), "bias": rand(g, 3)}
        layer_case(name, fn, x, params, {"kind": "batchnorm3d", "layer": "BatchNorm3D", "mode": mode,
                                         "momentum": 0.1, "eps": 1e-5},
                   dict(before, **{"after.running_mean": bn.running_mean, "after.running_var": bn.running_var}))


def pool(dims, name, mode, shape, k, stride=None, padding=0, ceil=False, count_include_pad=True):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 2)
    x = rand(g, *shape)
    if mode == "max":
        f = F.max_pool1d if dims == 1 else F.max_pool3d
        fn = lambda x, p: f(x, k, stride, padding, 1, ceil)
    else:
        f = F.avg_pool1d if dims == 1 else F.avg_pool3d
        fn = lambda x, p: f(x, k, stride, padding, ceil, count_include_pad)
    layer_case(name, fn, x, {}, {"kind": "pool%dd" % dims, "mode": mode, "kernel": axes(k, dims),
                                 "stride": axes(stride if stride is not None else k, dims),
                                 "padding": axes(padding, dims), "ceil_mode": str(ceil).lower(),
                                 "count_include_pad": str(count_include_pad).lower()})


def pools():
    pool(1, "pool1d_max_k3_s2_p1", "max", (2, 3, 10), 3, 2, 1)
    pool(1, "pool1d_max_k2_ceil", "max", (2, 2, 9), 2, ceil=True)
    pool(1, "pool1d_avg_k3_s2_p1_ceil_nopad", "avg", (2, 3, 10), 3, 2, 1, ceil=True, count_include_pad=False)
    pool(1, "pool1d_avg_k4_s3_p2_ceil", "avg", (1, 2, 11), 4, 3, 2, ceil=True)
    pool(1, "pool1d_avg_k2", "avg", (2, 3, 8), 2)
    pool(3, "pool3d_max_k2", "max", (2, 2, 4, 6, 5), 2)
    pool(3, "pool3d_max_k233_s221_p110_ceil", "max", (2, 2, 5, 7, 6), (2, 3, 3), (2, 2, 1), (1, 1, 0), ceil=True)
    pool(3, "pool3d_max_k3_s2_p1", "max", (1, 3, 5, 6, 7), 3, 2, 1)
    pool(3, "pool3d_avg_k3_s2_p1_nopad", "avg", (2, 2, 5, 6, 5), 3, 2, 1, count_include_pad=False)
    pool(3, "pool3d_avg_k2_ceil", "avg", (1, 2, 5, 5, 7), 2, ceil=True)
    pool(3, "pool3d_avg_k3_s233_p011_ceil_nopad", "avg", (2, 2, 5, 7, 5), 3, (2, 3, 3), (0, 1, 1), ceil=True,
         count_include_pad=False)
    pool(3, "pool3d_avg_k322_s211_p100_ceil", "avg", (2, 2, 6, 4, 5), (3, 2, 2), (2, 1, 1), (1, 0, 0), ceil=True)


def adaptive():
    def case(dims, name, shape, out):
        g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 3)
        f = F.adaptive_avg_pool1d if dims == 1 else F.adaptive_avg_pool3d
        layer_case(name, lambda x, p: f(x, out), rand(g, *shape), {},
                   {"kind": "adaptive%dd" % dims, "output_size": axes(out, dims)})
    case(1, "adaptive1d_3", (2, 3, 8), 3)
    case(1, "adaptive1d_5_of_7", (2, 2, 7), 5)
    case(1, "adaptive1d_global", (2, 3, 9), 1)
    case(3, "adaptive3d_2x3x2", (2, 3, 5, 7, 4), (2, 3, 2))
    case(3, "adaptive3d_3x1x4", (1, 2, 4, 5, 6), (3, 1, 4))
    case(3, "adaptive3d_global", (2, 3, 3, 4, 5), 1)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    conv1d()
    conv3d()
    batchnorm3d()
    pools()
    adaptive()
