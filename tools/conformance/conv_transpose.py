#!/usr/bin/python3
"""Writes the PyTorch reference vectors of ConvTranspose2D.

    /usr/bin/python3 tools/conformance/conv_transpose.py

writes src/test/resources/conformance/convtranspose2d_*.safetensors (the folder's README describes
the format and the tensor names): nn.ConvTranspose2d (F.conv_transpose2d) on [N, C, H, W], weight
[in, out/groups, kh, kw]. Math in float64 on inputs that are exact float32 values; stored as float32.
Tests read the files only (ConvTranspose2DTest); Python is not needed to run them. Needs Debian's
python3-torch (1.13).

Metadata: the layer's settings, comma-separated per axis (h,w): kernel, stride, padding,
output_padding, dilation; in_channels, out_channels, groups, bias.
"""
import os
import sys
import zlib

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import axes, layer_case, rand  # noqa: E402  (the same file format and helpers)


def conv_transpose(name, cin, cout, k, shape, stride=1, padding=0, output_padding=0, dilation=1, groups=1,
                   bias=True):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()) + 5)
    ks = k if isinstance(k, tuple) else (k, k)
    x = rand(g, *shape)
    w = rand(g, cin, cout // groups, *ks)
    params = {"weight": w}
    if bias:
        params["bias"] = rand(g, cout)
    layer_case(name, lambda x, p: F.conv_transpose2d(x, p["weight"], p.get("bias"), stride, padding,
                                                     output_padding, groups, dilation), x, params,
               {"kind": "convtranspose2d", "layer": "ConvTranspose2D", "in_channels": cin, "out_channels": cout,
                "kernel": axes(ks, 2), "stride": axes(stride, 2), "padding": axes(padding, 2),
                "output_padding": axes(output_padding, 2), "dilation": axes(dilation, 2), "groups": groups,
                "bias": str(bias).lower()})


def main():
    conv_transpose("convtranspose2d_k3_s2_op1", 3, 4, 3, (2, 3, 4, 5), stride=2, padding=1, output_padding=1)
    conv_transpose("convtranspose2d_k3_p1", 4, 3, 3, (2, 4, 5, 6), padding=1)
    conv_transpose("convtranspose2d_k3_d2_p1", 2, 3, 3, (2, 2, 4, 4), padding=1, dilation=2)
    conv_transpose("convtranspose2d_k3_s2_g2", 4, 6, 3, (2, 4, 3, 4), stride=2, groups=2)
    conv_transpose("convtranspose2d_k4_s2_p1_dcgan", 6, 4, 4, (2, 6, 4, 4), stride=2, padding=1)
    conv_transpose("convtranspose2d_k23_s21_p10_op10", 3, 2, (2, 3), (2, 3, 3, 5), stride=(2, 1), padding=(1, 0),
                   output_padding=(1, 0))
    conv_transpose("convtranspose2d_k3_s3_p2_op2_nobias", 3, 2, 3, (1, 3, 3, 3), stride=3, padding=2,
                   output_padding=2, bias=False)
    # Output padding 1 at stride 1: allowed because it is below the dilation 2.
    conv_transpose("convtranspose2d_k2_d2_op1_depthwise", 3, 6, 2, (2, 3, 3, 4), dilation=2, output_padding=1,
                   groups=3)
    conv_transpose("convtranspose2d_wide_k3_s2_p1_op1", 16, 12, 3, (2, 16, 5, 5), stride=2, padding=1,
                   output_padding=1)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    main()
