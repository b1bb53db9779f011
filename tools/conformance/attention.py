#!/usr/bin/python3
"""Writes the PyTorch reference vectors of attention and the transformer blocks.

    /usr/bin/python3 tools/conformance/attention.py

writes src/test/resources/conformance/<name>.safetensors (see that folder's README for the format).
Math in float64 on inputs that are exact float32 values, stored as float32. Tests read the files
only; Python is not needed to run them. Needs Debian's python3-torch (1.13), which has no
F.scaled_dot_product_attention: SDPA is written out below as matmul / softmax.

Names: inputs x0, x1, x2 in the order the layer takes them (query, key, value; or query, memory),
their gradients gx0, gx1, gx2; y, gy (the loss is sum(y * gy)); parameters by their PyTorch
state-dict names and grad.NAME. Masks: attn_mask [Tq, Tk] (mask_kind "bool": 1 = removed, PyTorch's
True; "additive": added to the scaled scores), key_padding_mask [N, Tk] (1 = padding). No case has
a fully masked row (PyTorch gives NaN there; AutoProp gives zero weights).

Files:
  sdpa                      q [2, 3, 4], k [2, 5, 4], v [2, 5, 3], no mask
  sdpa_heads_additive       [N, H, T, E] = [2, 2, 3, 4], k/v length 4, additive mask
  sdpa_causal               [2, 4, 3] self-sized q, k, v, causal
  sdpa_bool_mask            q [2, 3, 4], k, v [2, 4, 4], boolean mask
  sdpa_key_padding          q [2, 3, 4], k, v [2, 5, 4], key padding
  mha_self                  nn.MultiheadAttention(8, 2, batch_first) on x [2, 4, 8]
  mha_self_masked           the same with a causal mask and key padding
  mha_cross                 query [2, 3, 8], memory [2, 5, 8] (key = value = memory), key padding
  mha_qkv                   query [2, 3, 8], key [2, 4, 8], value [2, 4, 8], additive mask, no bias
  encoder_post              nn.TransformerEncoderLayer(8, 2, 16, dropout 0, relu, batch_first) on [2, 4, 8]
  encoder_pre               the same with norm_first and gelu
  decoder                   nn.TransformerDecoderLayer(8, 2, 16, dropout 0, relu, batch_first),
                            tgt [2, 4, 8] with a causal tgt_mask, memory [2, 5, 8]
  decoder_pre               the same with norm_first and gelu
  encoder_stack             nn.TransformerEncoder(post-norm layer, 2, norm=LayerNorm(8)) on [2, 4, 8]
  decoder_stack             nn.TransformerDecoder(pre-norm gelu layer, 2, norm=LayerNorm(8)), causal tgt_mask,
                            tgt [2, 4, 8], memory [2, 3, 8]
"""
import json
import os
import struct
import zlib

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.normpath(os.path.join(HERE, "..", "..", "src", "test", "resources", "conformance"))


def save(name, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for key in sorted(tensors):
        raw = tensors[key].detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[key] = {"dtype": "F32", "shape": list(tensors[key].shape), "data_offsets": [offset, offset + len(raw)]}
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


def gen(name):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()))


def causal(tq, tk):
    return torch.triu(torch.ones(tq, tk, dtype=torch.bool), diagonal=1)


def sdpa(q, k, v, attn_mask=None, mask_kind=None, key_padding=None, is_causal=False):
    """softmax(q k^T / sqrt(E) + mask) v over the last two axes (PyTorch 2's definition)."""
    s = q @ k.transpose(-2, -1) / (q.shape[-1] ** 0.5)
    if is_causal:
        s = s.masked_fill(causal(s.shape[-2], s.shape[-1]), float("-inf"))
    if attn_mask is not None:
        s = s.masked_fill(attn_mask.bool(), float("-inf")) if mask_kind == "bool" else s + attn_mask
    if key_padding is not None:
        kp = key_padding.bool().reshape(key_padding.shape[0], *([1] * (s.dim() - 2)), key_padding.shape[1])
        s = s.masked_fill(kp, float("-inf"))
    return torch.softmax(s, dim=-1) @ v


def run(name, fn, inputs, params, metadata, extra=None):
    """y = fn(inputs, params); loss sum(y * gy); saves inputs, parameters, y, gy and gradients."""
    g = gen(name)
    xs = [x.clone().requires_grad_(True) for x in inputs]
    y = fn(xs, params)
    gy = rand(g, *y.shape)
    for p in params.values():
        p.grad = None
    (y * gy).sum().backward()
    out = {"y": y, "gy": gy}
    for i, x in enumerate(inputs):
        out["x%d" % i] = x
        out["gx%d" % i] = xs[i].grad
    for k, p in params.items():
        out[k] = p
        out["grad." + k] = p.grad
    out.update(extra or {})
    save(name, out, dict(metadata, kind=metadata.get("kind", name), torch=torch.__version__))


def sdpa_cases():
    g = gen("sdpa")
    run("sdpa", lambda x, p: sdpa(*x), [rand(g, 2, 3, 4), rand(g, 2, 5, 4), rand(g, 2, 5, 3)], {}, {})
    m = rand(g, 3, 4)
    run("sdpa_heads_additive", lambda x, p: sdpa(*x, attn_mask=m, mask_kind="additive"),
        [rand(g, 2, 2, 3, 4), rand(g, 2, 2, 4, 4), rand(g, 2, 2, 4, 4)], {}, {"mask_kind": "additive"},
        {"attn_mask": m})
    run("sdpa_causal", lambda x, p: sdpa(*x, is_causal=True),
        [rand(g, 2, 4, 3), rand(g, 2, 4, 3), rand(g, 2, 4, 3)], {}, {"causal": True})
    bm = torch.tensor([[0, 1, 0, 1], [1, 0, 0, 0], [0, 0, 1, 1]], dtype=torch.float64)
    run("sdpa_bool_mask", lambda x, p: sdpa(*x, attn_mask=bm, mask_kind="bool"),
        [rand(g, 2, 3, 4), rand(g, 2, 4, 4), rand(g, 2, 4, 4)], {}, {"mask_kind": "bool"}, {"attn_mask": bm})
    kp = torch.tensor([[0, 0, 0, 1, 1], [0, 1, 0, 0, 0]], dtype=torch.float64)
    run("sdpa_key_padding", lambda x, p: sdpa(*x, key_padding=kp),
        [rand(g, 2, 3, 4), rand(g, 2, 5, 4), rand(g, 2, 5, 4)], {}, {}, {"key_padding_mask": kp})


def params_of(module, g):
    """The module's parameters, re-drawn as exact float32 values of order 1 (biases too)."""
    out = {}
    for k, p in module.named_parameters():
        with torch.no_grad():
            p.copy_(rand(g, *p.shape) * (0.5 if p.dim() > 1 else 0.2))
        out[k] = p
    return out


def mha_cases():
    def case(name, inputs, bias=True, attn_mask=None, mask_kind=None, key_padding=None, is_causal=False):
        g = gen(name)
        torch.manual_seed(0)
        mha = nn.MultiheadAttention(8, 2, bias=bias, batch_first=True).double()
        params = params_of(mha, g)
        xs = [rand(g, *s) for s in inputs]
        mask = None
        if is_causal:
            mask = causal(inputs[0][1], inputs[-1][1])
        elif attn_mask is not None:
            mask = attn_mask.bool() if mask_kind == "bool" else attn_mask
        kp = None if key_padding is None else key_padding.bool()

        def fn(x, p):
            q = x[0]
            k = x[1] if len(x) > 1 else x[0]
            v = x[2] if len(x) > 2 else k
            return mha(q, k, v, key_padding_mask=kp, attn_mask=mask, need_weights=False)[0]

        extra = {}
        if attn_mask is not None:
            extra["attn_mask"] = attn_mask
        if key_padding is not None:
            extra["key_padding_mask"] = key_padding
        meta = {"d_model": 8, "heads": 2, "bias": bias, "causal": is_causal}
        if mask_kind:
            meta["mask_kind"] = mask_kind
        run(name, fn, xs, params, meta, extra)

    case("mha_self", [(2, 4, 8)])
    case("mha_self_masked", [(2, 4, 8)], is_causal=True,
         key_padding=torch.tensor([[0, 0, 0, 1], [0, 0, 1, 1]], dtype=torch.float64))
    case("mha_cross", [(2, 3, 8), (2, 5, 8)],
         key_padding=torch.tensor([[0, 0, 0, 0, 1], [0, 1, 0, 1, 1]], dtype=torch.float64))
    g = gen("mha_qkv mask")
    case("mha_qkv", [(2, 3, 8), (2, 4, 8), (2, 4, 8)], bias=False, attn_mask=rand(g, 3, 4), mask_kind="additive")


def block_cases():
    def enc(name, norm_first, activation):
        g = gen(name)
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation, batch_first=True,
                                           norm_first=norm_first).double()
        params = params_of(layer, g)
        for k in params:
            if k.startswith("norm"):
                with torch.no_grad():
                    params[k].add_(1.0 if k.endswith("weight") else 0.0)
        run(name, lambda x, p: layer(x[0]), [rand(g, 2, 4, 8)], params,
            {"d_model": 8, "heads": 2, "dim_feedforward": 16, "norm_first": norm_first, "activation": activation,
             "layer_norm_eps": 1e-5})

    enc("encoder_post", False, "relu")
    enc("encoder_pre", True, "gelu")

    def dec(name, norm_first, activation):
        g = gen(name)
        layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation=activation, batch_first=True,
                                           norm_first=norm_first).double()
        params = params_of(layer, g)
        for k in params:
            if k.startswith("norm") and k.endswith("weight"):
                with torch.no_grad():
                    params[k].add_(1.0)
        mask = causal(4, 4)
        run(name, lambda x, p: layer(x[0], x[1], tgt_mask=mask), [rand(g, 2, 4, 8), rand(g, 2, 5, 8)], params,
            {"d_model": 8, "heads": 2, "dim_feedforward": 16, "norm_first": norm_first, "activation": activation,
             "layer_norm_eps": 1e-5, "tgt_mask": "causal"})

    dec("decoder", False, "relu")
    dec("decoder_pre", True, "gelu")

    g = gen("encoder_stack")
    layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, batch_first=True)
    stack = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False).double()
    params = params_of(stack, g)
    for k in params:
        if "norm" in k and k.endswith("weight"):
            with torch.no_grad():
                params[k].add_(1.0)
    run("encoder_stack", lambda x, p: stack(x[0]), [rand(g, 2, 4, 8)], params,
        {"d_model": 8, "heads": 2, "dim_feedforward": 16, "layers": 2, "norm_first": False, "activation": "relu",
         "final_norm": True})


def decoder_stack():
    g = gen("decoder_stack")
    layer = nn.TransformerDecoderLayer(8, 2, 16, dropout=0.0, activation="gelu", batch_first=True, norm_first=True)
    stack = nn.TransformerDecoder(layer, 2, norm=nn.LayerNorm(8)).double()
    params = params_of(stack, g)
    for k in params:
        if "norm" in k and k.endswith("weight"):
            with torch.no_grad():
                params[k].add_(1.0)
    mask = causal(4, 4)
    run("decoder_stack", lambda x, p: stack(x[0], x[1], tgt_mask=mask), [rand(g, 2, 4, 8), rand(g, 2, 3, 8)], params,
        {"d_model": 8, "heads": 2, "dim_feedforward": 16, "layers": 2, "norm_first": True, "activation": "gelu",
         "final_norm": True, "tgt_mask": "causal"})


if __name__ == "__main__":
    sdpa_cases()
    mha_cases()
    block_cases()
    decoder_stack()
