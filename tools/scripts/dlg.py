"""A small reader for dlc's .dlg text, for the Python check scripts.

Reads the graph section of the grammar in compiler/ir/Printer.h: inputs,
params, consts, nodes (outputs with their optional types, op, inputs,
attributes, @node name) and outputs; it skips a `train { ... }` block (the
training recipe is dlc's business) and stops at a `blobs {` section. Types
become (dtype, [dims]) with symbolic dims as strings. Values of params and
consts are kept as raw text. This is not a validator: dlc's parser is the
authority on what is legal.
"""

import re

_TOKEN = re.compile(r"""
    (?P<ws>[ \t\r\n]+) |
    (?P<comment>\#[^\n]*) |
    (?P<string>"(?:[^"\\]|\\.)*") |
    (?P<number>(?:-?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?|inf)|nan)(?![A-Za-z0-9_.])) |
    (?P<name>[A-Za-z_][A-Za-z0-9_.]*) |
    (?P<punct>[:,=()\[\]{}@])
""", re.VERBOSE)


def _unquote(s):
    body = s[1:-1]
    out, i = "", 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            if body[i + 1] == "x":
                out += chr(int(body[i + 2:i + 4], 16))
                i += 4
                continue
            out += body[i + 1]
            i += 2
            continue
        out += c
        i += 1
    return out


def _tokens(line):
    pos, toks = 0, []
    while pos < len(line):
        m = _TOKEN.match(line, pos)
        if not m:
            raise ValueError(f"cannot read {line[pos:pos + 20]!r}")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("ws", "comment"):
            continue
        text = m.group()
        if kind == "string":
            toks.append(("name", _unquote(text)))
        elif kind == "number":
            toks.append(("number", text))
        else:
            toks.append((kind, text))
    return toks


class _Stream:
    def __init__(self, toks):
        self.toks, self.i = toks, 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None)

    def next(self):
        t = self.peek()
        self.i += 1
        return t

    def expect(self, text):
        t = self.next()
        if t[1] != text:
            raise ValueError(f"expected {text!r}, got {t[1]!r}")

    def accept(self, text):
        if self.peek()[1] == text and self.peek()[0] in ("punct", "name"):
            self.i += 1
            return True
        return False

    def done(self):
        return self.i >= len(self.toks)


def _type(s):
    kind, text = s.next()
    dtype = text
    s.expect("[")
    dims = []
    while not s.accept("]"):
        k, t = s.next()
        dims.append(int(t) if k == "number" else t)
        s.accept(",")
    return (dtype, dims)


def _value(s):
    k, t = s.next()
    if t == "[":
        items = []
        while not s.accept("]"):
            items.append(_value(s))
            s.accept(",")
        return items
    if k == "number":
        return float(t) if re.search(r"[.eEn]", t) else int(t)
    return t


def type_str(ty):
    dtype, dims = ty
    return f"{dtype}[{', '.join(str(d) for d in dims)}]"


class Node:
    def __init__(self, outputs, op, inputs, attrs, name):
        self.outputs = outputs  # [(name, type or None)]
        self.op, self.inputs, self.attrs, self.name = op, inputs, attrs, name


class Graph:
    def __init__(self):
        self.name = None
        self.inputs = {}   # name -> type
        self.params = {}   # name -> (type, frozen, value text)
        self.consts = {}   # name -> (type, value text)
        self.nodes = []
        self.outputs = []  # [(output name, value name)]

    def type_of(self, value):
        """The declared type of a value, or None if it is not written."""
        if value in self.inputs:
            return self.inputs[value]
        if value in self.params:
            return self.params[value][0]
        if value in self.consts:
            return self.consts[value][0]
        for n in self.nodes:
            for name, ty in n.outputs:
                if name == value:
                    return ty
        return None


def parse(text):
    g = Graph()
    in_train = False
    for lineno, line in enumerate(text.splitlines(), 1):
        try:
            toks = _tokens(line)
        except ValueError as e:
            raise ValueError(f"line {lineno}: {e}")
        if not toks:
            continue
        if in_train or toks[:2] == [("name", "train"), ("punct", "{")]:
            # The block's own lines end with `}` only where an inner {...} closes
            # on the same line; the block ends at a line that is just `}`.
            in_train = toks != [("punct", "}")]
            continue
        s = _Stream(toks)
        head = toks[0]
        try:
            if head == ("name", "graph"):
                g.name = toks[1][1]
            elif head == ("name", "blobs"):
                break
            elif head == ("punct", "}"):
                continue
            elif head == ("name", "input"):
                s.next()
                name = s.next()[1]
                s.expect(":")
                g.inputs[name] = _type(s)
            elif head in (("name", "param"), ("name", "const")):
                s.next()
                name = s.next()[1]
                s.expect(":")
                ty = _type(s)
                frozen = s.accept("frozen")
                rest = line.split("=", 1)[1].strip() if "=" in line else ""
                if head[1] == "param":
                    g.params[name] = (ty, frozen, rest)
                else:
                    g.consts[name] = (ty, rest)
            elif head == ("name", "output"):
                s.next()
                name = s.next()[1]
                value = s.next()[1] if s.accept("=") else name
                g.outputs.append((name, value))
            else:
                outs = []
                while True:
                    name = s.next()[1]
                    ty = _type(s) if s.accept(":") else None
                    outs.append((name, ty))
                    if s.accept("="):
                        break
                    s.expect(",")
                op = s.next()[1]
                s.expect("(")
                ins = []
                while not s.accept(")"):
                    k, t = s.next()
                    ins.append(None if t == "_" else t)
                    s.accept(",")
                attrs = {}
                if s.accept("{"):
                    while not s.accept("}"):
                        key = s.next()[1]
                        s.expect("=")
                        attrs[key] = _value(s)
                        s.accept(",")
                node_name = s.next()[1] if s.accept("@") else outs[0][0]
                g.nodes.append(Node(outs, op, ins, attrs, node_name))
        except (ValueError, IndexError, TypeError) as e:
            raise ValueError(f"line {lineno}: cannot read {line.strip()!r}: {e}")
    return g
