// Halide lowering of the reductions: ReduceSum/Mean/Prod/Max/Min over `axes`
// and ArgMax/ArgMin over one axis, with keepdims.
//
// Each output element owns one accumulator Func over the reduced axes, left
// unscheduled: Halide then computes it inside the innermost loop of the
// kernel output, so the reduction runs within the default vectorized output
// loop, one lane per output element. Float sums and products accumulate in
// the working type (f32 for f16/f32); the reference's double is kept only
// where results would drift (BatchNorm statistics, NN.cpp). Integer sums and
// products accumulate in uint64 so they wrap as the reference's int64 does;
// ReduceMean of integers truncates toward zero. Max and min propagate NaN;
// ArgMax/ArgMin take the first extreme (the last with select_last_index), a
// NaN counting as the extreme, as the reference and numpy.
#include "codegen/ops/Helpers.h"

namespace dlc::codegen {

using namespace Halide;

namespace {

// The reduced axes of x: `axes` normalized, or all of them when empty.
std::vector<bool> reducedAxes(const Node &n, size_t rank) {
  std::vector<bool> red(rank, n.getInts("axes").empty());
  for (int64_t a : n.getInts("axes"))
    red[normAxis(a, rank)] = true;
  return red;
}

// Integer division rounding toward zero (Halide's rounds toward -inf).
Expr truncDiv(Expr a, Expr b) {
  Expr q = a / b;
  return select(a < 0 && q * b != a, q + 1, q);
}

} // namespace

Status lowerReduce(LowerCtx &c) {
  const HTensor &x = c.in(0);
  HTensor &out = c.outs[0];
  OpKind op = c.node.op;
  bool keep = c.node.getInt("keepdims");
  std::vector<bool> red = reducedAxes(c.node, x.rank());
  std::vector<Var> vars = irVars(out.rank());

  // Reduced axes become RDom dimensions, innermost (last IR axis) first so the
  // loop walks memory in order; kept axes read the output's variables.
  Region region;
  Expr count = 1;
  for (size_t a = x.rank(); a-- > 0;)
    if (red[a]) {
      region.emplace_back(0, x.extents[a]);
      count = count * x.extents[a];
    }
  std::vector<Expr> idx(x.rank()), accArgs;
  RDom r;
  if (!region.empty())
    r = RDom(region);
  for (size_t a = 0, o = 0, k = region.size(); a < x.rank(); ++a) {
    if (red[a]) {
      idx[a] = r[--k];
      o += keep;
    } else {
      idx[a] = vars[o];
      accArgs.push_back(vars[o++]);
    }
  }

  Type t = workType(x.type);
  bool isFloat = t.is_float();
  bool additive = op == OpKind::ReduceSum || op == OpKind::ReduceMean || op == OpKind::ReduceProd;
  // Max and min run on ordered keys (NaN the extreme, so it propagates).
  Type acc = additive ? (isFloat ? t : UInt(64)) : isFloat ? Int(t.bits()) : Int(64);
  Expr v = additive ? cast(acc, x(idx)) : orderedKey(widen(x(idx)), op == OpKind::ReduceMax),
       init;
  switch (op) {
  case OpKind::ReduceProd: init = cast(acc, 1); break;
  case OpKind::ReduceMax: init = acc.min(); break;
  case OpKind::ReduceMin: init = acc.max(); break;
  default: init = cast(acc, 0); break;
  }

  Expr value = v; // a rank-0 input has nothing to reduce
  if (!region.empty()) {
    Func accum("reduce_acc");
    std::vector<Expr> rev(accArgs.rbegin(), accArgs.rend());
    accum(rev) = init;
    Expr a = accum(rev), next;
    switch (op) {
    case OpKind::ReduceSum:
    case OpKind::ReduceMean: next = a + v; break;
    case OpKind::ReduceProd: next = a * v; break;
    case OpKind::ReduceMax: next = max(a, v); break;
    case OpKind::ReduceMin: next = min(a, v); break;
    default: return c.error("no Halide lowering");
    }
    accum(rev) = next;
    value = accum(rev);
  }
  if (!additive)
    value = fromOrderedKey(value, isFloat ? t : Int(64));
  if (additive && !isFloat)
    value = reinterpret(Int(64), value);
  if (op == OpKind::ReduceMean)
    // A float mean of nothing is 0/0 = NaN, an integer one 0 (the reference).
    value = isFloat ? value / cast(t, count)
                    : select(count == 0, cast(Int(64), 0), truncDiv(value, cast(Int(64), count)));
  define(out, vars, cast(out.type, value));
  c.outVars = {vars};
  return Status::ok();
}

Status lowerArgReduce(LowerCtx &c) {
  const HTensor &x = c.in(0);
  HTensor &out = c.outs[0];
  bool isMax = c.node.op == OpKind::ArgMax;
  bool last = c.node.getInt("select_last_index");
  bool keep = c.node.getInt("keepdims");
  size_t axis = normAxis(c.node.getInt("axis"), x.rank());
  std::vector<Var> vars = irVars(out.rank());

  // Candidates 1 .. len-1 challenge the best so far, which starts at 0.
  RDom r(1, x.extents[axis] - 1);
  std::vector<Expr> first(x.rank()), at(x.rank()), accArgs;
  for (size_t a = 0, o = 0; a < x.rank(); ++a) {
    if (a == axis) {
      first[a] = 0;
      at[a] = r;
      o += keep;
    } else {
      first[a] = at[a] = vars[o];
      accArgs.push_back(vars[o++]);
    }
  }
  std::vector<Expr> rev(accArgs.rbegin(), accArgs.rend());
  Func best("arg_best");
  best(rev) = Tuple(cast(Int(64), 0), orderedKey(widen(x(first)), isMax));
  // NaN is the extreme (its key is): the first NaN wins, or the last with
  // select_last_index.
  Expr b = best(rev)[1], v = orderedKey(widen(x(at)), isMax);
  Expr better = isMax ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
  best(rev) = Tuple(select(better, cast(Int(64), r), best(rev)[0]), select(better, v, b));
  define(out, vars, best(rev)[0]);
  c.outVars = {vars};
  return Status::ok();
}

} // namespace dlc::codegen
