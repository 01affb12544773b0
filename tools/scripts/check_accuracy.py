#!/usr/bin/python3
"""Accuracy on real data: models/*.dlg compiled by dlc, trained by dlrun.

Data from Debian packages: python3-sklearn's boston_house_prices.csv,
breast_cancer.csv and iris.csv, and dataset-fashion-mnist's IDX files.

  boston         linear regression, standardized features: test MSE within
                 5% of the closed-form least-squares fit (numpy.linalg.lstsq)
                 on the same split. This script makes the split (seeded,
                 80/20) and writes train.csv and test.csv; dlrun trains on the
                 first and `dlrun eval` scores the second with the training
                 split's standardization (stored in the checkpoint).
  breast_cancer  logistic regression: test accuracy >= 95% (dlrun's
                 --test-split=0.2)
  iris           softmax regression: test accuracy >= 93% (--test-split=0.2)
  fmnist_softmax softmax regression on Fashion-MNIST: >= 83%
  fmnist_mlp     the MLP: >= 87%
  lenet5         LeNet-5 trained by the README's command, as is
                 (`dlc models/lenet5.dlg --train -o lenet5.dlm && dlrun train
                 lenet5.dlm --data=idx:... --epochs=5`): >= 89%
  vgg_small      VGG-small (BatchNorm, Dropout) and ResNet-small: one epoch
  resnet_small   (or --net-steps) lowers the test loss by a third and raises
                 test accuracy by 20 points from the initial weights'.

Fashion-MNIST runs take at most 5 epochs. Each row prints the target, the
measured value, epochs, seed and the wall and processor seconds. Exits 1 if
any check fails.

  /usr/bin/python3 tools/scripts/check_accuracy.py [--dlc PATH] [--dlrun PATH]
      [--cache-dir DIR] [--only a,b] [--seed S] [--keep DIR]

dlrun defaults to the dlc binary's build tree (tools/dlrun/dlrun beside
tools/dlc/dlc), the kernel cache to that tree's kernel-cache (shared with
e2e-halide_train).
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODELS = os.path.join(REPO, "models")
FMNIST = "/usr/share/datasets/fashion-mnist"
STEPS_PER_EPOCH = 938  # 60,000 / 64, the last batch partial


def sklearn_data():
    """python3-sklearn's data folder, found without importing sklearn."""
    for base in ["/usr/lib/python3/dist-packages"] + sys.path:
        d = os.path.join(base, "sklearn", "datasets", "data")
        if os.path.exists(os.path.join(d, "iris.csv")):
            return d
    raise RuntimeError("python3-sklearn's datasets/data folder not found")


class Runner:
    def __init__(self, args, work):
        self.args, self.work = args, work

    def cmd(self, argv):
        """Runs a tool; its stdout, or an error with its stderr."""
        print("  $ " + " ".join(argv), flush=True)
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           cwd=self.work)
        if p.returncode != 0:
            raise RuntimeError(f"{os.path.basename(argv[0])} exited {p.returncode}: "
                               + (p.stderr.strip() or p.stdout.strip()[-400:]))
        return p.stdout

    def compile(self, model, flags, out):
        self.cmd([self.args.dlc, os.path.join(MODELS, model + ".dlg"), *flags, "-o", out,
                  "--cache-dir", self.args.cache_dir])

    def dlrun(self, *argv):
        return self.cmd([self.args.dlrun, *argv])

    def metrics(self, path, event):
        rows = [json.loads(l) for l in open(os.path.join(self.work, path))]
        return [r for r in rows if r["event"] == event]


def boston(r, seed):
    raw = np.genfromtxt(os.path.join(sklearn_data(), "boston_house_prices.csv"),
                        delimiter=",", skip_header=2)
    names = open(os.path.join(sklearn_data(), "boston_house_prices.csv")).read().splitlines()[1]
    order = np.random.default_rng(seed).permutation(len(raw))
    n_test = len(raw) // 5
    test, train = raw[order[:n_test]], raw[order[n_test:]]
    for name, part in (("train.csv", train), ("test.csv", test)):
        np.savetxt(os.path.join(r.work, name), part, delimiter=",", header=names, comments="",
                   fmt="%.17g")
    # Closed form on the same split and the same standardization.
    x, y = train[:, :-1], train[:, -1]
    mean, std = x.mean(0), x.std(0)
    design = lambda a: np.hstack([(a - mean) / std, np.ones((len(a), 1))])
    w = np.linalg.lstsq(design(x), y, rcond=None)[0]
    exact = float(np.mean((design(test[:, :-1]) @ w - test[:, -1]) ** 2))
    epochs = 100
    r.compile("linear_regression", ["--train", "--loss=mse", "--optimizer=sgd", "--lr=0.05",
                                    "--momentum=0.9", "--lr-schedule=cosine"], "boston.dlm")
    r.dlrun("train", "boston.dlm", "--data=csv:train.csv", f"--epochs={epochs}", "--batch=32",
            f"--seed={seed}", "--checkpoint=boston-ck")
    r.dlrun("eval", "boston.dlm", "--data=csv:test.csv", "--weights=boston-ck/last.safetensors",
            "--metrics=boston-eval.jsonl")
    mse = r.metrics("boston-eval.jsonl", "eval")[-1]["mse"]
    rel = abs(mse / exact - 1)
    return (rel <= 0.05, f"test MSE {mse:.4f} vs least squares {exact:.4f} "
            f"({100 * rel:.2f}% apart; <= 5%)", epochs)


def classify_csv(r, seed, name, model, loss, flags, data, epochs, target):
    r.compile(model, ["--train", f"--loss={loss}", *flags], name + ".dlm")
    r.dlrun("train", name + ".dlm", f"--data=csv:{data},skip=1,header=no,task=classify",
            "--test-split=0.2", f"--epochs={epochs}", "--batch=32", f"--seed={seed}",
            f"--metrics={name}.jsonl")
    acc = r.metrics(name + ".jsonl", "test")[-1]["test_accuracy"]
    return acc >= target, f"test accuracy {100 * acc:.2f}% (>= {100 * target:.0f}%)", epochs


def breast_cancer(r, seed):
    return classify_csv(r, seed, "breast_cancer", "logistic_regression", "bce_with_logits",
                        ["--optimizer=adam", "--lr=0.01"],
                        os.path.join(sklearn_data(), "breast_cancer.csv"), 30, 0.95)


def iris(r, seed):
    return classify_csv(r, seed, "iris", "iris_softmax_regression", "cross_entropy",
                        ["--optimizer=adam", "--lr=0.05"],
                        os.path.join(sklearn_data(), "iris.csv"), 50, 0.93)


def fmnist(r, seed, name, model, compile_flags, epochs, target):
    r.compile(model, compile_flags, name + ".dlm")
    r.dlrun("train", name + ".dlm", f"--data=idx:{FMNIST}", f"--epochs={epochs}",
            f"--seed={seed}", f"--metrics={name}.jsonl")
    acc = r.metrics(name + ".jsonl", "test")[-1]["test_accuracy"]
    return acc >= target, f"test accuracy {100 * acc:.2f}% (>= {100 * target:.0f}%)", epochs


def fmnist_softmax(r, seed):
    return fmnist(r, seed, "fmnist_softmax", "softmax_regression",
                  ["--train", "--loss=cross_entropy", "--optimizer=adam"], 5, 0.83)


def fmnist_mlp(r, seed):
    return fmnist(r, seed, "fmnist_mlp", "mlp",
                  ["--train", "--loss=cross_entropy", "--optimizer=adam"], 5, 0.87)


def lenet5(r, seed):
    # The README's command: the loss, optimizer, learning rate and schedule
    # are the model's train block's, recorded in the artifact.
    return fmnist(r, seed, "lenet5", "lenet5", ["--train"], 5, 0.89)


def trains(r, seed, name):
    r.compile(name, ["--train", "--loss=cross_entropy", "--optimizer=sgd", "--momentum=0.9",
                     "--lr=0.05"], name + ".dlm")
    data = f"--data=idx:{FMNIST}"
    r.dlrun("eval", name + ".dlm", data, f"--metrics={name}-before.jsonl")
    steps = r.args.net_steps or STEPS_PER_EPOCH
    r.dlrun("train", name + ".dlm", data, "--epochs=1", f"--steps={steps}", f"--seed={seed}",
            f"--checkpoint={name}-ck", f"--metrics={name}.jsonl")
    r.dlrun("eval", name + ".dlm", data, f"--weights={name}-ck/last.safetensors",
            f"--metrics={name}-after.jsonl")
    before = r.metrics(name + "-before.jsonl", "eval")[-1]
    after = r.metrics(name + "-after.jsonl", "eval")[-1]
    ok = (after["loss"] <= before["loss"] * 2 / 3
          and after["accuracy"] >= before["accuracy"] + 0.2)
    return ok, (f"test loss {before['loss']:.3f} -> {after['loss']:.3f}, accuracy "
                f"{100 * before['accuracy']:.2f}% -> {100 * after['accuracy']:.2f}% over "
                f"{steps} steps (loss -1/3, accuracy +20 points)"), steps / STEPS_PER_EPOCH


def vgg_small(r, seed):
    return trains(r, seed, "vgg_small")


def resnet_small(r, seed):
    return trains(r, seed, "resnet_small")


TASKS = [boston, breast_cancer, iris, fmnist_softmax, fmnist_mlp, lenet5, vgg_small,
         resnet_small]


def cpu_seconds():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.path.join(REPO, "build", "tools", "dlc", "dlc"))
    ap.add_argument("--dlrun", help="default: tools/dlrun/dlrun in dlc's build tree")
    ap.add_argument("--cache-dir", help="kernel cache; default: kernel-cache in dlc's build tree")
    ap.add_argument("--only", default="", help="comma-separated task names")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--net-steps", type=int, default=0,
                    help="vgg_small and resnet_small: train this many steps (default: one epoch)")
    ap.add_argument("--keep", help="work in this folder and keep it")
    args = ap.parse_args()
    args.dlc = os.path.abspath(args.dlc)  # the tools run in the work folder
    build = os.path.dirname(os.path.dirname(os.path.dirname(args.dlc)))
    args.dlrun = os.path.abspath(args.dlrun or os.path.join(build, "tools", "dlrun", "dlrun"))
    args.cache_dir = os.path.abspath(args.cache_dir or os.path.join(build, "kernel-cache"))
    for tool in (args.dlc, args.dlrun):
        if not os.access(tool, os.X_OK):
            sys.exit(f"error: {tool}: no such tool (build it, or pass --dlc/--dlrun)")
    tasks = TASKS
    if args.only:
        known = {t.__name__: t for t in TASKS}
        bad = [n for n in args.only.split(",") if n not in known]
        if bad:
            sys.exit(f"error: unknown task(s) {', '.join(bad)} (known: {', '.join(known)})")
        tasks = [known[n] for n in args.only.split(",")]
    if args.keep:
        os.makedirs(args.keep, exist_ok=True)
    work = args.keep or tempfile.mkdtemp(prefix="dlc-accuracy-")
    r = Runner(args, os.path.abspath(work))
    rows, failed = [], False
    try:
        for task in tasks:
            print(f"== {task.__name__}", flush=True)
            t0, c0 = time.monotonic(), cpu_seconds()
            try:
                ok, what, epochs = task(r, args.seed)
            except (RuntimeError, OSError, KeyError, IndexError, ValueError) as e:
                ok, what, epochs = False, f"error: {e}", 0
            rows.append((task.__name__, ok, what, epochs, time.monotonic() - t0,
                         cpu_seconds() - c0))
            failed |= not ok
            print(f"  {'ok' if ok else 'FAILED'}: {what}", flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(f"\n{'task':<15} {'result':<7} {'epochs':>6} {'seed':>4} {'wall s':>7} {'cpu s':>7}  measured")
    for name, ok, what, epochs, wall, cpu in rows:
        print(f"{name:<15} {'ok' if ok else 'FAILED':<7} {epochs:>6.3g} {args.seed:>4} "
              f"{wall:>7.1f} {cpu:>7.1f}  {what}")
    print(f"{sum(r[1] for r in rows)} passed, {sum(not r[1] for r in rows)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
