#!/usr/bin/python3
"""Writes the torchvision-parity vectors of the Inception blocks (org.autoprop.blocks.IncepBlock) and
of GoogLeNet and InceptionV3 (org.autoprop.zoo).

    /usr/bin/python3 tools/conformance/inception_zoo.py

torchvision's Inception modules have fixed widths; the small cases here build torchvision's own
classes with a `conv_block` that divides both widths of every BasicConv2d by a divisor (the Java
side's `widthDivisor`), the input's 3 channels excepted. Same names, same structure, fewer channels.

Blocks: src/test/resources/conformance/inception_<case>.safetensors, as resnet_blocks.py writes them:
the block's state dict under `state.` (torchvision's names; `num_batches_tracked` int64, set to 7)
with random affine parameters and running statistics; `x`; the training-mode output `y`, `gy`, the
input gradient `gx` and every parameter gradient `grad.NAME`; the running statistics after that
forward `after.NAME`; and the evaluation-mode output `y_eval`. Metadata: `kind` (v1: GoogLeNet's
Inception; v2_a .. v2_c: Inception V3's InceptionA .. InceptionE), the constructor's arguments and
`divisor`.

Zoo: src/test/resources/conformance/zoo_inception.safetensors: for each model M of `models`
(metadata, full size, 10 classes), `M.names` (`name:d0xd1...` of every state-dict entry, sorted,
`num_batches_tracked` included) and `M.params`; for each run R of `runs`, a small model (`R.divisor`,
5 classes, dropout 0) with synthetic weights (synthetic.py) on the synthetic input `x` of shape
`R.shape` (not stored: a formula), the float64 logits `R.eval` (evaluation mode), `R.train`
(training mode: batch statistics) and `R.after_step` (evaluation logits after one SGD step, lr `lr`,
on the mean cross-entropy of `R.labels`, from the training forward), and PyTorch's own float32
errors `R.eval_f32_error`, `R.train_f32_error` and `R.after_step_f32_error` (largest absolute
error). The labels are the first N of `labels`.
Needs Debian's python3-torch and python3-torchvision (0.14).
"""
import functools
import os
import sys
import zlib

import torch
import torchvision

gl = sys.modules["torchvision.models.googlenet"]
iv3 = sys.modules["torchvision.models.inception"]

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, rand, save  # noqa: E402
from synthetic import synthetic  # noqa: E402


def narrow(basic, d):
    """A conv_block that divides both widths by d (the input's 3 channels excepted)."""
    def make(cin, cout, **kw):
        return basic(cin if cin == 3 else cin // d, cout // d, **kw)
    return make


def block_case(name, module, shape, meta):
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    module = module.double()
    state = {}
    with torch.no_grad():
        for k, v in module.state_dict().items():
            if k.endswith("num_batches_tracked"):
                v.fill_(7)  # torchvision's int64 count; the training forward makes it 8
                state["state." + k] = v.clone()
                continue
            if k.endswith("running_var") or (v.dim() == 1 and k.endswith("weight")):
                v.copy_(f32(torch.rand(v.shape, generator=g, dtype=torch.float64) + 0.5))
            else:
                v.copy_(rand(g, *v.shape) * (0.5 if v.dim() == 4 else 1.0))
            state["state." + k] = v.clone()
    x = rand(g, *shape).requires_grad_(True)
    module.train()
    y = module(x)
    gy = rand(g, *y.shape)
    (y * gy).sum().backward()
    tensors = dict(state)
    tensors.update({"x": x.detach(), "y": y.detach(), "gy": gy, "gx": x.grad})
    for k, p in module.named_parameters():
        tensors["grad." + k] = p.grad
    for k, v in module.state_dict().items():
        if "running" in k or k.endswith("num_batches_tracked"):
            tensors["after." + k] = v.clone()
    module.eval()
    with torch.no_grad():
        tensors["y_eval"] = module(x.detach())
    save(name, tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


def blocks():
    block_case("inception_v1", gl.Inception(6, 4, 3, 5, 2, 3, 2), (2, 6, 5, 5),
               {"kind": "v1", "in": 6, "widths": "4,3,5,2,3,2", "divisor": 1})
    d = 16
    conv = narrow(iv3.BasicConv2d, d)
    # torchvision's arguments are full widths: in_channels 64 -> 4, pool_features 32 -> 2, channels_7x7 128 -> 8.
    block_case("inception_v2_a", iv3.InceptionA(64, 32, conv_block=conv), (2, 4, 5, 5),
               {"kind": "v2_a", "in": 4, "arg": 2, "divisor": d})
    block_case("inception_v2_redux_a", iv3.InceptionB(64, conv_block=conv), (2, 4, 7, 7),
               {"kind": "v2_redux_a", "in": 4, "divisor": d})
    block_case("inception_v2_b", iv3.InceptionC(64, 128, conv_block=conv), (2, 4, 5, 5),
               {"kind": "v2_b", "in": 4, "arg": 8, "divisor": d})
    block_case("inception_v2_redux_b", iv3.InceptionD(64, conv_block=conv), (2, 4, 7, 7),
               {"kind": "v2_redux_b", "in": 4, "divisor": d})
    block_case("inception_v2_c", iv3.InceptionE(64, conv_block=conv), (2, 4, 4, 4),
               {"kind": "v2_c", "in": 4, "divisor": d})


MODELS = {
    "googlenet": lambda: torchvision.models.googlenet(num_classes=10, aux_logits=False, init_weights=True),
    "googlenet_aux": lambda: torchvision.models.googlenet(num_classes=10, aux_logits=True, init_weights=True),
    "inception_v3": lambda: torchvision.models.inception_v3(num_classes=10, aux_logits=False, init_weights=True),
    "inception_v3_aux": lambda: torchvision.models.inception_v3(num_classes=10, aux_logits=True, init_weights=True),
}


def small_googlenet(d, classes):
    conv = narrow(gl.BasicConv2d, d)
    model = gl.GoogLeNet(num_classes=classes, aux_logits=False, init_weights=True, dropout=0.0,
                         blocks=[conv, functools.partial(gl.Inception, conv_block=conv),
                                 functools.partial(gl.InceptionAux, conv_block=conv)])
    model.fc = torch.nn.Linear(1024 // d, classes)
    return model


def small_inception_v3(d, classes):
    conv = narrow(iv3.BasicConv2d, d)
    blocks = [conv] + [functools.partial(b, conv_block=conv) for b in
                       (iv3.InceptionA, iv3.InceptionB, iv3.InceptionC, iv3.InceptionD, iv3.InceptionE, iv3.InceptionAux)]
    model = iv3.Inception3(num_classes=classes, aux_logits=False, init_weights=True, dropout=0.0,
                           inception_blocks=blocks)
    model.fc = torch.nn.Linear(2048 // d, classes)
    return model


# run: (model, divisor, input shape). GoogLeNet ends at 2x2 (batch statistics over 16 values per
# channel), Inception V3 at 3x3 (18 values). The narrow networks with synthetic weights are ill
# conditioned: PyTorch's own float32 logits after the step are off by about 1e-3 (GoogLeNet) and 1e-2
# (Inception V3) of their scale, and fewer values per batch statistic make that worse.
RUNS = {"googlenet_small": (small_googlenet, 8, (4, 3, 64, 64)),
        "inception_v3_small": (small_inception_v3, 16, (2, 3, 139, 139))}
CLASSES = 5
LABELS = [3, 1, 0, 4]
LR = 0.01


def run(make, d, shape, dtype, weights):
    """Evaluation, training and after-one-step logits in the given precision (labels LABELS[:N])."""
    model = make(d, CLASSES).to(dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in weights.items()}, strict=False)
    x = synthetic("x", shape).to(dtype)
    model.eval()
    with torch.no_grad():
        ev = model(x).double()
    model.train()
    logits = model(x)
    torch.nn.functional.cross_entropy(logits, torch.tensor(LABELS[:shape[0]])).backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= LR * p.grad
    model.eval()
    with torch.no_grad():
        after = model(x).double()
    return ev, logits.detach().double(), after


def zoo():
    tensors = {}
    meta = {"models": ",".join(MODELS), "runs": ",".join(RUNS), "classes": CLASSES,
            "labels": ",".join(str(v) for v in LABELS), "lr": LR}
    for key, make in MODELS.items():
        model = make()
        state = model.state_dict()
        meta[key + ".names"] = ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items()))
        meta[key + ".params"] = sum(p.numel() for p in model.parameters())
    for key, (make, d, shape) in RUNS.items():
        state = make(d, CLASSES).state_dict()
        weights = {k: synthetic(k, tuple(v.shape)) for k, v in state.items() if not k.endswith("num_batches_tracked")}
        ev, train, after = run(make, d, shape, torch.float64, weights)
        ev32, train32, after32 = run(make, d, shape, torch.float32, weights)
        tensors[key + ".eval"] = ev
        tensors[key + ".train"] = train
        tensors[key + ".after_step"] = after
        meta[key + ".divisor"] = d
        meta[key + ".shape"] = "x".join(str(v) for v in shape)
        meta[key + ".train_f32_error"] = repr((train32 - train).abs().max().item())
        meta[key + ".after_step_f32_error"] = repr((after32 - after).abs().max().item())
        meta[key + ".eval_f32_error"] = repr((ev32 - ev).abs().max().item())
    save("zoo_inception", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


def main():
    blocks()
    zoo()


if __name__ == "__main__":
    main()
