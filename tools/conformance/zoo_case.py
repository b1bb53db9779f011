"""Shared by the zoo scripts of ConvNeXt, ShuffleNetV2 and RegNet (convnext_zoo.py,
shufflenet_zoo.py, regnet_zoo.py): the full-size name lists and the small-model and block cases.

A full-size model M gives metadata only: `M.names` (`name:d0xd1...` of every state-dict entry,
sorted; `num_batches_tracked` included, shape []) and `M.params` (the parameter count).

A small model M (few classes, narrow widths, small input) gives, all math in float64 on float32
values with synthetic weights (synthetic.py; BatchNorm's num_batches_tracked int64, left at 0):
`M.state.NAME` its state dict, `M.x` the input, `M.labels` (float) the classes of the step,
`M.eval` the evaluation logits, `M.train` the training-mode logits of the same forward that
the step then differentiates, and `M.after_step` the evaluation logits after one SGD step (lr 0.1,
no momentum, mean cross-entropy on `M.labels`); the running statistics after the step are
`M.after.NAME`.

A block B gives `B.state.NAME`, `B.x`, the training output `B.y`, for `B.gy` the input gradient
`B.gx` and every parameter gradient `B.grad.NAME`, and the evaluation output `B.y_eval`.
"""
import torch

from synthetic import synthetic

LR = 0.1


def names(model):
    state = model.state_dict()
    return {"names": ";".join(sorted(k + ":" + "x".join(str(d) for d in v.shape) for k, v in state.items())),
            "params": sum(p.numel() for p in model.parameters())}


def full_size(meta, key, model):
    for k, v in names(model).items():
        meta[key + "." + k] = v


def synthesize(module):
    """Synthetic weights in float64 (num_batches_tracked stays 0); returns the state dict to store."""
    module.double()
    state = module.state_dict()
    module.load_state_dict({k: synthetic(k, tuple(v.shape)) for k, v in state.items()
                            if not k.endswith("num_batches_tracked")}, strict=False)
    return {k: v.clone() for k, v in module.state_dict().items()}


def model_case(tensors, meta, key, model, shape, labels):
    full_size(meta, key, model)
    for k, v in synthesize(model).items():
        tensors[key + ".state." + k] = v
    x = synthetic(key + ".x", shape)
    labels = torch.tensor(labels)
    model.eval()
    with torch.no_grad():
        tensors[key + ".eval"] = model(x)
    model.train()
    logits = model(x)
    tensors[key + ".train"] = logits.detach()
    torch.nn.functional.cross_entropy(logits, labels).backward()
    with torch.no_grad():
        for p in model.parameters():
            p -= LR * p.grad
    model.eval()
    with torch.no_grad():
        tensors[key + ".after_step"] = model(x)
    for k, v in model.state_dict().items():
        if "running" in k or k.endswith("num_batches_tracked"):
            tensors[key + ".after." + k] = v.clone()
    tensors[key + ".x"] = x
    tensors[key + ".labels"] = labels.to(torch.float64)


def block_case(tensors, key, block, shape):
    for k, v in synthesize(block).items():
        tensors[key + ".state." + k] = v
    x = synthetic(key + ".x", shape).requires_grad_(True)
    block.train()
    y = block(x)
    gy = synthetic(key + ".gy", tuple(y.shape))
    (y * gy).sum().backward()
    tensors.update({key + ".x": x.detach(), key + ".y": y.detach(), key + ".gy": gy, key + ".gx": x.grad})
    for k, p in block.named_parameters():
        tensors[key + ".grad." + k] = p.grad
    block.eval()
    with torch.no_grad():
        tensors[key + ".y_eval"] = block(x.detach())
