#!/usr/bin/env python3
"""Summarise JMH JSON results of AutoProp: median ms per call and the derived rate.

The rate at the fastest call (min) is shown too: on a shared, noisy machine it is the better
estimate of what the kernel can do; the median is the number WORKLOADS.md asks for.

Usage: python3 jmh/report.py results.json [more.json ...]

The work of each workload (shared/bench/WORKLOADS.md) is keyed by the workload id found in the
benchmark name. GEMM-s: 2*s^3 FLOP. Add the other workloads here when their benchmarks land
(CONV_64: 2*N*Cout*H*W*Cin*9 FLOP per forward, fwd+bwd counted as 3x; BNRELU_64, MERGE_3: bytes
moved -> GB/s; BLOCK_64, SEED_*, FMNIST_NET: ms per step only).
"""
import json
import re
import sys


def work(benchmark):
    """(amount, unit) of one call, or None when only the time is reported."""
    m = re.search(r"GEMM_(\d+)", benchmark)
    if m:
        s = int(m.group(1))
        return 2.0 * s ** 3, "GFLOP/s"
    return None


def main(paths):
    print(f"{'benchmark':45} {'threads':>7} {'jdk':>8} {'median ms':>10} {'min ms':>8} {'p90 ms':>9}"
          f" {'rate at median':>20} {'at min':>8}")
    for path in paths:
        with open(path) as f:
            results = json.load(f)
        for r in results:
            name = r["benchmark"].replace("org.autoprop.bench.", "")
            threads = r.get("params", {}).get("threads", "-")
            metric = r["primaryMetric"]
            if metric["scoreUnit"] != "ms/op" or "scorePercentiles" not in metric:
                print(f"{name:45} {threads:>7} {r['jdkVersion']:>8} (needs SampleTime in ms/op)")
                continue
            p = metric["scorePercentiles"]
            median, low, p90 = p["50.0"], p["0.0"], p["90.0"]
            w = work(name)
            rate = f"{w[0] / (median * 1e6):9.1f} {w[1]}" if w else ""
            best = f"{w[0] / (low * 1e6):8.1f}" if w else ""
            print(f"{name:45} {threads:>7} {r['jdkVersion']:>8} {median:10.3f} {low:8.3f} {p90:9.3f}"
                  f" {rate:>20} {best:>8}")


if __name__ == "__main__":
    main(sys.argv[1:])
