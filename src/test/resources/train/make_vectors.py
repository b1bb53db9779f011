#!/usr/bin/python3
"""Writes the PyTorch reference vectors of the train package tests into this folder.

Run from anywhere with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 src/test/resources/train/make_vectors.py
Tests read the .safetensors files only; Python is not needed to run them.

Files:
  losses.safetensors       extra losses (label smoothing, SUM, NLL, BCE with logits), float64 math
  optim_<config>.safetensors  a few optimizer steps on two fixed parameters 'a' [3, 4] and 'b' [5]:
      a, b               initial values
      grad.K.a, grad.K.b  the gradient fed before step K (K = 0..STEPS-1)
      after.K.a, ...      the values after step K
      state.<param>.<name>  the optimizer state after the last step (PyTorch's state names)
    metadata: the optimizer type and hyperparameters; 'lr_change_step' / 'lr_change_to'
    say that the learning rate was set to a new value before that step.
"""
import json
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 5


def save(name, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key]
        if t.dtype == torch.int64:
            dtype, raw = "I64", t.contiguous().numpy().astype("<i8").tobytes()
        else:
            dtype, raw = "F32", t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(HERE, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)


def f32(t):
    """Rounds to float32 values (then back to float64 for exact reference math)."""
    return t.to(torch.float32).to(torch.float64)


def losses():
    g = torch.Generator().manual_seed(1)
    x = f32(torch.randn(6, 5, generator=g, dtype=torch.float64) * 3)
    labels = torch.randint(0, 5, (6,), generator=g)
    logp = f32(torch.log_softmax(f32(torch.randn(6, 5, generator=g, dtype=torch.float64)), dim=1))
    target = f32(torch.rand(6, 5, generator=g, dtype=torch.float64))
    out = {"x": x, "labels": labels, "logp": logp, "bce_target": target}

    def run(prefix, fn, inp, tgt):
        i = inp.clone().requires_grad_(True)
        loss = fn(i, tgt)
        loss.backward()
        out[prefix + ".loss"] = loss.detach().reshape(1)
        out[prefix + ".gx"] = i.grad

    run("ce_smooth_sum", torch.nn.CrossEntropyLoss(reduction="sum", label_smoothing=0.1), x, labels)
    run("ce_smooth_mean", torch.nn.CrossEntropyLoss(reduction="mean", label_smoothing=0.3), x, labels)
    run("nll", torch.nn.NLLLoss(), logp, labels)
    run("bce", torch.nn.BCEWithLogitsLoss(), x, target)
    run("mse_sum", torch.nn.MSELoss(reduction="sum"), x, target)
    save("losses", out, {"kind": "losses", "torch": torch.__version__})


OPTIMIZERS = {
    "sgd_plain": ("SGD", dict(lr=0.1)),
    "sgd_momentum": ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    "sgd_dampening": ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3)),
    "sgd_nesterov": ("SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.001)),
    "adam": ("Adam", dict(lr=0.01)),
    "adam_l2": ("Adam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    "adamw": ("AdamW", dict(lr=0.01, betas=(0.85, 0.995), weight_decay=0.1)),
    "rmsprop": ("RMSprop", dict(lr=0.01)),
    "rmsprop_centered_momentum": ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5, centered=True, weight_decay=0.01)),
}


def optimizer(config, kind, kwargs):
    g = torch.Generator().manual_seed(7)
    a = torch.randn(3, 4, generator=g).requires_grad_(True)
    b = torch.randn(5, generator=g).requires_grad_(True)
    out = {"a": a.detach().clone(), "b": b.detach().clone()}
    opt = getattr(torch.optim, kind)([a, b], **kwargs)
    change_step, change_to = 3, kwargs["lr"] * 0.5
    for k in range(STEPS):
        if k == change_step:
            for group in opt.param_groups:
                group["lr"] = change_to
        ga = torch.randn(3, 4, generator=g)
        gb = torch.randn(5, generator=g) * 0.1
        out[f"grad.{k}.a"], out[f"grad.{k}.b"] = ga, gb
        a.grad, b.grad = ga.clone(), gb.clone()
        opt.step()
        out[f"after.{k}.a"], out[f"after.{k}.b"] = a.detach().clone(), b.detach().clone()
    for name, p in (("a", a), ("b", b)):
        for key, value in opt.state[p].items():
            if torch.is_tensor(value) and value.numel() > 1:
                out[f"state.{name}.{key}"] = value.clone()
    meta = {"kind": "optimizer", "type": kind, "torch": torch.__version__, "steps": STEPS,
            "lr_change_step": change_step, "lr_change_to": repr(change_to)}
    for key, value in kwargs.items():
        meta[key] = ",".join(repr(v) for v in value) if isinstance(value, tuple) else repr(value)
    save("optim_" + config, out, meta)


if __name__ == "__main__":
    losses()
    for config, (kind, kwargs) in OPTIMIZERS.items():
        optimizer(config, kind, kwargs)
