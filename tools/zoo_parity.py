#!/usr/bin/python3
"""Exports full-size torchvision models for the zoo's parity check (ZooParityCheck, run by
tools/zoo_parity.sh): for each model, DIR/<model>.safetensors is torchvision's state dict (random
initialisation, torch.manual_seed(0); float32, num_batches_tracked as int64, as PyTorch writes it) and
DIR/<model>_ref.safetensors holds (dropout and stochastic depth set to p = 0 in both) a fixed batch `x`
[2, 3, S, S] (S = 224, or 299 for inception_v3, as SIZE says), `labels`, the evaluation logits
`eval`, the training-mode logits `train`, and `eval_after_step`, the evaluation logits after one SGD
step (lr 0.1, momentum 0, cross-entropy on `labels`), float32 as a user's PyTorch would run, and in
the metadata `after_step_f32_error`: how far PyTorch's own float32 logits after the step are from
float64 ones (relative to their scale). GoogLeNet is exported without its auxiliary classifiers (as
torchvision's `googlenet(weights=...)` returns it), Inception V3 with them (as its checkpoint holds
them): its training forward returns (logits, aux_logits), of which the main logits are compared and
stepped on; the auxiliary classifier gets no gradient and stays as it was.

    /usr/bin/python3 tools/zoo_parity.py DIR [MODEL...]
"""
import os
import sys

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "conformance"))
import conv_nd  # noqa: E402

MODELS = ["resnet18", "resnet34", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "resnet101", "resnet152",
          "densenet121", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0",
          "efficientnet_v2_s", "convnext_tiny", "shufflenet_v2_x1_0", "regnet_y_400mf", "googlenet", "inception_v3"]
# Constructor arguments other than torchvision's defaults (init_weights=True: no FutureWarning).
KWARGS = {"googlenet": {"aux_logits": False, "init_weights": True},
          "inception_v3": {"aux_logits": True, "init_weights": True}}
SIZE = {"inception_v3": 299}


def make(name):
    """torchvision's model from seed 0; dropout and stochastic depth off (p = 0), so that training mode is
    deterministic."""
    torch.manual_seed(0)
    model = getattr(torchvision.models, name)(**KWARGS.get(name, {}))
    for m in model.modules():
        if isinstance(m, (torch.nn.Dropout, torchvision.ops.StochasticDepth)):
            m.p = 0.0
    return model


def logits(out):
    """The main logits of a training forward (Inception V3 with aux_logits returns a pair)."""
    return out.logits if hasattr(out, "logits") else out


def step(model):
    """One SGD step at lr 0.1 on the parameters that have a gradient."""
    with torch.no_grad():
        for p in model.parameters():
            if p.grad is not None:
                p -= 0.1 * p.grad


def after_step(name, dtype, x, labels):
    """Evaluation logits after one SGD step from seed-0 weights, in the given precision."""
    model = make(name).to(dtype)
    model.train()
    torch.nn.functional.cross_entropy(logits(model(x.to(dtype))), labels).backward()
    step(model)
    model.eval()
    with torch.no_grad():
        return model(x.to(dtype)).double()


def export(out, name):
    model = make(name)
    conv_nd.OUT = out
    conv_nd.save(name, dict(model.state_dict()), {"model": name, "torchvision": torchvision.__version__})
    g = torch.Generator().manual_seed(1)
    size = SIZE.get(name, 224)
    x = torch.randn(2, 3, size, size, generator=g)
    labels = torch.tensor([3, 999])
    ref = {"x": x}
    model.eval()
    with torch.no_grad():
        ref["eval"] = model(x)
    model.train()
    out = logits(model(x))
    ref["train"] = out.detach()
    torch.nn.functional.cross_entropy(out, labels).backward()
    step(model)
    model.eval()
    with torch.no_grad():
        ref["eval_after_step"] = model(x)
    ref["labels"] = labels.to(torch.float32)
    # A step at lr 0.1 from random weights is ill-conditioned in the deep models: PyTorch's own
    # float32 logits after it are this far (relative to their scale) from float64 ones.
    exact = after_step(name, torch.float64, x, labels)
    f32_error = ((after_step(name, torch.float32, x, labels) - exact).abs().max() / exact.abs().max()).item()
    conv_nd.save(name + "_ref", ref, {"model": name, "after_step_f32_error": repr(f32_error)})


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or MODELS:
        export(out, name)


if __name__ == "__main__":
    main()
