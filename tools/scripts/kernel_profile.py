#!/usr/bin/python3
"""Where an entry point of a compiled model spends its time, per kernel.

Compiles MODEL with dlc (the flags after `--`), runs `dlrun bench` on it under
`perf record`, and prints each kernel's share of the samples with the nodes
it computes. The runtime loads an artifact's code from a memfd, which perf
cannot symbolize, so the script maps the sampled addresses itself: it cuts
the shared object out of the .dlm (runtime/include/dlrt/Artifact.h: a 64-byte
header, the JSON manifest, the code), reads its symbols with nm (a kernel's
loop bodies are symbols prefixed with the kernel's), and names each kernel
by the steps of the entry that run it (`dlc MODEL FLAGS --emit=halide
--entry=E` heads each step's kernel with `// kernelN: node (Op); ...`).
Samples outside the kernels (dlrun, the C library, Halide's thread pool) are
listed by perf's own symbol. Shares are of all samples of the bench process,
warm-up and start-up included.

  /usr/bin/python3 tools/scripts/kernel_profile.py --dlc build/tools/dlc/dlc \\
      --dlrun build/tools/dlrun/dlrun models/lenet5.dlg -- --train \\
      --loss=cross_entropy --optimizer=adam

Needs perf (linux-perf) with access to user-space samples of its children
(kernel.perf_event_paranoid <= 2).
"""

import argparse
import bisect
import collections
import json
import os
import re
import struct
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = struct.Struct("<8sIIQQQQQQ")  # dlrt::ArtifactHeader


def kernel_object(dlm, out):
    """Writes the artifact's shared object to `out`; returns the manifest."""
    with open(dlm, "rb") as f:
        data = f.read()
    _, _, header_size, _, _, manifest_size, code_size, _, _ = HEADER.unpack_from(data)
    code_at = header_size + manifest_size
    with open(out, "wb") as f:
        f.write(data[code_at:code_at + code_size])
    return json.loads(data[header_size:code_at])


def symbols(so):
    """(address, name) of the object's functions, sorted by address."""
    out = subprocess.run(["nm", "-n", so], check=True, stdout=subprocess.PIPE, text=True).stdout
    syms = []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            syms.append((int(parts[0], 16), parts[2]))
    return syms


def step_labels(dlc, model, flags, entry):
    """The nodes of each step of the entry, from --emit=halide's headers."""
    out = subprocess.run([dlc, model, *flags, "--emit=halide", f"--entry={entry}"], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    return {int(m.group(1)): m.group(2) for m in re.finditer(r"^// kernel(\d+): (.*)$", out, re.M)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dlc", default=os.path.join(REPO, "build", "tools", "dlc", "dlc"))
    ap.add_argument("--dlrun", default=os.path.join(REPO, "build", "tools", "dlrun", "dlrun"))
    ap.add_argument("--entry", default="train")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--top", type=int, default=30, help="rows printed")
    ap.add_argument("model", help="a .dlg or .onnx model, then -- and dlc's flags (--train ...)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:cut])
    args.flags = argv[cut + 1:]

    with tempfile.TemporaryDirectory() as work:
        dlm, so, data = (os.path.join(work, n) for n in ("m.dlm", "m.so", "perf.data"))
        subprocess.run([args.dlc, args.model, *args.flags, "-o", dlm], check=True)
        manifest = kernel_object(dlm, so)
        syms = symbols(so)
        labels = step_labels(args.dlc, args.model, args.flags, args.entry)
        steps = manifest["entries"][args.entry]["steps"]
        nodes = collections.defaultdict(list)
        for i, step in enumerate(steps):
            nodes[manifest["kernels"][step["kernel"]]["symbol"]].append(labels.get(i, f"step {i}"))
        bench = [args.dlrun, "bench", dlm, f"--steps={args.steps}", f"--entry={args.entry}",
                 f"--threads={args.threads}", f"--batch={args.batch}"]
        timing = subprocess.run(["perf", "record", "-q", "-o", data, "--", *bench], check=True,
                                stdout=subprocess.PIPE, text=True).stdout
        report = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort",
                                 "dso,sym", "--stdio", "-q"], check=True, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True).stdout

    addrs = [a for a, _ in syms]
    share = collections.Counter()
    for line in report.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(.+?)\s+\[.\]\s+(\S+)", line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3)
        if dso.startswith("memfd:") and sym.startswith("0x"):
            i = bisect.bisect_right(addrs, int(sym, 16)) - 1
            name = syms[i][1] if i >= 0 else sym
            k = re.match(r"k_[0-9a-f]{16}", name)
            share[k.group(0) if k else name] += pct
        else:
            share[sym] += pct
    step_ms = json.loads(timing)
    print(f"# {os.path.basename(args.model)} {args.entry}: median {step_ms['median_ms']:.3f} ms, "
          f"cpu {step_ms['cpu_ms']:.3f} ms per run ({args.threads} thread(s), batch {args.batch})")
    print("| share | ms | kernel | nodes |")
    print("|---:|---:|---|---|")
    for key, pct in share.most_common(args.top):
        ms = pct / 100 * step_ms["cpu_ms"]
        print(f"| {pct:.2f}% | {ms:.3f} | {key} | {'; '.join(nodes.get(key, []))} |")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as e:
        # The tool has said why on stderr; this names the step that failed.
        sys.exit(f"error: kernel_profile: {os.path.basename(e.cmd[0])} exited with {e.returncode}: "
                 + " ".join(e.cmd))
    except FileNotFoundError as e:
        sys.exit(f"error: kernel_profile: {e.filename}: not found")
