#!/usr/bin/python3
"""Checks dlc's training step (loss, autodiff, optimizer) against PyTorch.

For each sample model x optimizer: the PyTorch mirror of models/NAME.dlg
(tools/scripts/gen_onnx_models.py; default initialization under
torch.manual_seed(0), then random biases and BatchNorm statistics so they
matter) writes its weights as .npy, and a copy of the .dlg whose parameters
read them (`= npy("...")`) is trained by

  dlc COPY.dlg --train --loss=KIND --optimizer=NAME --lr=... [flags] --run
      --steps=K --input x=X.npy --input label=Y.npy --save-params PDIR

for K = 1 and K = 5 on one random batch of 8 (the same batch every step, step
numbers 1..K). PyTorch takes the same K steps with torch.optim from the same
float32 weights and data, in float32 and in float64. Compared: the loss of
every step (dlc prints `step k: loss v`) and, after K steps, every parameter,
every BatchNorm running statistic and every optimizer state (PDIR/NAME.npy;
dlc's state "<param>.<slot>" is torch.optim's state[param][slot]).

Reference and tolerance. The float64 run is the exact answer for these
weights and data, so errors are measured against it:
    np.allclose(dlc, ref64, rtol=1e-4, atol=1e-6 * max|ref64|)   per tensor
(the loss: |dlc - ref64| <= 1e-4 |ref64|). Where PyTorch's own float32 run
misses that tolerance too (adaptive optimizers divide by sqrt of tiny second
moments and turn float32 rounding of a near-zero gradient into a step of
about lr), dlc may be off by up to twice PyTorch's float32 error instead
(result "pass~"). The table's "max rel err" is dlc's largest
|dlc - ref64| / (|ref64| + atol) over the losses and tensors above; "torch
f32" is the same measure for PyTorch's float32 run.

Models, losses and data (batch 8, x ~ N(0, 1), seed 1):
  linear_regression    mse               label f32[8, 1] ~ N(0, 1)
  logistic_regression  bce_with_logits   label f32[8, 1] in {0, 1}
  mlp, lenet5, vgg_small, resnet_small
                       cross_entropy     label i64[8] in [0, 10)
vgg_small's two Dropout layers get ratio 0 in the copy (and p = 0 in the
mirror), which makes them the identity: dropout is disabled, not
mask-matched. BatchNorm trains on batch statistics in both.

Optimizers (torch.optim names and hyper-parameters; others at defaults):
  sgd            lr 0.01
  sgd_momentum   lr 0.01, momentum 0.9, weight_decay 5e-4
  sgd_nesterov   lr 0.01, momentum 0.9, nesterov
  adagrad        lr 1e-3
  adadelta       lr 1.0
  rmsprop        lr 1e-4
  rmsprop_cm     lr 1e-4, centered, momentum 0.9
  adam           lr 1e-4
  adamw          lr 1e-4 (weight_decay 1e-2)
The adaptive optimizers' first steps are about lr per weight whatever the
gradient's size; these rates keep five steps on one batch from saturating the
softmax (where the gradients, and so the comparison, would be mostly rounding
noise).

With --torchvision: torchvision's ResNet-18 (random weights,
torch.manual_seed(0)) exported to ONNX in training mode
(check_torchvision.py's export: TrainingMode.TRAINING, no constant folding),
trained one step with SGD (lr 0.01, momentum 0.9) and cross_entropy on a
batch of 2 at 2x3x32x32; compared as above, except the BatchNorm running
variances: the ONNX file's BatchNormalization updates them with the biased
batch variance (ONNX's definition), PyTorch with the unbiased one.

Exits 1 if any check fails.
  /usr/bin/python3 tools/scripts/check_training.py [--dlc PATH]
      [--models a,b] [--optimizers a,b] [--steps 1,5] [--torchvision|--only-torchvision]
"""

import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

MODELS = ["linear_regression", "logistic_regression", "mlp", "lenet5", "vgg_small",
          "resnet_small"]
LOSSES = {"linear_regression": "mse", "logistic_regression": "bce_with_logits"}
BATCH = 8

# name -> (torch.optim class, keyword arguments; dlc flags follow from them)
OPTIMIZERS = {
    "sgd": ("SGD", {"lr": 0.01}),
    "sgd_momentum": ("SGD", {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}),
    "sgd_nesterov": ("SGD", {"lr": 0.01, "momentum": 0.9, "nesterov": True}),
    "adagrad": ("Adagrad", {"lr": 1e-3}),
    "adadelta": ("Adadelta", {"lr": 1.0}),
    "rmsprop": ("RMSprop", {"lr": 1e-4}),
    "rmsprop_cm": ("RMSprop", {"lr": 1e-4, "centered": True, "momentum": 0.9}),
    "adam": ("Adam", {"lr": 1e-4}),
    "adamw": ("AdamW", {"lr": 1e-4}),
}

RTOL = 1e-4
ATOL_SCALE = 1e-6


def dlc_flags(name):
    cls, kw = OPTIMIZERS[name]
    flags = [f"--optimizer={cls.lower()}"]
    for k, v in kw.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            flags.append(flag)
        elif v is not False:
            flags.append(f"{flag}={v!r}")
    return flags


def make_optimizer(name, params):
    import torch

    cls, kw = OPTIMIZERS[name]
    return getattr(torch.optim, cls)(params, **kw)


def loss_fn(kind):
    import torch.nn.functional as F

    return {"mse": F.mse_loss, "bce_with_logits": F.binary_cross_entropy_with_logits,
            "cross_entropy": F.cross_entropy}[kind]


def safe_name(name):
    """dlc's --save-params file name for a value name."""
    s = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
    return "_" + s if not s or s[0] == "." else s


def torch_train(model, opt_name, x, y, kind, steps, dtype):
    """Trains a copy of `model` in `dtype`; returns (losses, {name: array})
    with the parameters, buffers and optimizer states after `steps` steps."""
    import torch

    m = copy.deepcopy(model).to(dtype).train()
    xs = x.to(dtype)
    ys = y if kind == "cross_entropy" else y.to(dtype)
    params = dict(m.named_parameters())
    opt = make_optimizer(opt_name, list(params.values()))
    f = loss_fn(kind)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = f(m(xs), ys)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    out = {k: v.detach().double().numpy() for k, v in m.state_dict().items()
           if "num_batches_tracked" not in k}
    for k, p in params.items():
        for slot, v in opt.state[p].items():
            if slot != "step" and v is not None:
                out[f"{k}.{slot}"] = v.detach().double().numpy()
    return np.array(losses), out


def run_dlc(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"timed out after {timeout}s")
    if p.returncode != 0:
        msg = p.stderr.strip().splitlines()
        raise RuntimeError(msg[-1] if msg else f"dlc exit code {p.returncode}")
    return p.stdout


def dlc_train(dlc, model_path, kind, opt_name, steps, x_path, y_path, work, timeout):
    pdir = os.path.join(work, f"params-{opt_name}-{steps}")
    shutil.rmtree(pdir, ignore_errors=True)
    cmd = [dlc, model_path, "--train", f"--loss={kind}"] + dlc_flags(opt_name) + [
        "--run", f"--steps={steps}", "--input", f"x={x_path}", "--input",
        f"label={y_path}", "--output-dir", os.path.join(work, "out"),
        "--save-params", pdir]
    out = run_dlc(cmd, timeout)
    losses = [float(v) for v in re.findall(r"^step \d+: loss (\S+)$", out, re.M)]
    if len(losses) != steps:
        raise RuntimeError(f"dlc printed {len(losses)} 'step k: loss' lines, want {steps}")
    saved = {f[:-4]: np.load(os.path.join(pdir, f)) for f in os.listdir(pdir)
             if f.endswith(".npy")}
    return np.array(losses), saved


def rel_err(got, ref):
    """max |got - ref| / (|ref| + atol), atol = 1e-6 max|ref|; and allclose."""
    got = np.asarray(got, dtype=np.float64)
    atol = ATOL_SCALE * float(np.abs(ref).max()) if ref.size else 0.0
    diff = np.abs(got - ref)
    denom = np.abs(ref) + atol
    rel = float(np.max(np.where(denom > 0, diff / np.where(denom > 0, denom, 1),
                                np.where(diff > 0, np.inf, 0)))) if ref.size else 0.0
    return rel, bool(np.allclose(got, ref, rtol=RTOL, atol=atol))


class Verdict:
    """Accumulates one (model, optimizer) pair's comparisons."""

    def __init__(self):
        self.rel = 0.0       # dlc vs float64, worst
        self.torch = 0.0     # torch float32 vs float64, worst
        self.ok = True
        self.noisy = False
        self.notes = []
        self.where = ""      # what had the worst error

    def check(self, what, got, ref64, ref32):
        if got.shape != ref64.shape:
            self.ok = False
            self.notes.append(f"{what}: shape {list(got.shape)}, PyTorch {list(ref64.shape)}")
            return
        rel, close = rel_err(got, ref64)
        trel, tclose = rel_err(ref32, ref64)
        if rel >= self.rel:
            self.where = what
        self.rel, self.torch = max(self.rel, rel), max(self.torch, trel)
        if close:
            return
        derr = float(np.abs(got.astype(np.float64) - ref64).max())
        terr = float(np.abs(ref32 - ref64).max())
        if not tclose and derr <= 2 * terr:
            self.noisy = True
            return
        self.ok = False
        self.notes.append(f"{what}: max rel err {rel:.3g} (torch f32 {trel:.3g})")

    def compare_run(self, steps, dlc_out, t64, t32, names):
        """`names`: dlc value name -> PyTorch name for everything to compare."""
        losses, saved = dlc_out
        for k in range(steps):
            self.check(f"{steps}-step run: loss at step {k + 1}", np.array(losses[k]),
                       np.array(t64[0][k]), np.array(t32[0][k]))
        missing, unknown = [], []
        for dname, tname in names.items():
            f = safe_name(dname)
            if tname not in t64[1]:
                unknown.append(dname)
                continue
            if f not in saved:
                missing.append(dname)
                continue
            self.check(f"{steps}-step run: {dname}", saved[f], t64[1][tname], t32[1][tname])
        # Optimizer states PyTorch has and dlc did not save (or the reverse).
        extra = sorted(set(t64[1]) - set(names.values()))
        if missing or extra:
            self.ok = False
            self.notes.append(f"{steps}-step run: not saved by dlc: {missing + extra}")
        if unknown:
            self.ok = False
            self.notes.append(f"{steps}-step run: states PyTorch does not have: {unknown}")


def state_names(module, opt_name, saved):
    """dlc name -> PyTorch name: parameters, buffers, and the optimizer states
    dlc saved as "<param>.<slot>" (torch.optim's keys)."""
    names = {k: k for k in module.state_dict() if "num_batches_tracked" not in k}
    params = [k for k, _ in module.named_parameters()]
    for f in saved:
        for p in params:
            if f.startswith(safe_name(p) + "."):
                names[p + f[len(safe_name(p)):]] = p + f[len(safe_name(p)):]
    return names


def prepare_sample(name, work):
    """The mirror with weights that matter, and a copy of models/NAME.dlg whose
    parameters read the mirror's weights (vgg_small: dropout ratio 0)."""
    import torch
    import torch.nn as nn
    import gen_onnx_models as gen

    model, shape, _ = gen.build_sample(name)
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    state = model.state_dict()
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for k, v in state.items():
            if k.endswith("running_mean") or k.endswith(".bias"):
                v.copy_(0.1 * torch.randn(v.shape, generator=g))
            elif k.endswith("running_var"):
                v.copy_(0.5 + torch.rand(v.shape, generator=g))
    lines = []
    for line in open(os.path.join(REPO, "models", name + ".dlg")).read().splitlines():
        m = re.match(r"^(\s*param\s+([A-Za-z_][A-Za-z0-9_.]*)\s*:[^=]*)=.*$", line)
        if m:
            np.save(os.path.join(work, m.group(2) + ".npy"), state[m.group(2)].numpy())
            line = f'{m.group(1).rstrip()} = npy("{m.group(2)}.npy")'
        if re.search(r"= Dropout\(", line):
            line, n = re.subn(r"ratio=[0-9.eE+-]+", "ratio=0.0", line)
            if not n:
                raise RuntimeError(f"cannot set the dropout ratio in: {line.strip()}")
        lines.append(line)
    path = os.path.join(work, name + ".dlg")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return model, shape, path


def make_data(shape, kind, batch, work):
    import torch

    g = torch.Generator().manual_seed(1)
    x = torch.randn(batch, *shape, generator=g)
    if kind == "cross_entropy":
        y = torch.randint(0, 10, (batch,), generator=g)
    elif kind == "bce_with_logits":
        y = torch.randint(0, 2, (batch, 1), generator=g).float()
    else:
        y = torch.randn(batch, 1, generator=g)
    x_path, y_path = os.path.join(work, "x.npy"), os.path.join(work, "label.npy")
    np.save(x_path, x.numpy())
    np.save(y_path, y.numpy())
    return x, y, x_path, y_path


def check_pair(model, model_path, kind, opt_name, x, y, x_path, y_path, steps_list, dlc,
               work, timeout):
    import torch

    v = Verdict()
    for steps in steps_list:
        out = dlc_train(dlc, model_path, kind, opt_name, steps, x_path, y_path, work, timeout)
        t64 = torch_train(model, opt_name, x, y, kind, steps, torch.float64)
        t32 = torch_train(model, opt_name, x, y, kind, steps, torch.float32)
        v.compare_run(steps, out, t64, t32, state_names(model, opt_name, out[1]))
    return v


def onnx_names(onnx_path, module):
    """ONNX initializer name -> state_dict key, for initializers that are
    parameters or buffers (the exporter keeps the keys as names)."""
    import onnx

    keys = set(module.state_dict())
    m = onnx.load(onnx_path)
    return {i.name: i.name for i in m.graph.initializer if i.name in keys}


def check_torchvision(dlc, work, timeout, steps_list):
    import torch
    import gen_onnx_models as gen

    shape = (2, 3, 32, 32)
    model = gen.build_torchvision("resnet18", train=True, shape=shape)
    path = os.path.join(work, "resnet18.train.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen.export_torchvision(model, shape, path, train=True)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g)
    y = torch.randint(0, 1000, (shape[0],), generator=g)
    x_path, y_path = os.path.join(work, "x.npy"), os.path.join(work, "label.npy")
    np.save(x_path, x.numpy())
    np.save(y_path, y.numpy())
    v = Verdict()
    for steps in steps_list:
        out = dlc_train(dlc, path, "cross_entropy", "sgd_momentum_tv", steps, x_path, y_path,
                        work, timeout)
        t64 = torch_train(model, "sgd_momentum_tv", x, y, "cross_entropy", steps,
                          torch.float64)
        t32 = torch_train(model, "sgd_momentum_tv", x, y, "cross_entropy", steps,
                          torch.float32)
        names = {k: k for k in onnx_names(path, model)}
        names.update(state_names(model, "sgd_momentum_tv", out[1]))
        # ONNX's training-mode BatchNormalization updates the running
        # variance with the biased batch variance, PyTorch with the unbiased
        # one; the exported file carries ONNX's meaning, so these differ by
        # design (by momentum * var / (n - 1)) and are not compared.
        for k in [k for k in names if k.endswith("running_var")]:
            del names[k]
            t64[1].pop(k, None)
        v.compare_run(steps, out, t64, t32, names)
    return v


def main():
    try:
        import torch  # noqa: F401
    except ImportError as e:
        print(f"error: {e} (run with /usr/bin/python3, which has python3-torch)",
              file=sys.stderr)
        return 2
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")),
        help="the dlc binary (default: $DLC or build/tools/dlc/dlc)")
    ap.add_argument("--models", default=",".join(MODELS),
                    help="comma-separated sample models (default: %(default)s)")
    ap.add_argument("--optimizers", default=",".join(OPTIMIZERS),
                    help="comma-separated (default: %(default)s)")
    ap.add_argument("--steps", default="1,5", help="runs of K steps (default: %(default)s)")
    ap.add_argument("--torchvision", action="store_true",
                    help="also torchvision's ResNet-18 (ONNX, training mode), SGD momentum")
    ap.add_argument("--only-torchvision", action="store_true",
                    help="only the ResNet-18 check")
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds allowed per dlc command (default: %(default)s)")
    ap.add_argument("--keep", metavar="DIR", help="keep the work files here")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="name the value with the largest error in each row")
    args = ap.parse_args()

    models = [] if args.only_torchvision else [m for m in args.models.split(",") if m]
    opts = [o for o in args.optimizers.split(",") if o]
    for m in models:
        if m not in MODELS:
            sys.exit(f"error: unknown model '{m}' (known: {', '.join(MODELS)})")
    for o in opts:
        if o not in OPTIMIZERS:
            sys.exit(f"error: unknown optimizer '{o}' (known: {', '.join(OPTIMIZERS)})")
    steps_list = [int(s) for s in args.steps.split(",")]
    if not (os.path.isfile(args.dlc) and os.access(args.dlc, os.X_OK)):
        print(f"error: {args.dlc}: no dlc binary (build it, or pass --dlc)", file=sys.stderr)
        return 2
    # The torchvision check's optimizer: SGD with momentum 0.9.
    OPTIMIZERS["sgd_momentum_tv"] = ("SGD", {"lr": 0.01, "momentum": 0.9})

    root = args.keep or tempfile.mkdtemp(prefix="dlc-training-")
    os.makedirs(root, exist_ok=True)
    header = f"{'model':<20} {'optimizer':<16} {'max rel err':>11} {'torch f32':>9}  result"
    print(header)
    print("-" * len(header), flush=True)
    failed, worst = [], {}
    try:
        jobs = [(m, o) for m in models for o in opts]
        if args.torchvision or args.only_torchvision:
            jobs.append(("resnet18 (onnx)", "sgd_momentum_tv"))
        prepared = {}
        for model_name, opt_name in jobs:
            work = os.path.join(root, model_name.split()[0])
            os.makedirs(work, exist_ok=True)
            t0 = time.time()
            try:
                if model_name.startswith("resnet18"):
                    v = check_torchvision(args.dlc, work, args.timeout, [1])
                else:
                    if model_name not in prepared:
                        model, shape, path = prepare_sample(model_name, work)
                        kind = LOSSES.get(model_name, "cross_entropy")
                        prepared[model_name] = (model, path, kind) + \
                            make_data(shape, kind, BATCH, work)
                    model, path, kind, x, y, x_path, y_path = prepared[model_name]
                    v = check_pair(model, path, kind, opt_name, x, y, x_path, y_path,
                                   steps_list, args.dlc, work, args.timeout)
            except (RuntimeError, ValueError, OSError) as e:
                v = Verdict()
                v.ok, v.rel, v.torch = False, float("nan"), float("nan")
                v.notes.append(str(e).splitlines()[-1] if str(e) else type(e).__name__)
            result = ("pass~" if v.noisy else "pass") if v.ok else "FAIL"
            label = "sgd (m=0.9)" if opt_name == "sgd_momentum_tv" else opt_name
            print(f"{model_name:<20} {label:<16} {v.rel:>11.3g} {v.torch:>9.2g}  {result}"
                  f"  ({time.time() - t0:.0f}s)", flush=True)
            if args.verbose and v.where:
                print(f"    worst: {v.where}", flush=True)
            for n in v.notes[:8]:
                print(f"    {n}", flush=True)
            if len(v.notes) > 8:
                print(f"    ... and {len(v.notes) - 8} more", flush=True)
            worst[opt_name] = max(worst.get(opt_name, 0.0), v.rel)
            if not v.ok:
                failed.append(f"{model_name}/{label}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if failed:
        print(f"{len(failed)} of {len(jobs)} failed: {', '.join(failed)}")
        return 1
    print(f"all {len(jobs)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
