#!/usr/bin/python3
"""PyTorch (CPU) measurements of the canonical workloads of
../WORKLOADS.md (the file beside this folder).

Usage (always under the shared lock so timed runs never overlap):
    flock /tmp/bench.lock /usr/bin/python3 torch_bench.py --threads 1 --malloc reuse
    flock /tmp/bench.lock /usr/bin/python3 torch_bench.py --threads 2 --malloc reuse --only GEMM-512,CONV-64
    (--malloc reuse gives the steady-state numbers reported as primary in
    torch_results.txt; --malloc glibc, the default, keeps glibc's settings)
    flock /tmp/bench.lock /usr/bin/python3 torch_bench.py --threads 2 --malloc reuse --blas openmp --round 2
    (--blas openmp: OpenBLAS built with OpenMP, which shares PyTorch's OpenMP
    threads; with the pthread build, OpenBLAS's own threads spin next to
    PyTorch's and, on 2 cores, the GEMM-bound second-round workloads run
    slower with 2 threads than with 1; see torch_results.txt)
    ... --header      print torch version / build config first
    ... --numpy       also time numpy.matmul for GEMM-512/1024 (reference point)
    ... --json FILE   also write the results as a JSON list (jmh/report.py --torch FILE)

Local copy (AutoProp's jmh/peers/) of shared/bench/peers/torch_bench.py with
two additions, marked "local addition" below: --json FILE, and --threads
taking any count (the shared copy allows 1 or 2), so that "all cores" works
on larger machines. Everything else is the shared version unchanged.

Output: one line per workload and mode
    ID mode threads median_ms rate unit

Method: fp32, NCHW, fixed seed, inputs uniform in [-1, 1), weights as torch
initialises them (Kaiming-uniform; the values do not affect the timing).
3 warm-up calls, then >= 10 timed calls (GEMM: >= 20; more when a call is
short, so that each timed series lasts about 1 s, capped at 200), median of
the per-call wall times (time.perf_counter). The machine is shared: each
line also says how many cores other processes used on average during the
reported series (other_cpu, from /proc/stat minus this process), the steal
time, and how many series were tried (a series with other_cpu > --max-other
is repeated up to --retries times, each after waiting up to --wait-s for a
quiet moment; the cleanest one is reported).
Memory: this VM makes page faults expensive (~1.5 us each). With glibc's
default malloc settings, tensors of several MB are mmap-ed and returned on
free, so every call faults its output/scratch buffers in again, which can
cost more than the compute (CONV-STEM fwd: ~10 ms with vs ~0.9 ms without)
and flips from process to process with glibc's dynamic mmap threshold.
--malloc reuse fixes the thresholds (env re-exec) so freed buffers are
reused: steady-state numbers, comparable with an engine that reuses its
buffers. Each line reports page faults per call. glibc caps
MALLOC_MMAP_THRESHOLD_ at 32 MiB, so buffers above it (RESNET18-INFER/16:
51 MB activations) were still mmap-ed and faulted in on every call
(12,545 faults per call; 594 / 338 ms at 1T / 2T against 456 / 270 ms
without them); since the second round, reuse also sets
MALLOC_MMAP_MAX_=0 (never mmap: every buffer comes from the heap and is
reused). No first-round workload has a buffer above 24 MiB.
  fwd      : under torch.no_grad() (BatchNorm stays in training mode: batch
             statistics, running stats updated).
  fwd+bwd  : autograd forward, then y.backward(g) with a fixed random upstream
             gradient g (= loss sum(y*g)); the input requires grad, so the
             gradient of the input and of every parameter is computed.
             Gradients are reset to None before each call (no accumulation).
  step     : fwd+bwd plus optimizer.step() of SGD(momentum=0.9) and
             optimizer.zero_grad(set_to_none=True), all inside the timed call.
Rates:
  GEMM          GFLOP/s = 2*M*N*K / t
  CONV-*        GFLOP/s, fwd FLOP = 2*N*Cout*Hout*Wout*Cin*9, fwd+bwd = 3x fwd
  BNRELU-64     GB/s (1e9 B), fwd bytes = x + y; fwd+bwd bytes = x + y + g + dx
  MERGE-3/*     GB/s, fwd bytes = 3 inputs + output; fwd+bwd adds g and the
                3 input gradients
  BLOCK-64      step ms; rate = conv GFLOP/s (the 2 convs, 3x fwd FLOP)
  SEED-*        fwd+bwd ms; rate = conv GFLOP/s (3x fwd FLOP of the convs)
  FMNIST-NET    step ms; rate = images/s (128 / t)

Second round (WORKLOADS.md "Workloads of the second round"; --round 2 runs
only these, --round 1 only the ones above; the default runs both):
  LN-512          nn.LayerNorm(512, eps 1e-5, affine) on [4096, 512]; fwd and
                  fwd+bwd; GB/s, bytes as BNRELU-64 (fwd x + y; fwd+bwd
                  x + y + g + dx; the 2x512 parameters are not counted)
  SOFTMAX-256     torch.softmax(x, dim=-1) on [64, 256, 256]; fwd and fwd+bwd;
                  GB/s, bytes as LN-512
  MHA-128         nn.MultiheadAttention(128, 4, dropout 0, bias, batch_first)
                  self-attention mha(x, x, x, need_weights=False) on
                  [32, 64, 128], no mask; fwd+bwd
  ATTN-128        nn.TransformerEncoderLayer(128, 4, 512, dropout=0,
                  activation="gelu" (erf), batch_first, norm_first) on
                  [32, 64, 128]; fwd+bwd and step
  ATTN-CAUSAL     ATTN-128 with src_mask = the float causal mask of
                  nn.Transformer.generate_square_subsequent_mask(64) (-inf
                  above the diagonal, built once); step
  MBCONV-32       torchvision's MobileNetV2 InvertedResidual(32, 32, stride 1,
                  expand_ratio 6): 1x1 32->192+BN+ReLU6, depthwise 3x3 (groups
                  192)+BN+ReLU6, 1x1 192->32+BN, + input; convs without bias;
                  [32, 32, 32, 32]; step
  DWCONV-192      nn.Conv2d(192, 192, 3, pad 1, groups 192, bias=False) on
                  [32, 192, 32, 32]; fwd+bwd; GB/s = (x + y + g + dx) / t
  BOTTLENECK-256  torchvision's ResNet Bottleneck(256, 64) (identity
                  shortcut, convs without bias) on [8, 256, 56, 56]; step
  RESNET18-INFER  torchvision resnet18(num_classes=1000), eval(), each call
                  under torch.inference_mode(); batch 1 and 16
                  (ids RESNET18-INFER/1 and /16); mode "infer" = latency ms
                  per call; rate images/s = N / t
  VIT-FMNIST      the ViT of WORKLOADS.md (see VitFmnist below), training step
                  on a random batch [128, 1, 28, 28]: zero_grad(set_to_none),
                  cross-entropy, backward, AdamW(lr 1e-3, betas 0.9/0.999,
                  weight decay 0.05).step(); images/s = 128 / t
  RESNET18-FMNIST torchvision resnet18(num_classes=10) with conv1 =
                  Conv2d(1, 64, 3, stride 1, pad 1, bias=False) and maxpool =
                  Identity; training step as FMNIST-NET (random batch 128,
                  cross-entropy, SGD lr 0.05 momentum 0.9 wd 5e-4);
                  images/s = 128 / t
  The "step" of ATTN-*, MBCONV-32 and BOTTLENECK-256 is that of BLOCK-64:
  input requires grad, loss sum(y*g), SGD(lr 0.01, momentum 0.9).
  Rates where WORKLOADS.md names only ms (MHA-*, ATTN-*, MBCONV-32,
  BOTTLENECK-256) are for orientation: GFLOP/s(matmul) = 3x the forward
  FLOP of the matrix products (in_proj 2*N*T*D*3D, Q.K^T and A.V 2*N*T*T*D
  each, out_proj 2*N*T*D*D, FFN 2*2*N*T*D*F; the causal mask does not
  reduce it) / t; GFLOP/s(conv) = 3x the forward FLOP of the convs
  (depthwise: 2*N*C*H*W*9) / t.
  BLAS: nn.Linear and the attention matmuls (bmm/baddbmm) go through
  libblas.so.3 (see --blas); convolutions through oneDNN. Run the second
  round with --blas openmp (the primary figures in torch_results.txt).
"""
import argparse
import os
import resource
import statistics
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=1)  # local addition: any count (shared: choices=[1, 2])
ap.add_argument("--only", default="", help="comma-separated workload ids (prefix match, e.g. MERGE-3)")
ap.add_argument("--round", type=int, default=0, choices=[0, 1, 2],
                help="1: only the first-round workloads, 2: only the second round, 0 (default): both")
# local addition: --json
ap.add_argument("--json", default="", help="also write the results to this file as a JSON list of objects "
                "{id, mode, threads, median_ms, rate, unit, runs, other_cpu, steal, pagefaults, tries, malloc, "
                "blas, torch, tag}")
ap.add_argument("--header", action="store_true", help="print version/config header")
ap.add_argument("--numpy", action="store_true", help="also time numpy.matmul GEMM-512/1024")
ap.add_argument("--min-runs", type=int, default=10)
ap.add_argument("--gemm-min-runs", type=int, default=20)
ap.add_argument("--warmup", type=int, default=3)
ap.add_argument("--target-s", type=float, default=1.0,
                help="extend a timed series to about this many seconds (capped at 200 runs)")
ap.add_argument("--tag", default="", help="label appended to each line (e.g. openblas)")
ap.add_argument("--max-other", type=float, default=0.10,
                help="repeat a timed series when other processes used more than this many cores")
ap.add_argument("--retries", type=int, default=4)
ap.add_argument("--wait-s", type=float, default=10.0,
                help="before a repeated series, wait up to this long for the machine to go quiet")
ap.add_argument("--malloc", default="glibc", choices=["glibc", "reuse"],
                help="glibc: the C library's defaults (large buffers are mmap-ed and handed "
                     "back, so every call page-faults them in again); reuse: "
                     "MALLOC_MMAP_THRESHOLD_=32MiB, MALLOC_TRIM_THRESHOLD_=64GiB, "
                     "MALLOC_MMAP_MAX_=0, so freed buffers are reused without page faults "
                     "(what jemalloc/tcmalloc give)")
ap.add_argument("--blas", default="system", choices=["system", "openmp", "pthread"],
                help="system: whatever libblas.so.3 resolves to; openmp / pthread: re-exec with "
                     "LD_LIBRARY_PATH pointing at Debian's OpenBLAS built with OpenMP "
                     "(libopenblas0-openmp: shares PyTorch's OpenMP threads) or with its own "
                     "pthreads (libopenblas0-pthread)")
args = ap.parse_args()

# The dynamic loader reads LD_LIBRARY_PATH at start-up only: re-exec with it set.
BLAS_DIRS = {"openmp": "/usr/lib/x86_64-linux-gnu/openblas-openmp",
             "pthread": "/usr/lib/x86_64-linux-gnu/openblas-pthread"}
if args.blas != "system":
    _dir = BLAS_DIRS[args.blas]
    if not os.path.exists(os.path.join(_dir, "libblas.so.3")):
        sys.exit(f"--blas {args.blas}: no {_dir}/libblas.so.3 "
                 f"(apt-get install -y libopenblas0-{args.blas})")
    _llp = os.environ.get("LD_LIBRARY_PATH", "")
    if _llp.split(":")[0] != _dir:
        os.environ["LD_LIBRARY_PATH"] = _dir + (":" + _llp if _llp else "")
        os.execv(sys.executable, [sys.executable] + sys.argv)

# glibc reads its malloc tunables at start-up only: re-exec with them set.
MALLOC_ENV = {"MALLOC_MMAP_THRESHOLD_": str(32 << 20), "MALLOC_TRIM_THRESHOLD_": str(64 << 30),
              "MALLOC_MMAP_MAX_": "0"}
if args.malloc == "reuse" and any(os.environ.get(k) != v for k, v in MALLOC_ENV.items()):
    os.environ.update(MALLOC_ENV)
    os.execv(sys.executable, [sys.executable] + sys.argv)
if args.malloc == "glibc" and any(k in os.environ for k in MALLOC_ENV):
    for k in MALLOC_ENV:
        os.environ.pop(k, None)
    os.execv(sys.executable, [sys.executable] + sys.argv)

# Thread counts must be fixed before the libraries load.
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = str(args.threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

torch.set_num_threads(args.threads)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass
torch.manual_seed(1234)

T = args.threads
SUFFIX = (" " + args.tag) if args.tag else ""


def out(line):
    print(line + SUFFIX, flush=True)


def cpu_jiffies():
    """(busy jiffies of the whole machine, steal jiffies, jiffies of this process)."""
    with open("/proc/stat") as fh:
        f = [int(v) for v in fh.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal ...
    busy = f[0] + f[1] + f[2] + f[5] + f[6]
    steal = f[7] if len(f) > 7 else 0
    with open("/proc/self/stat") as fh:
        st = fh.read().rsplit(")", 1)[1].split()
    mine = int(st[11]) + int(st[12])  # utime + stime, all threads
    return busy, steal, mine


HZ = os.sysconf("SC_CLK_TCK")
LAST = {}


def series(fn, runs):
    b0, s0, m0 = cpu_jiffies()
    f0 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    w0 = time.perf_counter()
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    wall = time.perf_counter() - w0
    f1 = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    b1, s1, m1 = cpu_jiffies()
    # average number of cores used by other processes during the series
    other = max(0.0, ((b1 - b0) - (m1 - m0)) / HZ / wall)
    steal = (s1 - s0) / HZ / wall
    return statistics.median(ts) * 1e3, other, steal, (f1 - f0) / runs


def wait_quiet():
    """Wait (at most --wait-s) until other processes use <= --max-other cores
    over a 0.5 s sample."""
    deadline = time.perf_counter() + args.wait_s
    while time.perf_counter() < deadline:
        b0, _, m0 = cpu_jiffies()
        w0 = time.perf_counter()
        time.sleep(0.5)
        b1, _, m1 = cpu_jiffies()
        if ((b1 - b0) - (m1 - m0)) / HZ / (time.perf_counter() - w0) <= args.max_other:
            return


def timeit(fn, min_runs):
    """3 warm-up calls, then a timed series; a series during which other
    processes used more than --max-other cores on average is repeated (up to
    --retries times) and the cleanest series is reported."""
    for _ in range(args.warmup):
        fn()
    t0 = time.perf_counter()
    fn()
    est = time.perf_counter() - t0
    runs = max(min_runs, min(200, int(args.target_s / max(est, 1e-9))))
    best = None
    for attempt in range(args.retries + 1):
        if attempt:
            wait_quiet()
            fn()  # re-warm after the pause
        ms, other, steal, faults = series(fn, runs)
        if best is None or other < best[1]:
            best = (ms, other, steal, faults)
        if other <= args.max_other:
            break
    LAST.update(runs=runs, other=best[1], steal=best[2], faults=best[3], attempts=attempt + 1)
    return best[0], runs


RESULTS = []  # local addition: the lines of report(), for --json


def report(wid, mode, ms, rate, unit):
    RESULTS.append({"id": wid, "mode": mode, "threads": T, "median_ms": ms, "rate": rate, "unit": unit,
                    "runs": LAST["runs"], "other_cpu": LAST["other"], "steal": LAST["steal"],
                    "pagefaults": LAST["faults"], "tries": LAST["attempts"], "malloc": args.malloc,
                    "blas": args.blas, "torch": torch.__version__, "tag": args.tag})  # local addition
    out(f"{wid} {mode} {T} {ms:.3f} {rate:.2f} {unit}"
        f"  # malloc={args.malloc} runs={LAST['runs']} pagefaults/call={LAST['faults']:.0f}"
        f" other_cpu={LAST['other']:.2f} steal={LAST['steal']:.2f} tries={LAST['attempts']}"
        + (f" blas={args.blas}" if args.blas != "system" else ""))


def U(*shape):
    return torch.rand(*shape) * 2 - 1


def conv_flop(n, cin, cout, hout, wout, k=3):
    return 2.0 * n * cout * hout * wout * cin * k * k


def reset_grads(params, inputs):
    for p in params:
        p.grad = None
    for x in inputs:
        x.grad = None


# ---------------------------------------------------------------- workloads
def bench_gemm(n):
    a, b = U(n, n), U(n, n)
    c = torch.empty(n, n)

    def f():
        torch.mm(a, b, out=c)

    ms, _ = timeit(f, args.gemm_min_runs)
    report(f"GEMM-{n}", "fwd", ms, 2.0 * n ** 3 / (ms * 1e-3) / 1e9, "GFLOP/s")


def numpy_gemm(n):
    rng = np.random.default_rng(1234)
    a = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    b = rng.uniform(-1, 1, (n, n)).astype(np.float32)
    c = np.empty((n, n), np.float32)

    def f():
        np.matmul(a, b, out=c)

    ms, _ = timeit(f, args.gemm_min_runs)
    report(f"NUMPY-GEMM-{n}", "fwd", ms, 2.0 * n ** 3 / (ms * 1e-3) / 1e9, "GFLOP/s")


def bench_conv(wid, n, cin, cout, h, w, stride):
    conv = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=True)
    x = U(n, cin, h, w)
    with torch.no_grad():
        y = conv(x)
    hout, wout = y.shape[2], y.shape[3]
    flop = conv_flop(n, cin, cout, hout, wout)
    g = U(*y.shape)

    def fwd():
        with torch.no_grad():
            conv(x)

    ms, _ = timeit(fwd, args.min_runs)
    report(wid, "fwd", ms, flop / (ms * 1e-3) / 1e9, "GFLOP/s")

    xg = x.clone().requires_grad_(True)
    params = list(conv.parameters())

    def fb():
        reset_grads(params, [xg])
        conv(xg).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report(wid, "fwd+bwd", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s")


def bench_bnrelu():
    n, c, h, w = 32, 64, 32, 32
    bn = nn.BatchNorm2d(c, eps=1e-5, momentum=0.1).train()
    x = U(n, c, h, w)
    g = U(n, c, h, w)
    tb = x.numel() * 4

    def fwd():
        with torch.no_grad():
            F.relu(bn(x))

    ms, _ = timeit(fwd, args.min_runs)
    report("BNRELU-64", "fwd", ms, 2 * tb / (ms * 1e-3) / 1e9, "GB/s")

    xg = x.clone().requires_grad_(True)
    params = list(bn.parameters())

    def fb():
        reset_grads(params, [xg])
        F.relu(bn(xg)).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report("BNRELU-64", "fwd+bwd", ms, 4 * tb / (ms * 1e-3) / 1e9, "GB/s")


MERGES = {
    # idiomatic torch; in-place on the fresh intermediate where autograd allows
    "SUM": lambda a, b, c: (a + b).add_(c),
    "SUB": lambda a, b, c: (a - b).sub_(c),                  # x1 - x2 - x3
    "HADAMARD": lambda a, b, c: a * b * c,
    "AVG": lambda a, b, c: (a + b).add_(c).mul_(1.0 / 3.0),
    "MAX": lambda a, b, c: torch.maximum(torch.maximum(a, b), c),
    "MIN": lambda a, b, c: torch.minimum(torch.minimum(a, b), c),
    "CHCAT": lambda a, b, c: torch.cat([a, b, c], dim=1),    # -> [32,192,32,32]
}


def bench_merge(mode_name):
    shape = (32, 64, 32, 32)
    xs = [U(*shape) for _ in range(3)]
    fn = MERGES[mode_name]
    with torch.no_grad():
        y = fn(*xs)
    g = U(*y.shape)
    in_b = 3 * xs[0].numel() * 4
    out_b = y.numel() * 4
    wid = f"MERGE-3/{mode_name}"

    def fwd():
        with torch.no_grad():
            fn(*xs)

    ms, _ = timeit(fwd, args.min_runs)
    report(wid, "fwd", ms, (in_b + out_b) / (ms * 1e-3) / 1e9, "GB/s")

    xg = [x.clone().requires_grad_(True) for x in xs]

    def fb():
        reset_grads([], xg)
        fn(*xg).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report(wid, "fwd+bwd", ms, 2 * (in_b + out_b) / (ms * 1e-3) / 1e9, "GB/s")


class BasicBlock(nn.Module):
    """x -> conv3x3+BN+ReLU -> conv3x3+BN -> (+ shortcut) -> ReLU.
    Identity shortcut when cin == cout, else conv1x1+BN (FMNIST-NET block2)."""

    def __init__(self, cin, cout, bias=True):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, padding=1, bias=bias)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, padding=1, bias=bias)
        self.b2 = nn.BatchNorm2d(cout)
        if cin != cout:
            self.sc = nn.Sequential(nn.Conv2d(cin, cout, 1, bias=bias), nn.BatchNorm2d(cout))
        else:
            self.sc = nn.Identity()

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        y = self.b2(self.c2(y))
        return F.relu(y + self.sc(x))


def bench_block():
    blk = BasicBlock(64, 64).train()
    x = U(32, 64, 32, 32).requires_grad_(True)
    g = U(32, 64, 32, 32)
    opt = torch.optim.SGD(blk.parameters(), lr=0.01, momentum=0.9)
    flop = 2 * conv_flop(32, 64, 64, 32, 32)

    def step():
        opt.zero_grad(set_to_none=True)
        x.grad = None
        blk(x).backward(g)
        opt.step()

    ms, _ = timeit(step, args.min_runs)
    report("BLOCK-64", "step", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s(conv)")


class SeedLinear(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)
        self.bn = nn.BatchNorm2d(6)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class SeedShortcut(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3, padding=1)

    def forward(self, x):
        c = self.conv(x)
        return F.relu(c) + c  # term(SUM) of relu(conv) and conv's output


class SeedChcat(nn.Module):
    def __init__(self):
        super().__init__()
        self.b = nn.ModuleList([nn.Conv2d(3, co, 3, padding=1) for co in (6, 12, 18)])

    def forward(self, x):  # identity root feeds the three branches
        return torch.cat([F.relu(conv(x)) for conv in self.b], dim=1)


def bench_seed(wid, model, couts):
    model.train()
    x = U(32, 3, 32, 32).requires_grad_(True)
    with torch.no_grad():
        y = model(x)
    g = U(*y.shape)
    params = list(model.parameters())
    flop = sum(conv_flop(32, 3, co, 32, 32) for co in couts)

    def fb():
        reset_grads(params, [x])
        model(x).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report(wid, "fwd+bwd", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s(conv)")


class FmnistNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU())
        self.block1 = BasicBlock(32, 32)
        self.block2 = BasicBlock(32, 64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = self.stem(x)
        x = self.block1(x)
        x = F.max_pool2d(x, 2, 2)
        x = self.block2(x)
        x = F.max_pool2d(x, 2, 2)
        x = x.mean(dim=(2, 3))
        return self.fc(x)


def bench_fmnist():
    model = FmnistNet().train()
    x = torch.randn(128, 1, 28, 28)
    yl = torch.randint(0, 10, (128,))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), yl).backward()
        opt.step()

    ms, _ = timeit(step, args.min_runs)
    report("FMNIST-NET", "step", ms, 128 / (ms * 1e-3), "img/s")


# ------------------------------------------------ second round (WORKLOADS.md)
def bench_ln():
    n, d = 4096, 512
    ln = nn.LayerNorm(d, eps=1e-5, elementwise_affine=True)
    x = U(n, d)
    g = U(n, d)
    tb = x.numel() * 4

    def fwd():
        with torch.no_grad():
            ln(x)

    ms, _ = timeit(fwd, args.min_runs)
    report("LN-512", "fwd", ms, 2 * tb / (ms * 1e-3) / 1e9, "GB/s")

    xg = x.clone().requires_grad_(True)
    params = list(ln.parameters())

    def fb():
        reset_grads(params, [xg])
        ln(xg).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report("LN-512", "fwd+bwd", ms, 4 * tb / (ms * 1e-3) / 1e9, "GB/s")


def bench_softmax():
    x = U(64, 256, 256)
    g = U(64, 256, 256)
    tb = x.numel() * 4

    def fwd():
        with torch.no_grad():
            torch.softmax(x, dim=-1)

    ms, _ = timeit(fwd, args.min_runs)
    report("SOFTMAX-256", "fwd", ms, 2 * tb / (ms * 1e-3) / 1e9, "GB/s")

    xg = x.clone().requires_grad_(True)

    def fb():
        reset_grads([], [xg])
        torch.softmax(xg, dim=-1).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report("SOFTMAX-256", "fwd+bwd", ms, 4 * tb / (ms * 1e-3) / 1e9, "GB/s")


def attn_flop(n, t, d, ffn=0):
    """Forward FLOP of the matrix products of one self-attention (+ FFN) layer
    on [n, t, d]; independent of the number of heads."""
    nt = n * t
    f = 2.0 * nt * d * 3 * d        # in_proj (Q, K, V)
    f += 2 * (2.0 * n * t * t * d)  # Q.K^T and A.V over all heads
    f += 2.0 * nt * d * d           # out_proj
    f += 2 * (2.0 * nt * d * ffn)   # FFN: d->ffn, ffn->d
    return f


def bench_mha():
    n, t, d = 32, 64, 128
    mha = nn.MultiheadAttention(d, 4, dropout=0.0, bias=True, batch_first=True).train()
    x = U(n, t, d).requires_grad_(True)
    g = U(n, t, d)
    params = list(mha.parameters())
    flop = attn_flop(n, t, d)

    def fb():
        reset_grads(params, [x])
        mha(x, x, x, need_weights=False)[0].backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report("MHA-128", "fwd+bwd", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s(matmul)")


def encoder_layer(d, heads, ffn):
    """Pre-norm transformer encoder layer, no dropout, GELU (erf)."""
    return nn.TransformerEncoderLayer(d, heads, ffn, dropout=0.0, activation="gelu",
                                      batch_first=True, norm_first=True)


def bench_attn(wid, causal, modes):
    n, t, d = 32, 64, 128
    layer = encoder_layer(d, 4, 512).train()
    # float mask, -inf above the diagonal: added to Q.K^T inside baddbmm
    mask = nn.Transformer.generate_square_subsequent_mask(t) if causal else None
    x = U(n, t, d).requires_grad_(True)
    g = U(n, t, d)
    params = list(layer.parameters())
    flop = attn_flop(n, t, d, 512)

    if "fwd+bwd" in modes:
        def fb():
            reset_grads(params, [x])
            layer(x, src_mask=mask).backward(g)

        ms, _ = timeit(fb, args.min_runs)
        report(wid, "fwd+bwd", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s(matmul)")

    if "step" in modes:
        opt = torch.optim.SGD(layer.parameters(), lr=0.01, momentum=0.9)

        def step():
            opt.zero_grad(set_to_none=True)
            x.grad = None
            layer(x, src_mask=mask).backward(g)
            opt.step()

        ms, _ = timeit(step, args.min_runs)
        report(wid, "step", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s(matmul)")


def bench_block_step(wid, blk, shape, flop):
    """step of a conv block as BLOCK-64: loss sum(y*g), input requires grad,
    SGD(lr 0.01, momentum 0.9)."""
    blk.train()
    x = U(*shape).requires_grad_(True)
    with torch.no_grad():
        y = blk(x.detach())
    g = U(*y.shape)
    opt = torch.optim.SGD(blk.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad(set_to_none=True)
        x.grad = None
        blk(x).backward(g)
        opt.step()

    ms, _ = timeit(step, args.min_runs)
    report(wid, "step", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s(conv)")


def bench_mbconv():
    from torchvision.models.mobilenetv2 import InvertedResidual
    blk = InvertedResidual(32, 32, stride=1, expand_ratio=6)
    n, h, w = 32, 32, 32
    flop = (conv_flop(n, 32, 192, h, w, k=1) + conv_flop(n, 1, 192, h, w, k=3)
            + conv_flop(n, 192, 32, h, w, k=1))
    bench_block_step("MBCONV-32", blk, (n, 32, h, w), flop)


def bench_bottleneck():
    from torchvision.models.resnet import Bottleneck
    blk = Bottleneck(256, 64)  # expansion 4: 256 -> 64 -> 64 -> 256, identity shortcut
    n, h, w = 8, 56, 56
    flop = (conv_flop(n, 256, 64, h, w, k=1) + conv_flop(n, 64, 64, h, w, k=3)
            + conv_flop(n, 64, 256, h, w, k=1))
    bench_block_step("BOTTLENECK-256", blk, (n, 256, h, w), flop)


def bench_dwconv():
    n, c, h, w = 32, 192, 32, 32
    conv = nn.Conv2d(c, c, 3, stride=1, padding=1, groups=c, bias=False)
    x = U(n, c, h, w).requires_grad_(True)
    g = U(n, c, h, w)
    tb = x.numel() * 4
    params = list(conv.parameters())

    def fb():
        reset_grads(params, [x])
        conv(x).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report("DWCONV-192", "fwd+bwd", ms, 4 * tb / (ms * 1e-3) / 1e9, "GB/s")


def bench_resnet18_infer():
    import torchvision
    model = torchvision.models.resnet18(weights=None, num_classes=1000).eval()
    for n in (1, 16):
        x = U(n, 3, 224, 224)

        def f():
            with torch.inference_mode():
                model(x)

        ms, _ = timeit(f, args.min_runs)
        report(f"RESNET18-INFER/{n}", "infer", ms, n / (ms * 1e-3), "img/s")


class VitFmnist(nn.Module):
    """VIT-FMNIST of WORKLOADS.md: patches Conv2d(1->96, 7x7, stride 7) -> 16
    tokens; class token prepended + learned position embedding [1, 17, 96]; 4
    pre-norm encoder layers (96, 4 heads, FFN 192, GELU erf, no dropout);
    LayerNorm(96) on the class token -> Linear(96->10).
    Init: torch's defaults for every module (each encoder layer built and
    initialised on its own), class token and position embedding
    trunc_normal(std 0.02)."""

    def __init__(self, d=96, heads=4, ffn=192, layers=4, classes=10, patch=7, tokens=16):
        super().__init__()
        self.patch = nn.Conv2d(1, d, patch, stride=patch)
        self.cls = nn.Parameter(torch.zeros(1, 1, d))
        self.pos = nn.Parameter(torch.zeros(1, tokens + 1, d))
        nn.init.trunc_normal_(self.cls, std=0.02)
        nn.init.trunc_normal_(self.pos, std=0.02)
        self.layers = nn.ModuleList([encoder_layer(d, heads, ffn) for _ in range(layers)])
        self.norm = nn.LayerNorm(d, eps=1e-5)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.patch(x).flatten(2).transpose(1, 2)                    # [N, 16, 96]
        x = torch.cat([self.cls.expand(x.shape[0], -1, -1), x], dim=1)  # [N, 17, 96]
        x = x + self.pos
        for layer in self.layers:
            x = layer(x)
        return self.head(self.norm(x[:, 0]))


def bench_train_step(wid, model, opt):
    model.train()
    x = torch.randn(128, 1, 28, 28)
    yl = torch.randint(0, 10, (128,))

    def step():
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), yl).backward()
        opt.step()

    ms, _ = timeit(step, args.min_runs)
    report(wid, "step", ms, 128 / (ms * 1e-3), "img/s")


def bench_vit():
    model = VitFmnist()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.999), weight_decay=0.05)
    bench_train_step("VIT-FMNIST", model, opt)


def resnet18_fmnist():
    """torchvision resnet18 for 28x28 grey images: stem conv 3x3 1->64 stride 1
    pad 1 (no bias, He-normal fan_out as torchvision initialises its convs),
    max pool removed, 10 classes."""
    import torchvision
    model = torchvision.models.resnet18(weights=None, num_classes=10)
    model.conv1 = nn.Conv2d(1, 64, 3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")
    model.maxpool = nn.Identity()
    return model


def bench_resnet18_fmnist():
    model = resnet18_fmnist()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    bench_train_step("RESNET18-FMNIST", model, opt)


def bench_conv_nd(wid, conv, shape):
    """Local addition (issue 14): a 3-wide 1-D or 3-D convolution, stride 1, padding 1, bias; fwd+bwd."""
    x = U(*shape).requires_grad_(True)
    with torch.no_grad():
        y = conv(x)
    kernel = 1
    for k in conv.kernel_size:
        kernel *= k
    flop = 2.0 * y.numel() * conv.in_channels * kernel
    g = U(*y.shape)
    params = list(conv.parameters())

    def fb():
        reset_grads(params, [x])
        conv(x).backward(g)

    ms, _ = timeit(fb, args.min_runs)
    report(wid, "fwd+bwd", ms, 3 * flop / (ms * 1e-3) / 1e9, "GFLOP/s")


# Local additions, run only when named by --only: issue 14's convolution figures.
LOCAL_WORKLOADS = [
    ("CONV1D", lambda: bench_conv_nd("CONV1D", nn.Conv1d(64, 64, 3, padding=1), (32, 64, 1024))),
    ("CONV3D", lambda: bench_conv_nd("CONV3D", nn.Conv3d(32, 32, 3, padding=1), (4, 32, 16, 32, 32))),
]

WORKLOADS2 = [
    ("LN-512", bench_ln),
    ("SOFTMAX-256", bench_softmax),
    ("MHA-128", bench_mha),
    ("ATTN-128", lambda: bench_attn("ATTN-128", False, ("fwd+bwd", "step"))),
    ("ATTN-CAUSAL", lambda: bench_attn("ATTN-CAUSAL", True, ("step",))),
    ("MBCONV-32", bench_mbconv),
    ("DWCONV-192", bench_dwconv),
    ("BOTTLENECK-256", bench_bottleneck),
    ("RESNET18-INFER", bench_resnet18_infer),
    ("VIT-FMNIST", bench_vit),
    ("RESNET18-FMNIST", bench_resnet18_fmnist),
]

WORKLOADS = [
    ("GEMM-256", lambda: bench_gemm(256)),
    ("GEMM-512", lambda: bench_gemm(512)),
    ("GEMM-1024", lambda: bench_gemm(1024)),
    ("CONV-64", lambda: bench_conv("CONV-64", 32, 64, 64, 32, 32, 1)),
    ("CONV-STEM", lambda: bench_conv("CONV-STEM", 128, 1, 32, 28, 28, 1)),
    ("CONV-DOWN", lambda: bench_conv("CONV-DOWN", 32, 64, 128, 32, 32, 2)),
    ("BNRELU-64", bench_bnrelu),
] + [(f"MERGE-3/{m}", (lambda m=m: bench_merge(m))) for m in MERGES] + [
    ("BLOCK-64", bench_block),
    ("SEED-LINEAR", lambda: bench_seed("SEED-LINEAR", SeedLinear(), [6])),
    ("SEED-SHORTCUT", lambda: bench_seed("SEED-SHORTCUT", SeedShortcut(), [6])),
    ("SEED-CHCAT", lambda: bench_seed("SEED-CHCAT", SeedChcat(), [6, 12, 18])),
    ("FMNIST-NET", bench_fmnist),
]
WORKLOADS1 = list(WORKLOADS)
WORKLOADS = WORKLOADS1 + WORKLOADS2


def header():
    print("# torch.__version__ =", torch.__version__)
    try:
        import torchvision
        print("# torchvision.__version__ =", torchvision.__version__)
    except ImportError:
        print("# torchvision not installed (needed by MBCONV-32, BOTTLENECK-256, RESNET18-*)")
    print("# torch.get_num_threads() =", torch.get_num_threads(), "(after set_num_threads(%d))" % T)
    print("# torch.backends.mkldnn.is_available() =", torch.backends.mkldnn.is_available())
    print("# torch.backends.mkldnn.enabled =", torch.backends.mkldnn.enabled)
    for line in torch.__config__.show().splitlines():
        print("#   " + line)
    for line in torch.__config__.parallel_info().splitlines():
        print("#   " + line)
    print("# malloc mode:", args.malloc, {k: os.environ.get(k) for k in MALLOC_ENV})
    print("# blas mode:", args.blas, "LD_LIBRARY_PATH=" + os.environ.get("LD_LIBRARY_PATH", ""),
          "OPENBLAS_CORETYPE=" + os.environ.get("OPENBLAS_CORETYPE", "(unset)"),
          "OPENBLAS_L2_SIZE=" + os.environ.get("OPENBLAS_L2_SIZE", "(unset)"))
    print("# numpy", np.__version__, "python", sys.version.split()[0], sys.executable)
    print("# numpy.show_config() names the build-time BLAS; the library loaded at run time is:")
    for line in loaded_libs():
        print("#   " + line)
    sys.stdout.flush()


def loaded_libs():
    """BLAS / LAPACK / oneDNN / OpenMP libraries actually mapped into this process
    (Debian resolves libblas.so.3 through update-alternatives at run time)."""
    import ctypes
    seen, lines = set(), []
    with open("/proc/self/maps") as fh:
        for ln in fh:
            parts = ln.split()
            if len(parts) < 6:
                continue
            path = parts[5]
            base = os.path.basename(path)
            if path in seen or not any(k in base for k in ("blas", "lapack", "dnnl", "gomp", "mkl")):
                continue
            seen.add(path)
            lines.append(f"{path} -> {os.path.realpath(path)}")
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_config.restype = ctypes.c_char_p
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lines.append("libblas.so.3 is OpenBLAS: %s; core=%s; threads=%d" % (
            lib.openblas_get_config().decode(), lib.openblas_get_corename().decode(),
            lib.openblas_get_num_threads()))
    except (OSError, AttributeError):
        lines.append("libblas.so.3 exports no openblas_get_config (not OpenBLAS)")
    return lines


if __name__ == "__main__":
    if args.header:
        header()
    sel = [s for s in args.only.split(",") if s]
    chosen = {0: WORKLOADS, 1: WORKLOADS1, 2: WORKLOADS2}[args.round] + (LOCAL_WORKLOADS if sel else [])
    for wid, fn in chosen:
        if sel and not any(wid == s or wid.startswith(s + "/") or wid.startswith(s) for s in sel):
            continue
        fn()
    if args.numpy:
        numpy_gemm(512)
        numpy_gemm(1024)
    if args.json:  # local addition
        import json
        with open(args.json, "w") as fh:
            json.dump(RESULTS, fh, indent=1)
