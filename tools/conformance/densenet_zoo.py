#!/usr/bin/python3
"""Writes the torchvision-parity vectors of the DenseNet blocks and zoo (org.autoprop.blocks.DenseNetBlock,
org.autoprop.zoo.DenseNet).

    /usr/bin/python3 tools/conformance/densenet_zoo.py

Blocks: src/test/resources/conformance/densenet_<case>.safetensors for torchvision's `_DenseLayer`,
`_DenseBlock` and `_Transition`, as resnet_blocks.py writes them: the state dict under `state.`
(torchvision's names; `num_batches_tracked` int64, set to 7) with random affine parameters and running
statistics; `x`; the training-mode output `y`, `gy`, the input gradient `gx` and every parameter
gradient `grad.NAME`; the running statistics after that forward `after.NAME`; and the evaluation-mode
output `y_eval`. Metadata: `kind` (layer, block, transition), `in`, `layers`, `growth`, `bn_size`, `out`.

Zoo: src/test/resources/conformance/zoo_densenet.safetensors, as resnet_zoo.py writes it: for each
model M of `models` (metadata), `M.names` (`name:d0xd1...` of every state-dict entry but
sorted; `num_batches_tracked` included) and `M.params`; for each run R of `runs` (metadata; `R.model` is its
model), `R.x`, the float64 logits `R.eval` and `R.train` with synthetic weights (synthetic.py) and
`R.train_f32_error`, the largest error of PyTorch's own float32 training logits. Run `densenet121`
is on 32x32 images: its last dense block normalises over 2 values per channel in training mode, and
PyTorch's own float32 is off by about 10%; `densenet121_64px` (64x64) is well conditioned. Needs Debian's python3-torch and python3-torchvision (0.14).
"""
import os
import sys
import zlib

import torch
import torchvision
from torchvision.models.densenet import _DenseBlock, _DenseLayer, _Transition

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, rand, save  # noqa: E402
from synthetic import synthetic  # noqa: E402


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
    # _DenseBlock.forward returns torch.cat([input, layer1 out, ...], 1); _DenseLayer only its new features.
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
    block_case("densenet_layer", _DenseLayer(5, 3, 2, 0.0), (2, 5, 4, 4),
               {"kind": "layer", "in": 5, "growth": 3, "bn_size": 2})
    block_case("densenet_block_2_layers", _DenseBlock(2, 4, 2, 3, 0.0), (2, 4, 5, 5),
               {"kind": "block", "in": 4, "layers": 2, "growth": 3, "bn_size": 2})
    block_case("densenet_block_3_layers", _DenseBlock(3, 3, 4, 2, 0.0), (2, 3, 4, 3),
               {"kind": "block", "in": 3, "layers": 3, "growth": 2, "bn_size": 4})
    block_case("densenet_transition", _Transition(6, 3), (2, 6, 5, 4),
               {"kind": "transition", "in": 6, "out": 3})


MODELS = {
    "densenet121": lambda: torchvision.models.densenet121(num_classes=10),
    "densenet161": lambda: torchvision.models.densenet161(num_classes=10),
    "densenet169": lambda: torchvision.models.densenet169(num_classes=10),
    "densenet201": lambda: torchvision.models.densenet201(num_classes=10),
}
RUNS = {"densenet121": ("densenet121", (2, 3, 32, 32)), "densenet121_64px": ("densenet121", (2, 3, 64, 64))}


def zoo():
    tensors = {}
    meta = {"models": ",".join(MODELS), "runs": ",".join(RUNS)}
    for key, make in MODELS.items():
        model = make().double()
        state = model.state_dict()
        meta[key + ".names"] = ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items()))
        meta[key + ".params"] = sum(p.numel() for p in model.parameters())
    for key, (model_key, shape) in RUNS.items():
        make = MODELS[model_key]
        model = make().double()
        state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
        weights = {k: synthetic(k, tuple(v.shape)) for k, v in state.items()}
        model.load_state_dict(weights, strict=False)
        x = synthetic("x", shape)
        meta[key + ".model"] = model_key
        model.eval()
        with torch.no_grad():
            tensors[key + ".eval"] = model(x)
            model.train()
            tensors[key + ".train"] = model(x)
            # PyTorch's own float32 error in training mode: at 32x32 the last dense block
            # normalises over batch 2 x 1x1 positions, which amplifies rounding.
            model32 = make()
            model32.load_state_dict({k: v.float() for k, v in weights.items()}, strict=False)
            model32.train()
            error = (model32(x.float()).double() - tensors[key + ".train"]).abs().max().item()
            meta[key + ".train_f32_error"] = repr(error)
        tensors[key + ".x"] = x
    save("zoo_densenet", tensors, dict(meta, torch=torch.__version__, torchvision=torchvision.__version__))


def main():
    blocks()
    zoo()


if __name__ == "__main__":
    main()
