"""Shared driver of the end-to-end tests: finds dlc (--dlc, else $DLC, else
build/tools/dlc/dlc), skips with ctest's code 77 when this interpreter lacks
a needed module, and runs a checker script from tools/scripts once per
argument list. Exit code: 0 pass, 1 failure, 77 skipped."""

import argparse
import importlib
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(doc, checker, runs, modules):
    ap = argparse.ArgumentParser(description=doc.splitlines()[0])
    ap.add_argument("--dlc", default=os.environ.get(
        "DLC", os.path.join(REPO, "build", "tools", "dlc", "dlc")))
    args = ap.parse_args()
    for m in modules:
        try:
            importlib.import_module(m)
        except ImportError:
            print(f"skipped: {sys.executable} cannot import {m} (needs Debian's "
                  + ", ".join("python3-" + n for n in modules) + ")")
            return 77
    script = os.path.join(REPO, "tools", "scripts", checker)
    failed = False
    for extra in runs:
        cmd = [sys.executable, script, "--dlc", args.dlc] + extra
        print("$ " + " ".join(cmd), flush=True)
        failed |= subprocess.call(cmd) != 0
    return 1 if failed else 0
