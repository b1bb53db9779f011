#!/usr/bin/python3
"""Writes the torchvision-parity vectors of the ResNet zoo (org.autoprop.zoo.ResNet).

    /usr/bin/python3 tools/conformance/resnet_zoo.py

Weights are not stored: every state-dict entry and the input are a formula of their name
(synthetic.py; its Java twin is org.autoprop.testing.SyntheticWeights), so full-size models are
checked with a few kilobytes. Writes
src/test/resources/conformance/zoo_resnet.safetensors: for each model M of `models` (metadata),
`M.names` (metadata: `name:d0xd1...` of every state-dict entry, sorted; `num_batches_tracked` has
shape [] and no synthetic value: it stays 0),
`M.params` (metadata: the parameter count), and for the models run, `M.x` and the logits
`M.eval` (evaluation mode) and `M.train` (training mode: batch statistics), computed in float64,
and `M.train_f32_error` (metadata): the largest error of PyTorch's own float32 training logits.
Needs Debian's python3-torch and python3-torchvision (0.14).
"""
import os
import sys
import zlib

import torch
import torchvision

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import save  # noqa: E402
from synthetic import synthetic  # noqa: E402


def small_images(model, in_channels):
    model.conv1 = torch.nn.Conv2d(in_channels, 64, 3, 1, 1, bias=False)
    model.maxpool = torch.nn.Identity()
    return model


MODELS = {
    "resnet18": lambda: torchvision.models.resnet18(num_classes=10),
    "resnet34": lambda: torchvision.models.resnet34(num_classes=10),
    "resnet50": lambda: torchvision.models.resnet50(num_classes=10),
    "resnet101": lambda: torchvision.models.resnet101(num_classes=10),
    "resnet152": lambda: torchvision.models.resnet152(num_classes=10),
    "resnext50_32x4d": lambda: torchvision.models.resnext50_32x4d(num_classes=10),
    "wide_resnet50_2": lambda: torchvision.models.wide_resnet50_2(num_classes=10),
    "resnet18_small_1ch": lambda: small_images(torchvision.models.resnet18(num_classes=10), 1),
}
RUN = {"resnet18": (2, 3, 64, 64), "resnet50": (2, 3, 64, 64), "resnext50_32x4d": (2, 3, 64, 64),
       "resnet18_small_1ch": (2, 1, 16, 16)}


def main():
    tensors = {}
    meta = {"models": ",".join(MODELS)}
    for key, make in MODELS.items():
        model = make().double()
        state = model.state_dict()
        meta[key + ".names"] = ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items()))
        meta[key + ".params"] = sum(p.numel() for p in model.parameters())
        if key not in RUN:
            continue
        weights = {k: synthetic(k, tuple(v.shape)) for k, v in state.items() if not k.endswith("num_batches_tracked")}
        model.load_state_dict(weights, strict=False)
        x = synthetic("x", RUN[key])
        model.eval()
        with torch.no_grad():
            tensors[key + ".eval"] = model(x)
            model.train()
            tensors[key + ".train"] = model(x)
            # PyTorch's own float32 error in training mode: batch statistics over few values (batch
            # 2, 2x2 positions in layer4) amplify rounding in the deep models.
            model32 = make()
            model32.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
            model32.train()
            error = (model32(x.float()).double() - tensors[key + ".train"]).abs().max().item()
            meta[key + ".train_f32_error"] = repr(error)
        tensors[key + ".x"] = x
    save("zoo_resnet", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


if __name__ == "__main__":
    main()
