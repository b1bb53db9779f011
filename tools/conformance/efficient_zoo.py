#!/usr/bin/python3
"""Writes the torchvision-parity vectors of MobileNetV3 and EfficientNet: the blocks
(org.autoprop.blocks.MobileNetBlock.invResV3, EfficientBlock) and the models (org.autoprop.zoo.MobileNetV3,
EfficientNet).

    /usr/bin/python3 tools/conformance/efficient_zoo.py

Blocks: src/test/resources/conformance/<case>.safetensors for cases `mnv3block_*` (torchvision's
mobilenetv3.InvertedResidual, batch norm eps 1e-3, momentum 0.01) and `effblock_*` (efficientnet.MBConv and
FusedMBConv, stochastic depth 0), as resnet_blocks.py: the block's state dict under `state.` (torchvision's names;
`num_batches_tracked` int64, set to 7) with random affine parameters and running statistics; `x`; the training-mode
output `y`, `gy`, the input gradient `gx` and every parameter gradient `grad.NAME`; the running statistics after that
forward `after.NAME`; and the evaluation-mode output `y_eval`. Math in float64 on float32 values, stored as float32.
Metadata: `kind` and the block's configuration.

Models: src/test/resources/conformance/zoo_efficient.safetensors (with MobileNetV1, which torchvision lacks, as a
torch.nn twin of org.autoprop.zoo.MobileNetV1 here), as resnet_zoo.py: for each model M of `models`
(metadata), `M.names` (`name:d0xd1...` of every state-dict entry, sorted; `num_batches_tracked` included) and
`M.params` (the parameter count); for the small models run (dropout and stochastic depth 0), with synthetic weights
(synthetic.py), the input's shape `M.input` (metadata, `d0xd1...`; the input is synthetic("x", shape)), the
evaluation logits `M.eval`, the training-mode logits `M.train`, and `M.step`: the evaluation
logits after one SGD step (lr 0.1, no momentum, cross-entropy on the labels `M.labels`) from that training forward,
all in float64; and `M.train_f32_error`, `M.step_f32_error` (metadata): the largest error of PyTorch's own float32
logits there, relative to the largest logit.
Needs Debian's python3-torch and python3-torchvision (0.14).
"""
import os
import sys
import zlib
from functools import partial

import torch
import torchvision
from torchvision.models import efficientnet as E
from torchvision.models import mobilenetv3 as V3
from torchvision.models._utils import _make_divisible

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, rand, save  # noqa: E402
from synthetic import synthetic  # noqa: E402


def block_case(name, block, shape, meta):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    block = block.double()
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
    save(name, tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


V3_NORM = partial(torch.nn.BatchNorm2d, eps=0.001, momentum=0.01)


def v3_case(name, cin, kernel, expanded, cout, se, act, stride, shape):
    cnf = V3.InvertedResidualConfig(cin, kernel, expanded, cout, se, act, stride, 1, 1.0)
    block_case(name, V3.InvertedResidual(cnf, V3_NORM), shape,
               {"kind": "invres_v3", "in": cin, "kernel": kernel, "expanded": expanded, "out": cout,
                "se": _make_divisible(expanded // 4, 8) if se else 0, "hs": int(act == "HS"), "stride": stride})


def eff_case(name, fused, expand, kernel, stride, cin, cout, shape, eps=1e-5):
    cnf = (E.FusedMBConvConfig if fused else E.MBConvConfig)(expand, kernel, stride, cin, cout, 1)
    block = cnf.block(cnf, 0.0, partial(torch.nn.BatchNorm2d, eps=eps))
    block_case(name, block, shape, {"kind": "fused" if fused else "mbconv", "expand": expand, "kernel": kernel,
                                    "stride": stride, "in": cin, "out": cout, "eps": eps})


def blocks():
    v3_case("mnv3block_se_relu_stride2", 16, 3, 16, 16, True, "RE", 2, (2, 16, 7, 7))
    v3_case("mnv3block_se_hs_expand_residual", 16, 5, 48, 16, True, "HS", 1, (2, 16, 5, 5))
    v3_case("mnv3block_hs_expand_stride2", 8, 3, 24, 16, False, "HS", 2, (2, 8, 6, 6))
    eff_case("effblock_mbconv_expand4_residual", False, 4, 3, 1, 8, 8, (2, 8, 5, 5))
    eff_case("effblock_mbconv_expand1_k5_stride2", False, 1, 5, 2, 8, 16, (2, 8, 7, 7))
    eff_case("effblock_fused_expand2_residual_eps1e-3", True, 2, 3, 1, 8, 8, (2, 8, 5, 5), eps=1e-3)
    eff_case("effblock_fused_expand1_stride2", True, 1, 3, 2, 8, 16, (2, 8, 6, 6))


def efficientnet_tiny():
    conf = partial(E.MBConvConfig, width_mult=0.5, depth_mult=1.5)
    setting = [conf(1, 3, 1, 32, 16, 1), conf(6, 5, 2, 16, 32, 1), conf(4, 3, 2, 32, 48, 2)]
    return E.EfficientNet(setting, dropout=0.0, stochastic_depth_prob=0.0, num_classes=10)


def efficientnet_v2_tiny():
    setting = [E.FusedMBConvConfig(1, 3, 1, 8, 8, 2), E.FusedMBConvConfig(4, 3, 2, 8, 16, 1),
               E.MBConvConfig(4, 3, 2, 16, 24, 2)]
    return E.EfficientNet(setting, dropout=0.0, stochastic_depth_prob=0.0, num_classes=10, last_channel=32,
                          norm_layer=partial(torch.nn.BatchNorm2d, eps=1e-3))


class MobileNetV1(torch.nn.Module):
    """MobileNetV1 (Howard et al. 2017) as org.autoprop.zoo.MobileNetV1 names it; torchvision has none."""

    def __init__(self, width=1.0, classes=10):
        super().__init__()
        nn = torch.nn
        table = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2)] + [(512, 1)] * 5 + [(1024, 2), (1024, 1)]
        c = max(8, int(32 * width))
        features = [nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())]
        for out, stride in table:
            out = max(8, int(out * width))
            features.append(nn.Sequential(nn.Conv2d(c, c, 3, stride, 1, groups=c, bias=False), nn.BatchNorm2d(c),
                                          nn.ReLU(), nn.Conv2d(c, out, 1, bias=False), nn.BatchNorm2d(out), nn.ReLU()))
            c = out
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(0.0), nn.Linear(c, classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x).mean((2, 3)), 1))


M = torchvision.models
MODELS = {
    "mobilenet_v3_small": lambda: M.mobilenet_v3_small(num_classes=10),
    "mobilenet_v3_large": lambda: M.mobilenet_v3_large(num_classes=10),
    "efficientnet_b0": lambda: M.efficientnet_b0(num_classes=10),
    "efficientnet_v2_s": lambda: M.efficientnet_v2_s(num_classes=10),
    "mobilenet_v3_small_w025": lambda: M.mobilenet_v3_small(num_classes=10, width_mult=0.25, dropout=0.0),
    "mobilenet_v3_large_w025": lambda: M.mobilenet_v3_large(num_classes=10, width_mult=0.25, dropout=0.0),
    "efficientnet_tiny": efficientnet_tiny,
    "efficientnet_v2_tiny": efficientnet_v2_tiny,
    "mobilenet_v1_w025": lambda: MobileNetV1(0.25),
}
RUN = {"mobilenet_v3_small_w025": (2, 3, 64, 64), "mobilenet_v3_large_w025": (2, 3, 64, 64),
       "efficientnet_tiny": (2, 3, 32, 32), "efficientnet_v2_tiny": (2, 3, 32, 32), "mobilenet_v1_w025": (2, 3, 64, 64)}
LABELS = [3, 7]


def run(make, weights, x, dtype):
    """Evaluation logits, training logits and evaluation logits after one SGD step, in dtype."""
    model = make().to(dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, strict=False)
    x = x.to(dtype)
    model.eval()
    with torch.no_grad():
        evaluation = model(x)
    model.train()
    train = model(x)
    torch.nn.functional.cross_entropy(train, torch.tensor(LABELS)).backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    model.eval()
    with torch.no_grad():
        step = model(x)
    return evaluation.double(), train.detach().double(), step.double()


def zoo():
    tensors = {}
    meta = {"models": ",".join(MODELS)}
    for key, make in MODELS.items():
        model = make()
        state = model.state_dict()
        meta[key + ".names"] = ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items()))
        meta[key + ".params"] = sum(p.numel() for p in model.parameters())
        if key not in RUN:
            continue
        weights = {k: synthetic(k, tuple(v.shape)) for k, v in state.items() if not k.endswith("num_batches_tracked")}
        x = synthetic("x", RUN[key])
        evaluation, train, step = run(make, weights, x, torch.float64)
        _, train32, step32 = run(make, weights, x, torch.float32)
        # The input is not stored: it is synthetic("x", shape), rebuilt by the test from the shape.
        meta[key + ".input"] = "x".join(str(d) for d in RUN[key])
        tensors.update({key + ".eval": evaluation, key + ".train": train, key + ".step": step,
                        key + ".labels": torch.tensor(LABELS, dtype=torch.float64)})
        meta[key + ".train_f32_error"] = repr(((train32 - train).abs().max() / train.abs().max()).item())
        meta[key + ".step_f32_error"] = repr(((step32 - step).abs().max() / step.abs().max()).item())
    save("zoo_efficient", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


def main():
    blocks()
    zoo()


if __name__ == "__main__":
    main()
