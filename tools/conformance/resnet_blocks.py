#!/usr/bin/python3
"""Writes PyTorch reference vectors of torchvision's ResNet blocks (ResNetBlock in org.autoprop.blocks).

    /usr/bin/python3 tools/conformance/resnet_blocks.py

writes src/test/resources/conformance/resnet_<case>.safetensors: the block's state dict under
`state.` (torchvision's names; `num_batches_tracked` as int64, set to 7),
with random affine parameters and running statistics; `x`; the training-mode output `y`, `gy`,
the input gradient `gx` and every parameter gradient `grad.NAME`; the running statistics after
that forward `after.NAME` (the counts 8); and the evaluation-mode output `y_eval` (of the updated statistics).
Math in float64 on float32 values, stored as float32. Needs Debian's python3-torch and
python3-torchvision (0.14).
Metadata: `kind` (basic, bottleneck), `in`, `planes`, `stride`, `groups`, `base_width`.
"""
import os
import sys
import zlib

import torch
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, rand, save  # noqa: E402


def case(name, kind, cin, planes, shape, stride=1, groups=1, base_width=64):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    block_type = BasicBlock if kind == "basic" else Bottleneck
    out = planes * block_type.expansion
    downsample = None
    if stride != 1 or cin != out:
        downsample = torch.nn.Sequential(conv1x1(cin, out, stride), torch.nn.BatchNorm2d(out))
    extra = {} if kind == "basic" else {"groups": groups, "base_width": base_width}
    block = block_type(cin, planes, stride, downsample, **extra).double()
    state = {}
    with torch.no_grad():
        for k, v in block.state_dict().items():
            if k.endswith("num_batches_tracked"):
                v.fill_(7)  # an int64 count, as torchvision writes it; the training forward makes it 8
                state["state." + k] = v.clone()
                continue
            if k.endswith("running_var"):
                v.copy_(f32(torch.rand(v.shape, generator=g, dtype=torch.float64) + 0.5))
            elif k.endswith(("bn1.weight", "bn2.weight", "bn3.weight", "downsample.1.weight")):
                v.copy_(f32(torch.rand(v.shape, generator=g, dtype=torch.float64) + 0.5))
            else:
                v.copy_(rand(g, *v.shape) * (0.5 if v.dim() == 4 else 1.0))
            state["state." + k] = v.clone()
    x = rand(g, *shape).requires_grad_(True)
    block.train()
    y = block(x)
    gy = rand(g, *y.shape)
    (y * gy).sum().backward()
    tensors = dict(state)
    tensors.update({"x": x.detach(), "y": y.detach(), "gy": gy, "gx": x.grad})
    for k, p in block.named_parameters():
        tensors["grad." + k] = p.grad
    for k, v in block.state_dict().items():
        if "running" in k or k.endswith("num_batches_tracked"):
            tensors["after." + k] = v.clone()
    block.eval()
    with torch.no_grad():
        tensors["y_eval"] = block(x.detach())
    save(name, tensors, {"kind": kind, "in": cin, "planes": planes, "stride": stride, "groups": groups,
                         "base_width": base_width, "torch": torch.__version__})


def main():
    case("resnet_basic_identity", "basic", 4, 4, (2, 4, 6, 6))
    case("resnet_basic_downsample", "basic", 3, 5, (2, 3, 7, 7), stride=2)
    case("resnet_bottleneck_downsample", "bottleneck", 4, 2, (2, 4, 6, 6))
    case("resnet_bottleneck_resnext", "bottleneck", 8, 2, (2, 8, 7, 7), stride=2, groups=2, base_width=64)
    case("resnet_bottleneck_identity_wide", "bottleneck", 8, 2, (1, 8, 5, 5), base_width=128)


if __name__ == "__main__":
    main()
