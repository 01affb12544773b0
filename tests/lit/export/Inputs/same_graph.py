"""Compares two graphs printed by `dlc --emit=ir` up to names: the node
lines with every value renamed to its order of first use (v0, v1, ...) and
node names (@name) dropped must be equal, and so must the inputs, outputs
and the parameters' types (their values come as initializer specs on one
side and as data on the other; the outputs tests compare them)."""
import re
import sys

IDENT = r'"[^"]*"|[A-Za-z_][\w.]*'


def parse(path):
    decls, nodes, outputs = [], [], []
    names = set()
    lines = open(path).read().split("\nblobs {")[0].splitlines()
    for line in lines:
        s = line.strip()
        m = re.match(rf"(input|param|state|const) ({IDENT}): (\S+\[[^\]]*\])( frozen)?", s)
        if m:
            names.add(m.group(2))
            decls.append((m.group(1), m.group(2), m.group(3), bool(m.group(4))))
            continue
        if s.startswith("output "):
            outputs.append(s)
            continue
        m = re.match(r"(.*?) = ([A-Z]\w*)\((.*)\)(.*)$", s)
        if m:
            outs = [o.split(":")[0].strip() for o in re.split(r",\s*(?![^\[]*\])", m.group(1))]
            names.update(outs)
            nodes.append(s)
    return decls, nodes, outputs, names


def normalize(path):
    decls, nodes, outputs, names = parse(path)
    ids = {}

    def rename(m):
        tok = m.group(0)
        if tok not in names:
            return tok
        ids.setdefault(tok, f"v{len(ids)}")
        return ids[tok]

    body = []
    for s in nodes:
        s = re.sub(r"\s*@\S+$", "", s)
        body.append(re.sub(IDENT, rename, s))
    outs = [re.sub(IDENT, rename, s) for s in outputs]
    # `frozen` does not travel: ONNX has no such flag (dlc makes BatchNorm
    # statistics state when it trains an imported model, so they stay put).
    kinds = sorted((ids.get(n, n), t, k) for k, n, t, f in decls)
    return body, outs, kinds


a, b = normalize(sys.argv[1]), normalize(sys.argv[2])
for what, x, y in zip(("nodes", "outputs", "declarations"), a, b):
    if x != y:
        for i, (p, q) in enumerate(zip(x, y)):
            if p != q:
                sys.exit(f"error: {what} differ at {i}:\n  {p}\n  {q}")
        sys.exit(f"error: {what} differ in count: {len(x)} against {len(y)}")
print(f"same graph up to names: {len(a[0])} nodes, {len(a[2])} declarations")
