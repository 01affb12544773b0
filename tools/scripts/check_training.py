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
numbers 1..K), once in float32 and once in float64: the float64 copy has
every f32 type of the graph (inputs, params, consts, node outputs) made f64,
reads the same weights and data saved as float64 .npy (exactly the float32
values), and keeps the training step's `lr` input f32 (dlc's optimizers cast
it to each parameter's dtype). PyTorch takes the same K steps with
torch.optim from the same weights and data, in float64 and in float32, with
lr rounded to float32 as dlc's lr input is (lr 1e-4 is 9.99999975e-5 there;
the exact 1e-4 would put ~2.5e-8 relative differences into every update).
Compared: the loss of every step (dlc prints `step k: loss v`) and, after K
steps, every parameter, every BatchNorm running statistic and every
optimizer state (PDIR/NAME.npy; dlc's state "<param>.<slot>" is
torch.optim's state[param][slot]).

Verdict: float64. PyTorch's float64 run is the reference, and dlc's float64
run must match it per tensor:
    np.allclose(dlc64, ref64, rtol=1e-4, atol=1e-6 * max|ref64|)
(the loss: |dlc - ref64| <= 1e-4 |ref64|). Both sides are exact to far below
that (the measure below is 1e-16 to 5e-9 on the sample models; ~1e-5 on
ResNet-18's near-zero elements, whose batch-2 BatchNorm at 1x1 amplifies
float64 rounding, still ~1e-10 of each tensor's largest value), so a FAIL is
a dlc bug, not rounding.

float32: reported, not judged. dlc's float32 run is measured against the same
float64 reference with the same bound, and PyTorch's float32 run beside it.
Both round differently (dlc: each op correctly rounded; PyTorch: its own
kernels' summation orders), and training is not a continuous function of the
weights: where a ReLU (or max pool) input lies within float32 rounding of
zero after a step, the two float32 runs can take different branches, the
next step's gradients upstream of it differ by ~0.1%, and adaptive
optimizers (which divide by the square root of tiny second moments) amplify
that over a few steps far beyond any sane tolerance. resnet_small/adam: after
step 1 one ReLU input of 100,352 is exactly +2.78e-8; dlc's float32 gives
-3.52e-8, PyTorch's +1.42e-8, so one mask element differs and five Adam steps
turn it into errors of ~900 on this measure, while float64 agrees to 1e-10.
PyTorch's own float32 run hits the same kink the other way in
resnet_small/adamw. So a float32
error beyond the bound is marked "f32-noise" when float64 passes; it is
never a failure by itself. Errors that are not rounding (a dlc crash, a
missing or extra state, a wrong shape) fail in either dtype.

The table's "f64 err" is dlc's largest |dlc64 - ref64| / (|ref64| + atol)
over the losses and tensors above, "f32 err" the same for dlc's float32 run,
and "torch f32" the same for PyTorch's float32 run.

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
(check_torchvision.py's export: TrainingMode.TRAINING, no constant folding;
the float64 copy: every float tensor, input and output of the file made
double), trained one step with SGD (lr 0.01, momentum 0.9) and cross_entropy
on a batch of 2 at 2x3x32x32; compared as above, except the BatchNorm running
variances: the ONNX file's BatchNormalization updates them with the biased
batch variance (ONNX's definition), PyTorch with the unbiased one.

--multi-step-models limits the runs of every K to some models (the others
run the first K only); tests/e2e/training_test.py uses it to keep CI short.

Exits 1 if any float64 check (or any structural check) fails.
  /usr/bin/python3 tools/scripts/check_training.py [--dlc PATH]
      [--models a,b] [--optimizers a,b] [--steps 1,5] [--multi-step-models a,b]
      [--torchvision|--only-torchvision] [--keep DIR] [-v]
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
    """torch.optim's optimizer, with lr rounded to float32: dlc's training
    step takes lr as an f32 input (and casts it to each parameter's dtype),
    so that is the rate its float64 run really uses; with PyTorch's exact
    1e-4 the float64 runs would differ by that rounding (~2.5e-8 of each
    update), which is what the float64 verdict should not see."""
    import torch

    cls, kw = OPTIMIZERS[name]
    kw = dict(kw, lr=float(np.float32(kw["lr"])))
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
    """Runs `dlc --train --run`; returns (losses, {file name: array})."""
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
    """Accumulates one (model, optimizer) pair's comparisons: dlc's float64
    run against PyTorch's float64 (the verdict), dlc's float32 run against
    the same reference (information), PyTorch's float32 run beside it."""

    def __init__(self):
        self.rel64 = 0.0     # dlc float64 vs PyTorch float64, worst
        self.rel32 = 0.0     # dlc float32 vs PyTorch float64, worst
        self.torch = 0.0     # PyTorch float32 vs float64, worst
        self.ok = True       # float64 within the bound, nothing structural wrong
        self.noisy = False   # some float32 value beyond the bound
        self.notes = []      # float64 failures and structural problems
        self.noise = []      # float32 values beyond the bound
        self.where = ""      # what had the worst float64 error

    def fail(self, note):
        self.ok = False
        self.notes.append(note)

    def check(self, what, got64, got32, ref64, ref32):
        for dt, got in (("f64", got64), ("f32", got32)):
            if got.shape != ref64.shape:
                self.fail(f"{what} ({dt}): shape {list(got.shape)}, "
                          f"PyTorch {list(ref64.shape)}")
                return
        rel, close = rel_err(got64, ref64)
        rel32, close32 = rel_err(got32, ref64)
        trel, _ = rel_err(ref32, ref64)
        if rel >= self.rel64:
            self.where = what
        self.rel64 = max(self.rel64, rel)
        self.rel32 = max(self.rel32, rel32)
        self.torch = max(self.torch, trel)
        if not close:
            self.fail(f"{what}: f64 max rel err {rel:.3g}")
        if not close32:
            self.noisy = True
            self.noise.append(f"{what}: f32 max rel err {rel32:.3g} (torch f32 {trel:.3g})")

    def compare_run(self, steps, dlc64, dlc32, t64, t32, names):
        """`names`: dlc value name -> PyTorch name for everything to compare."""
        for k in range(steps):
            self.check(f"{steps}-step run: loss at step {k + 1}", np.array(dlc64[0][k]),
                       np.array(dlc32[0][k]), np.array(t64[0][k]), np.array(t32[0][k]))
        missing, unknown = [], []
        for dname, tname in names.items():
            f = safe_name(dname)
            if tname not in t64[1]:
                unknown.append(dname)
                continue
            lost = [dt for dt, out in (("f64", dlc64), ("f32", dlc32)) if f not in out[1]]
            if lost:
                missing.append(dname + ("" if len(lost) == 2 else f" ({lost[0]})"))
                continue
            self.check(f"{steps}-step run: {dname}", dlc64[1][f], dlc32[1][f],
                       t64[1][tname], t32[1][tname])
        # Optimizer states PyTorch has and dlc did not save (or the reverse).
        extra = sorted(set(t64[1]) - set(names.values()))
        if missing or extra:
            self.fail(f"{steps}-step run: not saved by dlc: {missing + extra}")
        if unknown:
            self.fail(f"{steps}-step run: states PyTorch does not have: {unknown}")


def state_names(module, opt_name, *saved):
    """dlc name -> PyTorch name: parameters, buffers, and the optimizer states
    dlc saved as "<param>.<slot>" (torch.optim's keys) in any of the runs."""
    names = {k: k for k in module.state_dict() if "num_batches_tracked" not in k}
    params = [k for k, _ in module.named_parameters()]
    for f in set().union(*saved):
        for p in params:
            if f.startswith(safe_name(p) + "."):
                names[p + f[len(safe_name(p)):]] = p + f[len(safe_name(p)):]
    return names


F64_DIR = "f64"   # the float64 copies, weights and data, under each work dir


def dlg_to_f64(text):
    """The .dlg text with every f32 type (inputs, params, consts, node
    outputs) made f64; comments are left alone. Checked with dlg.py: nothing
    f32 is left, and every value typed f32 before is f64 now."""
    import dlg

    out = []
    for line in text.splitlines():
        code, hash_, comment = line.partition("#")
        out.append(re.sub(r"\bf32(?=\s*\[)", "f64", code) + hash_ + comment)
    new = "\n".join(out) + "\n"
    g32, g64 = dlg.parse(text), dlg.parse(new)

    def types(g):
        ts = dict(g.inputs)
        ts.update({k: v[0] for k, v in g.params.items()})
        ts.update({k: v[0] for k, v in g.consts.items()})
        for n in g.nodes:
            ts.update({k: t for k, t in n.outputs if t is not None})
        return ts

    t32, t64 = types(g32), types(g64)
    for k, t in t32.items():
        want = ("f64" if t[0] == "f32" else t[0], t[1])
        if t64.get(k) != want:
            raise RuntimeError(f"float64 copy: {k} is {t64.get(k)}, want {want}")
    return new


def prepare_sample(name, work):
    """The mirror with weights that matter, and two copies of models/NAME.dlg
    whose parameters read the mirror's weights (vgg_small: dropout ratio 0):
    WORK/NAME.dlg in float32 and WORK/f64/NAME.dlg in float64, each reading
    .npy files beside it. Returns (model, input shape, f32 path, f64 path)."""
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
    work64 = os.path.join(work, F64_DIR)
    os.makedirs(work64, exist_ok=True)
    lines = []
    for line in open(os.path.join(REPO, "models", name + ".dlg")).read().splitlines():
        m = re.match(r"^(\s*param\s+([A-Za-z_][A-Za-z0-9_.]*)\s*:[^=]*)=.*$", line)
        if m:
            w = state[m.group(2)].numpy()
            np.save(os.path.join(work, m.group(2) + ".npy"), w)
            if w.dtype == np.float32:
                w = w.astype(np.float64)
            np.save(os.path.join(work64, m.group(2) + ".npy"), w)
            line = f'{m.group(1).rstrip()} = npy("{m.group(2)}.npy")'
        if re.search(r"= Dropout\(", line):
            line, n = re.subn(r"ratio=[0-9.eE+-]+", "ratio=0.0", line)
            if not n:
                raise RuntimeError(f"cannot set the dropout ratio in: {line.strip()}")
        lines.append(line)
    text = "\n".join(lines) + "\n"
    path, path64 = os.path.join(work, name + ".dlg"), os.path.join(work64, name + ".dlg")
    with open(path, "w") as f:
        f.write(text)
    with open(path64, "w") as f:
        f.write(dlg_to_f64(text))
    return model, shape, path, path64


def save_data(x, y, work):
    """x.npy and label.npy in WORK (as given) and in WORK/f64 (floats as
    float64); returns the four paths."""
    paths = []
    for d, conv in ((work, lambda a: a), (os.path.join(work, F64_DIR),
                                         lambda a: a.astype(np.float64)
                                         if a.dtype == np.float32 else a)):
        os.makedirs(d, exist_ok=True)
        for name, t in (("x", x), ("label", y)):
            paths.append(os.path.join(d, name + ".npy"))
            np.save(paths[-1], conv(t.numpy()))
    return paths[0], paths[1], paths[2], paths[3]


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
    return (x, y) + save_data(x, y, work)


def train_both(dlc, paths, kind, opt_name, steps, work, timeout):
    """dlc's float64 and float32 runs: `paths` is (f32 model, x, label, f64
    model, x, label)."""
    m32, x32, y32, m64, x64, y64 = paths
    out64 = dlc_train(dlc, m64, kind, opt_name, steps, x64, y64,
                      os.path.join(work, F64_DIR), timeout)
    out32 = dlc_train(dlc, m32, kind, opt_name, steps, x32, y32, work, timeout)
    return out64, out32


def check_pair(model, paths, kind, opt_name, x, y, steps_list, dlc, work, timeout):
    import torch

    v = Verdict()
    for steps in steps_list:
        out64, out32 = train_both(dlc, paths, kind, opt_name, steps, work, timeout)
        t64 = torch_train(model, opt_name, x, y, kind, steps, torch.float64)
        t32 = torch_train(model, opt_name, x, y, kind, steps, torch.float32)
        v.compare_run(steps, out64, out32, t64, t32,
                      state_names(model, opt_name, out64[1], out32[1]))
    return v


def onnx_to_f64(src, dst):
    """Writes the ONNX file with every float tensor (initializers, Constant
    and ConstantOfShape values), every float input, output and value_info,
    and every Cast to float made double; refuses subgraphs and any float
    tensor attribute it does not know."""
    import onnx
    from onnx import numpy_helper, TensorProto

    m = onnx.load(src)
    g = m.graph

    def conv(t):
        if t.data_type == TensorProto.FLOAT:
            t.CopyFrom(numpy_helper.from_array(
                numpy_helper.to_array(t).astype(np.float64), t.name))

    for t in g.initializer:
        conv(t)
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        if vi.type.tensor_type.elem_type == TensorProto.FLOAT:
            vi.type.tensor_type.elem_type = TensorProto.DOUBLE
    for n in g.node:
        for a in n.attribute:
            if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
                raise RuntimeError(f"float64 copy: {n.op_type} has a subgraph")
            if a.type == onnx.AttributeProto.TENSOR:
                if n.op_type not in ("Constant", "ConstantOfShape"):
                    raise RuntimeError(f"float64 copy: {n.op_type}.{a.name} is a tensor")
                conv(a.t)
            if n.op_type == "Cast" and a.name == "to" and a.i == TensorProto.FLOAT:
                a.i = TensorProto.DOUBLE
    onnx.save(m, dst)


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
    os.makedirs(os.path.join(work, F64_DIR), exist_ok=True)
    path64 = os.path.join(work, F64_DIR, "resnet18.train.onnx")
    onnx_to_f64(path, path64)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g)
    y = torch.randint(0, 1000, (shape[0],), generator=g)
    x_path, y_path, x64_path, y64_path = save_data(x, y, work)
    paths = (path, x_path, y_path, path64, x64_path, y64_path)
    v = Verdict()
    for steps in steps_list:
        out64, out32 = train_both(dlc, paths, "cross_entropy", "sgd_momentum_tv", steps,
                                  work, timeout)
        t64 = torch_train(model, "sgd_momentum_tv", x, y, "cross_entropy", steps,
                          torch.float64)
        t32 = torch_train(model, "sgd_momentum_tv", x, y, "cross_entropy", steps,
                          torch.float32)
        names = {k: k for k in onnx_names(path, model)}
        names.update(state_names(model, "sgd_momentum_tv", out64[1], out32[1]))
        # ONNX's training-mode BatchNormalization updates the running
        # variance with the biased batch variance, PyTorch with the unbiased
        # one; the exported file carries ONNX's meaning, so these differ by
        # design (by momentum * var / (n - 1)) and are not compared.
        for k in [k for k in names if k.endswith("running_var")]:
            del names[k]
            t64[1].pop(k, None)
        v.compare_run(steps, out64, out32, t64, t32, names)
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
    ap.add_argument("--multi-step-models", metavar="A,B",
                    help="only these models get every K of --steps, the others only "
                    "the first (default: every model gets every K)")
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

    multi = None if args.multi_step_models is None else \
        [m for m in args.multi_step_models.split(",") if m]
    for m in multi or []:
        if m not in MODELS:
            sys.exit(f"error: unknown model '{m}' (known: {', '.join(MODELS)})")

    def steps_for(model_name):
        return steps_list if multi is None or model_name in multi else steps_list[:1]
    if not (os.path.isfile(args.dlc) and os.access(args.dlc, os.X_OK)):
        print(f"error: {args.dlc}: no dlc binary (build it, or pass --dlc)", file=sys.stderr)
        return 2
    # The torchvision check's optimizer: SGD with momentum 0.9.
    OPTIMIZERS["sgd_momentum_tv"] = ("SGD", {"lr": 0.01, "momentum": 0.9})

    root = args.keep or tempfile.mkdtemp(prefix="dlc-training-")
    os.makedirs(root, exist_ok=True)
    header = (f"{'model':<20} {'optimizer':<13} {'f64 err':>9} {'f32 err':>9} "
              f"{'torch f32':>9}  result")
    print(header)
    print("-" * len(header), flush=True)
    failed, noisy = [], 0
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
                        model, shape, path, path64 = prepare_sample(model_name, work)
                        kind = LOSSES.get(model_name, "cross_entropy")
                        x, y, x_path, y_path, x64_path, y64_path = make_data(
                            shape, kind, BATCH, work)
                        prepared[model_name] = (model, kind, x, y, (
                            path, x_path, y_path, path64, x64_path, y64_path))
                    model, kind, x, y, paths = prepared[model_name]
                    v = check_pair(model, paths, kind, opt_name, x, y,
                                   steps_for(model_name), args.dlc, work, args.timeout)
            except (RuntimeError, ValueError, OSError) as e:
                v = Verdict()
                v.rel64 = v.rel32 = v.torch = float("nan")
                v.fail(str(e).splitlines()[-1] if str(e) else type(e).__name__)
            result = ("pass, f32-noise" if v.noisy else "pass") if v.ok else "FAIL"
            label = "sgd (m=0.9)" if opt_name == "sgd_momentum_tv" else opt_name
            print(f"{model_name:<20} {label:<13} {v.rel64:>9.2g} {v.rel32:>9.2g} "
                  f"{v.torch:>9.2g}  {result}  ({time.time() - t0:.0f}s)", flush=True)
            if args.verbose and v.where:
                print(f"    worst f64: {v.where}", flush=True)
            notes = v.notes + (v.noise if args.verbose else [])
            for n in notes[:8]:
                print(f"    {n}", flush=True)
            if len(notes) > 8:
                print(f"    ... and {len(notes) - 8} more", flush=True)
            noisy += v.ok and v.noisy
            if not v.ok:
                failed.append(f"{model_name}/{label}")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    if failed:
        print(f"{len(failed)} of {len(jobs)} failed: {', '.join(failed)}")
        return 1
    print(f"all {len(jobs)} passed in float64" +
          (f" ({noisy} with float32 beyond the bound: f32-noise)" if noisy else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
