#!/usr/bin/python3
"""End-to-end check of the Halide backend's training step against the
reference interpreter: for each sample model, two training steps on the
compiled artifact (`dlc MODEL --train ... -o M.dlm`, then `dlc M.dlm --run
--train --steps=2`) and on the interpreter (`dlc MODEL --train ... --run
--steps=2`), on the same random batch of 4; the printed losses and every saved
parameter and optimizer/BatchNorm state must agree.

Bound, per tensor (ref = the interpreter's, got = the artifact's):
    |got - ref| <= rtol * |ref| + atol,  rtol = 1e-4, atol = 1e-5 * max|ref|
i.e. the normalized error |got - ref| / (|ref| + 0.1 * max|ref|) is at most
1e-4; the table prints its maximum over the model's tensors (losses: relative
error). Both sides compute in float32 and sum in different orders (Halide's
vectorized and tiled reductions vs the interpreter's loops), so bit equality
is not expected; dropout masks are bit-identical by design (the same
splitmix64 stream, seeded by the node and the step).

One looser bound, for parameters trained with Adam: Adam's step
lr * m^ / (sqrt(v^) + eps) divides the gradient by its own magnitude, so
where a gradient element is at float32 noise level (|g| ~ 1e-7 against a
tensor max ~ 0.1: mlp's fc1.bias, a unit that barely fires on 4 samples) a
1e-9 difference in g moves the step by a visible fraction of lr. The moments
m and v themselves are held to the bound above; the parameter gets, on top
of it, the moments' bound carried through the update to first order:
    STEPS * lr * 2 * dm^ / (sqrt(v^) + eps),
    dm^ = (rtol * |m| + 1e-5 * max|m|) / (1 - beta1^STEPS)
(from the interpreter's m and v after the last step; the factor 2 covers the
v^ term, since |m^| <= ~sqrt(v^)). Where the gradient is well above noise this
adds next to nothing; the table says how many elements needed it.

  /usr/bin/python3 tests/e2e/halide_train_test.py [--dlc PATH]
      [--cache-dir DIR] [--models a,b] [--keep DIR]

The dlc binary: --dlc, else $DLC, else build/tools/dlc/dlc. The kernel
cache: --cache-dir (ctest passes one under the build tree, so a second run
is fast). Exits 0 on pass, 1 on failure, 77 (ctest's SKIP_RETURN_CODE) when
this interpreter cannot import numpy (use Debian's /usr/bin/python3).
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

RTOL = 1e-4
ATOL_FRACTION = 1e-5  # atol = ATOL_FRACTION * max|ref| per tensor

# model -> (loss, optimizer flags, label kind). Two models train with Adam,
# the others with SGD + momentum.
MODELS = [
    ("linear_regression", "mse", ["--optimizer=sgd", "--momentum=0.9", "--lr=0.01"], "like"),
    ("logistic_regression", "bce_with_logits", ["--optimizer=adam", "--lr=0.001"], "binary"),
    # lr 0.01: at 0.05 one step fits the 4 samples and the second loss is
    # 0.002, a float32 cancellation (1 - p) that no relative bound can hold.
    ("softmax_regression", "cross_entropy", ["--optimizer=sgd", "--momentum=0.9", "--lr=0.01"], "class"),
    ("mlp", "cross_entropy", ["--optimizer=adam", "--lr=0.001"], "class"),
    ("lenet5", "cross_entropy", ["--optimizer=sgd", "--momentum=0.9", "--lr=0.05"], "class"),
    ("vgg_small", "cross_entropy", ["--optimizer=sgd", "--momentum=0.9", "--lr=0.05"], "class"),
    ("resnet_small", "cross_entropy", ["--optimizer=sgd", "--momentum=0.9", "--lr=0.05"], "class"),
    ("inception", "cross_entropy", ["--optimizer=sgd", "--momentum=0.9", "--lr=0.05"], "class"),
]

BATCH = 4
STEPS = 2
INPUT_SHAPES = {
    "linear_regression": (13,),
    "logistic_regression": (30,),
}
OUTPUTS = {"linear_regression": 1, "logistic_regression": 1}


def run(cmd, log):
    log.write("$ " + " ".join(cmd) + "\n")
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    log.write(p.stdout)
    if p.returncode != 0:
        raise RuntimeError("exit %d: %s\n%s" % (p.returncode, " ".join(cmd),
                                                p.stdout[-3000:]))
    return p.stdout


def losses(text):
    return [float(m.group(1)) for m in
            re.finditer(r"^step \d+: loss (\S+)$", text, re.M)]


def check_model(np, dlc, cache, work, name, loss, opt, label_kind, log):
    rng = np.random.default_rng(sum(map(ord, name)))  # fixed per model
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    shape = INPUT_SHAPES.get(name, (1, 28, 28))
    x = rng.standard_normal((BATCH,) + shape).astype(np.float32)
    outs = OUTPUTS.get(name, 10)
    if label_kind == "like":
        y = rng.standard_normal((BATCH, outs)).astype(np.float32)
    elif label_kind == "binary":
        y = rng.integers(0, 2, (BATCH, outs)).astype(np.float32)
    else:
        y = rng.integers(0, outs, (BATCH,)).astype(np.int64)
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "label.npy"), y)
    model = os.path.join(REPO, "models", name + ".dlg")
    dlm = os.path.join(d, name + ".dlm")
    train = ["--train", "--loss=" + loss] + opt
    feeds = ["--input", "x=" + os.path.join(d, "x.npy"),
             "--input", "label=" + os.path.join(d, "label.npy")]
    p_halide = os.path.join(d, "halide")
    p_ref = os.path.join(d, "reference")
    t0 = time.time()
    run([dlc, model] + train + ["-o", dlm, "--cache-dir", cache, "--stats"], log)
    t1 = time.time()
    # lr is a run-time input of the artifact: the same flag feeds it.
    lr = [f for f in opt if f.startswith("--lr=")]
    got = run([dlc, dlm, "--run", "--train", "--steps=%d" % STEPS] + lr + feeds +
              ["--save-params", p_halide], log)
    t2 = time.time()
    want = run([dlc, model] + train + ["--run", "--steps=%d" % STEPS] + feeds +
               ["--save-params", p_ref], log)
    t3 = time.time()

    problems = []
    lg, lw = losses(got), losses(want)
    if len(lw) != STEPS or len(lg) != STEPS:
        problems.append("losses: expected %d steps, got %s (halide) and %s "
                        "(reference)" % (STEPS, lg, lw))
        loss_err = float("inf")
    else:
        loss_err = max(abs(a - b) / max(abs(b), 1e-30) for a, b in zip(lg, lw))
        if loss_err > RTOL:
            problems.append("losses %s (halide) vs %s (reference): rel error "
                            "%.3g" % (lg, lw, loss_err))
    ref_names = sorted(f for f in os.listdir(p_ref) if f.endswith(".npy"))
    got_names = sorted(f for f in os.listdir(p_halide) if f.endswith(".npy"))
    if ref_names != got_names:
        problems.append("saved values differ: only reference: %s; only halide: %s"
                        % (sorted(set(ref_names) - set(got_names)),
                           sorted(set(got_names) - set(ref_names))))
    adam = "--optimizer=adam" in opt
    lr_value = float([f for f in opt if f.startswith("--lr=")][0][5:])
    widened = 0
    worst, worst_name = 0.0, ""
    for f in ref_names:
        if f not in got_names:
            continue
        r = np.load(os.path.join(p_ref, f)).astype(np.float64)
        g = np.load(os.path.join(p_halide, f)).astype(np.float64)
        if r.shape != g.shape:
            problems.append("%s: shape %s (reference) vs %s (halide)"
                            % (f, r.shape, g.shape))
            continue
        if r.size == 0:
            continue
        m = float(np.max(np.abs(r)))
        if not np.all(np.isfinite(g)):
            problems.append("%s: non-finite values on the artifact" % f)
            continue
        err = np.abs(g - r) / (np.abs(r) + (ATOL_FRACTION / RTOL) * m + 1e-300)
        e = float(np.max(err)) if m > 0 else float(np.max(np.abs(g)))
        if e > worst:
            worst, worst_name = e, f[:-4]
        base = f[:-4]
        m_file = os.path.join(p_ref, base + ".exp_avg.npy")
        v_file = os.path.join(p_ref, base + ".exp_avg_sq.npy")
        if e > RTOL and adam and os.path.exists(m_file) and os.path.exists(v_file):
            mom = np.load(m_file).astype(np.float64)
            v = np.load(v_file).astype(np.float64)
            beta1, beta2, eps = 0.9, 0.999, 1e-8
            dm = (RTOL * np.abs(mom) + ATOL_FRACTION * np.max(np.abs(mom))) / \
                (1 - beta1 ** STEPS)
            vhat = v / (1 - beta2 ** STEPS)
            extra = STEPS * lr_value * 2 * dm / (np.sqrt(vhat) + eps)
            bound = RTOL * np.abs(r) + ATOL_FRACTION * m + extra
            over = np.abs(g - r) > bound
            widened += int(np.count_nonzero(np.abs(g - r) >
                                            RTOL * np.abs(r) + ATOL_FRACTION * m))
            if not over.any():
                continue
            err = np.where(over, err, 0)
        if e > RTOL:
            i = np.unravel_index(int(np.argmax(err)), r.shape)
            problems.append("%s: at %s reference %.9g, halide %.9g (normalized "
                            "error %.3g > %g; max|ref| %.3g)"
                            % (f[:-4], list(i), r[i], g[i], e, RTOL, m))
    return {
        "loss_err": loss_err, "worst": worst, "worst_name": worst_name,
        "values": len(ref_names), "problems": problems, "widened": widened,
        "losses": (lg, lw), "compile_s": t1 - t0, "run_s": t2 - t1,
        "ref_s": t3 - t2,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")))
    ap.add_argument("--cache-dir", default="",
                    help="kernel cache (default: a temporary directory)")
    ap.add_argument("--models", default="",
                    help="comma-separated subset of the models")
    ap.add_argument("--keep", default="",
                    help="keep inputs, artifacts, saved values and the log here")
    args = ap.parse_args()
    try:
        import numpy as np
    except ImportError:
        print("skipped: %s cannot import numpy (use Debian's /usr/bin/python3 "
              "with python3-numpy)" % sys.executable)
        return 77
    if not os.access(args.dlc, os.X_OK):
        print("error: no dlc binary at %s (--dlc)" % args.dlc)
        return 1
    models = MODELS
    if args.models:
        want = set(args.models.split(","))
        models = [m for m in MODELS if m[0] in want]
        unknown = want - {m[0] for m in MODELS}
        if unknown:
            print("error: unknown models: %s" % ", ".join(sorted(unknown)))
            return 1
    work = args.keep or tempfile.mkdtemp(prefix="dlc-halide-train-")
    os.makedirs(work, exist_ok=True)
    cache = args.cache_dir or os.path.join(work, "kernel-cache")
    os.makedirs(cache, exist_ok=True)
    failed = []
    rows = []
    start = time.time()
    with open(os.path.join(work, "log.txt"), "w") as log:
        for name, loss, opt, label_kind in models:
            try:
                r = check_model(np, args.dlc, cache, work, name, loss, opt,
                                label_kind, log)
            except Exception as e:  # a failing dlc run is this model's failure
                r = {"problems": [str(e)], "loss_err": float("nan"),
                     "worst": float("nan"), "worst_name": "", "values": 0,
                     "widened": 0,
                     "losses": ([], []), "compile_s": 0, "run_s": 0,
                     "ref_s": 0}
            ok = not r["problems"]
            if not ok:
                failed.append(name)
            rows.append((name, loss, " ".join(o[2:] for o in opt), r, ok))
            print("%s: %s (loss rel error %.2g, max normalized error %.2g "
                  "in %s; compile %.1f s, artifact run %.1f s, interpreter "
                  "%.1f s)" % (name, "ok" if ok else "FAIL", r["loss_err"],
                               r["worst"], r["worst_name"] or "-",
                               r["compile_s"], r["run_s"], r["ref_s"]),
                  flush=True)
            for p in r["problems"][:10]:
                print("  " + p)
    print()
    print("| model | loss | optimizer | values | loss rel error | max normalized "
          "error (tensor) | verdict |")
    print("|---|---|---|---:|---:|---:|---|")
    for name, loss, opt, r, ok in rows:
        note = ""
        if r["widened"]:
            note = " (%d elements within the Adam-propagated bound only)" % r["widened"]
        print("| %s | %s | %s | %d | %.2g | %.2g (%s) | %s%s |"
              % (name, loss, opt, r["values"], r["loss_err"], r["worst"],
                 r["worst_name"] or "-", "ok" if ok else "FAIL", note))
    print("\nbound: |halide - ref| <= %g * |ref| + %g * max|ref| per tensor; "
          "%d steps, batch %d; %.1f s" % (RTOL, ATOL_FRACTION, STEPS, BATCH,
                                          time.time() - start))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    if failed:
        print("FAILED: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
