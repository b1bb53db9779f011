#!/usr/bin/python3
"""Writes the torchvision-parity vectors of ShuffleNetBlock (org.autoprop.blocks) and ShuffleNetV2
(org.autoprop.zoo): src/test/resources/conformance/zoo_shufflenet.safetensors.

    /usr/bin/python3 tools/conformance/shufflenet_zoo.py

The format is zoo_case.py's. Full size (names and parameter counts): shufflenet_v2_x0_5, _x1_0,
_x1_5, _x2_0 with 10 classes. Small model `shufflenet_narrow`: torchvision's
ShuffleNetV2([1, 2, 1], [4, 8, 12, 16, 20], num_classes=5) on [3, 3, 48, 48]. Blocks: torchvision's
InvertedResidual(6, 6, 1) (`stride1`) and InvertedResidual(4, 6, 2) (`stride2`) on [2, C, 5, 6].
Metadata `models`, `small`, `blocks` list the keys. Needs Debian's python3-torch and
python3-torchvision (0.14).
"""
import os
import sys

import torch
import torchvision
from torchvision.models.shufflenetv2 import InvertedResidual, ShuffleNetV2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import save  # noqa: E402
from zoo_case import block_case, full_size, model_case  # noqa: E402

MODELS = ["shufflenet_v2_x0_5", "shufflenet_v2_x1_0", "shufflenet_v2_x1_5", "shufflenet_v2_x2_0"]


def main():
    tensors = {}
    meta = {"models": ",".join(MODELS), "small": "shufflenet_narrow", "blocks": "stride1,stride2"}
    for key in MODELS:
        full_size(meta, key, getattr(torchvision.models, key)(num_classes=10))
    small = ShuffleNetV2([1, 2, 1], [4, 8, 12, 16, 20], num_classes=5)
    model_case(tensors, meta, "shufflenet_narrow", small, (3, 3, 48, 48), [1, 4, 2])
    block_case(tensors, "stride1", InvertedResidual(6, 6, 1), (2, 6, 5, 6))
    block_case(tensors, "stride2", InvertedResidual(4, 6, 2), (2, 4, 5, 6))
    save("zoo_shufflenet", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


if __name__ == "__main__":
    main()
