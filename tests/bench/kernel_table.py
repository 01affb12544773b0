#!/usr/bin/env python3
"""Turns dlc-kernel-bench JSON (--benchmark_out=FILE --benchmark_out_format=json,
one file per thread count) into a markdown table: Halide vs oneDNN GFLOP/s per
shape and pass, medians over repetitions, with ratios and % of peak (250
GFLOP/s per core, PERF-NOTES).

  kernel_table.py t1.json t2.json

Runs with --avx2 add two columns: the Halide kernels compiled for AVX2 and
their ratio to oneDNN (which runs its AVX-512 code either way).
"""
import json
import statistics
import sys
from collections import defaultdict

PEAK_PER_CORE = 250.0


def load(path):
    runs = defaultdict(list)  # (case, impl, threads) -> [GFLOP/s real, ...]
    cpu = defaultdict(list)
    for b in json.load(open(path))["benchmarks"]:
        if b.get("run_type") != "iteration":
            continue
        parts = [p for p in b["run_name"].split("/")
                 if not p.startswith("min_time") and p != "real_time"]
        # kind/shape/pass/impl/threads:N  or  matmul/shape/impl/threads:N
        impl = parts[-2]
        threads = int(parts[-1].split(":")[1])
        case = "/".join(parts[1:-2])
        runs[(case, impl, threads)].append(b["GFLOPs"])
        flops = b["GFLOPs"] * b["real_time"]  # GFLOP/s * ms = MFLOP
        cpu[(case, impl, threads)].append(flops / b["cpu_time"])
    return runs, cpu


def main():
    med, spread, medCpu = {}, {}, {}
    for path in sys.argv[1:]:
        runs, cpu = load(path)
        for k, v in runs.items():
            med[k] = statistics.median(v)
            spread[k] = (max(v) - min(v)) / med[k] if med[k] else 0
            medCpu[k] = statistics.median(cpu[k])
    threads = sorted({k[2] for k in med})
    avx2 = any(k[1] == "halide_avx2" for k in med)
    print("GFLOP/s from wall time, medians over repetitions; % peak against 250 GFLOP/s "
          "per thread. (cpu): from the timing thread's CPU time, i.e. without the time "
          "slices other processes took; meaningful for 1 thread only.")
    print()
    print("| case | thr | Halide | oneDNN (blocked) | oneDNN NCHW | Halide/oneDNN | "
          "Halide % peak | Halide (cpu) | oneDNN (cpu) | spread |"
          + (" Halide AVX2 | AVX2/oneDNN |" if avx2 else ""))
    print("|---|---|---|---|---|---|---|---|---|---|" + ("---|---|" if avx2 else ""))
    for c in sorted({k[0] for k in med}):
        for t in threads:
            h = med.get((c, "halide", t))
            d = med.get((c, "onednn_blocked", t)) or med.get((c, "onednn", t))
            n = med.get((c, "onednn_nchw", t))
            if h is None:
                continue
            peak = PEAK_PER_CORE * t
            dn = "onednn_blocked" if (c, "onednn_blocked", t) in med else "onednn"
            sp = max(spread.get((c, i, t), 0) for i in ("halide", dn))
            a = med.get((c, "halide_avx2", t))
            extra = "" if not avx2 else (" | |" if a is None else f" {a:.0f} | {a / d:.2f} |")
            print(f"| {c} | {t} | {h:.0f} | {d:.0f} | {'' if n is None else f'{n:.0f}'} | "
                  f"{h / d:.2f} | {100 * h / peak:.0f}% | {medCpu[(c, 'halide', t)]:.0f} | "
                  f"{medCpu[(c, dn, t)]:.0f} | {100 * sp:.0f}% |" + extra)


if __name__ == "__main__":
    main()
