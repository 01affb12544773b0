"""Stops `dlrun train` while it trains and checks what it leaves behind.

usage: interrupt.py DLRUN DIR -- TRAIN-ARGS...   (TRAIN-ARGS without --checkpoint)

Signals: SIGINT and SIGTERM write a checkpoint of the step reached, the exit
status is 128 + the signal, and the run resumed from that checkpoint ends
with the same tensors, bit for bit, as an uninterrupted run with the same
seed. The signal is sent on what dlrun prints, never after a fixed delay:
SIGINT once the first epoch's line is out (it lands in epoch 2, or later on a
slow machine), SIGTERM once the progress bar shows the first step of epoch 1
(it lands in epoch 1, or later). Wherever it lands, the checkpoint must hold
the step that the error message names, and the resumed run must continue
from it.

A full disk: a run resumed from a checkpoint gets a file-size limit
(RLIMIT_FSIZE, set on the running process once it has loaded the model,
whose kernels are staged in a memory file that the limit would also stop);
its next checkpoint write fails with EFBIG. dlrun must exit 1 naming the
file, leave the previous checkpoint byte for byte, and no temporary file.
"""
import os
import re
import resource
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import checkpoint  # noqa: E402


def fail(msg):
    sys.exit("interrupt.py: " + msg)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        fail(f"{' '.join(cmd)} exited {p.returncode}:\n{p.stdout}{p.stderr}")
    return p.stdout


def interrupt(cmd, sig, trigger):
    """Runs cmd, sends sig once its stdout matches trigger; returns (exit
    status, stdout, stderr)."""
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    seen = b""
    while not re.search(trigger, seen):
        chunk = os.read(p.stdout.fileno(), 4096)
        if not chunk:
            p.wait()
            fail(f"dlrun ended (exit {p.returncode}) before printing {trigger!r}:\n"
                 f"{seen.decode()}{p.stderr.read().decode()}")
        seen += chunk
    p.send_signal(sig)
    out, err = p.communicate(timeout=300)
    return p.returncode, (seen + out).decode(), err.decode()


def main():
    dlrun, work = sys.argv[1], sys.argv[2]
    args = sys.argv[sys.argv.index("--") + 1:]
    full = os.path.join(work, "full")
    run([dlrun, "train", *args, "--checkpoint=" + full])
    full_ck = os.path.join(full, "last.safetensors")
    _, full_meta = checkpoint.load(full_ck)

    for sig, trigger in ((signal.SIGINT, rb"epoch 1/\d+: train"),
                         (signal.SIGTERM, rb"epoch 1/\d+ \[[^\]]*\] 1/")):
        name = signal.Signals(sig).name
        part = os.path.join(work, name)
        cmd = [dlrun, "train", *args, "--checkpoint=" + part]
        status, out, err = interrupt(cmd + ["--progress=on"], sig, trigger)
        if status != 128 + sig:
            fail(f"{name}: exit status {status}, expected {128 + sig}:\n{out}{err}")
        m = re.search(r"error: interrupted at epoch (\d+), step (\d+); checkpoint (\S+) written; "
                      r"continue with --resume", err)
        if not m:
            fail(f"{name}: no interruption message:\n{err}")
        epoch, step, ck = int(m[1]), int(m[2]), m[3]
        if ck != os.path.join(part, "last.safetensors"):
            fail(f"{name}: the message names {ck}, not {part}/last.safetensors")
        saved = int(checkpoint.load(ck)[1]["dlrun.step"])
        if saved != step or step >= int(full_meta["dlrun.step"]):
            fail(f"{name}: stopped at step {step}, the checkpoint holds step {saved} "
                 f"(the whole run has {full_meta['dlrun.step']})")
        resumed = run(cmd + ["--resume"])
        if f"resuming from {ck} at epoch {epoch}, step {step}\n" not in resumed:
            fail(f"{name}: the resumed run does not continue at epoch {epoch}, step {step}:\n"
                 f"{resumed}")
        problem = checkpoint.same(full_ck, ck)
        if problem:
            fail(f"{name} at epoch {epoch}, step {step}, then resumed: {problem}")
        meta = checkpoint.load(ck)[1]
        for key in ("dlrun.epoch", "dlrun.step", "dlrun.rng"):
            if meta[key] != full_meta[key]:
                fail(f"{name}: {key} is {meta[key]}, uninterrupted {full_meta[key]}")
        # Where the signal landed depends on the machine's speed; FileCheck
        # checks the rest.
        print(f"{name}: exit {status}, checkpoint written, resumed, "
              f"equal to the uninterrupted run (stopped in epoch {epoch})")
    file_size_limit(dlrun, os.path.join(work, "FSIZE"), args)


def file_size_limit(dlrun, part, args):
    cmd = [dlrun, "train", *args, "--checkpoint=" + part]
    run(cmd + ["--steps=100"])
    ck = os.path.join(part, "last.safetensors")
    with open(ck, "rb") as f:
        before = f.read()
    p = subprocess.Popen(cmd + ["--resume"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    line = p.stdout.readline()
    if not line.startswith(b"resuming from"):
        p.kill()
        fail(f"FSIZE: expected 'resuming from', got {line!r}")
    # Smaller than any checkpoint; the next write of one goes past it.
    resource.prlimit(p.pid, resource.RLIMIT_FSIZE, (1024, 1024))
    out, err = p.communicate(timeout=300)
    err = err.decode()
    if p.returncode != 1:
        fail(f"FSIZE: exit status {p.returncode}, expected 1:\n{out.decode()}{err}")
    with open(ck, "rb") as f:
        if f.read() != before:
            fail(f"FSIZE: {ck} changed although its write failed")
    if os.listdir(part) != ["last.safetensors"]:
        fail(f"FSIZE: {part} holds {os.listdir(part)}, not just last.safetensors")
    # FileCheck checks the message.
    print(f"FSIZE: exit 1, checkpoint intact, no temporary file; {err.strip()}")


if __name__ == "__main__":
    main()
