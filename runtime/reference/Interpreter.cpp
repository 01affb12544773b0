// The reference interpreter's driver: checks and binds the graph inputs
// (symbolic dims get their values here), takes parameter and constant data,
// then runs the nodes in order through the per-family kernels (Kernels.h),
// freeing each intermediate after its last use.
//
// Before each node runs, shape inference is re-run on the node with the
// concrete input shapes. That makes every kernel's shape assumptions checked
// facts (a symbolic N that must equal a static 3 when broadcast, say, is only
// known to hold at run time), and the result must agree with the node's
// declared output types with the symbols bound.
#include "runtime/reference/Interpreter.h"

#include "ir/ShapeInference.h"
#include "runtime/reference/Kernels.h"
#include "training/Initializers.h"

#include <unordered_map>

namespace dlc {

using ref::Shape;

namespace {

// Values of the graph's symbolic dims, with where each was first bound, so a
// conflict can say where the other value came from.
struct Symbols {
  std::map<std::string, std::pair<int64_t, std::string>> bound;

  Expected<Shape> resolve(const Dims &dims) const {
    Shape s;
    for (const Dim &d : dims) {
      if (d.isStatic()) {
        s.push_back(d.value);
        continue;
      }
      auto it = bound.find(d.sym);
      if (it == bound.end())
        return Error("symbol '" + d.sym + "' is not bound by any input");
      s.push_back(it->second.first);
    }
    return s;
  }
};

// Matches a concrete dtype and shape against a declared type, binding its
// symbols on first sight. `who` is "input 'x'" and the like.
Status matchType(const TensorType &decl, DType dtype, const Shape &shape,
                 const std::string &who, Symbols &syms) {
  auto mismatch = [&](const std::string &note) {
    return Error(who + ": expected " + decl.str() + ", got " +
                 TensorType::of(dtype, shape).str() + note);
  };
  if (decl.dtype != dtype || decl.rank() != shape.size())
    return mismatch("");
  for (size_t i = 0; i < shape.size(); ++i) {
    const Dim &d = decl.dims[i];
    if (d.isStatic()) {
      if (d.value != shape[i])
        return mismatch("");
      continue;
    }
    auto it = syms.bound.find(d.sym);
    if (it == syms.bound.end()) {
      syms.bound[d.sym] = {shape[i], who};
    } else if (it->second.first != shape[i]) {
      return mismatch(" (" + d.sym + " = " + std::to_string(it->second.first) +
                      " from " + it->second.second + ")");
    }
  }
  return Status::ok();
}

Status runKernel(ref::KernelArgs &a) {
  switch (a.node.op) {
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut)                     \
  case OpKind::Name:                                                           \
    return ref::run##Family(a);
#include "ir/Ops.def"
  }
  return Error("unknown op");
}

class Interpreter {
public:
  explicit Interpreter(const Graph &g) : g_(g) {}
  Expected<InterpretResult> run(const std::map<std::string, Tensor> &inputs);

private:
  Status bindInputs(const std::map<std::string, Tensor> &inputs);
  Status bindData();
  Status runNode(const Node &n);

  const Graph &g_;
  Symbols syms_;
  std::unordered_map<const Value *, Tensor> env_;
  std::unordered_map<const Value *, int> usesLeft_;
};

Status Interpreter::bindInputs(const std::map<std::string, Tensor> &inputs) {
  for (const auto &[name, t] : inputs) {
    bool known = false;
    for (const Value *v : g_.inputs())
      known |= v->name == name;
    if (!known) {
      std::string names;
      for (const Value *v : g_.inputs())
        names += (names.empty() ? "'" : ", '") + v->name + "'";
      return Error("unknown input '" + name + "' (the graph's inputs are " +
                   (names.empty() ? std::string("none") : names) + ")");
    }
  }
  for (const Value *v : g_.inputs()) {
    auto it = inputs.find(v->name);
    if (it == inputs.end())
      return Error("missing input '" + v->name + "' of type " + v->type.str());
    const Tensor &t = it->second;
    if (t.empty() && t.numel() != 0)
      return Error("input '" + v->name + "' has no data");
    DLC_CHECK(matchType(v->type, t.dtype(), t.shape(),
                        "input '" + v->name + "'", syms_));
    env_[v] = t;
  }
  return Status::ok();
}

Status Interpreter::bindData() {
  std::vector<const Value *> persistent(g_.params().begin(), g_.params().end());
  persistent.insert(persistent.end(), g_.states().begin(), g_.states().end());
  for (const Value *v : persistent) {
    Tensor t;
    if (v->data) {
      t = *v->data;
    } else {
      auto m = materializeParam(*v);
      if (!m)
        return m.takeError();
      t = std::move(*m);
    }
    DLC_CHECK(matchType(v->type, t.dtype(), t.shape(),
                        (v->isParam() ? "param '" : "state '") + v->name + "'",
                        syms_));
    env_[v] = std::move(t);
  }
  for (const Value *v : g_.consts()) {
    if (!v->data)
      return Error("constant '" + v->name + "' has no data");
    DLC_CHECK(matchType(v->type, v->data->dtype(), v->data->shape(),
                        "constant '" + v->name + "'", syms_));
    env_[v] = *v->data;
  }
  return Status::ok();
}

Status Interpreter::runNode(const Node &n) {
  // A copy of the node over values with the concrete input types; inference
  // on it checks the attributes against the real shapes.
  Node probe;
  probe.op = n.op;
  probe.name = n.name;
  probe.attrs = n.attrs;
  for (auto &[name, attr] : probe.attrs)
    if (attr.kind == AttrKind::Dims)
      for (Dim &d : attr.dims)
        if (!d.isStatic()) {
          auto it = syms_.bound.find(d.sym);
          if (it != syms_.bound.end())
            d = Dim(it->second.first);
        }
  // Inference indexes inputs by position: check the arity first, as a graph
  // that skipped the verifier may not match Ops.def.
  const OpInfo &info = opInfo(n.op);
  auto count = [](size_t c) { return std::to_string(c); };
  if (n.inputs.size() < static_cast<size_t>(info.minInputs) ||
      (info.maxInputs >= 0 && n.inputs.size() > static_cast<size_t>(info.maxInputs)))
    return Error(n.describe() + ": has " + count(n.inputs.size()) + " inputs");
  if (n.outputs.size() < static_cast<size_t>(info.minOutputs) ||
      (info.maxOutputs >= 0 && n.outputs.size() > static_cast<size_t>(info.maxOutputs)))
    return Error(n.describe() + ": has " + count(n.outputs.size()) + " outputs");
  for (int i = 0; i < info.minInputs; ++i)
    if (!n.inputs[i])
      return Error(n.describe() + ": input " + count(i) + " is required");
  std::vector<Value> vals(n.inputs.size() + n.outputs.size());
  std::vector<const Tensor *> ins;
  for (size_t i = 0; i < n.inputs.size(); ++i) {
    const Value *in = n.inputs[i];
    if (!in) {
      probe.inputs.push_back(nullptr);
      ins.push_back(nullptr);
      continue;
    }
    auto it = env_.find(in);
    if (it == env_.end())
      return Error(n.describe() + ": input '" + in->name +
                   "' has no value (defined after its use?)");
    Value &pv = vals[i];
    pv.name = in->name;
    pv.type = TensorType::of(it->second.dtype(), it->second.shape());
    probe.inputs.push_back(&pv);
    ins.push_back(&it->second);
  }
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    Value &pv = vals[n.inputs.size() + i];
    pv.name = n.outputs[i]->name;
    pv.producer = &probe;
    pv.resultIndex = static_cast<int>(i);
    probe.outputs.push_back(&pv);
  }
  DLC_CHECK(inferTypes(probe));

  std::vector<Tensor> outs;
  for (size_t i = 0; i < n.outputs.size(); ++i) {
    const TensorType &t = probe.outputs[i]->type;
    Shape shape = t.staticShape();
    DLC_CHECK(matchType(n.outputs[i]->type, t.dtype, shape,
                        n.describe() + ": output '" + n.outputs[i]->name + "'",
                        syms_));
    outs.emplace_back(t.dtype, shape);
  }
  ref::KernelArgs args{n, ins, outs};
  if (Status s = runKernel(args); !s)
    return s.takeError().withContext(n.describe());

  for (size_t i = 0; i < n.outputs.size(); ++i)
    env_[n.outputs[i]] = std::move(outs[i]);
  // Free what no later node or graph output reads.
  for (const Value *in : n.inputs)
    if (in && --usesLeft_[in] == 0)
      env_.erase(in);
  return Status::ok();
}

Expected<InterpretResult> Interpreter::run(
    const std::map<std::string, Tensor> &inputs) {
  DLC_CHECK(bindInputs(inputs));
  DLC_CHECK(bindData());
  for (const auto &n : g_.nodes())
    for (const Value *in : n->inputs)
      if (in)
        ++usesLeft_[in];
  // Graph outputs and update values hold their values to the end.
  for (const auto &[name, v] : g_.outputs())
    usesLeft_[v] += 1 << 30;
  for (const auto &[target, v] : g_.updates())
    usesLeft_[v] += 1 << 30;
  for (const auto &n : g_.nodes())
    DLC_CHECK(runNode(*n));

  InterpretResult r;
  for (const auto &[name, v] : g_.outputs()) {
    auto it = env_.find(v);
    if (it == env_.end())
      return Error("output '" + name + "' has no value");
    // Inputs, params and constants share the caller's or the graph's buffer.
    r.outputs.push_back(v->kind == ValueKind::Result ? it->second
                                                     : it->second.clone());
  }
  for (const auto &[target, v] : g_.updates()) {
    auto it = env_.find(v);
    if (it == env_.end())
      return Error("update of '" + target->name + "' has no value");
    r.updates[target->name] =
        v->kind == ValueKind::Result ? it->second : it->second.clone();
  }
  return r;
}

} // namespace

void applyUpdates(Graph &g, const InterpretResult &r) {
  for (const auto &[name, t] : r.updates)
    if (Value *v = g.lookup(name)) {
      v->data = t;
      v->dataRef.clear(); // no longer the file's values
    }
}

Expected<InterpretResult> interpret(const Graph &g,
                                    const std::map<std::string, Tensor> &inputs) {
  Interpreter interp(g);
  return interp.run(inputs);
}

// Shared numeric helpers (Kernels.h).
namespace ref {

template <> std::vector<double> load<double>(const Tensor &t) {
  int64_t n = t.numel();
  std::vector<double> v(static_cast<size_t>(n));
  auto copy = [&](auto *p) {
    for (int64_t i = 0; i < n; ++i)
      v[i] = static_cast<double>(p[i]);
  };
  switch (t.dtype()) {
  case DType::F32: copy(t.data<float>()); break;
  case DType::F64: copy(t.data<double>()); break;
  case DType::F16: {
    const uint16_t *p = t.data<uint16_t>();
    for (int64_t i = 0; i < n; ++i)
      v[i] = dlrt::halfToFloat(p[i]);
    break;
  }
  case DType::I64: copy(t.data<int64_t>()); break;
  case DType::I32: copy(t.data<int32_t>()); break;
  case DType::I8: copy(t.data<int8_t>()); break;
  case DType::U8: copy(t.data<uint8_t>()); break;
  case DType::Bool:
    for (int64_t i = 0; i < n; ++i)
      v[i] = t.data<uint8_t>()[i] ? 1.0 : 0.0;
    break;
  }
  return v;
}

template <> std::vector<int64_t> load<int64_t>(const Tensor &t) {
  DLC_ASSERT(!dlrt::isFloat(t.dtype()), "integer load of a float tensor");
  int64_t n = t.numel();
  std::vector<int64_t> v(static_cast<size_t>(n));
  auto copy = [&](auto *p) {
    for (int64_t i = 0; i < n; ++i)
      v[i] = static_cast<int64_t>(p[i]);
  };
  switch (t.dtype()) {
  case DType::I64: copy(t.data<int64_t>()); break;
  case DType::I32: copy(t.data<int32_t>()); break;
  case DType::I8: copy(t.data<int8_t>()); break;
  case DType::U8: copy(t.data<uint8_t>()); break;
  case DType::Bool:
    for (int64_t i = 0; i < n; ++i)
      v[i] = t.data<uint8_t>()[i] ? 1 : 0;
    break;
  default: break;
  }
  return v;
}

template <> void store<double>(const std::vector<double> &v, Tensor &t) {
  DLC_ASSERT(dlrt::isFloat(t.dtype()), "float store into an integer tensor");
  size_t n = v.size();
  DLC_ASSERT(static_cast<int64_t>(n) == t.numel(), "store size mismatch");
  switch (t.dtype()) {
  case DType::F32:
    for (size_t i = 0; i < n; ++i)
      t.data<float>()[i] = static_cast<float>(v[i]);
    break;
  case DType::F64:
    for (size_t i = 0; i < n; ++i)
      t.data<double>()[i] = v[i];
    break;
  default: // F16, through float (as the dtype's contract says)
    for (size_t i = 0; i < n; ++i)
      t.data<uint16_t>()[i] = dlrt::floatToHalf(static_cast<float>(v[i]));
    break;
  }
}

template <> void store<int64_t>(const std::vector<int64_t> &v, Tensor &t) {
  size_t n = v.size();
  DLC_ASSERT(static_cast<int64_t>(n) == t.numel(), "store size mismatch");
  auto put = [&](auto *p) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (size_t i = 0; i < n; ++i)
      p[i] = static_cast<T>(v[i]); // modular for the integer types
  };
  switch (t.dtype()) {
  case DType::I64: put(t.data<int64_t>()); break;
  case DType::I32: put(t.data<int32_t>()); break;
  case DType::I8: put(t.data<int8_t>()); break;
  case DType::U8: put(t.data<uint8_t>()); break;
  case DType::Bool:
    for (size_t i = 0; i < n; ++i)
      t.data<uint8_t>()[i] = v[i] != 0;
    break;
  case DType::F32: put(t.data<float>()); break;
  case DType::F64: put(t.data<double>()); break;
  case DType::F16:
    for (size_t i = 0; i < n; ++i)
      t.data<uint16_t>()[i] = dlrt::floatToHalf(static_cast<float>(v[i]));
    break;
  }
}

Shape stridesOf(const Shape &shape) {
  Shape s(shape.size(), 1);
  for (size_t i = shape.size(); i-- > 1;)
    s[i - 1] = s[i] * shape[i];
  return s;
}

Shape broadcastStrides(const Shape &in, const Shape &out) {
  Shape s(out.size(), 0);
  Shape own = stridesOf(in);
  size_t off = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i)
    s[off + i] = in[i] == 1 ? 0 : own[i];
  return s;
}

} // namespace ref
} // namespace dlc
