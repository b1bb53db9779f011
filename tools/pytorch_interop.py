#!/usr/bin/python3
"""Load an AutoProp FMNIST-NET checkpoint into PyTorch and evaluate it there.

    ./autoprop train --out runs/fmnist/1          # writes runs/fmnist/1/checkpoint.safetensors
    /usr/bin/python3 tools/pytorch_interop.py runs/fmnist/1/checkpoint.safetensors [--data DIR]

AutoProp writes weights in the safetensors format under PyTorch-style dotted names and PyTorch's
weight layouts (Conv2D [out, in, kh, kw], Dense [out, in]), so moving them to PyTorch is a
renaming of the graph's node names to the module names of the PyTorch FMNIST-NET of
jmh/peers/torch_fmnist.py. The script reads the file with numpy alone (no safetensors package),
loads it strictly, and prints PyTorch's test accuracy next to the one AutoProp recorded, on the test
set the run used (the folder recorded in the checkpoint) unless --data says otherwise.
Needs python3-torch and numpy (Debian: apt-get install python3-torch).
"""
import argparse
import gzip
import json
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# AutoProp node.index prefix -> PyTorch module path (ReferenceNets.fashionNet vs torch_fmnist.py)
RENAME = {
    "stem.0.": "stem.0.", "stem.1.": "stem.1.",
    "block1_a.0.": "block1.c1.", "block1_a.1.": "block1.b1.",
    "block1_b.0.": "block1.c2.", "block1_b.1.": "block1.b2.",
    "block2_a.0.": "block2.c1.", "block2_a.1.": "block2.b1.",
    "block2_b.0.": "block2.c2.", "block2_b.1.": "block2.b2.",
    "block2_shortcut.0.": "block2.sc.0.", "block2_shortcut.1.": "block2.sc.1.",
    "head.2.": "fc.",
}


def read_safetensors(path):
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if info["dtype"] != "F32":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]).copy()
    return out, meta


class BasicBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.b2 = nn.BatchNorm2d(cout)
        self.sc = (nn.Sequential(nn.Conv2d(cin, cout, 1), nn.BatchNorm2d(cout))
                   if cin != cout else nn.Identity())

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + self.sc(x))


class FmnistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.block1 = BasicBlock(32, 32)
        self.block2 = BasicBlock(32, 64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(self.block1(self.stem(x)), 2, 2)
        x = F.max_pool2d(self.block2(x), 2, 2)
        return self.fc(x.mean(dim=(2, 3)))


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as fh:
        raw = fh.read()
    ndim = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def find_data(meta, given):
    """The folder of the test set: --data, else the one the checkpoint was trained from, else the defaults."""
    here = os.path.dirname(os.path.abspath(__file__))
    recorded = meta.get("data", "").split(" (")[0]
    candidates = [given] if given else [recorded, "/usr/share/datasets/fashion-mnist",
                                        os.path.join(here, "..", "data", "fashion-mnist-subset")]
    for d in candidates:
        if d and os.path.exists(os.path.join(d, "t10k-images-idx3-ubyte.gz")):
            return d
    sys.exit(f"error: no Fashion-MNIST test set in {', '.join(c for c in candidates if c)} "
             "(expected t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz); pass --data DIR")


def main():
    parser = argparse.ArgumentParser(
        description="Load an AutoProp FMNIST-NET checkpoint into PyTorch and evaluate it on the test set.")
    parser.add_argument("checkpoint", help="a checkpoint.safetensors written by ./autoprop")
    parser.add_argument("--data", help="folder of the Fashion-MNIST IDX files (default: the one the checkpoint "
                        "was trained from, else Debian's dataset-fashion-mnist, else the shipped subset)")
    args = parser.parse_args()
    try:
        tensors, meta = read_safetensors(args.checkpoint)
    except (OSError, ValueError, KeyError, struct.error) as e:
        sys.exit(f"error: {args.checkpoint}: not a readable safetensors checkpoint ({type(e).__name__}: {e})")
    if meta.get("format") != "autoprop-checkpoint-1":
        sys.exit(f"error: {args.checkpoint}: format {meta.get('format')!r} (expected: autoprop-checkpoint-1, "
                 "a checkpoint written by ./autoprop)")
    state = {}
    for name, value in tensors.items():
        if not name.startswith("model."):
            continue  # optimizer state
        name = name[len("model."):]
        for ours, theirs in RENAME.items():
            if name.startswith(ours):
                state[theirs + name[len(ours):]] = torch.from_numpy(value)
                break
        else:
            sys.exit(f"error: {args.checkpoint}: unexpected tensor {name}: not part of FMNIST-NET")
    net = FmnistNet()
    for k, v in net.state_dict().items():
        if k.endswith("num_batches_tracked"):
            state[k] = v  # PyTorch-only counter, unused with momentum 0.1
    try:
        net.load_state_dict(state, strict=True)
    except RuntimeError as e:
        sys.exit(f"error: {args.checkpoint}: does not fit FMNIST-NET: {e}")
    net.eval()
    data = find_data(meta, args.data)
    x = torch.from_numpy(read_idx(os.path.join(data, "t10k-images-idx3-ubyte.gz")).astype(np.float32) / 255.0)
    x = ((x - 0.2860) / 0.3530).unsqueeze(1)
    y = torch.from_numpy(read_idx(os.path.join(data, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    with torch.no_grad():
        correct = sum(int((net(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum()) for i in range(0, len(y), 500))
    print(f"loaded {len(state)} tensors from {args.checkpoint} into PyTorch {torch.__version__} (strict)")
    print(f"PyTorch test accuracy: {100 * correct / len(y):.2f}% on {len(y)} images of {data}")
    history = [r for r in meta.get("history", "").split(";") if r]
    if history:
        recorded = meta.get("test-images")
        where = f" on {recorded} test images" if recorded else ""
        print(f"AutoProp recorded after epoch {meta.get('epoch')}: {100 * float(history[-1].split(',')[4]):.2f}%{where}")
        if recorded and int(recorded) != len(y):
            print(f"note: the two figures are on different test sets ({recorded} vs {len(y)} images): "
                  "pass --data with the folder the run was trained from to compare them")


if __name__ == "__main__":
    main()
