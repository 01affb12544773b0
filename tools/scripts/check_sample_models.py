#!/usr/bin/python3
"""Checks the sample models in models/ against their PyTorch mirrors.

For each models/NAME.dlg:
  1. `dlc NAME.dlg --emit=ir` reads it; the parameters it prints (names,
     types, frozen) equal the mirror module's state_dict in
     tools/scripts/gen_onnx_models.py, and the output type is the mirror's
     output shape (with the batch N);
  2. a copy whose parameters read the mirror's weights (`= npy("...")`) run
     with `dlc --run` on a random batch of 3 matches the mirror in float64:
     np.allclose(out, ref, rtol=1e-4, atol=1e-5 * max|ref|).
The mirror's BatchNorm statistics and biases are randomized first so that
they matter. For each committed models/onnx/NAME.onnx, step 2 is done on the
ONNX file against the mirror's default weights (what gen_onnx_models.py
exports). Exits 1 if any check fails.

  /usr/bin/python3 tools/scripts/check_sample_models.py [--dlc PATH] [--models a,b]
"""

import argparse
import copy
import glob
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import dlg  # noqa: E402


def dlc_run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if p.returncode != 0:
        err = p.stderr.strip() or f"exit code {p.returncode}"
        raise RuntimeError(err)
    return p.stdout


def compare(out, ref):
    scale = float(np.abs(ref).max())
    atol = 1e-5 * scale
    err = float(np.abs(out.astype(np.float64) - ref).max())
    return err, bool(np.allclose(out, ref, rtol=1e-4, atol=atol))


def check_dlg(name, dlc, work):
    import torch
    import gen_onnx_models as gen

    model, shape, out_name = gen.build_sample(name)
    text = dlc_run([dlc, os.path.join(REPO, "models", name + ".dlg"), "--emit=ir",
                    "--elide-weights"])
    graph = dlg.parse(text)
    state = {k: v for k, v in model.state_dict().items() if "num_batches" not in k}
    problems = []
    if set(graph.params) != set(state):
        problems.append(f"params differ from the mirror: {sorted(set(graph.params) ^ set(state))}")
    for k, (ty, frozen, _) in graph.params.items():
        if k in state and ty != ("f32", list(state[k].shape)):
            problems.append(f"{k}: {dlg.type_str(ty)}, mirror {list(state[k].shape)}")
        if frozen != ("running_" in k):
            problems.append(f"{k}: frozen is {frozen}")
    outs = dict(graph.outputs)
    with torch.no_grad():
        want_shape = list(model(torch.zeros(2, *shape)).shape)
    want = ("f32", ["N"] + want_shape[1:])
    got = graph.type_of(outs.get(out_name, out_name))
    if got != want:
        problems.append(f"output {out_name}: {got and dlg.type_str(got)}, want {dlg.type_str(want)}")

    # Weights that matter: random BatchNorm statistics and biases.
    g = torch.Generator().manual_seed(5)
    for k, v in state.items():
        if k.endswith("running_mean") or k.endswith(".bias"):
            v.copy_(0.1 * torch.randn(v.shape, generator=g))
        elif k.endswith("running_var"):
            v.copy_(0.5 + torch.rand(v.shape, generator=g))
    src = open(os.path.join(REPO, "models", name + ".dlg")).read()
    lines = []
    for line in src.splitlines():
        m = re.match(r"^(\s*param\s+([A-Za-z_][A-Za-z0-9_.]*)\s*:[^=]*)=.*$", line)
        if m:
            np.save(os.path.join(work, m.group(2) + ".npy"), state[m.group(2)].numpy())
            line = f'{m.group(1).rstrip()} = npy("{m.group(2)}.npy")'
        lines.append(line)
    path = os.path.join(work, name + ".dlg")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    err, ok = run_and_compare(model, shape, out_name, path, dlc, work)
    return problems, err, ok and not problems


def run_and_compare(model, shape, out_name, path, dlc, work):
    import torch

    x = torch.randn(3, *shape, generator=torch.Generator().manual_seed(1))
    in_path = os.path.join(work, "x.npy")
    np.save(in_path, x.numpy())
    out_dir = os.path.join(work, "out")
    os.makedirs(out_dir, exist_ok=True)
    dlc_run([dlc, path, "--run", "--input", f"x={in_path}", "--output-dir", out_dir])
    out = np.load(os.path.join(out_dir, out_name + ".npy"))
    with torch.no_grad():
        ref = copy.deepcopy(model).double()(x.double()).numpy()
    if out.shape != ref.shape:
        raise RuntimeError(f"output shape {list(out.shape)}, mirror {list(ref.shape)}")
    return compare(out, ref)


def main():
    import gen_onnx_models as gen

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")))
    ap.add_argument("--models", default=",".join(gen.SAMPLES))
    args = ap.parse_args()
    if not os.access(args.dlc, os.X_OK):
        print(f"error: {args.dlc}: no dlc binary (build it, or pass --dlc)", file=sys.stderr)
        return 2

    failed = []
    print(f"{'model':<28} {'max abs err':>11}  result")
    for name in args.models.split(","):
        onnx_path = os.path.join(REPO, "models", "onnx", name + ".onnx")
        jobs = [(name + ".dlg", None)]
        if os.path.exists(onnx_path):
            jobs.append(("onnx/" + name + ".onnx", onnx_path))
        for label, onnx_file in jobs:
            with tempfile.TemporaryDirectory(prefix="dlc-samples-") as work:
                try:
                    if onnx_file:
                        model, shape, out_name = gen.build_sample(name)
                        problems = []
                        err, ok = run_and_compare(model, shape, out_name, onnx_file,
                                                  args.dlc, work)
                    else:
                        problems, err, ok = check_dlg(name, args.dlc, work)
                except (RuntimeError, ValueError, OSError) as e:
                    problems, err, ok = [str(e).splitlines()[-1]], float("nan"), False
            print(f"{label:<28} {err:>11.3g}  {'pass' if ok else 'FAIL'}", flush=True)
            for p in problems:
                print(f"    {p}")
            if not ok:
                failed.append(label)
    if failed:
        print(f"failed: {', '.join(failed)}")
        return 1
    print("all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
