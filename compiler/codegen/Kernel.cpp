// Building kernels from node groups, the default schedule, JIT runs.
#include "codegen/Kernel.h"

#include "codegen/schedules/Schedules.h"

#include "ir/ShapeInference.h"

#include <optional>
#include <set>

namespace dlc::codegen {

using namespace Halide;

Target hostTarget() {
  const char *base = "x86-64-linux-sse41";
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    base = "x86-64-linux-avx-avx2-avx512-avx512_skylake-f16c-fma-sse41";
  else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
    base = "x86-64-linux-avx-avx2-f16c-fma-sse41";
  return Target(base);
}

bool isEmbeddedConst(const Value *v) {
  return v->isConst() && v->data && v->data->numel() == 1 &&
         v->type.dtype != DType::I64; // i64 immediates do not fit Halide's Expr(double)
}

KernelGroup singleNodeGroup(const Node &n) {
  KernelGroup g;
  g.nodes.push_back(&n);
  for (const Value *in : n.inputs)
    if (in && !isEmbeddedConst(in) &&
        std::find(g.inputs.begin(), g.inputs.end(), in) == g.inputs.end())
      g.inputs.push_back(in);
  for (const Value *o : n.outputs)
    g.outputs.push_back(o);
  return g;
}

namespace {

std::string paramName(size_t i) { return "in" + std::to_string(i); }

// Halide names: [A-Za-z0-9_] only, unique within the kernel.
std::string funcName(const std::string &value, int &counter) {
  std::string s = "f" + std::to_string(counter++) + "_";
  for (char ch : value)
    s += std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_';
  return s;
}

// Static extents become constants (and buffer constraints); symbolic ones
// come from the first input buffer that carries the symbol.
struct Extents {
  std::map<std::string, Expr> sym;
  Expr of(const Dim &d) const {
    if (d.isStatic())
      return Expr(static_cast<int>(d.value));
    auto it = sym.find(d.sym);
    return it == sym.end() ? Expr() : it->second;
  }
};

// Element-wise default: vectorize the innermost axis, parallelize the
// outermost one when the tensor is big enough to pay for threads.
void defaultSchedule(Func f, const std::vector<Var> &vars, const TensorType &type,
                     const Target &t) {
  if (vars.empty())
    return;
  Var inner = vars.back();
  if (t.has_gpu_feature()) {
    Var bo("bo"), bi("bi");
    f.gpu_tile(inner, bo, bi, 128, TailStrategy::GuardWithIf);
    return;
  }
  int width = t.natural_vector_size(halideType(type.dtype));
  f.vectorize(inner, width, TailStrategy::GuardWithIf);
  if (vars.size() >= 2) {
    int64_t elems = 1;
    for (const Dim &d : type.dims)
      elems *= d.isStatic() ? d.value : 64;
    if (elems >= (1 << 16))
      f.parallel(vars.front());
  }
}

} // namespace

// A scalar of static shape: one element.
static bool isScalar(const Value &v) {
  for (const Dim &d : v.type.dims)
    if (!d.isStatic() || d.value != 1)
      return false;
  return true;
}

std::vector<std::string> scalarSymbols(const KernelGroup &g) {
  std::set<std::string> carried;
  for (const Value *v : g.inputs)
    for (const Dim &d : v->type.dims)
      if (!d.isStatic())
        carried.insert(d.sym);
  std::vector<std::string> out;
  for (const Node *n : g.nodes)
    for (const Value *o : n->outputs)
      for (const Dim &d : o->type.dims)
        if (!d.isStatic() && !carried.count(d.sym) &&
            std::find(out.begin(), out.end(), d.sym) == out.end())
          out.push_back(d.sym);
  return out;
}

// The heavy ops: their schedule templates compute register tiles that a
// fused element-wise epilogue can consume.
static bool isHeavy(const Node &n) {
  return n.op == OpKind::Conv || n.op == OpKind::ConvTranspose ||
         n.op == OpKind::ConvGradWeight || n.op == OpKind::MatMul;
}

static Expected<BuiltKernel> build(const KernelGroup &g, const Target &t,
                                   const std::string &name) {
  BuiltKernel k;
  int counter = 0;
  k.name = name;
  std::map<const Value *, HTensor> env;
  Extents ext;
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    const Value *v = g.inputs[i];
    const Dims &dims = v->type.dims;
    int rank = static_cast<int>(dims.size());
    ImageParam p(halideType(v->type.dtype), rank, paramName(i));
    HTensor h;
    h.type = p.type();
    for (int a = 0; a < rank; ++a) {
      int hd = rank - 1 - a;
      if (dims[a].isStatic()) {
        p.dim(hd).set_bounds(0, static_cast<int>(dims[a].value));
      } else {
        p.dim(hd).set_min(0);
        ext.sym.emplace(dims[a].sym, p.dim(hd).extent());
      }
    }
    // Dense row-major strides: the innermost is 1, the others multiply up.
    for (int hd = 1; hd < rank; ++hd)
      p.dim(hd).set_stride(p.dim(hd - 1).stride() * p.dim(hd - 1).extent());
    for (const Dim &d : dims)
      h.extents.push_back(ext.of(d));
    h.f = Func(p);
    env[v] = h;
    k.params.push_back(p);
    k.args.push_back(p);
  }
  for (const std::string &sym : scalarSymbols(g)) {
    Param<int32_t> p("sym_" + sym);
    ext.sym.emplace(sym, p);
    k.symbols.push_back(sym);
    k.symbolParams.push_back(p);
    k.args.push_back(p);
  }

  struct Pending {
    const Value *value;
    ScheduleFn schedule;
    std::vector<Var> vars;
    const Node *node;
    std::vector<HTensor> ins;
  };
  std::map<const Value *, Pending> lowered;
  for (const Node *n : g.nodes) {
    LowerCtx c{*n, t, {}, {}, nullptr, {}};
    for (const Value *in : n->inputs) {
      if (!in) {
        c.ins.emplace_back();
        continue;
      }
      auto it = env.find(in);
      if (it == env.end() && isEmbeddedConst(in)) {
        // Scalar constants become immediates in the kernel, not buffers.
        HTensor h;
        h.type = halideType(in->type.dtype);
        h.extents.assign(in->type.rank(), Expr(1));
        h.f = Func(funcName(in->name, counter));
        std::vector<Var> vars = irVars(in->type.rank());
        define(h, vars, cast(h.type, Expr(in->data->getDouble(0))));
        it = env.emplace(in, h).first;
      }
      if (it == env.end())
        return Error(n->describe() + ": input '" + in->name + "' is not available in kernel " +
                     name);
      c.ins.push_back(it->second);
    }
    for (const Value *o : n->outputs) {
      HTensor h;
      h.type = halideType(o->type.dtype);
      for (const Dim &d : o->type.dims) {
        Expr e = ext.of(d);
        if (!e.defined())
          return Error(n->describe() + ": symbolic dim '" + d.sym +
                       "' of an output is not the dim of any kernel input");
        h.extents.push_back(e);
      }
      h.f = Func(funcName(o->name, counter));
      c.outs.push_back(h);
    }
    DLC_CHECK(lowerNode(c));
    for (size_t i = 0; i < n->outputs.size(); ++i) {
      if (!c.outs[i].f.defined())
        return Error(n->describe() + ": the lowering left output " + std::to_string(i) +
                     " undefined");
      env[n->outputs[i]] = c.outs[i];
      std::vector<Var> vars = i < c.outVars.size() ? c.outVars[i] : std::vector<Var>();
      lowered[n->outputs[i]] = {n->outputs[i], c.schedule, vars, n, c.ins};
    }
  }

  // A kernel output is its own Func, distinct from inputs and other outputs,
  // of the output's type (bool stored as uint8).
  auto outValue = [&](const Value *o, const std::vector<Var> &vars) {
    Expr value = env.at(o)(vars);
    if (o->type.dtype == DType::Bool)
      value = cast(UInt(8), value != 0);
    else if (value.type() != halideType(o->type.dtype))
      value = cast(halideType(o->type.dtype), value);
    return value;
  };
  auto defineOut = [](Func f, const std::vector<Var> &vars, const std::vector<Expr> &values) {
    std::vector<Var> rev(vars.rbegin(), vars.rend());
    Halide::FuncRef ref = rev.empty() ? f() : f(rev);
    if (values.size() == 1)
      ref = values[0];
    else
      ref = Tuple(values);
  };
  // Outputs of one shape that no template schedules.
  auto tupleOfOutputs = [&] {
    for (const Value *o : g.outputs)
      if (o->type.dims != g.outputs.front()->type.dims || lowered.at(o).schedule)
        return false;
    return g.outputs.size() > 1;
  };
  std::vector<Func> outs;
  const Node *anchor = nullptr;
  for (const Node *n : g.nodes)
    if (isHeavy(*n) && !anchor)
      anchor = n;
  if (anchor && g.nodes.size() > 1) {
    // A heavy op and its element-wise epilogue: one Func computes every
    // output (a Tuple: one buffer each) from the heavy op's tiles, so its
    // schedule template places the sum per output tile and the epilogue is
    // applied to the tile before the store.
    const Dims &shape = anchor->outputs[0]->type.dims;
    std::vector<Var> vars = irVars(shape.size(), "o");
    std::vector<Expr> values;
    for (const Value *o : g.outputs) {
      if (o->type.dims != shape)
        return Error(anchor->describe() + ": output '" + o->name + "' of its epilogue in kernel " +
                     name + " is not of the anchor's shape");
      values.push_back(outValue(o, vars));
    }
    Func f(funcName(g.outputs.front()->name + "_out", counter));
    defineOut(f, vars, values);
    const Pending &p = lowered.at(anchor->outputs[0]);
    ScheduleCtx sc{f, *anchor, t, p.ins, vars, true};
    p.schedule(sc);
    outs.push_back(f);
  } else if (tupleOfOutputs()) {
    // Several element-wise outputs of one shape (an optimizer's new
    // parameter and moments): one Tuple, so one pass computes them all and
    // the values they share once.
    const Value *first = g.outputs.front();
    std::vector<Var> vars = irVars(first->type.rank(), "o");
    std::vector<Expr> values;
    for (const Value *o : g.outputs)
      values.push_back(outValue(o, vars));
    Func f(funcName(first->name + "_out", counter));
    defineOut(f, vars, values);
    defaultSchedule(f, vars, first->type, t);
    outs.push_back(f);
  } else {
    for (const Value *o : g.outputs) {
      std::vector<Var> vars = irVars(o->type.rank(), "o");
      Func f(funcName(o->name + "_out", counter));
      defineOut(f, vars, {outValue(o, vars)});
      auto pit = lowered.find(o);
      if (pit != lowered.end() && pit->second.schedule) {
        ScheduleCtx sc{f, *pit->second.node, t, pit->second.ins, vars};
        pit->second.schedule(sc);
      } else {
        defaultSchedule(f, vars, o->type, t);
      }
      outs.push_back(f);
    }
  }
  // Heavy intermediate values (reductions) cannot be inlined: compute
  // them at root unless a schedule placed them. Scalars (an optimizer's bias
  // corrections, pow and sqrt of the step count) too: inlined, they were
  // computed again for every vector of the loop (Halide hoists no calls).
  for (auto &[v, p] : lowered)
    if (!p.schedule && (env.at(v).f.has_update_definition() || isScalar(*v)))
      env.at(v).f.compute_root();
  k.pipeline = Pipeline(outs);
  return k;
}

Expected<BuiltKernel> buildKernel(const KernelGroup &g, const Target &t,
                                  const std::string &name) {
  try {
    return build(g, t, name);
  } catch (const Halide::Error &e) {
    return Error("kernel " + name + ": halide: " + e.what());
  }
}

namespace {

Buffer<> wrap(const Tensor &t) {
  std::vector<int> sizes(t.shape().rbegin(), t.shape().rend());
  return Buffer<>(halideType(t.dtype()), const_cast<void *>(t.raw()), sizes);
}

} // namespace

Expected<std::vector<Tensor>> runKernelJit(const KernelGroup &g, const std::vector<Tensor> &ins,
                                           const Target &t,
                                           const std::map<std::string, int64_t> &given) {
  if (ins.size() != g.inputs.size())
    return Error("kernel takes " + std::to_string(g.inputs.size()) + " inputs");
  std::map<std::string, int64_t> syms = given;
  for (size_t i = 0; i < ins.size(); ++i) {
    const Dims &d = g.inputs[i]->type.dims;
    if (d.size() != ins[i].shape().size())
      return Error("input " + std::to_string(i) + " has the wrong rank");
    for (size_t a = 0; a < d.size(); ++a)
      if (!d[a].isStatic())
        syms.emplace(d[a].sym, ins[i].shape()[a]);
  }
  DLC_TRY(k, buildKernel(g, t, "jit"));
  for (size_t i = 0; i < ins.size(); ++i)
    k.params[i].set(wrap(ins[i]));
  for (size_t i = 0; i < k.symbols.size(); ++i) {
    auto it = syms.find(k.symbols[i]);
    if (it == syms.end())
      return Error("kernel needs symbol '" + k.symbols[i] + "', which no input binds");
    k.symbolParams[i].set(static_cast<int32_t>(it->second));
  }
  std::vector<Tensor> outs;
  std::vector<Buffer<>> bufs;
  for (const Value *o : g.outputs) {
    std::vector<int64_t> shape;
    for (const Dim &d : o->type.dims)
      shape.push_back(d.isStatic() ? d.value : syms.at(d.sym));
    outs.emplace_back(o->type.dtype, shape);
    bufs.push_back(wrap(outs.back()));
  }
  try {
    k.pipeline.realize(Realization(bufs), t);
  } catch (const Halide::Error &e) {
    return Error(std::string("halide: ") + e.what());
  }
  return outs;
}

} // namespace dlc::codegen

namespace dlc::codegen {

static bool isElementwise(const Node &n) {
  switch (n.op) {
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut)                     \
  case OpKind::Name:                                                           \
    return std::string(#Family) == "Unary" || std::string(#Family) == "Binary" ||   \
           std::string(#Family) == "Compare" || std::string(#Family) == "Where" ||  \
           std::string(#Family) == "Cast";
#include "ir/Ops.def"
  }
  return false;
}

// Heavy ops whose template takes an epilogue at no loss on this target.
static bool isEpilogueAnchor(const Node &n, const Halide::Target &t) {
  if (!isHeavy(n) || n.outputs.size() != 1)
    return false;
  return n.op == OpKind::MatMul || convTakesEpilogue(n, t);
}

// Nodes a chain of element-wise kernels takes in: element-wise ops and
// broadcasts (an Expand reads one input element per output element, like a
// broadcasting Add). Only element-wise ops join an epilogue, which computes
// each element from the heavy op's tile at the same coordinates.
static bool fusesLikeElementwise(const Node &n) {
  return isElementwise(n) || n.op == OpKind::Expand;
}

std::vector<KernelGroup> groupNodes(const Graph &g, const Halide::Target &t) {
  auto uses = g.useCounts();
  std::set<const Value *> escaping, updated; // graph outputs and update sources
  for (auto &[name, v] : g.outputs())
    escaping.insert(v);
  for (auto &[dst, v] : g.updates()) {
    escaping.insert(v);
    updated.insert(v);
  }
  std::map<const Node *, size_t> positionOf;
  // Scalar expressions (see Kernel.h): computed by each kernel that reads
  // them, from values every kernel can read.
  std::map<const Value *, const Node *> folded;
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    positionOf[&n] = positionOf.size();
    bool scalarExpr = (fusesLikeElementwise(n) || n.op == OpKind::Reshape) &&
                      n.outputs.size() == 1 && isScalar(*n.outputs[0]) &&
                      !escaping.count(n.outputs[0]);
    for (const Value *in : n.inputs)
      scalarExpr = scalarExpr && (!in || in->kind != ValueKind::Result || folded.count(in));
    if (scalarExpr)
      folded[n.outputs[0]] = &n;
  }
  struct Building {
    KernelGroup group;
    bool elementwise = true;
    const Node *anchor = nullptr; // a heavy op taking an element-wise epilogue
    bool sealed = false; // something outside has consumed one of its values
    // Runs where its last node is; a heavy op's group where the heavy op is.
    size_t order = 0;
    const Dims *shape = nullptr; // an element-wise group's: its last node's
  };
  std::vector<Building> groups;
  std::map<const Value *, size_t> groupOf;
  auto groupFor = [&](const Value *v) -> Building * {
    auto it = v ? groupOf.find(v) : groupOf.end();
    return it == groupOf.end() ? nullptr : &groups[it->second];
  };
  // Every value of an epilogue has the anchor's shape: the kernel writes
  // them all from the anchor's output tiles.
  auto anchorShaped = [](const Building &a, const Node &n) {
    return n.outputs.size() == 1 && n.outputs[0]->type.dims == a.anchor->outputs[0]->type.dims;
  };
  // Whether v is computed before anchored group a runs: an epilogue must not
  // hold its heavy op back (an optimizer's update reads scalars computed at
  // the end of the step; a weight gradient computed there instead of right
  // after its input gradient finds x and dy cold: resnet_small's step was
  // 4-8% slower, and they stayed allocated longer).
  auto readyFor = [&](const Building &a, const Value *v) {
    const Building *b = groupFor(v);
    return !b || b == &a || b->order < a.order;
  };
  // An element-wise group computing an operand of a's epilogue, which the
  // epilogue takes in (the mask of a ReLU's gradient).
  auto movesInto = [&](const Building &a, const Building *b) {
    if (!b || b == &a || !b->elementwise || b->sealed || b->group.nodes.empty())
      return false;
    for (const Node *m : b->group.nodes) {
      if (!anchorShaped(a, *m))
        return false;
      for (const Value *in : m->inputs)
        if (groupFor(in) != b && !readyFor(a, in))
          return false;
    }
    return true;
  };
  auto joins = [&](const Building &a, const Node &n) {
    if (!a.anchor || a.sealed || !anchorShaped(a, n))
      return false;
    for (const Value *in : n.inputs)
      if (!readyFor(a, in) && !movesInto(a, groupFor(in)))
        return false;
    return true;
  };
  // Element-wise n takes in b, the group computing its input `in`: b runs
  // where n is, so nothing outside may have read it yet. n either inlines
  // `in` (its only use) or is of b's shape, so one pass writes all of b's
  // values read outside and n's.
  auto fuses = [&](const Building &b, const Value *in, const Node &n) {
    return b.elementwise && !b.sealed && !b.group.viewOf && !b.group.nodes.empty() &&
           ((uses[in] == 1 && !escaping.count(in)) ||
            (n.outputs.size() == 1 && b.shape && *b.shape == n.outputs[0]->type.dims));
  };
  auto moveNodes = [&](Building &from, size_t to) {
    for (const Node *m : from.group.nodes) {
      groups[to].group.nodes.push_back(m);
      for (const Value *o : m->outputs)
        groupOf[o] = to;
    }
    from.group.nodes.clear();
  };
  for (const auto &np : g.nodes()) {
    const Node &n = *np;
    size_t position = positionOf.at(&n);
    if (folded.count(n.outputs[0]))
      continue;
    std::optional<size_t> target;
    std::vector<size_t> merged;
    if (isElementwise(n)) {
      // An epilogue first: a heavy op's output tile is still in registers
      // or cache. Its value may have other uses (a ReLU's input kept for the
      // backward pass): the kernel then writes it too, from the same tile.
      for (const Value *in : n.inputs) {
        Building *b = groupFor(in);
        if (b && joins(*b, n)) {
          target = groupOf.at(in);
          break;
        }
      }
    }
    if (fusesLikeElementwise(n) && !target)
      for (const Value *in : n.inputs) {
        Building *b = groupFor(in);
        if (!b || !fuses(*b, in, n))
          continue;
        size_t i = groupOf.at(in);
        if (!target)
          target = i;
        else if (i != *target && std::find(merged.begin(), merged.end(), i) == merged.end())
          merged.push_back(i);
      }
    for (size_t i : merged)
      moveNodes(groups[i], *target);
    if (target && groups[*target].anchor)
      for (const Value *in : n.inputs) {
        Building *b = groupFor(in);
        if (movesInto(groups[*target], b))
          moveNodes(*b, *target);
      }
    // Every other group this node reads from is now sealed.
    for (const Value *in : n.inputs) {
      auto it = in ? groupOf.find(in) : groupOf.end();
      if (it != groupOf.end() && (!target || it->second != *target))
        groups[it->second].sealed = true;
    }
    if (!target) {
      groups.emplace_back();
      target = groups.size() - 1;
      groups.back().elementwise = fusesLikeElementwise(n);
      groups.back().order = position;
      if (isEpilogueAnchor(n, t))
        groups.back().anchor = &n;
      // A view needs its input in memory: not a scalar computed in kernels
      // (an embedded constant or a scalar expression). Updates may swap
      // their buffer with the parameter's, which a view cannot be. On a GPU
      // the data lives in a device buffer of the source's own, which the
      // runtime does not share with an alias.
      const Value *src = n.inputs.empty() ? nullptr : n.inputs[0];
      if (n.op == OpKind::Reshape && src && !isEmbeddedConst(src) && !folded.count(src) &&
          !updated.count(n.outputs[0]) && !t.has_gpu_feature())
        groups.back().group.viewOf = src;
    }
    Building &b = groups[*target];
    b.group.nodes.push_back(&n);
    if (!b.anchor)
      b.order = position;
    if (b.elementwise)
      b.shape = &n.outputs[0]->type.dims;
    for (const Value *o : n.outputs)
      groupOf[o] = *target;
  }
  // Inputs: read but not produced inside; outputs: produced inside and read
  // outside (or escaping). Scalar expressions join each group reading them.
  for (Building &b : groups) {
    std::set<const Node *> scalars;
    std::vector<const Node *> todo(b.group.nodes);
    while (!todo.empty()) {
      const Node *n = todo.back();
      todo.pop_back();
      for (const Value *in : n->inputs) {
        auto f = in ? folded.find(in) : folded.end();
        if (f != folded.end() && scalars.insert(f->second).second)
          todo.push_back(f->second);
      }
    }
    // Merged groups and scalar expressions: back into graph order.
    b.group.nodes.insert(b.group.nodes.end(), scalars.begin(), scalars.end());
    std::stable_sort(b.group.nodes.begin(), b.group.nodes.end(),
                     [&](const Node *x, const Node *y) { return positionOf[x] < positionOf[y]; });
    std::set<const Value *> produced;
    for (const Node *n : b.group.nodes)
      for (const Value *o : n->outputs)
        produced.insert(o);
    std::map<const Value *, int> usedInside;
    for (const Node *n : b.group.nodes)
      for (const Value *in : n->inputs) {
        if (!in)
          continue;
        if (produced.count(in)) {
          ++usedInside[in];
          continue;
        }
        if (!isEmbeddedConst(in) &&
            std::find(b.group.inputs.begin(), b.group.inputs.end(), in) == b.group.inputs.end())
          b.group.inputs.push_back(in);
      }
    for (const Node *n : b.group.nodes)
      for (const Value *o : n->outputs)
        if (!folded.count(o) && (escaping.count(o) || uses[o] > usedInside[o]))
          b.group.outputs.push_back(o);
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Building &a, const Building &b) { return a.order < b.order; });
  std::vector<KernelGroup> out;
  for (Building &b : groups)
    if (!b.group.outputs.empty())
      out.push_back(std::move(b.group));
  return out;
}

} // namespace dlc::codegen
