#!/usr/bin/python3
"""Checks dlc's ONNX importer and reference interpreter against PyTorch on
torchvision's reference nets.

For each net (random weights, torch.manual_seed(0)): export to ONNX (opset 13;
eval mode, or training mode with --train), then
  1. `dlc NET.onnx --emit=ir --elide-weights`: the type on the graph output
     `logits` must be f32[<PyTorch's output shape>];
  2. `dlc NET.onnx --run --input x=in.npy --output-dir D`: D/logits.npy must
     match PyTorch's output on the same input:
     np.allclose(out, ref, rtol=1e-4, atol=1e-5 * max|ref|),
     or, where PyTorch's own float32 result misses that tolerance, dlc's error
     may be up to twice PyTorch's float32 error (result "pass~").
Prints one row per net and exits 1 if any check fails.

The reference `ref` is the same PyTorch module run in float64 on the same
(float32) input: the exact answer for these weights, so the error columns
measure dlc alone. Deep nets in training mode at batch 1 normalize the last
stages over 2x2 values; there even PyTorch's float32 result is ~2e-4 (relative
to max|ref|) off the float64 one, hence the second criterion. The column
"torch f32" shows PyTorch's float32 error, max |ref32 - ref| / max|ref|.

Training mode (--train): the nets are exported with
TrainingMode.TRAINING and do_constant_folding=False after every Dropout's p is
set to 0, so all nets, dropout or not, are compared numerically; BatchNorm
normalizes with the batch's statistics (batch 1, so over H x W).

The error columns: max abs err = max |out - ref|; max rel err =
max |out - ref| / (|ref| + atol), elementwise, with the atol above.

Run with /usr/bin/python3 (Debian's python3-torch and torchvision):
  /usr/bin/python3 tools/scripts/check_torchvision.py [--models resnet18,alexnet]
      [--train] [--dlc build/tools/dlc/dlc] [--input-size 1x3x96x96]
"""

import argparse
import os
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

import dlg  # noqa: E402


def parse_sizes(text, models):
    """'1x3x96x96' for every net, or 'resnet18=1x3x96x96,vgg11=1x3x64x64'."""
    import gen_onnx_models as gen

    sizes = {m: gen.DEFAULT_INPUT[m] for m in models}
    if not text:
        return sizes
    for item in text.split(","):
        if "=" in item:
            name, shape = item.split("=", 1)
            if name not in sizes:
                sys.exit(f"error: --input-size: '{name}' is not among the checked nets")
            sizes[name] = gen.parse_shape(shape)
        else:
            for m in models:
                sizes[m] = gen.parse_shape(item)
    for m, s in sizes.items():
        if len(s) != 4:
            sys.exit(f"error: --input-size for {m} must be NxCxHxW, got {s}")
    return sizes


def run_dlc(cmd, timeout):
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {timeout}s: {' '.join(cmd)}"
    if p.returncode != 0:
        msg = p.stderr.strip().splitlines()
        return None, (msg[-1] if msg else f"exit code {p.returncode}") + \
            f" ({' '.join(os.path.basename(c) for c in cmd[:2])} ...)"
    return p.stdout, None


def check_one(name, shape, train, dlc, work, timeout):
    """Returns a result row (dict); row['ok'] tells pass or fail."""
    import copy

    import torch
    import gen_onnx_models as gen

    row = {"model": name, "mode": "train" if train else "eval", "ops": "-",
           "shape": "-", "abs": float("nan"), "rel": float("nan"), "ok": False,
           "note": ""}
    model = gen.build_torchvision(name, train, shape)
    g = torch.Generator().manual_seed(1)
    x = torch.randn(*shape, generator=g)
    with torch.no_grad():
        ref32 = model(x).numpy()
        ref = copy.deepcopy(model).double()(x.double()).numpy()
    path = os.path.join(work, f"{name}.{row['mode']}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gen.export_torchvision(model, shape, path, train)
    in_path = os.path.join(work, f"{name}.in.npy")
    np.save(in_path, x.numpy().astype(np.float32))

    # 1. The imported graph and its output type.
    text, err = run_dlc([dlc, path, "--emit=ir", "--elide-weights"], timeout)
    if err:
        row["note"] = err
        return row
    try:
        graph = dlg.parse(text)
    except ValueError as e:
        row["note"] = f"cannot read dlc's --emit=ir output: {e}"
        return row
    row["ops"] = len(graph.nodes)
    outs = dict(graph.outputs)
    if "logits" not in outs:
        row["note"] = f"no graph output 'logits' (outputs: {list(outs)})"
        return row
    got = graph.type_of(outs["logits"])
    want = ("f32", list(ref.shape))
    shape_ok = got == want
    row["shape"] = "ok" if shape_ok else "FAIL"
    if not shape_ok:
        row["note"] = (f"output type {dlg.type_str(got) if got else 'missing'}, "
                       f"PyTorch gives {dlg.type_str(want)}")

    # 2. The reference interpreter's numbers.
    out_dir = os.path.join(work, f"{name}.{row['mode']}.out")
    os.makedirs(out_dir, exist_ok=True)
    t0 = time.time()
    _, err = run_dlc([dlc, path, "--run", "--input", f"x={in_path}",
                      "--output-dir", out_dir], timeout)
    row["secs"] = time.time() - t0
    if err:
        row["note"] = (row["note"] + "; " if row["note"] else "") + err
        return row
    out_path = os.path.join(out_dir, "logits.npy")
    if not os.path.exists(out_path):
        row["note"] = f"dlc wrote no {os.path.basename(out_path)} " \
                      f"(wrote {sorted(os.listdir(out_dir))})"
        return row
    out = np.load(out_path)
    if out.shape != ref.shape:
        row["note"] = f"--run output shape {list(out.shape)}, PyTorch {list(ref.shape)}"
        return row
    scale = float(np.abs(ref).max())
    atol = 1e-5 * scale
    diff = np.abs(out.astype(np.float64) - ref)
    row["abs"] = float(diff.max())
    row["rel"] = float((diff / (np.abs(ref) + atol)).max()) if atol > 0 else float(diff.max())
    close = bool(np.allclose(out, ref, rtol=1e-4, atol=atol))
    torch_err = float(np.abs(ref32 - ref).max())
    row["torch"] = torch_err / scale if scale > 0 else torch_err
    if not close and not np.allclose(ref32, ref, rtol=1e-4, atol=atol) \
            and row["abs"] <= 2 * torch_err:
        close, row["noisy"] = True, True
    if not close:
        row["note"] = (row["note"] + "; " if row["note"] else "") + \
            "outputs differ beyond rtol=1e-4, atol=1e-5*max|ref|" + \
            (" and beyond 2x PyTorch's float32 error" if torch_err > atol else "")
    row["ok"] = shape_ok and close
    return row


def main():
    try:
        import torch  # noqa: F401
        import torchvision  # noqa: F401
    except ImportError as e:
        print(f"error: {e} (run with /usr/bin/python3, which has python3-torch)",
              file=sys.stderr)
        return 2
    import gen_onnx_models as gen

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(gen.TORCHVISION),
                    help="comma-separated nets (default: %(default)s)")
    ap.add_argument("--train", action="store_true",
                    help="export and compare in training mode (dropout p = 0)")
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")),
        help="the dlc binary (default: $DLC or build/tools/dlc/dlc)")
    ap.add_argument("--input-size", metavar="NxCxHxW",
                    help="one shape for all nets, or name=shape,... "
                    "(default: %s)" % ", ".join(
                        f"{k} {'x'.join(map(str, v))}" for k, v in gen.DEFAULT_INPUT.items()))
    ap.add_argument("--timeout", type=int, default=900,
                    help="seconds allowed per dlc command (default: %(default)s)")
    ap.add_argument("--keep", metavar="DIR",
                    help="write the .onnx, inputs and outputs here and keep them")
    args = ap.parse_args()

    models = args.models.split(",")
    for m in models:
        if m not in gen.TORCHVISION:
            sys.exit(f"error: unknown net '{m}' (known: {', '.join(gen.TORCHVISION)})")
    sizes = parse_sizes(args.input_size, models)
    if not (os.path.isfile(args.dlc) and os.access(args.dlc, os.X_OK)):
        print(f"error: {args.dlc}: no dlc binary (build it, or pass --dlc)",
              file=sys.stderr)
        return 2

    work = args.keep or tempfile.mkdtemp(prefix="dlc-torchvision-")
    os.makedirs(work, exist_ok=True)
    header = f"{'model':<14} {'mode':<5} {'input':<13} {'ops':>4}  {'shape':<5} " \
             f"{'max abs err':>11} {'max rel err':>11} {'torch f32':>9}  result"
    print(header)
    print("-" * len(header), flush=True)
    failed = []
    try:
        for name in models:
            try:
                row = check_one(name, sizes[name], args.train, args.dlc, work,
                                args.timeout)
            except Exception as e:  # an export failure is this net's failure
                row = {"model": name, "mode": "train" if args.train else "eval",
                       "ops": "-", "shape": "-", "abs": float("nan"),
                       "rel": float("nan"), "ok": False,
                       "note": f"{type(e).__name__}: {str(e).splitlines()[0]}"}
            size = "x".join(map(str, sizes[name]))
            print(f"{row['model']:<14} {row['mode']:<5} {size:<13} {row['ops']:>4}  "
                  f"{row['shape']:<5} {row['abs']:>11.3g} {row['rel']:>11.3g} "
                  f"{row.get('torch', float('nan')):>9.2g}  "
                  f"{('pass~' if row.get('noisy') else 'pass') if row['ok'] else 'FAIL'}"
                  + (f"  ({row['secs']:.1f}s run)" if "secs" in row else ""),
                  flush=True)
            if row["note"]:
                print(f"    {row['note']}", flush=True)
            if not row["ok"]:
                failed.append(name)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    if failed:
        print(f"{len(failed)} of {len(models)} failed: {', '.join(failed)}")
        return 1
    print(f"all {len(models)} passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
