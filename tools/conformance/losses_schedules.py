#!/usr/bin/python3
"""Writes the PyTorch reference vectors of the losses and learning-rate schedules of issue 14.

    /usr/bin/python3 tools/conformance/losses_schedules.py

writes src/test/resources/conformance/kit_losses.safetensors and kit_schedules.safetensors (the
folder's README describes the format). Tests read the files only (KitLossTest, KitScheduleTest);
Python is not needed to run them. Needs Debian's python3-torch (1.13) and torchvision (for
ops.sigmoid_focal_loss).

kit_losses: one case per metadata key listed in `cases` (comma-separated); the key's value is the
case's settings, `key=value` pairs separated by spaces (`loss`, `reduction` and the loss's
parameters under PyTorch's names). Tensors of case C: `C.x` (or `C.x1`, `C.x2`), `C.target`
(float32, or int64 labels for multi_margin), `C.weight` if weighted, `C.loss` (the reduced value;
for reduction none the sum of the terms), and the input gradient `C.gx` (`C.gx1`, `C.gx2`) of the
reduced value. With reduction none also `C.losses` (PyTorch's output), `C.gy` an upstream gradient
and `C.gx_up` (`C.gx1_up`, `C.gx2_up`), the gradient of sum(gy * losses). Inputs are exact float32
values; the math runs in float64 and the results are stored as float32.

kit_schedules: for each schedule S listed in `schedules`, `S.lr` holds the learning rate PyTorch's
scheduler gives at steps 0..99 (read from the optimizer before each optimizer.step(); then
scheduler.step()); the metadata key S holds the settings. The ReduceLROnPlateau cases step with
the metric sequence `S.metric` (scheduler.step(metric[t]) after step t); `S.lr` is the rate at the
start of each step.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "src", "test", "resources", "conformance"))


def save(name, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        t = tensors[key].detach()
        if t.dtype == torch.int64:
            dtype, raw = "I64", t.contiguous().numpy().astype("<i8").tobytes()
        else:
            dtype, raw = "F32", t.to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": dtype, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    print(name, len(tensors), "tensors,", offset, "bytes")


def f32(t):
    """Rounds to float32 values, back in float64 for exact reference math."""
    return t.to(torch.float32).to(torch.float64)


def uniform(g, shape, lo, hi):
    return f32(torch.rand(*shape, generator=g, dtype=torch.float64) * (hi - lo) + lo)


def signs(g, shape):
    return (torch.randint(0, 2, shape, generator=g) * 2 - 1).to(torch.float64)


# --- losses -------------------------------------------------------------------------------------

LOSS_TENSORS = {}
LOSS_META = {}
CASES = []


def spec(**settings):
    return " ".join(f"{k}={v}" for k, v in settings.items())


def record(name, settings, inputs, fn, extra):
    """inputs: dict name -> float64 leaf tensor; fn(**inputs, reduction) -> loss tensor."""
    reduction = settings["reduction"]
    torch_reduction = reduction
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    out = fn(reduction=torch_reduction, **leaves)
    value = out.sum() if reduction == "none" else out
    value.backward()
    t = {f"{name}.{k}": v for k, v in inputs.items()}
    t.update({f"{name}.{k}": v for k, v in extra.items()})
    t[f"{name}.loss"] = value.detach().reshape(1)
    for k, leaf in leaves.items():
        t[f"{name}.g{k}"] = leaf.grad
    if reduction == "none":
        g = torch.Generator().manual_seed(len(CASES) + 7)
        gy = uniform(g, tuple(out.shape), -1.0, 1.0)
        t[f"{name}.losses"] = out.detach()
        t[f"{name}.gy"] = gy
        leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
        (fn(reduction="none", **leaves) * gy).sum().backward()
        for k, leaf in leaves.items():
            t[f"{name}.g{k}_up"] = leaf.grad
    LOSS_TENSORS.update(t)
    LOSS_META[name] = spec(**settings)
    CASES.append(name)


def losses():
    reductions = ["mean", "sum", "none"]
    g = torch.Generator().manual_seed(14)

    x = uniform(g, (4, 5), -2.0, 3.0)
    t = signs(g, (4, 5))
    for margin in (1.0, 0.5):
        for red in reductions:
            record(f"hinge_embedding_m{margin}_{red}", dict(loss="hinge_embedding", reduction=red, margin=margin),
                   {"x": x}, lambda x, reduction, m=margin: F.hinge_embedding_loss(x, t, margin=m, reduction=reduction),
                   {"target": t})

    x = uniform(g, (6, 4), -1.5, 1.5)
    labels = torch.randint(0, 4, (6,), generator=g)
    w = uniform(g, (4,), 0.5, 2.0)
    for p, margin, weighted in ((1, 1.0, False), (2, 1.0, False), (1, 0.7, True), (2, 0.7, True)):
        for red in reductions:
            name = f"multi_margin_p{p}_m{margin}{'_w' if weighted else ''}_{red}"
            extra = {"target": labels}
            if weighted:
                extra["weight"] = w
            record(name, dict(loss="multi_margin", reduction=red, p=p, margin=margin, weighted=str(weighted).lower()),
                   {"x": x}, lambda x, reduction, p=p, m=margin, wt=(w if weighted else None):
                   F.multi_margin_loss(x, labels, p=p, margin=m, weight=wt, reduction=reduction), extra)

    x = uniform(g, (3, 7), -3.0, 3.0)
    t = uniform(g, (3, 7), -3.0, 3.0)
    for delta in (1.0, 0.5, 2.5):
        for red in reductions:
            record(f"huber_d{delta}_{red}", dict(loss="huber", reduction=red, delta=delta), {"x": x},
                   lambda x, reduction, d=delta: F.huber_loss(x, t, delta=d, reduction=reduction), {"target": t})
    for beta in (1.0, 0.5, 0.0):
        for red in reductions:
            record(f"smooth_l1_b{beta}_{red}", dict(loss="smooth_l1", reduction=red, beta=beta), {"x": x},
                   lambda x, reduction, b=beta: F.smooth_l1_loss(x, t, beta=b, reduction=reduction), {"target": t})

    logq = f32(torch.log_softmax(uniform(g, (4, 6), -2.0, 2.0), dim=1))
    p = torch.softmax(uniform(g, (4, 6), -2.0, 2.0), dim=1)
    p[0, 1] = 0.0  # a zero probability: its term is 0
    p[2, 4] = 0.0
    p = f32(p)
    logp = f32(torch.log_softmax(uniform(g, (4, 6), -2.0, 2.0), dim=1))
    for log_target, target in ((False, p), (True, logp)):
        for red in ("mean", "sum", "none", "batchmean"):
            record(f"kl_div{'_log' if log_target else ''}_{red}", dict(loss="kl_div", reduction=red,
                                                                         log_target=str(log_target).lower()),
                   {"x": logq}, lambda x, reduction, tg=target, lt=log_target:
                   F.kl_div(x, tg, reduction=reduction, log_target=lt), {"target": target})

    probs = f32(torch.sigmoid(uniform(g, (4, 5), -4.0, 4.0)))
    t = f32(torch.rand(4, 5, generator=g, dtype=torch.float64))
    t[0, :] = torch.tensor([0.0, 1.0, 1.0, 0.0, 1.0], dtype=torch.float64)  # hard labels too
    w_row = uniform(g, (5,), 0.2, 2.0)
    w_full = uniform(g, (4, 5), 0.2, 2.0)
    w_rows = uniform(g, (4, 1), 0.2, 2.0)  # broadcast along the last axis
    for weight, tag in ((None, ""), (w_row, "_wrow"), (w_full, "_wfull"), (w_rows, "_wcol")):
        for red in reductions:
            extra = {"target": t}
            if weight is not None:
                extra["weight"] = weight
            record(f"bce{tag}_{red}", dict(loss="bce", reduction=red, weighted=str(weight is not None).lower()),
                   {"x": probs}, lambda x, reduction, wt=weight:
                   F.binary_cross_entropy(x, t, weight=wt, reduction=reduction), extra)
    # The log clamp at -100: inputs exactly 0 and 1
    edge_x = torch.tensor([[0.0, 1.0, 0.0, 1.0]], dtype=torch.float64)
    edge_t = torch.tensor([[1.0, 0.0, 0.0, 1.0]], dtype=torch.float64)
    record("bce_edges_sum", dict(loss="bce", reduction="sum", weighted="false"), {"x": edge_x},
           lambda x, reduction: F.binary_cross_entropy(x, edge_t, reduction=reduction), {"target": edge_t})

    x = uniform(g, (3, 6), -4.0, 4.0)
    t = (torch.rand(3, 6, generator=g) < 0.4).to(torch.float64)
    t[2, :] = f32(torch.rand(6, generator=g, dtype=torch.float64))  # soft targets
    for alpha, gamma in ((0.25, 2.0), (-1.0, 0.0), (0.5, 1.5), (0.9, 3.0)):
        for red in reductions:
            record(f"focal_a{alpha}_g{gamma}_{red}", dict(loss="focal", reduction=red, alpha=alpha, gamma=gamma),
                   {"x": x}, lambda x, reduction, a=alpha, gm=gamma:
                   sigmoid_focal_loss(x, t, alpha=a, gamma=gm, reduction=reduction), {"target": t})

    x1 = uniform(g, (6, 5), -1.0, 1.0)
    x2 = uniform(g, (6, 5), -1.0, 1.0)
    x2[1] = f32(x1[1] * 0.5 + 0.1 * x2[1])  # a similar pair
    t = signs(g, (6,))
    t[0], t[1] = -1.0, -1.0
    for margin in (0.0, 0.3, -0.2):
        for red in reductions:
            record(f"cosine_embedding_m{margin}_{red}", dict(loss="cosine_embedding", reduction=red, margin=margin),
                   {"x1": x1, "x2": x2}, lambda x1, x2, reduction, m=margin:
                   F.cosine_embedding_loss(x1, x2, t, margin=m, reduction=reduction), {"target": t})

    LOSS_META["cases"] = ",".join(CASES)
    LOSS_META["kind"] = "losses"
    save("kit_losses", LOSS_TENSORS, LOSS_META)


# --- schedules ----------------------------------------------------------------------------------

STEPS = 100


def trace(make, base_lr, metric=None, momentum=0.0):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr, momentum=momentum)
    sched = make(opt)
    lrs = []
    for step in range(STEPS):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        if metric is None:
            sched.step()
        else:
            sched.step(float(metric[step]))
    return torch.tensor(lrs, dtype=torch.float64)


def schedules():
    S = torch.optim.lr_scheduler
    tensors = {}
    meta = {}
    names = []

    def add(name, settings, make, base_lr, metric=None, momentum=0.0):
        tensors[name + ".lr"] = trace(make, base_lr, metric, momentum)
        if metric is not None:
            tensors[name + ".metric"] = metric
        meta[name] = spec(**settings)
        names.append(name)

    add("exponential", dict(schedule="exponential", lr=0.1, gamma=0.95), lambda o: S.ExponentialLR(o, gamma=0.95), 0.1)
    for anneal in ("cos", "linear"):
        for three in (False, True):
            name = f"one_cycle_{anneal}{'_three' if three else ''}"
            add(name, dict(schedule="one_cycle", max_lr=0.5, total_steps=STEPS, pct_start=0.3, anneal_strategy=anneal,
                           div_factor=25.0, final_div_factor=1e4, three_phase=str(three).lower()),
                lambda o, a=anneal, t3=three: S.OneCycleLR(o, max_lr=0.5, total_steps=STEPS, pct_start=0.3,
                                                           anneal_strategy=a, div_factor=25.0,
                                                           final_div_factor=1e4, three_phase=t3,
                                                           cycle_momentum=False), 0.5)
    add("one_cycle_pct", dict(schedule="one_cycle", max_lr=0.02, total_steps=STEPS, pct_start=0.45,
                              anneal_strategy="cos", div_factor=10.0, final_div_factor=100.0, three_phase="false"),
        lambda o: S.OneCycleLR(o, max_lr=0.02, total_steps=STEPS, pct_start=0.45, div_factor=10.0,
                               final_div_factor=100.0, cycle_momentum=False), 0.02)
    for mode, up, down, gamma in (("triangular", 10, 10, 1.0), ("triangular2", 7, 13, 1.0),
                                  ("exp_range", 12, 8, 0.98)):
        add(f"cyclic_{mode}", dict(schedule="cyclic", base_lr=0.01, max_lr=0.1, step_size_up=up, step_size_down=down,
                                   mode=mode, gamma=gamma),
            lambda o, m=mode, u=up, d=down, gm=gamma: S.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=u,
                                                                 step_size_down=d, mode=m, gamma=gm,
                                                                 cycle_momentum=False), 0.01)
    for total, power in ((60, 1.0), (100, 2.0), (80, 0.5)):
        add(f"polynomial_{total}_{power}", dict(schedule="polynomial", lr=0.1, total_iters=total, power=power),
            lambda o, ti=total, pw=power: S.PolynomialLR(o, total_iters=ti, power=pw), 0.1)
    add("sequential_linear_exponential", dict(schedule="sequential_linear_exponential", lr=0.1, start_factor=0.1,
                                              warmup=10, gamma=0.95),
        lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=10), S.ExponentialLR(o, gamma=0.95)],
                                 milestones=[10]), 0.1)
    add("sequential_linear_step_exponential", dict(schedule="sequential_linear_step_exponential", lr=0.1,
                                                   start_factor=0.25, warmup=8, step_size=15, step_gamma=0.5,
                                                   milestone=50, gamma=0.97),
        lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.25, total_iters=8),
                                     S.StepLR(o, step_size=15, gamma=0.5), S.ExponentialLR(o, gamma=0.97)],
                                 milestones=[8, 50]), 0.1)

    g = torch.Generator().manual_seed(1414)
    # A loss that falls, then stalls with noise: plateaus of several lengths.
    steps = torch.arange(STEPS, dtype=torch.float64)
    falling = f32(torch.clamp(2.0 - steps / 15, min=0.6) + 0.01 * torch.rand(STEPS, generator=g, dtype=torch.float64))
    rising = f32(torch.clamp(steps / 20, max=2.5) + 0.02 * torch.rand(STEPS, generator=g, dtype=torch.float64))
    add("plateau_min_rel", dict(schedule="plateau", lr=0.1, mode="min", factor=0.5, patience=3, threshold=1e-2,
                                threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8),
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.5, patience=3, threshold=1e-2), 0.1, falling)
    add("plateau_min_abs_cooldown", dict(schedule="plateau", lr=0.1, mode="min", factor=0.3, patience=2,
                                         threshold=0.05, threshold_mode="abs", cooldown=4, min_lr=0.001, eps=1e-8),
        lambda o: S.ReduceLROnPlateau(o, mode="min", factor=0.3, patience=2, threshold=0.05, threshold_mode="abs",
                                      cooldown=4, min_lr=0.001), 0.1, falling)
    add("plateau_max_rel_eps", dict(schedule="plateau", lr=0.1, mode="max", factor=0.5, patience=1, threshold=1e-3,
                                    threshold_mode="rel", cooldown=1, min_lr=0.0, eps=0.01),
        lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.5, patience=1, threshold=1e-3, cooldown=1,
                                      eps=0.01), 0.1, rising)
    add("plateau_max_abs", dict(schedule="plateau", lr=0.05, mode="max", factor=0.1, patience=5, threshold=0.01,
                                threshold_mode="abs", cooldown=0, min_lr=1e-4, eps=1e-8),
        lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.1, patience=5, threshold=0.01, threshold_mode="abs",
                                      min_lr=1e-4), 0.05, rising)
    meta["schedules"] = ",".join(names)
    meta["kind"] = "schedules"
    meta["steps"] = STEPS
    save("kit_schedules", tensors, meta)


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    losses()
    schedules()
