#!/usr/bin/python3
"""Train CHAR-LM (docs/LM.md) with PyTorch (CPU): the peer of `./autoprop lm`.

    flock /tmp/bench.lock /usr/bin/python3 jmh/peers/torch_lm.py --threads 2 --blas openmp

Data: the fortune files of Debian's `fortunes` package (apt-get install -y fortunes), read as
bytes in a fixed order and concatenated: the first 90% train, the last 10% validation. Nothing
of the text is shipped with the project.
Model: a decoder-only character (byte) transformer:
    Embedding(256, 128) + learned position embedding [1, 64, 128] (trunc_normal std 0.02)
    2 x nn.TransformerEncoderLayer(128, 4 heads, FFN 512, dropout 0, GELU (erf),
        batch_first, norm_first) with a causal mask
    LayerNorm(128) -> Linear(128 -> 256)
Recipe: AdamW (lr 1e-3, betas 0.9/0.999, eps 1e-8, weight decay 0.01 on every parameter),
batch 32 windows of 64 bytes taken at uniformly random offsets of the training text (the target
is the window shifted by one byte), 5 epochs of 200 steps, 5% linear warm-up then cosine decay
to 0 (the same per-step rule as torch_vit.py), seed 1234 (--seed).
Validation loss: mean cross-entropy over every position of the first 200 consecutive,
non-overlapping 65-byte windows of the validation text (12,800 predictions), eval mode.
Per epoch it prints the mean training loss, the validation loss, seconds, and a sample of 120
bytes drawn at temperature 0.8 after the prompt "The ".
"""
import argparse
import math
import os
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--epochs", type=int, default=5)
ap.add_argument("--steps", type=int, default=200, help="steps per epoch")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--seed", type=int, default=1234, help="initialization and shuffling seed")
ap.add_argument("--dir", default="/usr/share/games/fortunes")
ap.add_argument("--blas", default="system", choices=["system", "openmp", "pthread"],
                help="openmp / pthread: re-exec with Debian's OpenBLAS of that build (see torch_bench.py)")
args = ap.parse_args()
BLAS_DIRS = {"openmp": "/usr/lib/x86_64-linux-gnu/openblas-openmp",
             "pthread": "/usr/lib/x86_64-linux-gnu/openblas-pthread"}
if args.blas != "system":
    _dir = BLAS_DIRS[args.blas]
    if not os.path.exists(os.path.join(_dir, "libblas.so.3")):
        sys.exit(f"--blas {args.blas}: no {_dir}/libblas.so.3 (apt-get install -y libopenblas0-{args.blas})")
    _llp = os.environ.get("LD_LIBRARY_PATH", "")
    if _llp.split(":")[0] != _dir:
        os.environ["LD_LIBRARY_PATH"] = _dir + (":" + _llp if _llp else "")
        os.execv(sys.executable, [sys.executable] + sys.argv)
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)

# The files, in this order (docs/LM.md).
FILES = ["fortunes", "literature", "science", "wisdom", "people", "humorists"]
CONTEXT = 64
D = 128
HEADS = 4
FFN = 512
LAYERS = 2
BATCH = 32
LR = 1e-3
WEIGHT_DECAY = 0.01
WARMUP_FRACTION = 0.05
VAL_WINDOWS = 200


def load_text():
    data = b"".join(open(os.path.join(args.dir, f), "rb").read() for f in FILES)
    cut = len(data) * 9 // 10
    return torch.tensor(list(data[:cut]), dtype=torch.long), torch.tensor(list(data[cut:]), dtype=torch.long)


class CharLm(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(256, D)
        self.pos = nn.Parameter(torch.zeros(1, CONTEXT, D))
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.layers = nn.ModuleList([
            nn.TransformerEncoderLayer(D, HEADS, FFN, dropout=0.0, activation="gelu",
                                       batch_first=True, norm_first=True) for _ in range(LAYERS)])
        self.norm = nn.LayerNorm(D)
        self.head = nn.Linear(D, 256)
        self.register_buffer("mask", torch.triu(torch.full((CONTEXT, CONTEXT), float("-inf")), 1))

    def forward(self, ids):
        t = ids.shape[1]
        x = self.embed(ids) + self.pos[:, :t]
        for layer in self.layers:
            x = layer(x, src_mask=self.mask[:t, :t])
        return self.head(self.norm(x))


def lr_factor(total, warmup):
    def f(s):
        if s < warmup:
            return (s + 1) / warmup
        return 0.5 * (1.0 + math.cos(math.pi * (s - warmup) / (total - warmup)))
    return f


def validation_loss(model, val):
    windows = val[:VAL_WINDOWS * (CONTEXT + 1)].view(VAL_WINDOWS, CONTEXT + 1)
    model.eval()
    with torch.inference_mode():
        logits = model(windows[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, 256), windows[:, 1:].reshape(-1))
    model.train()
    return loss.item()


def sample(model, gen, prompt=b"The ", count=120, temperature=0.8):
    ids = list(prompt)
    model.eval()
    with torch.inference_mode():
        for _ in range(count):
            x = torch.tensor([ids[-CONTEXT:]], dtype=torch.long)
            p = F.softmax(model(x)[0, -1] / temperature, dim=-1)
            ids.append(int(torch.multinomial(p, 1, generator=gen)))
    model.train()
    return bytes(ids).decode("utf-8", errors="replace")


def main():
    torch.manual_seed(args.seed)
    train, val = load_text()
    if len(val) < VAL_WINDOWS * (CONTEXT + 1):
        sys.exit(f"validation text too short: {len(val)} bytes")
    model = CharLm()
    total = args.epochs * args.steps
    warmup = max(1, int(WARMUP_FRACTION * total))
    print(f"# torch {torch.__version__}, threads {torch.get_num_threads()}, text {len(train)} + {len(val)} bytes, "
          f"parameters {sum(p.numel() for p in model.parameters())}, {total} steps ({warmup} warm-up)")
    opt = torch.optim.AdamW(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=WEIGHT_DECAY)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lr_factor(total, warmup))
    gen = torch.Generator().manual_seed(args.seed)
    print("epoch train_loss val_loss seconds", flush=True)
    for epoch in range(1, args.epochs + 1):
        t0 = time.perf_counter()
        losses = []
        for _ in range(args.steps):
            starts = torch.randint(0, len(train) - CONTEXT - 1, (BATCH,), generator=gen)
            w = torch.stack([train[s:s + CONTEXT + 1] for s in starts.tolist()])
            logits = model(w[:, :-1])
            loss = F.cross_entropy(logits.reshape(-1, 256), w[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            losses.append(loss.item())
        seconds = time.perf_counter() - t0
        vl = validation_loss(model, val)
        print(f"{epoch} {sum(losses) / len(losses):.4f} {vl:.4f} {seconds:.1f}", flush=True)
        print("  sample: " + repr(sample(model, gen)), flush=True)
    print(f"final validation loss {vl:.4f}")


if __name__ == "__main__":
    main()
