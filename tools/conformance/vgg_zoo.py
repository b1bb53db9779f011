#!/usr/bin/python3
"""Writes the torchvision-parity vectors of the VGG zoo (org.autoprop.zoo.VGG and AlexNet).

    /usr/bin/python3 tools/conformance/vgg_zoo.py

Weights are not stored: every state-dict entry and the input are a formula of their name
(synthetic.py; its Java twin is org.autoprop.testing.SyntheticWeights). Writes
src/test/resources/conformance/zoo_vgg.safetensors: for each model M of `models` (metadata),
`M.names` (metadata: `name:d0xd1...` of every state-dict entry, sorted),
`M.params` (metadata: the parameter count), and for the models run, `M.x` and the logits `M.eval`
(evaluation mode), computed in float64. Training mode draws dropout masks, which no two libraries
share, so it is compared only where dropout is 0: `vgg_small_bn` (two stages [8], [16, 16], a
32-wide classifier, dropout 0) also has `M.train` (batch statistics).
Needs Debian's python3-torch and python3-torchvision (0.14).
"""
import os
import sys

import torch
import torchvision
from torchvision.models import vgg

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import save  # noqa: E402
from synthetic import synthetic  # noqa: E402


def vgg_small_bn():
    model = vgg.VGG(vgg.make_layers([8, "M", 16, 16, "M"], batch_norm=True), num_classes=10, dropout=0.0)
    nn = torch.nn
    model.classifier = nn.Sequential(nn.Linear(16 * 7 * 7, 32), nn.ReLU(True), nn.Dropout(0.0),
                                     nn.Linear(32, 32), nn.ReLU(True), nn.Dropout(0.0), nn.Linear(32, 10))
    return model


M = torchvision.models
MODELS = {
    "vgg11": lambda: M.vgg11(num_classes=10),
    "vgg13": lambda: M.vgg13(num_classes=10),
    "vgg16": lambda: M.vgg16(num_classes=10),
    "vgg19": lambda: M.vgg19(num_classes=10),
    "vgg11_bn": lambda: M.vgg11_bn(num_classes=10),
    "vgg13_bn": lambda: M.vgg13_bn(num_classes=10),
    "vgg16_bn": lambda: M.vgg16_bn(num_classes=10),
    "vgg19_bn": lambda: M.vgg19_bn(num_classes=10),
    "alexnet": lambda: M.alexnet(num_classes=10),
    "vgg_small_bn": vgg_small_bn,
}
# 32x32 is VGG's smallest input (five 2x2 pools), 63x63 AlexNet's (its last 3x3 pool).
RUN = {"vgg11": (2, 3, 32, 32), "vgg11_bn": (2, 3, 32, 32), "alexnet": (2, 3, 64, 64),
       "vgg_small_bn": (2, 3, 32, 32)}
TRAIN = {"vgg_small_bn"}


def main():
    tensors = {}
    meta = {"models": ",".join(MODELS)}
    for key, make in MODELS.items():
        model = make()
        state = model.state_dict()
        meta[key + ".names"] = ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items()))
        meta[key + ".params"] = sum(p.numel() for p in model.parameters())
        if key not in RUN:
            continue
        model = model.double()
        model.load_state_dict({k: synthetic(k, tuple(v.shape)) for k, v in state.items()
                               if not k.endswith("num_batches_tracked")}, strict=False)
        x = synthetic("x", RUN[key])
        model.eval()
        with torch.no_grad():
            tensors[key + ".eval"] = model(x)
            if key in TRAIN:
                model.train()
                tensors[key + ".train"] = model(x)
        tensors[key + ".x"] = x
    save("zoo_vgg", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


if __name__ == "__main__":
    main()
