// Halide lowering of the reductions: ReduceSum/Mean/Prod/Max/Min over `axes`
// and ArgMax/ArgMin over one axis, with keepdims.
//
// Where the innermost axis is kept, each output element owns one accumulator
// Func over the reduced axes, left unscheduled: Halide then computes it
// inside the innermost loop of the kernel output, so the reduction runs
// within the default vectorized output loop, one lane per output element,
// reading along rows. Float sums with the innermost axis reduced are split
// sums instead (splitSum: lanes along the rows, then their total; also
// BatchNorm's statistics). Float sums and products accumulate in
// the working type (f32 for f16/f32); the reference's double is kept only
// where results would drift (BatchNorm statistics, NN.cpp). Integer sums and
// products accumulate in uint64 so they wrap as the reference's int64 does;
// ReduceMean of integers truncates toward zero. Max and min propagate NaN;
// ArgMax/ArgMin take the first extreme (the last with select_last_index), a
// NaN counting as the extreme, as the reference and numpy.
#include "codegen/ops/Helpers.h"
#include "codegen/schedules/Schedules.h"

#include <algorithm>
#include <optional>

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

namespace {

// f(args) = zeros, then f(args) += terms, over the RDom the terms read.
void defineSum(Func f, const std::vector<Expr> &args, const std::vector<Expr> &terms) {
  if (terms.size() == 1) {
    f(args) = cast(terms[0].type(), 0);
    f(args) += terms[0];
    return;
  }
  std::vector<Expr> zeros, next;
  for (const Expr &t : terms)
    zeros.push_back(cast(t.type(), 0));
  f(args) = Tuple(zeros);
  for (size_t i = 0; i < terms.size(); ++i)
    next.push_back(f(args)[i] + terms[i]);
  f(args) = Tuple(next);
}

} // namespace

SplitSum splitSum(const std::vector<Expr> &extents, const std::vector<bool> &reduced, Type acc,
                  const Target &t,
                  const std::function<std::vector<Expr>(const std::vector<Expr> &)> &terms,
                  const std::string &name) {
  size_t rank = extents.size(), last = rank - 1;
  SplitSum s;
  s.work = 1;
  for (const Expr &e : extents) {
    const int64_t *v = Internal::as_const_int(e);
    s.work *= v ? *v : 64;
  }
  s.innerKept = !reduced[last];
  const int64_t *rowExt = Internal::as_const_int(extents[last]);
  int64_t row = rowExt ? *rowExt : 0;
  // The term count, from a probe of the terms at index 0.
  int count = int(terms(std::vector<Expr>(rank, Expr(0))).size());
  if (reduced[last])
    splitSumLanes(s, row, acc, count, t);
  bool split = reduced[last] && s.vw > 1;
  int64_t chunks = split ? (row + s.vw - 1) / s.vw : 1;

  // The RDom: row chunks unless they are accumulators, then the other
  // reduced axes, innermost first.
  Region region;
  if (split && !s.chunkAccumulators)
    region.emplace_back(0, int(chunks));
  for (size_t a = rank; a-- > 0;)
    if (reduced[a] && !(split && a == last))
      region.emplace_back(0, extents[a]);
  std::optional<RDom> r;
  if (!region.empty())
    r = RDom(region);
  Var l(name + "_l"), jv(name + "_j");
  Expr j = split && !s.chunkAccumulators ? Expr((*r)[0]) : Expr(jv);
  std::vector<Expr> idx(rank), kept;
  for (size_t a = 0, k = region.size(); a < rank; ++a) {
    if (split && a == last) {
      idx[a] = min(j * s.vw, int(row - s.vw)) + l;
    } else if (reduced[a]) {
      idx[a] = (*r)[int(--k)];
    } else {
      Var v(name + "_" + std::to_string(a));
      idx[a] = v;
      kept.push_back(v);
    }
  }
  std::vector<Expr> keptArgs(kept.rbegin(), kept.rend()), t0 = terms(idx);
  for (Expr &e : t0)
    e = cast(acc, e);
  s.total = Func(name);
  if (!split) {
    defineSum(s.total, keptArgs, t0);
    return s;
  }
  // Lanes the previous chunk covered count there (the last chunk is
  // shifted back to end at the row's end).
  for (Expr &e : t0)
    e = select(min(j * s.vw, int(row - s.vw)) + l >= j * s.vw, e, cast(acc, 0));
  std::vector<Expr> lanesArgs{l};
  if (s.chunkAccumulators)
    lanesArgs.push_back(jv);
  lanesArgs.insert(lanesArgs.end(), keptArgs.begin(), keptArgs.end());
  s.lanes = Func(name + "_lanes");
  defineSum(s.lanes, lanesArgs, t0);
  Region lanesRegion{{0, s.vw}};
  if (s.chunkAccumulators)
    lanesRegion.emplace_back(0, int(chunks));
  RDom rl(lanesRegion);
  lanesArgs[0] = rl[0];
  if (s.chunkAccumulators)
    lanesArgs[1] = rl[1];
  std::vector<Expr> parts;
  for (size_t i = 0; i < t0.size(); ++i)
    parts.push_back(t0.size() == 1 ? Expr(s.lanes(lanesArgs)) : s.lanes(lanesArgs)[i]);
  defineSum(s.total, keptArgs, parts);
  return s;
}

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
  std::vector<Expr> rev(accArgs.rbegin(), accArgs.rend());
  if (isFloat && (op == OpKind::ReduceSum || op == OpKind::ReduceMean) && !red.empty() &&
      red.back()) {
    // The innermost axis reduced (bias gradients over N, H, W): a lane per
    // row position, so the sum vectorizes along the rows it reads.
    SplitSum sum = splitSum(
        x.extents, red, acc, c.target,
        [&](const std::vector<Expr> &i) { return std::vector<Expr>{x(i)}; }, "reduce_acc");
    scheduleSplitSum(sum, c.target);
    value = sum.total(rev);
  } else if (!region.empty()) {
    Func accum("reduce_acc");
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
