"""Checks one `dlrun bench` JSON line for sanity (never for speed): the
statistics are ordered as statistics must be, samples/s is batch / median,
and the counts are those asked for. Usage: check_bench.py FILE BATCH"""
import json
import sys

lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, f"want one JSON line, got {lines}"
r = json.loads(lines[0])
batch = int(sys.argv[2])
assert r["batch"] == batch, r
assert r["steps"] >= 1 and r["warmup"] >= 0 and r["threads"] >= 1, r
assert 0 < r["min_ms"] <= r["p10_ms"] <= r["median_ms"] <= r["p90_ms"] <= r["max_ms"], r
assert r["min_ms"] <= r["mean_ms"] <= r["max_ms"], r
assert r["cpu_ms"] >= 0, r
want = batch * 1000.0 / r["median_ms"]
assert abs(r["samples_per_s"] - want) <= 1e-9 * want, (r["samples_per_s"], want)
assert 1 < r["peak_rss_mb"] < 4096, r
