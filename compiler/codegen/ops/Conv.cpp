// Halide lowering of the convolution family: Conv, ConvTranspose and the
// gradient op ConvGradWeight, over 1, 2 or 3 spatial axes, with strides,
// dilations, asymmetric pads [begins..., ends...], groups (depthwise
// included) and an optional bias. The semantics are the reference
// interpreter's (runtime/reference/NN.cpp, GradNN.cpp); the schedules live in
// schedules/Conv.cpp.
//
// All three are direct (gather) forms, so each output element is one sum
// that a schedule can keep in a register:
//   Conv:           y[n,o,q] = b[o] + sum_{c,k} x[n, g Cg + c, q s + k d - p] w[o,c,k]
//   ConvTranspose:  y[n,o,q] = b[o] + sum_{c,k} x[n, g Cg + c, (q + p - k d) / s]
//                                                 w[g Cg + c, o - g Og, k]
//                   (only taps where s divides q + p - k d)
//   ConvGradWeight: dw[o,c,k] = sum_n sum_q x[n, g Cg + c, q s + k d - p] dy[n,o,q]
//                   (summed along each row first, then over rows and images)
// with g = o / Og the output channel's group.
#include "codegen/schedules/Schedules.h"

namespace dlc::codegen {

using namespace Halide;

namespace {

struct Window {
  std::vector<int64_t> s, d, pb; // per spatial axis, IR order
};

Window window(const Node &n, int r) {
  auto get = [&](const char *name, size_t len, int64_t dflt) {
    std::vector<int64_t> v = n.getInts(name);
    if (v.empty())
      v.assign(len, dflt);
    return v;
  };
  Window w{get("strides", r, 1), get("dilations", r, 1), get("pads", 2 * r, 0)};
  w.pb.resize(r); // the end pads only shape the output
  return w;
}

// Halide-order variables of a staged NCHW-like tensor: (s_{r-1}..s_0, c, n).
std::vector<Var> halideVars(size_t n, const std::string &prefix) {
  std::vector<Var> v;
  for (size_t i = 0; i < n; ++i)
    v.emplace_back(prefix + std::to_string(i));
  return v;
}

std::vector<Expr> exprs(const std::vector<Var> &v) { return {v.begin(), v.end()}; }

// The input staged in its own layout, zero outside (the padding).
Func stageInput(const HTensor &x, Type t, const std::string &name) {
  Func z = zeroExterior(x), f(name);
  std::vector<Var> v = halideVars(x.rank(), name + "_");
  f(v) = cast(t, z(exprs(v)));
  return f;
}

Status checkRank(const LowerCtx &c, size_t rank) {
  if (rank < 3 || rank > 5)
    return c.error("expects 1 to 3 spatial axes");
  if (c.node.inputs[0]->type.dtype == DType::Bool)
    return c.error("does not take bool operands");
  return Status::ok();
}

// Conv and ConvTranspose: prod(q..., o, n) over r = (k..., c).
Status lowerDirect(LowerCtx &c, ConvFuncs::Kind kind) {
  const HTensor &X = c.in(0), &W = c.in(1);
  HTensor &out = c.outs[0];
  DLC_CHECK(checkRank(c, X.rank()));
  int r = static_cast<int>(X.rank()) - 2;
  Window win = window(c.node, r);
  int64_t group = c.node.getInt("group");
  Type t = accType(out.type);
  bool fwd = kind == ConvFuncs::Forward;
  Expr Cg = X.extents[1] / Expr(static_cast<int>(group)), Og = out.extents[1] / Expr(static_cast<int>(group));

  ConvFuncs f;
  f.kind = kind;
  f.spatial = r;
  f.group = group;
  f.x = stageInput(X, t, "conv_x");

  // Weights repacked output-channel-innermost: w(o, k..., c). The schedule
  // vectorizes over o, so one tap of one input channel is a unit-stride load.
  Func wz = zeroExterior(W);
  Var o("wo"), ci("wc");
  std::vector<Var> kv = halideVars(r, "wk");
  std::vector<Expr> wsrc = exprs(kv);
  if (fwd) {
    wsrc.push_back(ci);
    wsrc.push_back(o);
  } else {
    Expr g = group > 1 ? o / Og : Expr(0);
    wsrc.push_back(o - g * Og);
    wsrc.push_back(g * Cg + ci);
  }
  std::vector<Var> wargs{o};
  wargs.insert(wargs.end(), kv.begin(), kv.end());
  wargs.push_back(ci);
  f.w = Func(fwd ? "conv_w" : "convT_w");
  f.w(wargs) = cast(t, wz(wsrc));

  // A strided ConvTranspose (dilation 1) only meets the taps k = m + s j
  // with m = (q + p) mod s: its sum runs over j (the polyphase form), so no
  // work goes to taps that skip the input grid. Other strided cases keep
  // every tap and drop those off the grid.
  auto polyphase = [&](int i) { return !fwd && win.s[i] > 1 && win.d[i] == 1; };
  // r = (k_{r-1}..k_0, c), Halide order: the innermost tap axis first.
  Region rr;
  for (int i = r - 1; i >= 0; --i) {
    Expr K = W.extents[2 + i];
    rr.push_back(Range(0, polyphase(i) ? (K + int(win.s[i] - 1)) / int(win.s[i]) : K));
  }
  rr.push_back(Range(0, Cg));
  f.r = RDom(rr, "r");

  std::vector<Var> vars = irVars(r + 2, "y"); // n, o, q_0..q_{r-1}
  Expr g = group > 1 ? vars[1] / Og : Expr(0);
  std::vector<Expr> xi, taps(r); // taps: the weight's tap per IR axis
  Expr valid = Internal::const_true();
  for (int i = r - 1; i >= 0; --i) {
    Expr q = vars[2 + i], k = f.r[r - 1 - i];
    int s = int(win.s[i]), d = int(win.d[i]), p = int(win.pb[i]);
    taps[i] = k;
    if (fwd) {
      xi.push_back(q * s + k * d - p);
    } else if (polyphase(i)) {
      Expr m = (q + p) % s;
      taps[i] = m + k * s;
      xi.push_back((q + p - m) / s - k);
    } else {
      Expr tap = q + p - k * d;
      if (s > 1)
        valid = valid && tap % s == 0;
      xi.push_back(s > 1 ? tap / s : tap);
    }
  }
  xi.push_back(g * Cg + f.r[r]);
  xi.push_back(vars[0]);
  Expr xv = f.x(xi);
  if (!is_const_one(valid))
    xv = select(valid, xv, cast(t, 0));
  std::vector<Expr> wi{vars[1]};
  for (int i = r - 1; i >= 0; --i)
    wi.push_back(taps[i]);
  wi.push_back(f.r[r]);

  Expr init = cast(t, 0);
  if (c.hasIn(2))
    init = cast(t, zeroExterior(c.in(2))(vars[1]));
  define(out, vars, init);
  std::vector<Var> lhs(vars.rbegin(), vars.rend());
  out.f(lhs) += xv * f.w(wi);

  f.prod = out.f;
  c.outVars = {vars};
  c.schedule = [f](ScheduleCtx &s) { scheduleConv(s, f); };
  return Status::ok();
}

} // namespace

Status lowerConv(LowerCtx &c) { return lowerDirect(c, ConvFuncs::Forward); }
Status lowerConvTranspose(LowerCtx &c) { return lowerDirect(c, ConvFuncs::Transpose); }

Status lowerConvGradWeight(LowerCtx &c) {
  const HTensor &X = c.in(0), &DY = c.in(1);
  HTensor &out = c.outs[0];
  DLC_CHECK(checkRank(c, X.rank()));
  if (!c.node.outputs[0]->type.isStatic())
    return c.error("needs a static weight shape");
  int r = static_cast<int>(X.rank()) - 2;
  Window win = window(c.node, r);
  int64_t group = c.node.getInt("group");
  Type t = accType(out.type);
  Expr Cg = X.extents[1] / Expr(static_cast<int>(group)), Og = out.extents[0] / Expr(static_cast<int>(group));

  ConvFuncs f;
  f.kind = ConvFuncs::GradWeight;
  f.spatial = r;
  f.group = group;
  f.x = stageInput(X, t, "cgw_x");
  // dy transposed output-channel-innermost, dy(o, q..., n): the schedule
  // vectorizes over o.
  {
    Func z = zeroExterior(DY);
    Var o("dyo"), n("dyn");
    std::vector<Var> qv = halideVars(r, "dyq");
    std::vector<Var> args{o};
    args.insert(args.end(), qv.begin(), qv.end());
    args.push_back(n);
    std::vector<Expr> src = exprs(qv);
    src.push_back(o);
    src.push_back(n);
    f.dy = Func("cgw_dy");
    f.dy(args) = cast(t, z(src));
  }

  // perRow(k..., c, o, q_0..q_{r-2}, n): one output row's contribution,
  // summed along the row (r = q_{r-1}); dw sums the rows of every image
  // (rn = (q_0..q_{r-2}, n)). Splitting the sum there lets a schedule keep
  // one row of dy and x in L1 while every tile of dw passes over it.
  f.r = RDom(0, DY.extents[1 + r], "r");
  Region rnr;
  for (int i = r - 2; i >= 0; --i)
    rnr.push_back(Range(0, DY.extents[2 + i]));
  rnr.push_back(Range(0, X.extents[0]));
  f.rn = RDom(rnr, "rn");
  std::vector<Var> kv = halideVars(r, "pk"), qv = halideVars(r - 1, "pq");
  Var ci("pc"), o("po"), n("pn");
  Expr g = group > 1 ? o / Og : Expr(0);
  std::vector<Expr> xi, dyi{o};
  for (int i = r - 1; i >= 0; --i) {
    Expr q = i == r - 1 ? Expr(f.r.x) : Expr(qv[r - 2 - i]), k = kv[r - 1 - i];
    xi.push_back(q * int(win.s[i]) + k * int(win.d[i]) - int(win.pb[i]));
    dyi.push_back(q);
  }
  xi.push_back(g * Cg + ci);
  xi.push_back(n);
  dyi.push_back(n);
  std::vector<Var> pargs = kv;
  pargs.insert(pargs.end(), {ci, o});
  pargs.insert(pargs.end(), qv.begin(), qv.end());
  pargs.push_back(n);
  f.perRow = Func("cgw_row");
  f.perRow(pargs) = cast(t, 0);
  f.perRow(pargs) += f.x(xi) * f.dy(dyi);

  std::vector<Var> vars = irVars(r + 2, "w"); // o, c, k_0..k_{r-1}
  define(out, vars, cast(t, 0));
  std::vector<Expr> lhs(vars.rbegin(), vars.rend()), pi = lhs;
  for (int i = 0; i < f.rn.dimensions(); ++i)
    pi.push_back(f.rn[i]);
  out.f(lhs) += f.perRow(pi);

  f.prod = out.f;
  c.outVars = {vars};
  c.schedule = [f](ScheduleCtx &s) { scheduleConv(s, f); };
  return Status::ok();
}

} // namespace dlc::codegen
