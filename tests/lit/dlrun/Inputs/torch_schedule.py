"""Checks the per-epoch learning rates dlrun wrote to a --metrics file
against torch.optim.lr_scheduler's (StepLR, ExponentialLR,
CosineAnnealingLR with T_max = the run's epochs), stepped once per epoch.

  torch_schedule.py METRICS.jsonl BASE_LR SPEC EPOCHS
"""
import json
import sys

import torch


def torch_rates(base, spec, epochs):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base)
    kind, *args = spec.split(":")
    if kind == "step":
        sched = torch.optim.lr_scheduler.StepLR(opt, step_size=int(args[0]), gamma=float(args[1]))
    elif kind == "exp":
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=float(args[0]))
    elif kind == "cosine":
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    else:
        sys.exit(f"unknown schedule {spec}")
    rates = []
    for _ in range(epochs):
        rates.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return rates


def main():
    path, base, spec, epochs = sys.argv[1], float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    got = [json.loads(l)["lr"] for l in open(path) if json.loads(l)["event"] == "epoch"]
    want = torch_rates(base, spec, epochs)
    if len(got) != len(want):
        sys.exit(f"{path}: {len(got)} epochs, want {len(want)}")
    for e, (g, w) in enumerate(zip(got, want), 1):
        if abs(g - w) > 1e-12 * abs(w):
            sys.exit(f"{spec}: epoch {e}: dlrun's lr {g!r}, torch's {w!r}")
    print(f"{spec}: {epochs} epochs match torch: {want}")


if __name__ == "__main__":
    main()
