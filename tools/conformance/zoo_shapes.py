#!/usr/bin/python3
"""Writes the PyTorch reference vectors of the model zoo's shape and activation layers.

    /usr/bin/python3 tools/conformance/zoo_shapes.py

writes src/test/resources/conformance/<name>.safetensors (format: the folder's README). Math in
float64 on inputs that are exact float32 values; stored as float32. Needs Debian's python3-torch (1.13).
ZooShapesTest reads the files; DropPath is random and tested by its statistics there instead.

Files (metadata: the settings, comma-separated per axis):
  hardsigmoid_*   nn.Hardsigmoid; inputs include -3 and 3 exactly (gradient 0 there)
  mish_*          nn.Mish, on moderate and on large inputs
  channelshuffle_g*   nn.ChannelShuffle(groups); 1.13 has no derivative for it, so y and gx come
                  from the equivalent x.view(N, g, C/g, *).transpose(1, 2).reshape(x.shape)
                  (checked equal to nn.ChannelShuffle's forward here)
  zeropad2d_*     nn.ZeroPad2d; `padding` is left,right,top,bottom (negative crops)
  upsample_*      F.interpolate(x, size or scale_factor, mode, align_corners), recompute_scale_factor
                  None; metadata `mode`, `size` or `scale_factor` (h,w), `align_corners` (bilinear).
                  upsample_nearest_special has out == in on H and out == 2 in on W with scales
                  1.1 and 2.05 (PyTorch copies and halves there, ignoring the scale)
  adaptivemax2d_* nn.AdaptiveMaxPool2d(output_size); *_ties has inputs in {-1, 0, 1} and
                  overlapping windows: the gradient goes to the first maximum in row order
"""
import os
import sys
import zlib

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, layer_case  # noqa: E402


def gen(name, salt=7):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()) + salt)


def uniform(name, shape, lo=-1.0, hi=1.0):
    return f32(torch.rand(*shape, generator=gen(name), dtype=torch.float64) * (hi - lo) + lo)


def csv(v):
    return ",".join(str(i) for i in v)


def activations():
    x = uniform("hardsigmoid_wide", (4, 16), -5, 5)
    x.view(-1)[:6] = torch.tensor([-3.0, 3.0, -2.999, 2.999, -3.001, 3.001], dtype=torch.float64)
    layer_case("hardsigmoid_wide", lambda x, q: F.hardsigmoid(x), f32(x), {}, {"kind": "hardsigmoid"})
    layer_case("hardsigmoid_nchw", lambda x, q: F.hardsigmoid(x), uniform("hardsigmoid_nchw", (2, 3, 2, 3), -4, 4),
               {}, {"kind": "hardsigmoid"})
    layer_case("mish_moderate", lambda x, q: F.mish(x), uniform("mish_moderate", (4, 16), -5, 5), {}, {"kind": "mish"})
    x = uniform("mish_large", (3, 12), -40, 40)
    x.view(-1)[:6] = torch.tensor([-100.0, 100.0, -20.0, 20.0, 0.0, 19.5], dtype=torch.float64)
    layer_case("mish_large", lambda x, q: F.mish(x), x, {}, {"kind": "mish"})


def shuffle(x, g):
    n, c = x.shape[:2]
    return x.reshape(n, g, c // g, *x.shape[2:]).transpose(1, 2).reshape(x.shape)


def channel_shuffles():
    for name, g, shape in [("channelshuffle_g3", 3, (2, 6, 2, 3)), ("channelshuffle_g2_rank3", 2, (2, 4, 5)),
                           ("channelshuffle_g4_rank5", 4, (1, 8, 2, 1, 2)), ("channelshuffle_g1", 1, (1, 3, 2, 2))]:
        x = uniform(name, shape)
        assert torch.equal(nn.ChannelShuffle(g)(x), shuffle(x, g)), name
        layer_case(name, lambda x, q, g=g: shuffle(x, g), x, {}, {"kind": "channelshuffle", "groups": g})


def zero_pads():
    for name, pad, shape in [("zeropad2d_1", (1, 1, 1, 1), (2, 2, 3, 4)), ("zeropad2d_1203", (1, 2, 0, 3), (1, 2, 3, 3)),
                             ("zeropad2d_crop", (-1, 2, 1, -2), (1, 2, 4, 5))]:
        layer_case(name, lambda x, q, pad=pad: nn.ZeroPad2d(pad)(x), uniform(name, shape), {},
                   {"kind": "zeropad2d", "padding": csv(pad)})


def upsample(name, shape, mode, size=None, scale=None, align=None):
    meta = {"kind": "upsample", "mode": mode}
    if size is not None:
        meta["size"] = csv(size)
    else:
        meta["scale_factor"] = csv(scale)
    if align is not None:
        meta["align_corners"] = str(align).lower()
    fn = lambda x, q: F.interpolate(x, size=size, scale_factor=scale, mode=mode, align_corners=align)
    layer_case(name, fn, uniform(name, shape), {}, meta)


def upsamples():
    upsample("upsample_nearest_x2", (2, 2, 3, 4), "nearest", scale=(2.0, 2.0))
    upsample("upsample_nearest_1.5", (1, 2, 5, 4), "nearest", scale=(1.5, 1.5))
    upsample("upsample_nearest_special", (1, 1, 5, 10), "nearest", scale=(1.1, 2.05))
    upsample("upsample_nearest_down", (1, 2, 7, 10), "nearest", scale=(0.7, 0.45))
    upsample("upsample_nearest_size", (1, 2, 3, 4), "nearest", size=(7, 5))
    upsample("upsample_bilinear_x2", (2, 2, 3, 4), "bilinear", scale=(2.0, 2.0), align=False)
    upsample("upsample_bilinear_1.5", (1, 2, 5, 4), "bilinear", scale=(1.5, 1.5), align=False)
    upsample("upsample_bilinear_same", (1, 1, 5, 4), "bilinear", scale=(1.1, 2.5), align=False)
    upsample("upsample_bilinear_size", (1, 2, 4, 5), "bilinear", size=(5, 3), align=False)
    upsample("upsample_bilinear_align_scale", (1, 2, 4, 6), "bilinear", scale=(1.7, 0.6), align=True)
    upsample("upsample_bilinear_align_size", (1, 2, 3, 4), "bilinear", size=(7, 1), align=True)


def adaptive_max(name, shape, out, ties=False):
    x = uniform(name, shape)
    if ties:
        x = torch.round(x * 1.4)  # values in {-1, 0, 1}
    layer_case(name, lambda x, q: F.adaptive_max_pool2d(x, out), x, {},
               {"kind": "adaptivemax2d", "output_size": csv(out)})


def adaptive_maxes():
    adaptive_max("adaptivemax2d_2x3", (2, 3, 5, 7), (2, 3))
    adaptive_max("adaptivemax2d_3x4_of_7x5", (1, 2, 7, 5), (3, 4))
    adaptive_max("adaptivemax2d_up_5x6", (1, 2, 3, 4), (5, 6))
    adaptive_max("adaptivemax2d_global", (2, 2, 3, 5), (1, 1))
    adaptive_max("adaptivemax2d_ties", (1, 2, 5, 7), (3, 4), ties=True)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    activations()
    channel_shuffles()
    zero_pads()
    upsamples()
    adaptive_maxes()
