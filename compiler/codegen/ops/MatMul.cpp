// Halide lowering of MatMul: C[batch] = op(A)[batch] x op(B)[batch] with
// numpy broadcasting over the leading (batch) axes, transA / transB on
// operands of rank >= 2, and 1-D operands as in numpy (a [K] A is a [1, K]
// row whose axis is dropped from the result, a [K] B a [K, 1] column). The
// schedule lives in schedules/MatMul.cpp.
#include "codegen/schedules/Schedules.h"

namespace dlc::codegen {

using namespace Halide;

Func zeroExterior(const HTensor &t) {
  Region bounds;
  for (auto it = t.extents.rbegin(); it != t.extents.rend(); ++it)
    bounds.push_back(Range(0, *it));
  return BoundaryConditions::constant_exterior(t.f, cast(t.type, 0), bounds);
}

Type accType(Type t) { return t.is_float() && t.bits() < 32 ? Float(32) : t; }

namespace {

// Indices of an operand's batch axes (its leading `rank` axes) in the output
// batch (its leading `outRank` vars): right-aligned, a size-1 axis reads 0.
std::vector<Expr> batchIndex(const HTensor &x, size_t rank, const std::vector<Var> &outBatch,
                             const std::vector<Expr> &outExtents) {
  std::vector<Expr> idx;
  size_t lead = outBatch.size() - rank;
  for (size_t a = 0; a < rank; ++a) {
    bool one = is_const(x.extents[a], 1) && !is_const(outExtents[a + lead], 1);
    idx.push_back(one ? Expr(0) : Expr(outBatch[a + lead]));
  }
  return idx;
}

} // namespace

Status lowerMatMul(LowerCtx &c) {
  const HTensor &A = c.in(0), &B = c.in(1);
  HTensor &out = c.outs[0];
  if (c.node.inputs[0]->type.dtype == DType::Bool)
    return c.error("does not take bool operands");
  size_t ra = A.rank(), rb = B.rank();
  bool aT = c.node.getInt("transA") && ra >= 2, bT = c.node.getInt("transB") && rb >= 2;
  MatMulFuncs f;
  f.hasM = ra >= 2;
  f.hasN = rb >= 2;
  f.aT = aT;
  f.bT = bT;
  Type t = accType(out.type);

  // op(A) as a(m, k) in IR order (k innermost) over A's own batch axes; op(B)
  // as b(k, n). Staging both this way gives the schedule unit-stride vectors
  // along n and one scalar per (m, k).
  Func az = zeroExterior(A), bz = zeroExterior(B);
  size_t aBatch = f.hasM ? ra - 2 : 0, bBatch = f.hasN ? rb - 2 : 0;
  std::vector<Var> av = irVars(aBatch + 2, "a"), bv = irVars(bBatch + 2, "b");
  Var am = av[aBatch], ak = av[aBatch + 1], bk = bv[bBatch], bn = bv[bBatch + 1];
  HTensor a{Func("mm_a"), {}, t}, b{Func("mm_b"), {}, t};
  {
    std::vector<Expr> src(av.begin(), av.begin() + aBatch);
    if (f.hasM) {
      src.push_back(aT ? ak : am);
      src.push_back(aT ? am : ak);
    } else {
      src.push_back(ak);
    }
    HTensor azT{az, A.extents, A.type};
    define(a, av, cast(t, azT(src)));
  }
  {
    std::vector<Expr> src(bv.begin(), bv.begin() + bBatch);
    if (f.hasN) {
      src.push_back(bT ? bn : bk);
      src.push_back(bT ? bk : bn);
    } else {
      src.push_back(bk);
    }
    HTensor bzT{bz, B.extents, B.type};
    define(b, bv, cast(t, bzT(src)));
  }

  Expr K = ra == 1 ? A.extents[0] : (aT ? A.extents[ra - 2] : A.extents[ra - 1]);
  f.k = RDom(0, K, "k");
  std::vector<Var> vars = irVars(out.rank(), "c");
  size_t outBatch = out.rank() - f.hasM - f.hasN;
  std::vector<Var> batch(vars.begin(), vars.begin() + outBatch);
  std::vector<Expr> outBatchExt(out.extents.begin(), out.extents.begin() + outBatch);
  std::vector<Expr> ai = batchIndex(A, aBatch, batch, outBatchExt);
  std::vector<Expr> bi = batchIndex(B, bBatch, batch, outBatchExt);
  ai.push_back(f.hasM ? Expr(vars[outBatch]) : Expr(0));
  ai.push_back(f.k);
  bi.push_back(f.k);
  bi.push_back(f.hasN ? Expr(vars[out.rank() - 1]) : Expr(0));
  // A 1-D operand is staged as a 2-D one of extent 1 on its missing axis.

  define(out, vars, cast(t, 0));
  std::vector<Expr> lhs(vars.rbegin(), vars.rend());
  out.f(lhs) += a(ai) * b(bi);

  f.a = a.f;
  f.b = b.f;
  f.prod = out.f;
  c.outVars = {vars};
  c.schedule = [f](ScheduleCtx &s) { scheduleMatMul(s, f); };
  return Status::ok();
}

} // namespace dlc::codegen
