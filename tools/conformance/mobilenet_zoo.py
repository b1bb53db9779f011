#!/usr/bin/python3
"""Writes the torchvision-parity vectors of MobileNetBlock (org.autoprop.blocks) and MobileNetV2
(org.autoprop.zoo).

    /usr/bin/python3 tools/conformance/mobilenet_zoo.py

Blocks: src/test/resources/conformance/mobilenet_<case>.safetensors, as resnet_blocks.py: the
block's state dict under `state.` (torchvision's names; `num_batches_tracked` int64, set to 7) with random
affine parameters and running statistics; `x`; the training-mode output `y`, `gy`, the input
gradient `gx` and every parameter gradient `grad.NAME`; the running statistics after that forward
`after.NAME`; and the evaluation-mode output `y_eval`. Math in float64 on float32 values, stored as
float32. Metadata: `kind` (invres: torchvision's InvertedResidual; invres_se: the same with Luma's
squeeze-and-excitation gate after the depthwise stage, composed here of torch.nn modules with the
names of MobileNetBlock.invResSE), `in`, `out`, `stride`, `expand`.

Model: src/test/resources/conformance/zoo_mobilenet.safetensors, as resnet_zoo.py: for each model M
of `models` (metadata), `M.names` (`name:d0xd1...` of every state-dict entry but
sorted; `num_batches_tracked` included), `M.params` (the parameter count), `M.x` and the evaluation-mode logits
`M.eval` (float64 math) with synthetic weights (synthetic.py) and 10 classes. Evaluation mode only:
in training mode the classifier's Dropout draws a random mask.
Needs Debian's python3-torch and python3-torchvision (0.14).
"""
import os
import sys
import zlib

import torch
import torchvision
from torchvision.models.mobilenetv2 import InvertedResidual
from torchvision.ops.misc import Conv2dNormActivation

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, rand, save  # noqa: E402
from synthetic import synthetic  # noqa: E402


class InvResSE(torch.nn.Module):
    """[expand ->] depthwise -> depthwise * se(depthwise) -> project (+ input): MobileNetBlock.invResSE."""

    def __init__(self, cin, cout, stride, expand, reduction=4):
        super().__init__()
        hidden = int(round(cin * expand))
        act = torch.nn.Hardswish
        if expand != 1:
            self.expand = Conv2dNormActivation(cin, hidden, kernel_size=1, activation_layer=act)
        self.depthwise = Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden, activation_layer=act)
        self.se = torch.nn.Sequential(torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                      torch.nn.Linear(hidden, hidden // reduction), torch.nn.ReLU(),
                                      torch.nn.Linear(hidden // reduction, hidden), torch.nn.Sigmoid())
        self.project = torch.nn.Sequential(torch.nn.Conv2d(hidden, cout, 1, bias=False), torch.nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        h = self.expand(x) if hasattr(self, "expand") else x
        h = self.depthwise(h)
        h = h * self.se(h)[:, :, None, None]
        y = self.project(h)
        return x + y if self.residual else y


def block_case(name, kind, cin, cout, shape, stride, expand):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    make = InvertedResidual if kind == "invres" else InvResSE
    block = make(cin, cout, stride, expand).double()
    state = {}
    with torch.no_grad():
        for k, v in block.state_dict().items():
            if k.endswith("num_batches_tracked"):
                v.fill_(7)  # torchvision's int64 count; the training forward makes it 8
                state["state." + k] = v.clone()
                continue
            if k.endswith("running_var") or (k.endswith("weight") and v.dim() == 1):
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
    save(name, tensors, {"kind": kind, "in": cin, "out": cout, "stride": stride, "expand": expand,
                         "torch": torch.__version__, "torchvision": torchvision.__version__})


MODELS = {
    "mobilenet_v2": lambda: torchvision.models.mobilenet_v2(num_classes=10),
    "mobilenet_v2_w05": lambda: torchvision.models.mobilenet_v2(num_classes=10, width_mult=0.5),
}
RUN = (2, 3, 32, 32)


def zoo():
    tensors = {}
    meta = {"models": ",".join(MODELS)}
    for key, make in MODELS.items():
        model = make().double()
        state = model.state_dict()
        meta[key + ".names"] = ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items()))
        meta[key + ".params"] = sum(p.numel() for p in model.parameters())
        model.load_state_dict({k: synthetic(k, tuple(v.shape)) for k, v in state.items()
                               if not k.endswith("num_batches_tracked")}, strict=False)
        x = synthetic("x", RUN)
        model.eval()
        with torch.no_grad():
            tensors[key + ".eval"] = model(x)
        tensors[key + ".x"] = x
    save("zoo_mobilenet", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


def main():
    block_case("mobilenet_invres_t1_residual", "invres", 4, 4, (2, 4, 6, 6), 1, 1)
    block_case("mobilenet_invres_t1_stride2", "invres", 4, 6, (2, 4, 7, 7), 2, 1)
    block_case("mobilenet_invres_t6_residual", "invres", 4, 4, (2, 4, 5, 5), 1, 6)
    block_case("mobilenet_invres_t6_stride2", "invres", 3, 5, (2, 3, 7, 7), 2, 6)
    block_case("mobilenet_invres_se_t3_residual", "invres_se", 4, 4, (2, 4, 5, 5), 1, 3)
    zoo()


if __name__ == "__main__":
    main()
