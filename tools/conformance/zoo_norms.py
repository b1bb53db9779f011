#!/usr/bin/python3
"""Writes the PyTorch reference vectors of the model zoo's normalisation layers.

    /usr/bin/python3 tools/conformance/zoo_norms.py

writes src/test/resources/conformance/<name>.safetensors (format: the folder's README). Math in
float64 on inputs that are exact float32 values; stored as float32; the loss is sum(y * gy).
Parameters are random (not their initial ones and zeros), so their path is checked. Needs Debian's
python3-torch (1.13) and python3-torchvision (0.14). ZooNormsTest reads them.

Files (metadata: `kind` and the layer's settings under PyTorch's names):
  groupnorm_*      nn.GroupNorm(num_groups, num_channels, eps, affine) on [N, C, *], ranks 2 to 5
  instancenorm2d_* nn.InstanceNorm2d(num_features, eps, affine), track_running_stats=False
  lrn_*            nn.LocalResponseNorm(size, alpha, beta, k) on [N, C, *], ranks 3 to 5; sizes
                   even, odd, 1 and wider than C (the zero padding of the channel axis)
  layernorm2d_*    torchvision's LayerNorm2d (ConvNeXt's channels-first LayerNorm), checked here
                   against ConvNeXt's own channels-first formula
  grn_*            ConvNeXt V2's GRN on NCHW, gamma and beta [1, C, 1, 1], checked here against the
                   official channels-last code on the permuted input; grn_zero_channel holds a
                   channel of zeros (its norm is 0: PyTorch's norm gradient there is 0)
  layerscale_*     torchvision CNBlock's layer scale: gamma [C, 1, 1] times x
"""
import os
import sys
import zlib

import torch
import torch.nn.functional as F
from torchvision.models.convnext import LayerNorm2d

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from conv_nd import f32, layer_case  # noqa: E402


def generator(name, salt):
    return torch.Generator().manual_seed(zlib.crc32(name.encode()) + salt)


def uniform(g, shape, lo=-1.0, hi=1.0):
    return f32(torch.rand(*shape, generator=g, dtype=torch.float64) * (hi - lo) + lo)


def affine_params(g, channels, shape=None):
    """A random weight around 1 and a random bias: not the initial ones and zeros."""
    shape = shape or (channels,)
    return {"weight": uniform(g, shape, 0.5, 1.5), "bias": uniform(g, shape)}


def group_norm(name, groups, shape, eps=1e-5, affine=True):
    g = generator(name, 1)
    x = uniform(g, shape, -1.0, 3.0)  # a non-zero mean
    params = affine_params(g, shape[1]) if affine else {}
    fn = lambda x, p: F.group_norm(x, groups, p.get("weight"), p.get("bias"), eps)
    layer_case(name, fn, x, params, {"kind": "groupnorm", "num_groups": groups, "num_channels": shape[1],
                                     "eps": repr(eps), "affine": str(affine).lower()})


def instance_norm(name, shape, eps=1e-5, affine=False):
    g = generator(name, 2)
    x = uniform(g, shape, -1.0, 3.0)
    params = affine_params(g, shape[1]) if affine else {}
    module = torch.nn.InstanceNorm2d(shape[1], eps=eps, affine=affine).double()
    assert not module.track_running_stats
    # The functional form the module calls, on the leaves layer_case differentiates; checked against
    # the module itself (with the same weight and bias) first.
    fn = lambda x, p: F.instance_norm(x, weight=p.get("weight"), bias=p.get("bias"), eps=eps)
    with torch.no_grad():
        if affine:
            module.weight.copy_(params["weight"])
            module.bias.copy_(params["bias"])
        assert torch.allclose(module(x), fn(x, params))
    layer_case(name, fn, x, params, {"kind": "instancenorm2d", "num_features": shape[1], "eps": repr(eps),
                                     "affine": str(affine).lower()})


def lrn(name, size, shape, alpha=1e-4, beta=0.75, k=1.0, amplitude=1.0):
    g = generator(name, 3)
    x = uniform(g, shape, -amplitude, amplitude)
    module = torch.nn.LocalResponseNorm(size, alpha, beta, k)
    fn = lambda x, p: module(x)
    layer_case(name, fn, x, {}, {"kind": "lrn", "size": size, "alpha": repr(alpha), "beta": repr(beta),
                                 "k": repr(k)})


def convnext_channels_first(x, weight, bias, eps):
    """ConvNeXt's LayerNorm(data_format="channels_first") forward, as its paper's code writes it."""
    u = x.mean(1, keepdim=True)
    s = (x - u).pow(2).mean(1, keepdim=True)
    x = (x - u) / torch.sqrt(s + eps)
    return weight[:, None, None] * x + bias[:, None, None]


def layer_norm_2d(name, shape, eps=1e-6):
    g = generator(name, 4)
    x = uniform(g, shape, -1.0, 3.0)
    params = affine_params(g, shape[1])
    module = LayerNorm2d(shape[1], eps=eps).double()

    def fn(x, p):
        # torchvision's forward: permute, F.layer_norm over the channels, permute back.
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, module.normalized_shape, p["weight"], p["bias"], module.eps)
        return x.permute(0, 3, 1, 2)

    with torch.no_grad():
        module.weight.copy_(params["weight"])
        module.bias.copy_(params["bias"])
        assert torch.allclose(module(x), fn(x, params))
        assert torch.allclose(convnext_channels_first(x, params["weight"], params["bias"], eps), fn(x, params))
    layer_case(name, fn, x, params, {"kind": "layernorm2d", "channels": shape[1], "eps": repr(eps)})


def grn_channels_first(x, p):
    gx = torch.norm(x, p=2, dim=(2, 3), keepdim=True)
    nx = gx / (gx.mean(dim=1, keepdim=True) + 1e-6)
    return p["gamma"] * (x * nx) + p["beta"] + x


def grn_official(x, gamma, beta):
    """ConvNeXt V2's GRN.forward on channels-last input, gamma and beta [1, 1, 1, C]."""
    gx = torch.norm(x, p=2, dim=(1, 2), keepdim=True)
    nx = gx / (gx.mean(dim=-1, keepdim=True) + 1e-6)
    return gamma * (x * nx) + beta + x


def grn(name, shape, zero_channel=False):
    g = generator(name, 5)
    x = uniform(g, shape)
    if zero_channel:
        x[0, 1] = 0
    c = shape[1]
    params = {"gamma": uniform(g, (1, c, 1, 1)), "beta": uniform(g, (1, c, 1, 1))}
    official = grn_official(x.permute(0, 2, 3, 1), params["gamma"].reshape(1, 1, 1, c),
                            params["beta"].reshape(1, 1, 1, c)).permute(0, 3, 1, 2)
    assert torch.allclose(official, grn_channels_first(x, params))
    layer_case(name, grn_channels_first, x, params, {"kind": "grn", "channels": c, "eps": "1e-6"})


def layer_scale(name, shape):
    g = generator(name, 6)
    x = uniform(g, shape)
    params = {"gamma": uniform(g, (shape[1], 1, 1), 0.1, 2.0)}
    layer_case(name, lambda x, p: p["gamma"] * x, x, params, {"kind": "layerscale", "channels": shape[1]})


def main():
    group_norm("groupnorm_g2_c6", 2, (2, 6, 3, 4))
    group_norm("groupnorm_g3_c6_rank3_eps1e-3", 3, (2, 6, 5), eps=1e-3)
    group_norm("groupnorm_g1_c4_rank5", 1, (2, 4, 2, 3, 2))
    group_norm("groupnorm_g4_c4_noaffine", 4, (2, 4, 3, 3), affine=False)
    group_norm("groupnorm_g2_c6_rank2", 2, (3, 6))
    instance_norm("instancenorm2d_default", (2, 3, 4, 5))
    instance_norm("instancenorm2d_affine_eps1e-3", (2, 3, 3, 4), eps=1e-3, affine=True)
    lrn("lrn_size5_default", 5, (2, 7, 3, 3), amplitude=30.0)  # large inputs: alpha 1e-4 visibly matters
    lrn("lrn_size4_rank3", 4, (2, 6, 5), alpha=0.5, beta=0.6, k=2.0, amplitude=2.0)
    lrn("lrn_size3_rank5", 3, (1, 4, 2, 2, 3), alpha=0.3, beta=0.75, k=1.0, amplitude=2.0)
    lrn("lrn_size9_wider_than_c", 9, (2, 4, 2, 3), alpha=0.8, beta=1.2, k=0.5, amplitude=1.5)
    lrn("lrn_size1", 1, (2, 3, 2, 2), alpha=0.7, beta=0.5, k=1.5, amplitude=2.0)
    layer_norm_2d("layernorm2d_c5", (2, 5, 3, 4))
    layer_norm_2d("layernorm2d_c8_eps1e-5", (1, 8, 2, 3), eps=1e-5)
    grn("grn_c4", (2, 4, 3, 3))
    grn("grn_zero_channel", (2, 3, 2, 3), zero_channel=True)
    layer_scale("layerscale_c4", (2, 4, 3, 2))


if __name__ == "__main__":
    torch.set_default_dtype(torch.float64)
    main()
