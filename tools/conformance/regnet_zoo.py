#!/usr/bin/python3
"""Writes the torchvision-parity vectors of RegNetBlock (org.autoprop.blocks) and RegNet
(org.autoprop.zoo): src/test/resources/conformance/zoo_regnet.safetensors.

    /usr/bin/python3 tools/conformance/regnet_zoo.py

The format is zoo_case.py's. Full size (names and parameter counts): regnet_y_400mf, regnet_y_800mf,
regnet_x_400mf, regnet_x_800mf with 10 classes (the names and shapes pin the
stage settings that torchvision's BlockParams.from_init_params computes). Small model `regnet_narrow`:
torchvision's RegNet(BlockParams(depths=[1, 2], widths=[8, 16], group_widths=[4, 8],
bottleneck_multipliers=[1, 1], strides=[2, 2], se_ratio=0.25), num_classes=5, stem_width=8) on
[3, 3, 24, 24]. Blocks: `identity_se` ResBottleneckBlock(8, 8, stride 1, group width 4, bottleneck
1, se_ratio 0.25) and `proj` ResBottleneckBlock(4, 8, stride 2, group width 2, bottleneck 0.5, no
SE), on [2, C, 5, 6]. Metadata `models`, `small`, `blocks` list the keys. Needs Debian's
python3-torch and python3-torchvision (0.14).
"""
import os
import sys

import torch
import torchvision
from torchvision.models import regnet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import save  # noqa: E402
from zoo_case import block_case, full_size, model_case  # noqa: E402

MODELS = ["regnet_y_400mf", "regnet_y_800mf", "regnet_x_400mf", "regnet_x_800mf"]


def main():
    tensors = {}
    meta = {"models": ",".join(MODELS), "small": "regnet_narrow", "blocks": "identity_se,proj"}
    for key in MODELS:
        full_size(meta, key, getattr(torchvision.models, key)(num_classes=10))
    params = regnet.BlockParams(depths=[1, 2], widths=[8, 16], group_widths=[4, 8], bottleneck_multipliers=[1, 1],
                                strides=[2, 2], se_ratio=0.25)
    small = regnet.RegNet(params, num_classes=5, stem_width=8)
    model_case(tensors, meta, "regnet_narrow", small, (3, 3, 24, 24), [1, 4, 0])
    bn, relu = torch.nn.BatchNorm2d, torch.nn.ReLU
    block_case(tensors, "identity_se", regnet.ResBottleneckBlock(8, 8, 1, bn, relu, 4, 1.0, 0.25), (2, 8, 5, 6))
    block_case(tensors, "proj", regnet.ResBottleneckBlock(4, 8, 2, bn, relu, 2, 0.5, None), (2, 4, 5, 6))
    save("zoo_regnet", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


if __name__ == "__main__":
    main()
