#!/usr/bin/python3
"""Writes the torchvision-parity vectors of ConvNeXtBlock (org.autoprop.blocks) and ConvNeXt
(org.autoprop.zoo): src/test/resources/conformance/zoo_convnext.safetensors.

    /usr/bin/python3 tools/conformance/convnext_zoo.py

The format is zoo_case.py's. Full size (names and parameter counts): convnext_tiny, convnext_small
with 10 classes. Small model `convnext_narrow`: torchvision's
ConvNeXt(block_setting=[CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 2)], num_classes=5,
layer_scale=0.5) on [2, 3, 16, 16] (stochastic depth 0, so training is deterministic). Blocks:
`v1` torchvision's CNBlock(8, layer_scale=1e-6, 0.0) on [2, 8, 5, 6] (synthetic weights replace the
layer scale) and `v2` ConvNeXt V2's Block composed here of torch.nn modules with the official names
(GRN's parameters [1, 4C, 1, 1], ConvNeXtBlock.v2's layout) on [2, 4, 5, 6].
Metadata `models`, `small`, `blocks` list the keys. Needs Debian's python3-torch and
python3-torchvision (0.14).
"""
import os
import sys

import torch
import torchvision
from torchvision.models.convnext import CNBlock, CNBlockConfig, ConvNeXt

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import save  # noqa: E402
from zoo_case import block_case, full_size, model_case  # noqa: E402


class GRN(torch.nn.Module):
    """ConvNeXt V2's global response norm, channels-first: gamma (x Nx) + beta + x."""

    def __init__(self, dim):
        super().__init__()
        self.gamma = torch.nn.Parameter(torch.zeros(1, dim, 1, 1))
        self.beta = torch.nn.Parameter(torch.zeros(1, dim, 1, 1))

    def forward(self, x):
        gx = torch.norm(x, p=2, dim=(2, 3), keepdim=True)
        nx = gx / (gx.mean(dim=1, keepdim=True) + 1e-6)
        return self.gamma * (x * nx) + self.beta + x


class BlockV2(torch.nn.Module):
    """ConvNeXt V2's Block: dwconv, LayerNorm (channels-last), pwconv1, GELU, GRN, pwconv2, + x."""

    def __init__(self, dim):
        super().__init__()
        self.dwconv = torch.nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = torch.nn.LayerNorm(dim, eps=1e-6)
        self.pwconv1 = torch.nn.Linear(dim, 4 * dim)
        self.act = torch.nn.GELU()
        self.grn = GRN(4 * dim)
        self.pwconv2 = torch.nn.Linear(4 * dim, dim)

    def forward(self, x):
        h = self.norm(self.dwconv(x).permute(0, 2, 3, 1))
        h = self.act(self.pwconv1(h)).permute(0, 3, 1, 2)
        h = self.pwconv2(self.grn(h).permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        return x + h


def main():
    tensors = {}
    meta = {"models": "convnext_tiny,convnext_small", "small": "convnext_narrow",
            "blocks": "v1,v2"}
    for key in meta["models"].split(","):
        full_size(meta, key, getattr(torchvision.models, key)(num_classes=10))
    small = ConvNeXt([CNBlockConfig(8, 16, 1), CNBlockConfig(16, None, 2)], num_classes=5)
    model_case(tensors, meta, "convnext_narrow", small, (2, 3, 16, 16), [1, 4])
    block_case(tensors, "v1", CNBlock(8, 1e-6, 0.0), (2, 8, 5, 6))
    block_case(tensors, "v2", BlockV2(4), (2, 4, 5, 6))
    save("zoo_convnext", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


if __name__ == "__main__":
    main()
