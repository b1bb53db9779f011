#!/usr/bin/python3
"""Writes the reference vectors of ResNeStBlock (org.autoprop.blocks), the ResNet bottleneck with
timm's squeeze-and-excitation module, and SE-ResNet-50 (org.autoprop.zoo.ResNet.seResnet50):
src/test/resources/conformance/zoo_resnest.safetensors.

    /usr/bin/python3 tools/conformance/resnest_blocks.py

Neither is in torchvision 0.14; the modules are composed here of torch.nn from their published
definitions, with their authors' names:
  SplAtConv2d / Bottleneck   ResNeSt (Zhang et al. 2020), the authors' resnest.torch: conv, bn0, relu,
                             fc1, bn1, fc2, rsoftmax (radix > 1: view [N, K, R, -1], transpose, softmax
                             over R; radix 1: sigmoid); no anti-aliased downsampling (avd off), the
                             shortcut torchvision's conv 1x1 + batch norm.
  SEBottleneck, seresnet50   timm's ResNet with attn_layer="se": torchvision's Bottleneck with an SE
                             module (se.fc1, se.fc2: 1x1 convolutions with bias, hidden width
                             channels / 16 rounded to a multiple of 8, ReLU, sigmoid) after bn3.
  SKBottleneck               Luma's ResNetBlock Bottleneck_SK with its SKBlock2D (org.autoprop.blocks.SKBlock's
                             definition; branches with the block's stride).
The format is zoo_case.py's: blocks `radix2`, `radix2_card2_stride2`, `radix1` (batch 4: the
attention's batch norm normalises N values per channel, ill-conditioned at N = 2), `se_bottleneck`,
`sk_bottleneck` (stride 1, kernels 3, 5, reduction 2), `sk_bottleneck_stride2` (kernels 1, 3, groups 2);
full size `seresnet50` names and parameter count (10 classes). Needs Debian's python3-torch.
"""
import os
import sys

import torch
import torch.nn as nn
import torchvision
from torchvision.models.resnet import Bottleneck, ResNet

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import save  # noqa: E402
from zoo_case import block_case, full_size  # noqa: E402


class SplAtConv2d(nn.Module):
    def __init__(self, channels, stride, cardinality, radix, reduction=4, attention=None):
        super().__init__()
        inter = attention or max(channels * radix // reduction, 32)
        self.radix, self.cardinality, self.channels = radix, cardinality, channels
        self.conv = nn.Conv2d(channels, channels * radix, 3, stride, 1, groups=cardinality * radix, bias=False)
        self.bn0 = nn.BatchNorm2d(channels * radix)
        self.relu = nn.ReLU()
        self.fc1 = nn.Conv2d(channels, inter, 1, groups=cardinality)
        self.bn1 = nn.BatchNorm2d(inter)
        self.fc2 = nn.Conv2d(inter, channels * radix, 1, groups=cardinality)

    def forward(self, x):
        x = self.relu(self.bn0(self.conv(x)))
        n = x.shape[0]
        splits = torch.split(x, self.channels, dim=1) if self.radix > 1 else [x]
        gap = sum(splits) if self.radix > 1 else x
        gap = self.relu(self.bn1(self.fc1(nn.functional.adaptive_avg_pool2d(gap, 1))))
        att = self.fc2(gap)
        if self.radix > 1:
            att = att.view(n, self.cardinality, self.radix, -1).transpose(1, 2)
            att = torch.softmax(att, dim=1).reshape(n, -1, 1, 1)
        else:
            att = torch.sigmoid(att)
        atts = torch.split(att, self.channels, dim=1) if self.radix > 1 else [att]
        return sum(a * s for a, s in zip(atts, splits))


class ResNeStBottleneck(nn.Module):
    def __init__(self, inplanes, planes, stride=1, radix=2, cardinality=1, base_width=64, attention=None):
        super().__init__()
        w = int(planes * (base_width / 64.0)) * cardinality
        self.conv1 = nn.Conv2d(inplanes, w, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = SplAtConv2d(w, stride, cardinality, radix, attention=attention)
        self.conv3 = nn.Conv2d(w, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.relu = nn.ReLU()
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        y = self.bn3(self.conv3(self.conv2(self.relu(self.bn1(self.conv1(x))))))
        return self.relu(y + (x if self.downsample is None else self.downsample(x)))


class SEModule(nn.Module):
    """timm's SEModule: mean, fc1 (1x1 conv), ReLU, fc2, sigmoid; hidden max(8, int(C / 16 + 4) // 8 * 8)."""

    def __init__(self, channels):
        super().__init__()
        hidden = max(8, int(channels / 16 + 4) // 8 * 8)
        self.fc1 = nn.Conv2d(channels, hidden, 1)
        self.fc2 = nn.Conv2d(hidden, channels, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean((2, 3), keepdim=True)))))


class SEBottleneck(Bottleneck):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.se = SEModule(self.bn3.num_features)

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.se(self.bn3(self.conv3(out)))
        return self.relu(out + identity)


class SKBlock(nn.Module):
    """Luma's SKBlock2D as org.autoprop.blocks.SKBlock: branches conv(k, stride, padding k // 2, groups,
    bias) + batch norm + ReLU; fc on their sum: mean, 1x1 conv out -> out / r, ReLU, 1x1 conv -> B out;
    softmax over the B branches; the weighted sum of the branches."""

    def __init__(self, cin, cout, kernels, reduction, groups, stride):
        super().__init__()
        for i, k in enumerate(kernels):
            setattr(self, "branch_%d" % i, nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups),
                                                         nn.BatchNorm2d(cout), nn.ReLU()))
        self.fc = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(cout, cout // reduction, 1), nn.ReLU(),
                                nn.Conv2d(cout // reduction, cout * len(kernels), 1))
        self.kernels, self.cout = kernels, cout

    def forward(self, x):
        branches = [getattr(self, "branch_%d" % i)(x) for i in range(len(self.kernels))]
        w = torch.softmax(self.fc(sum(branches)).view(x.shape[0], len(self.kernels), self.cout), dim=1)
        return sum(b * w[:, i, :, None, None] for i, b in enumerate(branches))


class SKBottleneck(nn.Module):
    """Luma's Bottleneck_SK: conv1 1x1, bn1, ReLU, sk, conv3 1x1, bn3, + shortcut, ReLU."""

    def __init__(self, inplanes, planes, stride, kernels, reduction, groups):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.sk = SKBlock(planes, planes, kernels, reduction, groups, stride)
        self.conv3 = nn.Conv2d(planes, planes * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * 4)
        self.downsample = None
        if stride != 1 or inplanes != planes * 4:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes * 4, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes * 4))

    def forward(self, x):
        y = self.bn3(self.conv3(self.sk(torch.relu(self.bn1(self.conv1(x))))))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


def main():
    tensors = {}
    meta = {"models": "seresnet50", "blocks": "radix2,radix2_card2_stride2,radix1,se_bottleneck,sk_bottleneck,sk_bottleneck_stride2"}
    full_size(meta, "seresnet50", ResNet(SEBottleneck, [3, 4, 6, 3], num_classes=10))
    block_case(tensors, "radix2", ResNeStBottleneck(8, 2, attention=4), (4, 8, 5, 6))
    block_case(tensors, "radix2_card2_stride2", ResNeStBottleneck(6, 4, stride=2, cardinality=2, base_width=32,
                                                                  attention=6), (4, 6, 5, 6))
    block_case(tensors, "radix1", ResNeStBottleneck(4, 2, radix=1), (4, 4, 4, 5))
    block_case(tensors, "se_bottleneck", SEBottleneck(8, 4, stride=2, downsample=nn.Sequential(
        nn.Conv2d(8, 16, 1, 2, bias=False), nn.BatchNorm2d(16))), (2, 8, 5, 6))
    block_case(tensors, "sk_bottleneck", SKBottleneck(8, 2, 1, [3, 5], 2, 1), (2, 8, 5, 6))
    block_case(tensors, "sk_bottleneck_stride2", SKBottleneck(4, 4, 2, [1, 3], 2, 2), (2, 4, 5, 6))
    save("zoo_resnest", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


if __name__ == "__main__":
    main()
