#!/usr/bin/python3
"""Writes the PyTorch reference vectors of the sequence layers and the sequence loss.

    /usr/bin/python3 tools/conformance/sequence_layers.py

writes src/test/resources/conformance/<name>.safetensors (the folder's README describes the
format and the tensor names). Math in float64 on inputs that are exact float32 values; stored as
float32 (ids and labels as int64 where they are labels, as float32 where they are a layer's input).
Tests read the files only; Python is not needed to run them. Needs Debian's python3-torch (1.13).

Files:
  dense_3d                 nn.Linear(5, 4) on [2, 3, 5]
  dense_nd_axis1           DenseND(3, 4, axis=1) on [2, 3, 5]: Linear on x.movedim(1, -1), moved back
  dense_nd_axis-2_nobias   DenseND(3, 2, axis=-2, bias=False) on [2, 2, 3, 4]
  embedding                nn.Embedding(10, 4), ids [2, 5] with repeated ids
  embedding_padding        nn.Embedding(6, 3, padding_idx=1), ids [3, 4] with the padding id
  positional_encoding      the sinusoidal code (PyTorch tutorial / Luma formula), dim 8, maxLen 10, on [2, 6, 8]
  position_embedding       x + weight[:, :T] with weight [1, 7, 4], x [2, 5, 4]
  class_token              cat([weight.expand(N, -1, -1), x], dim=1), weight [1, 1, 4], x [3, 2, 4]
  transpose_1_2            x.transpose(1, 2) on [2, 3, 4]
  transpose_order_0_2_3_1  x.permute(0, 2, 3, 1) on [2, 3, 4, 5]
  slice_step               x[:, 1:4:2] on [2, 5, 3]
  slice_index              x[:, 0] on [2, 3, 4]
  slice_reverse            x[..., ::-1] on [2, 3, 4] (x.flip(-1): PyTorch has no negative steps)
  cross_entropy_seq        CrossEntropyLoss on logits [N, T, V] = [3, 4, 5] and targets [3, 4] with
                           ignored positions (-100); PyTorch takes [N, V, T], so it gets
                           x.permute(0, 2, 1). Names: x, labels (int64), loss, gx.
  cross_entropy_seq_smooth_sum   the same logits, label smoothing 0.2, reduction sum
  cross_entropy_seq_smooth_mean  label smoothing 0.1, mean, ignore_index 0 (a class id)
"""
import json
import math
import os
import struct
import zlib

import torch
import torch.nn.functional as F

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
    print(name, sorted(tensors))


def f32(t):
    """Rounds to float32 values, back in float64 for exact reference math."""
    return t.to(torch.float32).to(torch.float64)


def rand(g, *shape):
    return f32(torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1)


def layer_case(name, fn, x, params, metadata, input_grad=True):
    """Runs fn(x, params) forward and backward with loss sum(y * gy); saves x, params, y, gy, gx, grad.*."""
    g = torch.Generator().manual_seed(zlib.crc32(name.encode()))
    xs = x.clone().requires_grad_(input_grad)
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    y = fn(xs, ps)
    gy = rand(g, *y.shape)
    (y * gy).sum().backward()
    out = {"x": x, "y": y, "gy": gy}
    if input_grad:
        out["gx"] = xs.grad
    for k, v in params.items():
        out[k] = v
        out["grad." + k] = ps[k].grad
    save(name, out, dict(metadata, kind=metadata.get("kind", name), torch=torch.__version__))


def dense():
    g = torch.Generator().manual_seed(11)
    x = rand(g, 2, 3, 5)
    w, b = rand(g, 4, 5), rand(g, 4)
    layer_case("dense_3d", lambda x, p: F.linear(x, p["weight"], p["bias"]), x,
               {"weight": w, "bias": b}, {"in_features": 5, "out_features": 4})

    def dense_nd(axis, bias):
        def fn(x, p):
            return F.linear(x.movedim(axis, -1), p["weight"], p.get("bias")).movedim(-1, axis)
        return fn

    x = rand(g, 2, 3, 5)
    w, b = rand(g, 4, 3), rand(g, 4)
    layer_case("dense_nd_axis1", dense_nd(1, True), x, {"weight": w, "bias": b},
               {"in_features": 3, "out_features": 4, "axis": 1,
                "definition": "linear(x.movedim(axis, -1)).movedim(-1, axis)"})
    x = rand(g, 2, 2, 3, 4)
    w = rand(g, 2, 3)
    layer_case("dense_nd_axis-2_nobias", dense_nd(-2, False), x, {"weight": w},
               {"in_features": 3, "out_features": 2, "axis": -2, "bias": False,
                "definition": "linear(x.movedim(axis, -1)).movedim(-1, axis)"})


def embedding():
    g = torch.Generator().manual_seed(12)
    ids = torch.tensor([[3, 1, 3, 9, 0], [3, 7, 1, 1, 2]])
    w = f32(torch.randn(10, 4, generator=g, dtype=torch.float64))
    layer_case("embedding", lambda x, p: F.embedding(ids, p["weight"]), ids.to(torch.float64),
               {"weight": w}, {"num_embeddings": 10, "embedding_dim": 4}, input_grad=False)
    ids = torch.tensor([[1, 2, 1, 5], [0, 1, 1, 4], [5, 5, 3, 1]])
    w = f32(torch.randn(6, 3, generator=g, dtype=torch.float64))
    w[1] = 0  # nn.Embedding zeroes the padding row at construction
    layer_case("embedding_padding", lambda x, p: F.embedding(ids, p["weight"], padding_idx=1),
               ids.to(torch.float64), {"weight": w},
               {"num_embeddings": 6, "embedding_dim": 3, "padding_idx": 1}, input_grad=False)


def positional_encoding():
    dim, max_len = 8, 10
    position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float64) * (-math.log(10000.0) / dim))
    pe = torch.zeros(max_len, dim, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    g = torch.Generator().manual_seed(13)
    x = rand(g, 2, 6, dim)
    layer_case("positional_encoding", lambda x, p: x + pe[: x.shape[1]], x, {},
               {"dim": dim, "max_len": max_len})


def tokens():
    g = torch.Generator().manual_seed(14)
    x = rand(g, 2, 5, 4)
    w = f32(torch.randn(1, 7, 4, generator=g, dtype=torch.float64) * 0.02)
    layer_case("position_embedding", lambda x, p: x + p["weight"][:, : x.shape[1]], x, {"weight": w},
               {"max_len": 7, "dim": 4})
    x = rand(g, 3, 2, 4)
    w = f32(torch.randn(1, 1, 4, generator=g, dtype=torch.float64) * 0.02)
    layer_case("class_token", lambda x, p: torch.cat([p["weight"].expand(x.shape[0], -1, -1), x], dim=1),
               x, {"weight": w}, {"dim": 4})


def moves():
    g = torch.Generator().manual_seed(15)
    layer_case("transpose_1_2", lambda x, p: x.transpose(1, 2), rand(g, 2, 3, 4), {}, {"a": 1, "b": 2})
    layer_case("transpose_order_0_2_3_1", lambda x, p: x.permute(0, 2, 3, 1), rand(g, 2, 3, 4, 5), {},
               {"order": "0, 2, 3, 1"})
    layer_case("slice_step", lambda x, p: x[:, 1:4:2], rand(g, 2, 5, 3), {}, {"slice": ":, 1:4:2"})
    layer_case("slice_index", lambda x, p: x[:, 0], rand(g, 2, 3, 4), {}, {"slice": ":, 0"})
    layer_case("slice_reverse", lambda x, p: x.flip(-1), rand(g, 2, 3, 4), {}, {"slice": "..., ::-1"})


def cross_entropy():
    g = torch.Generator().manual_seed(16)
    n, t, v = 3, 4, 5
    x = f32(torch.randn(n, t, v, generator=g, dtype=torch.float64) * 2)
    labels = torch.randint(0, v, (n, t), generator=g)
    labels[0, 3] = -100
    labels[2, 0] = -100
    labels[2, 2] = -100

    def run(name, labels, **kw):
        xs = x.clone().requires_grad_(True)
        loss = F.cross_entropy(xs.permute(0, 2, 1), labels, **kw)  # PyTorch's class axis is 1
        loss.backward()
        meta = {k: v for k, v in kw.items()}
        meta.update(kind="cross_entropy_seq", torch=torch.__version__,
                    layout="x [N, T, V], labels [N, T]; PyTorch called on x.permute(0, 2, 1)")
        save(name, {"x": x, "labels": labels, "loss": loss.detach().reshape(1), "gx": xs.grad}, meta)

    run("cross_entropy_seq", labels, ignore_index=-100, reduction="mean", label_smoothing=0.0)
    run("cross_entropy_seq_smooth_sum", labels, ignore_index=-100, reduction="sum", label_smoothing=0.2)
    zero_ignored = labels.clone()
    zero_ignored[zero_ignored == -100] = 0
    zero_ignored[1, 1] = 0
    run("cross_entropy_seq_smooth_mean", zero_ignored, ignore_index=0, reduction="mean", label_smoothing=0.1)


if __name__ == "__main__":
    dense()
    embedding()
    positional_encoding()
    tokens()
    moves()
    cross_entropy()
