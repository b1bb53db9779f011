#!/usr/bin/env python3
"""Summarise JMH JSON results of AutoProp: median ms per call and the derived rate of each
workload of shared/bench/WORKLOADS.md, optionally side by side with PyTorch's figures.

Usage:
    python3 jmh/report.py results.json [more.json ...]
        a text table: median, min and p90 ms, the rate at the median and at the fastest call
        (on a shared, noisy machine the min is the better estimate of what a kernel can do;
        the median is the number WORKLOADS.md asks for)
    python3 jmh/report.py --markdown [--torch torch-1.json,torch-2.json] results.json ...
        a Markdown table for jmh/RESULTS.md: our median and rate, PyTorch's median and rate
        (from jmh/peers/torch_bench.py --json), and the time ratio ours / PyTorch
        (below 1: we are faster). Our "all" threads is matched with PyTorch's run at
        --nproc threads (default: this machine's processor count).

Work per call (the workload id is in the benchmark method's name, the mode after it):
    GEMM-s                 2 s^3 FLOP                                    GFLOP/s
    CONV-64/STEM/DOWN      fwd 2 N Cout Ho Wo Cin 9 FLOP; fwd+bwd 3x      GFLOP/s
    CONV1D, CONV3D         fwd 2 (output size) Cin (kernel taps); fwd+bwd 3x  GFLOP/s
    BNRELU-64              fwd x + y; fwd+bwd x + y + g + dx (bytes)      GB/s (1e9 B)
    MERGE-3/<mode>         fwd 3 inputs + output; fwd+bwd twice that      GB/s
    LN-512, SOFTMAX-256    fwd x + y; fwd+bwd x + y + g + dx (bytes)      GB/s
    BLOCK-64, SEED-*       3x the forward FLOP of their convolutions      GFLOP/s(conv)
    MHA-128, ATTN-128/CAUSAL 3x the forward FLOP of the matrix products     GFLOP/s(matmul)
    FMNIST-NET, VIT-FMNIST 128 images per step                            img/s
These are the formulas of jmh/peers/torch_bench.py, so both columns use the same work.
"""
import argparse
import json
import os
import re

MIB4 = 4  # bytes per float


def conv_flop(n, cin, cout, ho, wo, k=3):
    return 2.0 * n * cout * ho * wo * cin * k * k


CONVS = {
    "CONV-64": conv_flop(32, 64, 64, 32, 32),
    "CONV-STEM": conv_flop(128, 1, 32, 28, 28),
    "CONV-DOWN": conv_flop(32, 64, 128, 16, 16),
    "CONV1D": 2.0 * 32 * 64 * 1024 * 64 * 3,                  # issue 14: [32, 64, 1024], k 3
    "CONV3D": 2.0 * 4 * 32 * (16 * 32 * 32) * 32 * 27,        # issue 14: [4, 32, 16, 32, 32], k 3
}
ACT = 32 * 64 * 32 * 32 * MIB4  # one [32, 64, 32, 32] fp32 tensor, bytes
SEEDS = {
    "SEED-LINEAR": conv_flop(32, 3, 6, 32, 32),
    "SEED-SHORTCUT": conv_flop(32, 3, 6, 32, 32),
    "SEED-CHCAT": sum(conv_flop(32, 3, c, 32, 32) for c in (6, 12, 18)),
}
def attn_flop(n, t, d, ffn=0):
    """Forward FLOP of the matrix products of one self-attention (+ FFN) layer on [n, t, d]."""
    nt = n * t
    return 2.0 * nt * d * 3 * d + 2 * (2.0 * n * t * t * d) + 2.0 * nt * d * d + 2 * (2.0 * nt * d * ffn)


ATTN = {"MHA-128": attn_flop(32, 64, 128), "ATTN-128": attn_flop(32, 64, 128, 512),
        "ATTN-CAUSAL": attn_flop(32, 64, 128, 512)}
ROWS = {"LN-512": 4096 * 512 * MIB4, "SOFTMAX-256": 64 * 256 * 256 * MIB4}  # one input tensor, bytes
MODES = {"fwd": "fwd", "fwdbwd": "fwd+bwd", "step": "step"}


def identify(benchmark, params):
    """(workload id, mode, variant) of a JMH benchmark name, or None."""
    cls, method = benchmark.rsplit(".", 2)[-2:]
    variant = "scalar" if "Scalar" in cls else "vector"
    m = re.fullmatch(r"GEMM_(\d+)", method)
    if m:
        return f"GEMM-{m.group(1)}", "fwd", variant
    m = re.fullmatch(r"([A-Z0-9_]+?)_(fwd|fwdbwd|step)", method)
    if not m:
        return None
    wid = m.group(1).replace("_", "-")
    if wid == "MERGE-3":
        wid += "/" + params.get("mode", "?")
    return wid, MODES[m.group(2)], variant


def work(wid, mode):
    """(amount per call, unit) of a workload and mode, or None."""
    if wid.startswith("GEMM-"):
        s = int(wid[5:])
        return 2.0 * s ** 3, "GFLOP/s"
    if wid in CONVS:
        return CONVS[wid] * (1 if mode == "fwd" else 3), "GFLOP/s"
    if wid == "BNRELU-64":
        return (2 if mode == "fwd" else 4) * ACT, "GB/s"
    if wid in ROWS:
        return (2 if mode == "fwd" else 4) * ROWS[wid], "GB/s"
    if wid.startswith("MERGE-3/"):
        out = 3 * ACT if wid.endswith("CHCAT") else ACT
        return (1 if mode == "fwd" else 2) * (3 * ACT + out), "GB/s"
    if wid in ATTN:
        return 3 * ATTN[wid], "GFLOP/s(matmul)"
    if wid == "BLOCK-64":
        return 3 * 2 * CONVS["CONV-64"], "GFLOP/s(conv)"
    if wid in SEEDS:
        return 3 * SEEDS[wid], "GFLOP/s(conv)"
    if wid in ("FMNIST-NET", "VIT-FMNIST"):
        return 128 * 1e9, "img/s"  # scaled like the others: rate = amount / (ms * 1e6)
    return None


def rate(wid, mode, ms):
    w = work(wid, mode)
    return (w[0] / (ms * 1e6), w[1]) if w else (None, "")


def load_jmh(paths):
    rows = []
    for path in paths:
        with open(path) as f:
            results = json.load(f)
        for r in results:
            params = r.get("params", {})
            ident = identify(r["benchmark"], params)
            metric = r["primaryMetric"]
            row = {"name": r["benchmark"].replace("org.autoprop.bench.", ""), "threads": params.get("threads", "-"),
                   "jdk": r["jdkVersion"], "ident": ident}
            if metric["scoreUnit"] != "ms/op" or "scorePercentiles" not in metric:
                row["error"] = "needs SampleTime in ms/op"
            else:
                p = metric["scorePercentiles"]
                row.update(median=p["50.0"], min=p["0.0"], p90=p["90.0"])
            rows.append(row)
    return rows


def text(rows):
    print(f"{'benchmark':52} {'threads':>7} {'jdk':>8} {'median ms':>10} {'min ms':>8} {'p90 ms':>9}"
          f" {'rate at median':>24} {'at min':>8}")
    for r in rows:
        name = r["name"] + (f" [{r['ident'][0]}]" if r["ident"] and r["ident"][0].startswith("MERGE") else "")
        if "error" in r:
            print(f"{name:52} {r['threads']:>7} {r['jdk']:>8} ({r['error']})")
            continue
        wid, mode, _ = r["ident"] or (None, None, None)
        med, unit = rate(wid, mode, r["median"]) if wid else (None, "")
        low, _ = rate(wid, mode, r["min"]) if wid else (None, "")
        rs = f"{med:10.1f} {unit}" if med is not None else ""
        ls = f"{low:8.1f}" if low is not None else ""
        print(f"{name:52} {r['threads']:>7} {r['jdk']:>8} {r['median']:10.3f} {r['min']:8.3f} {r['p90']:9.3f}"
              f" {rs:>24} {ls:>8}")


def load_torch(paths):
    out = {}
    for path in paths:
        with open(path) as f:
            for r in json.load(f):
                out[(r["id"], r["mode"], int(r["threads"]))] = r
    return out


def order_key(r):
    wid, mode, variant = r["ident"]
    families = ["GEMM", "CONV-64", "CONV-STEM", "CONV-DOWN", "CONV1D", "CONV3D", "BNRELU", "LN", "SOFTMAX", "MHA", "ATTN", "MERGE", "BLOCK", "SEED", "FMNIST",
                "VIT"]
    fam = next((i for i, f in enumerate(families) if wid.startswith(f)), len(families))
    size = int(wid[5:]) if wid.startswith("GEMM-") else 0
    return (fam, size, wid, variant, ["fwd", "fwd+bwd", "step"].index(mode), r["threads"] != "1", r["jdk"])


def markdown(rows, torch, nproc):
    print("| workload | mode | kernels | threads | JDK | ours median ms | ours rate | PyTorch median ms"
          " | PyTorch rate | ours / PyTorch (time) |")
    print("|---|---|---|---|---|---:|---:|---:|---:|---:|")
    for r in sorted((r for r in rows if r["ident"] and "error" not in r), key=order_key):
        wid, mode, variant = r["ident"]
        t = 1 if r["threads"] == "1" else nproc
        ours, unit = rate(wid, mode, r["median"])
        peer = torch.get((wid, mode, t))
        p_ms = f"{peer['median_ms']:.3f}" if peer else "-"
        p_rate = f"{peer['rate']:.1f}" if peer else "-"
        ratio = f"{r['median'] / peer['median_ms']:.2f}" if peer else "-"
        ours_s = f"{ours:.1f} {unit}" if ours is not None else "-"
        print(f"| {wid} | {mode} | {variant} | {t} | {r['jdk']} | {r['median']:.3f} | {ours_s} | {p_ms} | {p_rate}"
              f" | {ratio} |")
    missing = sorted({k for k in torch} - {(r["ident"][0], r["ident"][1], 1 if r["threads"] == "1" else nproc)
                                          for r in rows if r["ident"]})
    if missing:
        print()
        print("PyTorch figures without a JMH counterpart in these results: "
              + ", ".join(f"{w} {m} {t}T" for w, m, t in missing))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("results", nargs="+", help="JMH JSON files (-rf json)")
    ap.add_argument("--markdown", action="store_true", help="print the Markdown table for RESULTS.md")
    ap.add_argument("--torch", default="", help="comma-separated JSON files of torch_bench.py --json")
    ap.add_argument("--nproc", type=int, default=os.cpu_count(), help="the thread count of threads=all")
    args = ap.parse_args()
    rows = load_jmh(args.results)
    if args.markdown:
        markdown(rows, load_torch([p for p in args.torch.split(",") if p]), args.nproc)
    else:
        text(rows)


if __name__ == "__main__":
    main()
