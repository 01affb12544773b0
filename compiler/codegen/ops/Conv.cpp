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
// with g = o / Og the output channel's group.
#include "codegen/schedules/Schedules.h"

#include <algorithm>

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

// The input staged in its own layout, zero outside (the padding). On a CPU
// as zeros and then the input copied in: copying with a boundary condition
// clamps each vector's indices at the edges, and a vector of clamped
// indices is a gather (a 28-wide row padded by 1 has no vector clear of
// both edges); the copy's loads are plain. A GPU thread reads its few
// inputs through the boundary condition.
Func stageInput(const HTensor &x, Type t, const std::string &name, const Target &target) {
  Func f(name);
  std::vector<Var> v = halideVars(x.rank(), name + "_");
  if (target.has_gpu_feature()) {
    f(v) = cast(t, zeroExterior(x)(exprs(v)));
    return f;
  }
  f(v) = cast(t, 0);
  Region inside;
  for (size_t a = 0; a + 1 < x.rank(); ++a) // all but the batch (pure)
    inside.push_back(Range(0, x.extents[x.rank() - 1 - a]));
  RDom r(inside, name + "_r");
  std::vector<Expr> at;
  for (int a = 0; a < r.dimensions(); ++a)
    at.push_back(r[a]);
  at.push_back(v.back());
  // The image clamped into the batch: a weight gradient's schedule splits a
  // symbolic batch into chunks whose last one may run past it (guarded), and
  // staging exactly one image per image loop needs reads bounds inference
  // can prove inside the input.
  std::vector<Expr> src = at;
  src.back() = clamp(v.back(), 0, x.extents[0] - 1);
  f(at) = cast(t, x.f(src));
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
  f.x = stageInput(X, t, "conv_x", c.target);

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
  std::vector<Var> vars = irVars(r + 2, "y"); // n, o, q_0..q_{r-1}
  Expr g = group > 1 ? vars[1] / Og : Expr(0);
  Expr init = cast(t, 0);
  if (c.hasIn(2))
    init = cast(t, zeroExterior(c.in(2))(vars[1]));
  std::vector<Var> lhs(vars.rbegin(), vars.rend());

  // One sum over r = (k_{r-1}..k_0, c) (Halide order: the innermost tap axis
  // first). phase[i] < 0: the whole axis i, q = vars[2 + i] the output
  // position. phase[i] = m >= 0 (a polyphase axis split by phase): only the
  // outputs q = q0 + s q' with (q + p) mod s = m, q' = vars[2 + i], and only
  // the taps m + s j < K of that phase, so every term of the sum is real.
  // The phase's first output q0 and its input offset (q0 + p - m) / s:
  auto first = [&](int i, int m) {
    int s = int(win.s[i]), p = int(win.pb[i]);
    int q0 = ((m - p) % s + s) % s;
    return std::pair<int, int>(q0, (q0 + p - m) / s);
  };
  // Whether a stride-1 transpose's taps along row axis i mostly read the
  // zero border: the transpose of a small 'valid' conv (LeNet-5's conv2: a
  // 5x5 window over 10x10 rows gives 14 rows, 20 of their 70 tap rows
  // outside dy). Those axes get a predicate that skips the outside taps (the
  // reduction loop over them, not a zero multiplied per lane); elsewhere the
  // border is a row or two and a branch per tap would cost more than it saves.
  auto mostlyPadding = [&](int i) {
    const Dim &kd = c.node.inputs[1]->type.dims[2 + i], &qd = c.node.outputs[0]->type.dims[2 + i],
              &xd = c.node.inputs[0]->type.dims[2 + i];
    if (!kd.isStatic() || !qd.isStatic() || !xd.isStatic())
      return false;
    int64_t outside = 0;
    for (int64_t q = 0; q < qd.value; ++q)
      for (int64_t k = 0; k < kd.value; ++k) {
        int64_t tap = q + win.pb[i] - k * win.d[i];
        outside += tap < 0 || tap >= xd.value;
      }
    return 5 * outside >= qd.value * kd.value; // at least a fifth
  };
  auto sum = [&](Func h, const std::vector<int> &phase, RDom &rdom) {
    Region rr;
    for (int i = r - 1; i >= 0; --i) {
      Expr K = W.extents[2 + i];
      int s = int(win.s[i]);
      if (phase[i] >= 0)
        rr.push_back(Range(0, (K + (s - 1 - phase[i])) / s));
      else
        rr.push_back(Range(0, polyphase(i) ? (K + (s - 1)) / s : K));
    }
    rr.push_back(Range(0, Cg));
    rdom = RDom(rr, "r");
    std::vector<Expr> xi, taps(r); // taps: the weight's tap per IR axis
    Expr valid = Internal::const_true(), rowsInside = Internal::const_true();
    for (int i = r - 1; i >= 0; --i) {
      Expr q = vars[2 + i], k = rdom[r - 1 - i];
      int s = int(win.s[i]), d = int(win.d[i]), p = int(win.pb[i]);
      taps[i] = k;
      if (fwd) {
        xi.push_back(q * s + k * d - p);
      } else if (phase[i] >= 0) {
        taps[i] = phase[i] + k * s;
        xi.push_back(q + first(i, phase[i]).second - k);
      } else if (polyphase(i)) {
        Expr m = (q + p) % s;
        taps[i] = m + k * s;
        xi.push_back((q + p - m) / s - k);
      } else {
        Expr tap = q + p - k * d;
        if (s > 1)
          valid = valid && tap % s == 0;
        else if (i + 1 < r && mostlyPadding(i))
          rowsInside = rowsInside && tap >= 0 && tap < X.extents[2 + i];
        xi.push_back(s > 1 ? tap / s : tap);
      }
    }
    if (!is_const_one(rowsInside))
      rdom.where(rowsInside);
    xi.push_back(g * Cg + rdom[r]);
    xi.push_back(vars[0]);
    Expr xv = f.x(xi);
    if (!is_const_one(valid))
      xv = select(valid, xv, cast(t, 0));
    std::vector<Expr> wi{vars[1]};
    for (int i = r - 1; i >= 0; --i)
      wi.push_back(taps[i]);
    wi.push_back(rdom[r]);
    h(lhs) = init;
    h(lhs) += xv * f.w(wi);
  };

  std::vector<int> whole(r, -1);
  bool phased = false;
  for (int i = 0; i < r; ++i)
    phased = phased || polyphase(i);
  // On a CPU a register tile spans several outputs, and in the polyphase
  // form neighbours along a strided axis belong to different phases: the
  // tile would run over every phase's taps, half of them zero weights past
  // the kernel's edge (3x3, stride 2: 16 terms for 9). So the output is split
  // into its s^r phases, each a dense stride-1 sum (PERF-NOTES: the output
  // phase decomposition of a strided transpose), and interleaved.
  phased = phased && !c.target.has_gpu_feature();
  if (!phased) {
    sum(out.f, whole, f.r);
  } else {
    std::vector<int> phase(r, -1);
    for (int i = 0; i < r; ++i)
      phase[i] = polyphase(i) ? 0 : -1;
    std::vector<Expr> qi(lhs.begin(), lhs.end()); // where a phase's sum is read
    Expr value;
    while (true) {
      std::string name = out.f.name() + "_ph";
      Expr here = Internal::const_true();
      for (int i = 0; i < r; ++i) {
        if (phase[i] < 0)
          continue;
        name += std::to_string(phase[i]);
        Expr q = vars[2 + i];
        int s = int(win.s[i]), p = int(win.pb[i]);
        int q0 = first(i, phase[i]).first;
        // q = q0 + s q' with 0 <= q0 < s, so q' = q / s: every output of
        // the group s q_q .. s q_q + s - 1 reads row q_q of each phase (a
        // schedule splitting q by s computes each phase one row per group).
        // Clamped into the phase's outputs: where another phase is picked
        // the read is dead, and the clamp keeps bounds inference (blind to
        // the select) from widening a phase past its last row.
        qi[r - 1 - i] = clamp(q / s, 0, (out.extents[2 + i] - q0 + (s - 1)) / s - 1);
        here = here && (q + p) % s == phase[i];
      }
      RDom rd;
      Func h(name);
      sum(h, phase, rd);
      f.phases.push_back(h);
      f.phaseR.push_back(rd);
      value = value.defined() ? select(here, h(qi), value) : h(qi);
      int i = r - 1; // the next phase, odometer order
      while (i >= 0 && (phase[i] < 0 || ++phase[i] == int(win.s[i]))) {
        if (phase[i] >= 0)
          phase[i] = 0;
        --i;
      }
      if (i < 0)
        break;
    }
    define(out, vars, value);
  }

  f.prod = out.f;
  c.outVars = {vars};
  c.schedule = [f](ScheduleCtx &s) { scheduleConv(s, f); };
  return Status::ok();
}

} // namespace

Status lowerConv(LowerCtx &c) { return lowerDirect(c, ConvFuncs::Forward); }
Status lowerConvTranspose(LowerCtx &c) { return lowerDirect(c, ConvFuncs::Transpose); }

// ConvGradWeight's x read in place (ConvFuncs::xInPlace), xi its Halide
// index per term. Along each spatial axis where a tap can fall in the
// padding, r skips those terms and x's index is clamped: bounds inference
// does not narrow reads by a predicate over dw's taps, but the predicate
// becomes the bounds of the row loop per tap and the clamp then simplifies
// away (resnet.l1 dw: the per-image copy into a padded buffer was a fifth of
// the kernel). The image is clamped into the batch as stageInput's is.
void readXInPlace(const LowerCtx &c, const Window &win, Type t, const std::vector<Expr> &xi,
                  ConvFuncs &f) {
  const HTensor &X = c.in(0);
  const Dims &xd = c.node.inputs[0]->type.dims, &dyd = c.node.inputs[1]->type.dims,
             &dwd = c.node.outputs[0]->type.dims;
  int r = f.spatial;
  std::vector<Var> v = halideVars(X.rank(), "cgw_x_");
  std::vector<Expr> at = exprs(v);
  at.back() = clamp(v.back(), 0, X.extents[0] - 1);
  Expr inside = Internal::const_true();
  for (int a = 0; a < r; ++a) { // Halide axis a is IR axis 2 + i
    int i = r - 1 - a;
    Expr extent = X.extents[2 + i];
    bool reachesOut = win.pb[i] > 0 || !xd[2 + i].isStatic() || !dyd[2 + i].isStatic() ||
                      (dyd[2 + i].value - 1) * win.s[i] + (dwd[2 + i].value - 1) * win.d[i] -
                              win.pb[i] >=
                          xd[2 + i].value;
    if (!reachesOut)
      continue;
    inside = inside && xi[a] >= 0 && xi[a] < extent;
    at[a] = clamp(v[a], 0, extent - 1);
  }
  if (!is_const_one(inside))
    f.r.where(inside);
  f.x(v) = cast(t, X.f(at));
}

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
  int64_t vw = gradWeightRowMultiple(c.node, c.target);
  f.xInPlace = vw == 1 && gradWeightReadsXInPlace(c.node, c.target);
  f.x = f.xInPlace ? Func("cgw_x") : stageInput(X, t, "cgw_x", c.target);
  // dw sums over every output position and image. With vectors along output
  // channels (vw = 1), r = (q_{r-1}, q_{r-2}..q_0, n), Halide order, and dy
  // is read transposed, dy(o, q..., n). With vectors along output rows
  // (vw = the schedule's vector width), each row is split into vw lanes x
  // chunks, r = (lane, chunk, q_{r-2}..q_0, n), and dy is read in place,
  // dy(q..., o, n). A row longer than a vector and not a whole number of them
  // ends with a chunk shifted back to end at the row's end, its lanes the
  // chunk before covered masked out: every read of dy stays in the row (plain
  // vector loads, no boundary condition) and the overlap adds zeros. A row
  // shorter than a vector reads dy as zero past its end, and its lanes there
  // are masked out too: x there may lie in the input, and 0 * Inf is NaN.
  int64_t row = vw > 1 ? c.node.inputs[1]->type.dims.back().value : 0;
  Region rr;
  if (vw > 1)
    rr = {Range(0, int(vw)), Range(0, int((row + vw - 1) / vw))};
  else
    rr = {Range(0, DY.extents[1 + r])};
  for (int i = r - 2; i >= 0; --i)
    rr.push_back(Range(0, DY.extents[2 + i]));
  rr.push_back(Range(0, X.extents[0]));
  f.r = RDom(rr, "r");
  int lead = vw > 1 ? 1 : 0; // r's index of q_{r-2} is lead + 1
  Expr qRow = f.r[0], keep;
  if (vw > 1) {
    Expr lane = f.r[0], chunk = f.r[1];
    if (row % vw == 0) {
      qRow = chunk * int(vw) + lane;
    } else if (row < vw) {
      qRow = lane;
      keep = qRow < int(row);
    } else {
      qRow = min(chunk * int(vw), int(row - vw)) + lane;
      keep = qRow >= chunk * int(vw);
    }
  }
  {
    // Channel vectors compute whole tiles of channels past dw's edges.
    bool zeros = vw == 1 || (row % vw != 0 && row < vw);
    Func src = zeros ? zeroExterior(DY) : DY.f;
    std::vector<Var> v = halideVars(DY.rank(), "dy");
    std::vector<Var> args = v;
    if (vw == 1) // o first: dy(o, q..., n) reads DY(q..., o, n)
      std::rotate(args.begin(), args.end() - 2, args.end() - 1);
    f.dy = Func("cgw_dy");
    std::vector<Expr> at = exprs(v);
    at.back() = clamp(v.back(), 0, DY.extents[0] - 1); // as stageInput's image
    f.dy(args) = cast(t, src(at));
  }
  std::vector<Var> vars = irVars(r + 2, "w"); // o, c, k_0..k_{r-1}
  Expr o = vars[0], ci = vars[1], n = f.r[f.r.dimensions() - 1];
  Expr g = group > 1 ? o / Og : Expr(0);
  std::vector<Expr> xi, dyi;
  for (int i = r - 1; i >= 0; --i) {
    Expr q = i == r - 1 ? qRow : Expr(f.r[lead + r - 1 - i]), k = vars[2 + i];
    xi.push_back(q * int(win.s[i]) + k * int(win.d[i]) - int(win.pb[i]));
    dyi.push_back(q);
  }
  xi.push_back(g * Cg + ci);
  xi.push_back(n);
  if (f.xInPlace)
    readXInPlace(c, win, t, xi, f);
  dyi.insert(vw > 1 ? dyi.end() : dyi.begin(), o);
  dyi.push_back(n);
  Expr term = f.x(xi) * f.dy(dyi);
  define(out, vars, cast(t, 0));
  std::vector<Expr> lhs(vars.rbegin(), vars.rend());
  out.f(lhs) += keep.defined() ? select(keep, term, cast(t, 0)) : term;

  f.prod = out.f;
  c.outVars = {vars};
  c.schedule = [f](ScheduleCtx &s) { scheduleConv(s, f); };
  return Status::ok();
}

} // namespace dlc::codegen
