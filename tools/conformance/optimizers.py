#!/usr/bin/python3
"""Writes the optimizer conformance vectors into src/test/resources/conformance/optimizers.safetensors.

Run from the repository root with /usr/bin/python3 (torch 1.13): the file it writes is committed, so
the Java test (OptimizerConformanceTest) needs no Python. Every optimizer runs STEPS steps in float32
on the same two parameters, 'a' [3, 4] and 'b' [5], with fresh random gradients each step. Before
step LR_CHANGE_STEP every group's learning rate is halved relative to its own initial rate (what a
scheduler does to PyTorch's param_groups, and what Optimizer.setLearningRate(lr / 2) does to ours).

Tensors, for each configuration C:
  C.a, C.b                   initial values
  C.grad.K.a, C.grad.K.b     the gradient fed before step K (K = 0 .. STEPS-1)
  C.after.K.a, C.after.K.b   the values after step K
  C.state.<param>.<name>     the optimizer state after the last step (PyTorch's state names)
Metadata, for each C: 'C' = the settings as 'type=...;lr=...;...' (builder names), and with
parameter groups 'C.group0', 'C.group1' = 'a;lr=...;weight_decay=...' (the group's parameters,
then the settings it overrides).

torch.optim supplies Adagrad, Adadelta, Adamax, NAdam, RAdam (and SGD, AdamW for the group checks).
Lion and LAMB are not in torch 1.13; they are written below from the papers with torch ops:
- Lion (Chen et al. 2023, Algorithm 2): w *= 1 - lr wd; w -= lr sign(b1 m + (1-b1) g);
  m = b2 m + (1-b2) g.
- LAMB (You et al. 2019, Algorithm 2) with bias-corrected Adam moments:
  u = (m / (1-b1^t)) / (sqrt(v / (1-b2^t)) + eps) + wd w; r = ||w|| / ||u|| (1 if either is 0);
  w -= lr r u.
"""
import json
import math
import os
import struct

import numpy as np
import torch

OUT = os.path.join("src", "test", "resources", "conformance", "optimizers.safetensors")
STEPS = 8
LR_CHANGE_STEP = 5


class Lion(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0):
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                m = state["exp_avg"]
                p.mul_(1 - lr * wd)
                update = (m * beta1).add_(p.grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-lr)
                m.mul_(beta2).add_(p.grad, alpha=1 - beta2)


class Lamb(torch.optim.Optimizer):
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-6, weight_decay=0.01):
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p)
                    state["exp_avg_sq"] = torch.zeros_like(p)
                state["step"] += 1
                t = state["step"]
                m, v = state["exp_avg"], state["exp_avg_sq"]
                m.mul_(beta1).add_(p.grad, alpha=1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                u = (m / (1 - beta1 ** t)) / ((v / (1 - beta2 ** t)).sqrt() + eps) + wd * p
                w_norm = p.double().norm().item()
                u_norm = u.double().norm().item()
                ratio = w_norm / u_norm if w_norm > 0 and u_norm > 0 else 1.0
                p.add_(u, alpha=-lr * ratio)


TYPES = {"Adagrad": torch.optim.Adagrad, "Adadelta": torch.optim.Adadelta, "Adamax": torch.optim.Adamax,
         "NAdam": torch.optim.NAdam, "RAdam": torch.optim.RAdam, "Lion": Lion, "LAMB": Lamb,
         "SGD": torch.optim.SGD, "AdamW": torch.optim.AdamW}

# name: (type, settings, groups or None, b starts at zero)
CONFIGS = {
    "adagrad": ("Adagrad", dict(lr=0.1), None, False),
    "adagrad_all": ("Adagrad", dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.5,
                                    eps=1e-6), None, False),
    "adadelta": ("Adadelta", dict(lr=1.0), None, False),
    "adadelta_all": ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1), None, False),
    "adamax": ("Adamax", dict(lr=0.01), None, False),
    "adamax_all": ("Adamax", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1), None, False),
    "nadam": ("NAdam", dict(lr=0.01), None, False),
    "nadam_all": ("NAdam", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, momentum_decay=0.01),
                  None, False),
    "radam": ("RAdam", dict(lr=0.01), None, False),
    "radam_all": ("RAdam", dict(lr=0.01, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1), None, False),
    "lion": ("Lion", dict(lr=0.01), None, False),
    "lion_all": ("Lion", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.5), None, False),
    "lamb": ("LAMB", dict(lr=0.01), None, False),
    "lamb_all": ("LAMB", dict(lr=0.01, betas=(0.8, 0.95), eps=1e-4, weight_decay=0.1), None, False),
    "lamb_zero_b": ("LAMB", dict(lr=0.01, weight_decay=0.0), None, True),
    # two groups: 'a' with its own lr and weight decay, 'b' with the defaults / no decay
    "sgd_groups": ("SGD", dict(lr=0.05, momentum=0.9, weight_decay=0.01),
                   [("a", dict(lr=0.1, weight_decay=0.05)), ("b", dict(weight_decay=0.0))], False),
    "adamw_groups": ("AdamW", dict(lr=0.01, weight_decay=0.1),
                     [("a", dict(lr=0.03)), ("b", dict(weight_decay=0.0))], False),
    "adagrad_groups": ("Adagrad", dict(lr=0.1, weight_decay=0.1),
                       [("a", dict(lr=0.05)), ("b", dict(weight_decay=0.0))], False),
    "nadam_groups": ("NAdam", dict(lr=0.01, weight_decay=0.1),
                     [("a", dict(lr=0.02, weight_decay=0.2)), ("b", dict(weight_decay=0.0))], False),
    "lion_groups": ("Lion", dict(lr=0.01, weight_decay=0.5),
                    [("a", dict(lr=0.02)), ("b", dict(weight_decay=0.0))], False),
    "lamb_groups": ("LAMB", dict(lr=0.01, weight_decay=0.1),
                    [("a", dict(lr=0.02)), ("b", dict(weight_decay=0.0))], False),
}


def settings(kind, kwargs):
    parts = ["type=" + kind]
    for k, v in kwargs.items():
        parts.append(k + "=" + (",".join(repr(x) for x in v) if isinstance(v, tuple) else repr(v)))
    return ";".join(parts)


def run(name, kind, kwargs, groups, b_zero, tensors, meta):
    g = torch.Generator().manual_seed(sum(map(ord, name)))
    a = torch.randn(3, 4, generator=g).requires_grad_(True)
    b = torch.randn(5, generator=g)
    if b_zero:
        b.zero_()
    b.requires_grad_(True)
    params = {"a": a, "b": b}
    tensors[name + ".a"], tensors[name + ".b"] = a.detach().clone(), b.detach().clone()
    if groups is None:
        opt = TYPES[kind]([a, b], **kwargs)
    else:
        opt = TYPES[kind]([dict(params=[params[p]], **over) for p, over in groups], **kwargs)
        for i, (p, over) in enumerate(groups):
            meta[name + ".group" + str(i)] = ";".join([p] + [k + "=" + repr(v) for k, v in over.items()])
    initial = [group["lr"] for group in opt.param_groups]
    for k in range(STEPS):
        if k == LR_CHANGE_STEP:
            for group, lr0 in zip(opt.param_groups, initial):
                group["lr"] = lr0 * 0.5
        ga = torch.randn(3, 4, generator=g)
        gb = torch.randn(5, generator=g) * 0.1
        tensors[f"{name}.grad.{k}.a"], tensors[f"{name}.grad.{k}.b"] = ga, gb
        a.grad, b.grad = ga.clone(), gb.clone()
        opt.step()
        tensors[f"{name}.after.{k}.a"] = a.detach().clone()
        tensors[f"{name}.after.{k}.b"] = b.detach().clone()
    for pname, p in params.items():
        for key, value in opt.state[p].items():
            if torch.is_tensor(value) and key != "step":
                tensors[f"{name}.state.{pname}.{key}"] = value.detach().clone()
    meta[name] = settings(kind, kwargs)


def write(path, tensors, meta):
    header = {"__metadata__": meta}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach().to(torch.float32)
        arr = np.ascontiguousarray(t.numpy(), dtype="<f4").reshape(tuple(t.shape))  # keeps rank 0
        data = arr.tobytes()
        header[key] = {"dtype": "F32", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for blob in blobs:
            f.write(blob)


def main():
    tensors = {}
    meta = {"torch": torch.__version__, "steps": str(STEPS), "lr_change_step": str(LR_CHANGE_STEP),
            "configs": ",".join(CONFIGS)}
    for name, (kind, kwargs, groups, b_zero) in CONFIGS.items():
        run(name, kind, kwargs, groups, b_zero, tensors, meta)
    write(OUT, tensors, meta)
    print(f"wrote {OUT}: {len(CONFIGS)} configurations, {len(tensors)} tensors, {os.path.getsize(OUT)} bytes")


if __name__ == "__main__":
    main()
