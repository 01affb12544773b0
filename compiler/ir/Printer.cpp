// Deterministic .dlg printer and Graphviz output.
#include "ir/Printer.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <sstream>

namespace dlc {

bool isBareName(const std::string &s) {
  if (s.empty() || !(std::isalpha(static_cast<unsigned char>(s[0])) || s[0] == '_'))
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.'))
      return false;
  static const char *keywords[] = {"graph",  "input", "param",  "state",
                                   "const",  "output", "update", "train",
                                   "blobs",  "frozen", "_"};
  for (const char *k : keywords)
    if (s == k)
      return false;
  return true;
}

std::string quoteName(const std::string &s) {
  if (isBareName(s))
    return s;
  std::string q = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      q += '\\';
      q += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      q += buf;
    } else {
      q += static_cast<char>(c);
    }
  }
  return q + "\"";
}

std::string formatFloat(double v) {
  if (std::isnan(v))
    return "nan";
  if (std::isinf(v))
    return v > 0 ? "inf" : "-inf";
  char buf[64];
  int prec = 1;
  for (; prec <= 17; ++prec) {
    std::snprintf(buf, sizeof buf, "%.*g", prec, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  // Plain notation for everyday magnitudes: 10.0, not 1e+01.
  double mag = std::fabs(v);
  if (std::strchr(buf, 'e') && mag >= 1e-5 && mag < 1e16) {
    int exp10 = static_cast<int>(std::floor(std::log10(mag)));
    std::snprintf(buf, sizeof buf, "%.*f", std::max(0, prec - 1 - exp10), v);
  }
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos)
    s += ".0";
  return s;
}

std::string formatNumber(double v) {
  if (v == std::trunc(v) && std::fabs(v) < 1e15)
    return std::to_string(static_cast<int64_t>(v));
  return formatFloat(v);
}

static std::string formatElement(const Tensor &t, int64_t i) {
  if (dlrt::isFloat(t.dtype())) {
    double v = t.getDouble(i);
    if (t.dtype() != DType::F64) // shortest text that reads back as this float
      for (int prec = 1; prec <= 9; ++prec) {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.*g", prec, v);
        if (static_cast<float>(std::strtod(buf, nullptr)) == static_cast<float>(v)) {
          v = std::strtod(buf, nullptr);
          break;
        }
      }
    return formatFloat(v);
  }
  return std::to_string(t.getInt(i));
}

static std::string formatAttr(const Attr &a) {
  auto list = [](size_t n, auto &&item) {
    std::string s = "[";
    for (size_t i = 0; i < n; ++i)
      s += (i ? ", " : "") + item(i);
    return s + "]";
  };
  switch (a.kind) {
  case AttrKind::Int: return std::to_string(a.i);
  case AttrKind::Float: return formatFloat(a.f);
  case AttrKind::String: return quoteName(a.s);
  case AttrKind::Ints:
    return list(a.ints.size(), [&](size_t i) { return std::to_string(a.ints[i]); });
  case AttrKind::Floats:
    return list(a.floats.size(), [&](size_t i) { return formatFloat(a.floats[i]); });
  case AttrKind::Dims:
    return list(a.dims.size(), [&](size_t i) { return a.dims[i].str(); });
  }
  return "";
}

static std::string hexBytes(const Tensor &t) {
  static const char *digits = "0123456789abcdef";
  const auto *p = static_cast<const unsigned char *>(t.raw());
  std::string s = "<";
  s.reserve(2 + t.byteSize() * 2 + t.byteSize() / 32);
  for (size_t i = 0; i < t.byteSize(); ++i) {
    if (i && i % 32 == 0)
      s += "\n    ";
    s += digits[p[i] >> 4];
    s += digits[p[i] & 15];
  }
  return s + ">";
}

namespace {
struct DlgPrinter {
  const Graph &g;
  const PrintOptions &opts;
  std::ostringstream os;
  std::vector<const Value *> blobs;

  void data(const Value &v) {
    if (!v.dataRef.empty()) {
      os << " = npy(" << quoteNameAlways(v.dataRef) << ")";
    } else if (v.data) {
      const Tensor &t = *v.data;
      if (t.numel() > opts.inlineLimit) {
        os << (opts.elideWeights ? " = elided" : " = blob");
        blobs.push_back(&v);
      } else if (t.rank() == 0) {
        os << " = " << formatElement(t, 0);
      } else {
        os << " = [";
        for (int64_t i = 0; i < t.numel(); ++i)
          os << (i ? ", " : "") << formatElement(t, i);
        os << "]";
      }
    } else {
      os << " = " << v.init.kind;
      if (!v.init.args.empty()) {
        os << "(";
        bool first = true;
        for (auto &[k, val] : v.init.args) {
          os << (first ? "" : ", ") << k << "=" << formatNumber(val);
          first = false;
        }
        os << ")";
      }
    }
  }
  static std::string quoteNameAlways(const std::string &s) {
    std::string q = quoteName(s);
    return q[0] == '"' ? q : "\"" + q + "\"";
  }

  void trainBlock(const TrainSpec &t) {
    os << "  train {\n";
    for (const LossTerm &l : t.losses) {
      os << "    loss " << l.kind << "(" << quoteName(l.output) << ", "
         << quoteName(l.label) << ")";
      std::vector<std::string> attrs;
      if (l.weight != 1.0)
        attrs.push_back("weight=" + formatNumber(l.weight));
      if (l.reduction != "mean")
        attrs.push_back("reduction=" + l.reduction);
      if (l.delta != 1.0)
        attrs.push_back("delta=" + formatNumber(l.delta));
      for (size_t i = 0; i < attrs.size(); ++i)
        os << (i ? ", " : " {") << attrs[i];
      os << (attrs.empty() ? "\n" : "}\n");
    }
    os << "    optimizer " << t.optimizer.kind;
    bool first = true;
    for (const auto &[k, v] : t.optimizer.args) {
      os << (first ? " {" : ", ") << k << "=" << formatNumber(v);
      first = false;
    }
    os << (first ? "\n" : "}\n");
    if (!t.freeze.empty()) {
      os << "    freeze ";
      for (size_t i = 0; i < t.freeze.size(); ++i)
        os << (i ? ", " : "") << quoteNameAlways(t.freeze[i]);
      os << "\n";
    }
    if (t.l1)
      os << "    l1 " << formatNumber(t.l1) << "\n";
    if (t.l2)
      os << "    l2 " << formatNumber(t.l2) << "\n";
    if (t.clipNorm)
      os << "    clip_norm " << formatNumber(t.clipNorm) << "\n";
    if (!t.lrSchedule.empty())
      os << "    lr_schedule " << quoteName(t.lrSchedule) << "\n";
    os << "  }\n";
  }

  std::string print() {
    os << "graph " << quoteName(g.name) << " {\n";
    for (const Value *v : g.inputs())
      os << "  input " << quoteName(v->name) << ": " << v->type.str() << "\n";
    for (const Value *v : g.params()) {
      os << "  param " << quoteName(v->name) << ": " << v->type.str();
      if (!v->trainable)
        os << " frozen";
      data(*v);
      os << "\n";
    }
    for (const Value *v : g.states()) {
      os << "  state " << quoteName(v->name) << ": " << v->type.str();
      data(*v);
      os << "\n";
    }
    for (const Value *v : g.consts()) {
      os << "  const " << quoteName(v->name) << ": " << v->type.str();
      data(*v);
      os << "\n";
    }
    for (const auto &np : g.nodes()) {
      const Node &n = *np;
      os << "  ";
      for (size_t i = 0; i < n.outputs.size(); ++i)
        os << (i ? ", " : "") << quoteName(n.outputs[i]->name) << ": "
           << n.outputs[i]->type.str();
      os << " = " << opName(n.op) << "(";
      for (size_t i = 0; i < n.inputs.size(); ++i)
        os << (i ? ", " : "") << (n.inputs[i] ? quoteName(n.inputs[i]->name) : "_");
      os << ")";
      bool first = true;
      for (const auto &[name, a] : n.attrs) {
        const AttrSpec *spec = findAttrSpec(n.op, name);
        if (spec && spec->defaultValue == a)
          continue;
        os << (first ? " {" : ", ") << name << "=" << formatAttr(a);
        first = false;
      }
      if (!first)
        os << "}";
      if (n.outputs.empty() || n.name != n.outputs[0]->name)
        os << " @" << quoteName(n.name);
      os << "\n";
    }
    for (const auto &[name, v] : g.outputs()) {
      os << "  output " << quoteName(name);
      if (name != v->name)
        os << " = " << quoteName(v->name);
      os << "\n";
    }
    for (const auto &[target, v] : g.updates())
      os << "  update " << quoteName(target->name) << " = " << quoteName(v->name)
         << "\n";
    if (g.train.present)
      trainBlock(g.train);
    os << "}\n";
    if (!blobs.empty() && !opts.elideWeights) {
      os << "blobs {\n";
      for (const Value *v : blobs)
        os << "  " << quoteName(v->name) << " = " << hexBytes(*v->data) << "\n";
      os << "}\n";
    }
    return os.str();
  }
};
} // namespace

std::string printGraph(const Graph &g, const PrintOptions &opts) {
  DlgPrinter p{g, opts, {}, {}};
  return p.print();
}

static std::string dotEscape(const std::string &s) {
  std::string r;
  for (char c : s) {
    if (c == '"' || c == '\\')
      r += '\\';
    r += c;
  }
  return r;
}

std::string printDot(const Graph &g) {
  std::ostringstream os;
  os << "digraph \"" << dotEscape(g.name) << "\" {\n  rankdir=TB;\n"
     << "  node [fontname=\"Helvetica\", fontsize=10];\n";
  auto valueNode = [&](const Value *v) {
    const char *shape = v->kind == ValueKind::Input ? "ellipse" : "note";
    os << "  \"v:" << dotEscape(v->name) << "\" [shape=" << shape << ", label=\""
       << dotEscape(v->name) << "\\n" << v->type.str() << "\"];\n";
  };
  for (const Value *v : g.inputs())
    valueNode(v);
  for (const Value *v : g.params())
    valueNode(v);
  for (const Value *v : g.states())
    valueNode(v);
  for (const Value *v : g.consts())
    valueNode(v);
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    os << "  \"n:" << dotEscape(n.name) << "\" [shape=box, style=filled, "
       << "fillcolor=\"#dde8f7\", label=\"" << opName(n.op) << "\\n"
       << dotEscape(n.name) << "\"];\n";
    for (const Value *in : n.inputs) {
      if (!in)
        continue;
      std::string src = in->producer ? "n:" + dotEscape(in->producer->name)
                                     : "v:" + dotEscape(in->name);
      os << "  \"" << src << "\" -> \"n:" << dotEscape(n.name) << "\" [label=\""
         << dotEscape(in->type.str()) << "\"];\n";
    }
  }
  for (const auto &[name, v] : g.outputs()) {
    os << "  \"o:" << dotEscape(name) << "\" [shape=doublecircle, label=\""
       << dotEscape(name) << "\"];\n";
    std::string src = v->producer ? "n:" + dotEscape(v->producer->name)
                                  : "v:" + dotEscape(v->name);
    os << "  \"" << src << "\" -> \"o:" << dotEscape(name) << "\";\n";
  }
  os << "}\n";
  return os.str();
}

} // namespace dlc
