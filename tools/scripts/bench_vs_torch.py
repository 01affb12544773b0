#!/usr/bin/python3
"""dlc against PyTorch on the same machine in one run: training-step time and
peak memory.

Step time: for each model (models/NAME.dlg, trained with softmax
cross-entropy and Adam) and each thread count, compiles the model with dlc,
times its train entry with `dlrun bench` (random inputs, batch 64), and times
the same step of the PyTorch mirror module (tools/scripts/gen_onnx_models.py:
zero_grad, forward, cross-entropy, backward, Adam step) with
torch.set_num_threads(T), the same warm-up and the same statistics (median,
10th and 90th percentiles interpolated as numpy.percentile does). dlc and
PyTorch alternate --repeat times so that load from other processes falls on
both; the table gives the median over the repeats of each run's median and
of each percentile, the processor time per step (all threads; on a loaded
machine it shows the work where wall time also shows the wait), and the
ratio of the medians PyTorch / dlc (> 1: dlc is faster). PyTorch runs in a
child process per measurement with OMP_NUM_THREADS and OPENBLAS_NUM_THREADS
at T. Its linear layers call the system's libblas.so.3: Debian's
python3-torch alone gets the reference BLAS (netlib), 10-50x slower on the
MLP than a tuned one, so the script points PyTorch at Debian's OpenBLAS
(libopenblas0-pthread) where it is installed, or at --torch-lib-path; the
header names the BLAS the PyTorch runs loaded.

Peak memory: `dlrun train MODEL.dlm --data=idx:DIR --steps=K --threads=1` and
a PyTorch script training the mirror on the same data for the same steps
(images kept as uint8 and converted per batch, as torchvision's datasets
do), each in a child process of its own; ru_maxrss from os.wait4.

  /usr/bin/python3 tools/scripts/bench_vs_torch.py \\
      --dlc build/tools/dlc/dlc --dlrun build/tools/dlrun/dlrun

Speed is reported, never asserted. The machine's load average is printed
beside each row: on a shared machine compare ratios within one run.
"""

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

MODELS = ["softmax_regression", "mlp", "lenet5", "vgg_small"]
FASHION = "/usr/share/datasets/fashion-mnist"
LR = 1e-3


def summarize(ms):
    """The statistics `dlrun bench` prints, from a list of step times (ms)."""
    a = np.asarray(ms)
    return {"median_ms": float(np.percentile(a, 50)), "p10_ms": float(np.percentile(a, 10)),
            "p90_ms": float(np.percentile(a, 90)), "mean_ms": float(a.mean())}


def compile_model(dlc, name, work):
    out = os.path.join(work, name + ".dlm")
    cmd = [dlc, os.path.join(REPO, "models", name + ".dlg"), "--train", "--loss=cross_entropy",
           "--optimizer=adam", f"--lr={LR}", "-o", out, "--cache-dir",
           os.path.join(work, "kernel-cache")]
    subprocess.run(cmd, check=True)
    return out


def dlrun_bench(dlrun, dlm, batch, threads, steps, warmup):
    cmd = [dlrun, "bench", dlm, f"--steps={steps}", f"--warmup={warmup}", f"--batch={batch}",
           f"--threads={threads}", f"--lr={LR}"]
    p = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
    return json.loads(p.stdout)


def torch_model(name):
    import gen_onnx_models as gen

    model, shape, _ = gen.build_sample(name)
    return model.train(), shape


def torch_step_fn(model):
    import torch
    import torch.nn.functional as F

    opt = torch.optim.Adam(model.parameters(), lr=LR)

    def step(x, y):
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def blas_library():
    """The BLAS this process loaded (PyTorch's matmuls go through it)."""
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.rsplit("/", 1)[-1]}
    return ", ".join(sorted(libs)) or "none found"


def torch_bench(name, batch, threads, steps, warmup):
    """One PyTorch training step of the mirror, timed as `dlrun bench` times
    its train entry: random normal inputs, class labels, warm-up first."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model, shape = torch_model(name)
    step = torch_step_fn(model)
    x = torch.randn(batch, *shape)
    y = torch.randint(0, 10, (batch,))
    ms, cpu = [], 0.0
    for i in range(warmup + steps):
        c0, t0 = time.process_time(), time.perf_counter()
        step(x, y)
        t, c = (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3
        if i >= warmup:
            ms.append(t)
            cpu += c
    return dict(summarize(ms), cpu_ms=cpu / steps, blas=blas_library(),
                torch=torch.__version__)


def torch_env(threads, lib_path, extra=()):
    """The PyTorch children's environment: every thread pool (PyTorch's
    OpenMP, OpenBLAS's own) at `threads`, the BLAS from lib_path, then the
    --torch-env settings."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads))
    env.update(kv.split("=", 1) for kv in extra)
    if lib_path:
        env["LD_LIBRARY_PATH"] = os.pathsep.join(
            [lib_path] + [p for p in env.get("LD_LIBRARY_PATH", "").split(os.pathsep) if p])
    return env


def torch_bench_child(args, name, threads):
    """torch_bench in a child process of its own (so its thread pools and
    BLAS are set before torch loads)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--torch-bench", name,
           f"--threads={threads}", f"--batch={args.batch}", f"--steps={args.steps}",
           f"--warmup={args.warmup}"]
    p = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True,
                       env=torch_env(threads, args.torch_lib_path, args.torch_env))
    return json.loads(p.stdout.splitlines()[-1])


OPENBLAS_DIR = "usr/lib/x86_64-linux-gnu/openblas-pthread"


def default_torch_lib_path():
    """Debian's OpenBLAS (libopenblas0-pthread): Debian's python3-torch calls
    the generic libblas.so.3, which without OpenBLAS is the reference BLAS,
    ~10-50x slower on matmuls than any tuned one. The installed package where
    there is one; else the package unpacked (apt-get download, dpkg-deb -x; no
    root, nothing installed) under ~/.cache/dlc/openblas for PyTorch's
    children alone, so the rest of the system keeps its BLAS."""
    d = "/" + OPENBLAS_DIR
    if os.path.exists(os.path.join(d, "libblas.so.3")):
        return d
    cache = os.path.join(os.path.expanduser("~"), ".cache", "dlc", "openblas")
    d = os.path.join(cache, OPENBLAS_DIR)
    if os.path.exists(os.path.join(d, "libblas.so.3")):
        return d
    try:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["apt-get", "download", "libopenblas0-pthread"], cwd=tmp,
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deb = next(f for f in os.listdir(tmp) if f.endswith(".deb"))
            subprocess.run(["dpkg-deb", "-x", os.path.join(tmp, deb), cache], check=True)
    except (OSError, subprocess.CalledProcessError, StopIteration) as e:
        sys.stderr.write(f"note: could not fetch Debian's OpenBLAS for PyTorch ({e})\n")
        return ""
    return d if os.path.exists(os.path.join(d, "libblas.so.3")) else ""


# --- peak memory: one training run per child process ------------------------


def read_idx(path):
    """An IDX file of unsigned bytes (gzipped or not) as a numpy array."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def idx_file(data_dir, stem):
    for suffix in (".gz", ""):
        p = os.path.join(data_dir, stem + suffix)
        if os.path.exists(p):
            return p
    raise FileNotFoundError(os.path.join(data_dir, stem))


def torch_train(name, data_dir, steps, batch, threads):
    """What `dlrun train --steps` does, in PyTorch: loads the training and
    test sets (uint8), shuffles, trains `steps` steps of `batch` examples
    with Adam, reading the loss each step."""
    import torch

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    sets = {}
    for split in ("train", "t10k"):
        images = read_idx(idx_file(data_dir, f"{split}-images-idx3-ubyte"))
        labels = read_idx(idx_file(data_dir, f"{split}-labels-idx1-ubyte"))
        sets[split] = (torch.from_numpy(images.copy()), torch.from_numpy(labels.astype(np.int64)))
    images, labels = sets["train"]
    model, _ = torch_model(name)
    step = torch_step_fn(model)
    done = 0
    while done < steps:
        order = torch.randperm(len(labels))
        for b in range(0, len(labels), batch):
            if done == steps:
                break
            rows = order[b:b + batch]
            x = images[rows].unsqueeze(1).float().div_(255)
            loss = float(step(x, labels[rows]))
            done += 1
    print(f"torch {name}: {done} steps, last loss {loss:.4f}")


def child_peak_rss(cmd, env=None):
    """Runs cmd in a child process; returns (peak RSS in MB, seconds)."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                         env=env)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{out}")
    return usage.ru_maxrss / 1024.0, time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.path.join(REPO, "build", "tools", "dlc", "dlc"))
    ap.add_argument("--dlrun", default=os.path.join(REPO, "build", "tools", "dlrun", "dlrun"))
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--threads", default="1,2", help="thread counts, comma-separated")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=100, help="timed steps per run")
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3, help="alternating runs of dlc and PyTorch")
    ap.add_argument("--data", default=FASHION, help="IDX directory for the memory runs")
    ap.add_argument("--rss-steps", type=int, default=200,
                    help="training steps of the memory runs (0: skip them)")
    ap.add_argument("--work", help="keep compiled models here (default: a temporary folder)")
    ap.add_argument("--torch-lib-path", default=None,
                    help="a folder with the libblas.so.3 PyTorch should use (default: Debian's "
                         "OpenBLAS, installed or unpacked under ~/.cache/dlc; '' for the "
                         "system's libblas.so.3)")
    ap.add_argument("--torch-env", action="append", default=[], metavar="KEY=VALUE",
                    help="set in the PyTorch children's environment (repeatable), e.g. "
                         "OMP_WAIT_POLICY=PASSIVE: on a loaded machine OpenMP's spinning "
                         "threads make PyTorch's two-thread step many times slower")
    ap.add_argument("--torch-train", help=argparse.SUPPRESS)  # the PyTorch memory child
    ap.add_argument("--torch-bench", help=argparse.SUPPRESS)  # a PyTorch timing child
    args = ap.parse_args()
    if args.torch_lib_path is None:
        args.torch_lib_path = default_torch_lib_path()

    if args.torch_train:
        torch_train(args.torch_train, args.data, args.rss_steps, args.batch, 1)
        return 0
    if args.torch_bench:
        print(json.dumps(torch_bench(args.torch_bench, args.batch, int(args.threads),
                                     args.steps, args.warmup)))
        return 0

    models = [m for m in args.models.split(",") if m]
    threads = [int(t) for t in args.threads.split(",") if t]
    work = args.work or tempfile.mkdtemp(prefix="bench-vs-torch-")
    os.makedirs(work, exist_ok=True)
    try:
        dlms = {m: compile_model(args.dlc, m, work) for m in models}
        header = False

        for m in models:
            for t in threads:
                runs = {"dlc": [], "torch": []}
                loads = [os.getloadavg()[0]]
                for _ in range(args.repeat):
                    runs["dlc"].append(dlrun_bench(args.dlrun, dlms[m], args.batch, t,
                                                   args.steps, args.warmup))
                    runs["torch"].append(torch_bench_child(args, m, t))
                    loads.append(os.getloadavg()[0])
                if not header:
                    tr = runs["torch"][0]
                    env = " ".join(args.torch_env) or "default"
                    print(f"# dlc vs PyTorch {tr['torch']} (BLAS: {tr['blas']}; env: {env}): "
                          f"training step, batch {args.batch}, Adam lr {LR}, {args.steps} "
                          f"timed steps after {args.warmup} warm-up, median of {args.repeat} "
                          f"alternating runs; {os.cpu_count()} CPUs; load = 1-minute load "
                          "average\n")
                    if not any(k in tr["blas"].lower() for k in ("openblas", "mkl", "blis")):
                        print("note: PyTorch's matmuls ran on the reference BLAS, not a tuned "
                              "one: apt-get install libopenblas0-pthread, or pass "
                              "--torch-lib-path=DIR with its libblas.so.3, for a fair peer\n")
                    print("| model | threads | dlc ms (p10-p90) | dlc cpu ms | "
                          "PyTorch ms (p10-p90) | PyTorch cpu ms | PyTorch/dlc | load |")
                    print("|---|---|---|---|---|---|---|---|")
                    header = True
                row = {k: {s: statistics.median(r[s] for r in v)
                           for s in ("median_ms", "p10_ms", "p90_ms", "cpu_ms")}
                       for k, v in runs.items()}
                d, p = row["dlc"], row["torch"]
                print(f"| {m} | {t} | {d['median_ms']:.3f} ({d['p10_ms']:.3f}-{d['p90_ms']:.3f}) "
                      f"| {d['cpu_ms']:.3f} "
                      f"| {p['median_ms']:.3f} ({p['p10_ms']:.3f}-{p['p90_ms']:.3f}) "
                      f"| {p['cpu_ms']:.3f} | {p['median_ms'] / d['median_ms']:.2f} "
                      f"| {min(loads):.1f}-{max(loads):.1f} |", flush=True)

        if args.rss_steps > 0:
            print(f"\n# peak RSS: {args.rss_steps} training steps on {args.data}, batch "
                  f"{args.batch}, 1 thread, each in its own process (ru_maxrss)\n")
            print("| model | dlrun train MB | PyTorch MB | PyTorch/dlrun | dlrun s | PyTorch s |")
            print("|---|---|---|---|---|---|")
            for m in models:
                d_mb, d_s = child_peak_rss(
                    [args.dlrun, "train", dlms[m], f"--data=idx:{args.data}",
                     f"--steps={args.rss_steps}", f"--batch={args.batch}", "--threads=1",
                     f"--lr={LR}"])
                p_mb, p_s = child_peak_rss(
                    [sys.executable, os.path.abspath(__file__), "--torch-train", m,
                     f"--data={args.data}", f"--rss-steps={args.rss_steps}",
                     f"--batch={args.batch}"], torch_env(1, args.torch_lib_path, args.torch_env))
                print(f"| {m} | {d_mb:.1f} | {p_mb:.1f} | {p_mb / d_mb:.2f} | {d_s:.1f} "
                      f"| {p_s:.1f} |", flush=True)
    finally:
        if not args.work:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
