#!/usr/bin/python3
"""Builds dlc's sample models in PyTorch and exports them to ONNX.

Each module here mirrors one hand-written models/*.dlg file layer for layer;
its state_dict keys are the .dlg parameter names (conv1.weight, bn1.running_var,
...), so weights move between the two by name. Exports use opset 13, input
`x`, output `logits` (`prediction` for linear_regression) and a dynamic batch
axis named N; the module is in eval mode with PyTorch's default initialization
under torch.manual_seed(0) (not the .dlg initializers). With --torchvision,
torchvision's reference nets (random weights, torch.manual_seed(0)) are
exported instead, the way check_torchvision.py exports them.

Run with /usr/bin/python3 (Debian's python3-torch):
  /usr/bin/python3 tools/scripts/gen_onnx_models.py [-o models/onnx] [--models mlp,lenet5]
  /usr/bin/python3 tools/scripts/gen_onnx_models.py --torchvision resnet18,alexnet -o /tmp/tv
"""

import argparse
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OPSET = 13


# --- Sample models (mirrors of models/*.dlg) ---------------------------------


class LinearRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(13, 1)

    def forward(self, x):
        return self.fc(x)


class LogisticRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(30, 1)

    def forward(self, x):
        return self.fc(x)


class SoftmaxRegression(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(784, 10)

    def forward(self, x):
        return self.fc(torch.flatten(x, 1))


class MLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(784, 256)
        self.fc2 = nn.Linear(256, 128)
        self.fc3 = nn.Linear(128, 10)

    def forward(self, x):
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class VGGSmall(nn.Module):
    def __init__(self):
        super().__init__()
        chans = [(1, 32), (32, 32), (32, 64), (64, 64)]
        for i, (cin, cout) in enumerate(chans, 1):
            setattr(self, f"conv{i}", nn.Conv2d(cin, cout, 3, padding=1, bias=False))
            setattr(self, f"bn{i}", nn.BatchNorm2d(cout))
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
        self.drop1 = nn.Dropout(0.5)
        self.drop2 = nn.Dropout(0.5)

    def forward(self, x):
        for i in range(1, 5):
            x = F.relu(getattr(self, f"bn{i}")(getattr(self, f"conv{i}")(x)))
            if i % 2 == 0:
                x = F.max_pool2d(x, 2)
        x = self.drop1(torch.flatten(x, 1))
        x = self.drop2(F.relu(self.fc1(x)))
        return self.fc2(x)


class Shortcut(nn.Module):
    """Projection shortcut: 1x1 conv, stride 2, then BatchNorm."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 1, stride=2, bias=False)
        self.bn = nn.BatchNorm2d(cout)

    def forward(self, x):
        return self.bn(self.conv(x))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        stride = 1 if cin == cout else 2
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = Shortcut(cin, cout) if cin != cout else nn.Identity()

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x))


class ResNetSmall(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.layer1 = BasicBlock(16, 16)
        self.layer2 = BasicBlock(16, 32)
        self.layer3 = BasicBlock(32, 64)
        self.fc = nn.Linear(64, 10)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(x.mean(dim=(2, 3)))


class Inception(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(1, 32, 3, padding=1)
        self.branch1 = nn.Conv2d(32, 16, 1)
        self.branch2a = nn.Conv2d(32, 16, 1)
        self.branch2b = nn.Conv2d(16, 24, 3, padding=1)
        self.branch3a = nn.Conv2d(32, 4, 1)
        self.branch3b = nn.Conv2d(4, 8, 5, padding=2)
        self.branch4 = nn.Conv2d(32, 8, 1)
        self.drop = nn.Dropout(0.4)
        self.fc = nn.Linear(56, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.stem(x)), 2)
        b1 = F.relu(self.branch1(x))
        b2 = F.relu(self.branch2b(F.relu(self.branch2a(x))))
        b3 = F.relu(self.branch3b(F.relu(self.branch3a(x))))
        b4 = F.relu(self.branch4(F.max_pool2d(x, 3, stride=1, padding=1)))
        x = torch.cat([b1, b2, b3, b4], dim=1)
        return self.fc(self.drop(x.mean(dim=(2, 3))))


# name -> (module class, input shape without the batch dim, output name)
SAMPLES = {
    "linear_regression": (LinearRegression, (13,), "prediction"),
    "logistic_regression": (LogisticRegression, (30,), "logits"),
    "softmax_regression": (SoftmaxRegression, (1, 28, 28), "logits"),
    "mlp": (MLP, (1, 28, 28), "logits"),
    "lenet5": (LeNet5, (1, 28, 28), "logits"),
    "vgg_small": (VGGSmall, (1, 28, 28), "logits"),
    "resnet_small": (ResNetSmall, (1, 28, 28), "logits"),
    "inception": (Inception, (1, 28, 28), "logits"),
}
# Exported by default: the small image models named in models/README.md.
DEFAULT_SAMPLES = ["mlp", "lenet5", "vgg_small", "resnet_small"]


def build_sample(name, seed=0):
    cls, shape, out_name = SAMPLES[name]
    torch.manual_seed(seed)
    return cls().eval(), shape, out_name


def export_sample(name, out_dir, seed=0):
    model, shape, out_name = build_sample(name, seed)
    path = os.path.join(out_dir, name + ".onnx")
    with torch.no_grad():
        # PRESERVE on an eval-mode module keeps BatchNormalization (inference
        # form, initializers named by state_dict key) where EVAL would fold it
        # into the conv; the exporter drops eval-mode Dropout either way.
        torch.onnx.export(
            model, torch.zeros(1, *shape), path, opset_version=OPSET,
            training=torch.onnx.TrainingMode.PRESERVE,
            input_names=["x"], output_names=[out_name],
            dynamic_axes={"x": {0: "N"}, out_name: {0: "N"}})
    return path


# --- torchvision reference nets (used by check_torchvision.py) ---------------

TORCHVISION = ["resnet18", "alexnet", "vgg11", "squeezenet1_0", "mobilenet_v2",
               "googlenet"]
# Small enough for a naive interpreter, large enough for each net. AlexNet at
# 224x224 is exported unchanged (its features are 6x6 there); VGG-11 at 32x32
# has 1x1 features, see ReplicatePool.
DEFAULT_INPUT = {
    "resnet18": (1, 3, 64, 64),
    "alexnet": (1, 3, 224, 224),
    "vgg11": (1, 3, 32, 32),
    "squeezenet1_0": (1, 3, 64, 64),
    "mobilenet_v2": (1, 3, 64, 64),
    "googlenet": (1, 3, 64, 64),
}


class ReplicatePool(nn.Module):
    """AdaptiveAvgPool2d((k, k)) on a 1x1 image, which copies each channel
    k*k times. torch.onnx cannot export adaptive pooling whose output size
    does not divide its input size, so AlexNet and VGG on small images (1x1
    features) use this exact equivalent: a product with a ones[1, 1, k, k]
    buffer, exported as one Mul."""

    def __init__(self, k):
        super().__init__()
        self.register_buffer("ones", torch.ones(1, 1, k, k))

    def forward(self, x):
        assert x.shape[2:] == (1, 1), "ReplicatePool expects 1x1 features"
        return x * self.ones


def build_torchvision(name, train=False, shape=None):
    """A torchvision net with random weights from torch.manual_seed(0).

    With train=True the module is left in training mode and every Dropout has
    p set to 0, so that the training-mode output is deterministic (BatchNorm
    still normalizes with batch statistics); in eval mode BatchNorm's running
    statistics come from one random batch (calibrate_batchnorm). For the
    input `shape`, AlexNet's and VGG's adaptive pool becomes a ReplicatePool
    where the features are 1x1."""
    import torchvision

    torch.manual_seed(0)
    kwargs = {}
    if name == "googlenet":
        kwargs = {"aux_logits": False, "init_weights": True}
    model = getattr(torchvision.models, name)(weights=None, **kwargs)
    if name in ("alexnet", "vgg11") and shape is not None:
        with torch.no_grad():
            feats = model.features(torch.zeros(*shape))
        k = model.avgpool.output_size
        k = k[0] if isinstance(k, tuple) else k
        if feats.shape[2:] == (1, 1) and k != 1:
            model.avgpool = ReplicatePool(k)
    if train:
        model.train()
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.p = 0.0
    else:
        calibrate_batchnorm(model, shape or DEFAULT_INPUT[name])
        model.eval()
    return model


def calibrate_batchnorm(model, shape):
    """Sets BatchNorm running statistics from one random batch of 4.

    Freshly initialized statistics (mean 0, var 1) make eval-mode BatchNorm
    an affine no-op and let MobileNetV2's activations fade to ~1e-9; real
    statistics make the eval check exercise them."""
    bns = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average: after one batch, its statistics
    model.train()
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        model(torch.randn(4, *shape[1:], generator=g))
    for m, mom in zip(bns, saved):
        m.momentum = mom


def export_torchvision(model, shape, path, train=False):
    """Exports with a static input shape; input `x`, output `logits`."""
    mode = torch.onnx.TrainingMode.TRAINING if train else torch.onnx.TrainingMode.EVAL
    with torch.no_grad():
        torch.onnx.export(
            model, torch.zeros(*shape), path, opset_version=OPSET,
            training=mode, do_constant_folding=not train,
            input_names=["x"], output_names=["logits"])
    return path


def parse_shape(text):
    return tuple(int(d) for d in text.lower().split("x"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output-dir", default=os.path.join(REPO, "models", "onnx"))
    ap.add_argument("--models", default=",".join(DEFAULT_SAMPLES),
                    help="comma-separated sample models, or 'all' (%s)" %
                    ", ".join(SAMPLES))
    ap.add_argument("--torchvision", metavar="NETS",
                    help="export these torchvision nets instead (comma-separated, "
                    "or 'all': %s)" % ", ".join(TORCHVISION))
    ap.add_argument("--input-size", metavar="NxCxHxW",
                    help="input shape for --torchvision (default: per net)")
    ap.add_argument("--train", action="store_true",
                    help="--torchvision: export in training mode (dropout p = 0)")
    args = ap.parse_args()
    os.makedirs(args.output_dir, exist_ok=True)

    if args.torchvision:
        names = TORCHVISION if args.torchvision == "all" else args.torchvision.split(",")
        for name in names:
            if name not in TORCHVISION:
                sys.exit(f"error: unknown torchvision net '{name}'")
            shape = parse_shape(args.input_size) if args.input_size else DEFAULT_INPUT[name]
            model = build_torchvision(name, args.train, shape)
            path = os.path.join(args.output_dir, name + ".onnx")
            export_torchvision(model, shape, path, args.train)
            print(f"{path}: input x: {list(shape)}")
        return

    names = list(SAMPLES) if args.models == "all" else args.models.split(",")
    for name in names:
        if name not in SAMPLES:
            sys.exit(f"error: unknown sample model '{name}' (known: {', '.join(SAMPLES)})")
        path = export_sample(name, args.output_dir)
        print(f"{path}: {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
