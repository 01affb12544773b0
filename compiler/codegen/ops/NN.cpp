// Halide lowering of the neural-network layers other than the heavy ones
// (MatMul and the convolutions live in MatMul.cpp and Conv.cpp): MaxPool and
// AveragePool and their gradients, BatchNorm (inference and training) and
// BatchNormGrad, Dropout, Softmax and LogSoftmax.
//
// Semantics are the reference interpreter's (runtime/reference/NN.cpp and
// GradNN.cpp). Pooling windows are reductions over their kernel taps,
// unrolled into one expression (or an RDom for large windows) inside the
// vectorized output loop; padded taps are masked, never read. Pool gradients
// are gathers, not scatters: each input position visits the few windows that
// can contain it, so dx stays a pure, vectorizable Func (schedules/Pool.cpp).
// Statistics shared by many outputs (BatchNorm moments, softmax row maxima and
// sums, max-pool argmaxes) are computed once (computeOnce; BatchNorm's as
// split sums, schedules/Reduce.cpp).
#include "codegen/ops/Helpers.h"
#include "codegen/schedules/Schedules.h"

#include <cmath>
#include <functional>
#include <optional>

namespace dlc::codegen {

using namespace Halide;
using Internal::const_true;
using Internal::make_const;

namespace {

// Windows and candidate sets of at most this many points unroll into one
// expression per output: a vectorized output loop then computes them
// lane-parallel with no loop and no intermediate buffer. Larger ones (global
// pooling) reduce over an RDom.
constexpr int64_t kUnrolledPoints = 16;

// The points of a box [0, ext[0]) x [0, ext[1]) ... (row-major, the last axis
// fastest): constants when the box is small, else one symbolic point, the
// variables of `r`.
struct BoxPoints {
  std::vector<std::vector<Expr>> points;
  std::optional<RDom> r;
};

BoxPoints boxPoints(const std::vector<int64_t> &ext) {
  BoxPoints b;
  int64_t count = 1;
  for (int64_t e : ext)
    count *= e;
  if (count > kUnrolledPoints) {
    Region region;
    for (size_t i = ext.size(); i-- > 0;)
      region.emplace_back(0, int(ext[i]));
    b.r = RDom(region);
    std::vector<Expr> p;
    for (size_t i = 0; i < ext.size(); ++i)
      p.push_back((*b.r)[int(ext.size() - 1 - i)]);
    b.points.push_back(p);
    return b;
  }
  for (int64_t i = 0; i < count; ++i) {
    std::vector<Expr> p(ext.size());
    for (size_t a = ext.size(), rest = size_t(i); a-- > 0; rest /= size_t(ext[a]))
      p[a] = int(rest % size_t(ext[a]));
    b.points.push_back(p);
  }
  return b;
}

// Folds `step` over the points of `b` from `init`: one expression for
// constant points, else the update of an intermediate Func over `at` (Halide
// order), reduced at each use.
using FoldStep =
    std::function<std::vector<Expr>(const std::vector<Expr> &acc, const std::vector<Expr> &point)>;

std::vector<Expr> fold(const BoxPoints &b, const std::vector<Expr> &init, const FoldStep &step,
                       const std::vector<Expr> &at, const std::string &name) {
  if (!b.r) {
    std::vector<Expr> acc = init;
    for (const std::vector<Expr> &p : b.points)
      acc = step(acc, p);
    return acc;
  }
  Func f(name);
  std::vector<Expr> acc;
  if (init.size() == 1) {
    f(at) = init[0];
    acc = {f(at)};
    f(at) = step(acc, b.points[0])[0];
    return {f(at)};
  }
  f(at) = Tuple(init);
  for (size_t i = 0; i < init.size(); ++i)
    acc.push_back(f(at)[i]);
  f(at) = Tuple(step(acc, b.points[0]));
  std::vector<Expr> out;
  for (size_t i = 0; i < init.size(); ++i)
    out.push_back(f(at)[i]);
  return out;
}

// Tap `k` (one index per spatial axis) of the pooling window at output
// position `o`: x's index (clamped), whether it lies inside the input, and
// its row-major index within the window.
struct Tap {
  std::vector<Expr> idx;
  Expr valid, index;
};

Tap windowTap(const std::vector<WindowAxis> &w, const std::vector<Expr> &o,
              const std::vector<Expr> &k, const HTensor &x, Expr n, Expr ch) {
  Tap t{{n, ch}, const_true(), 0};
  for (size_t i = 0; i < w.size(); ++i) {
    Expr pos = w[i].pos(o[i], k[i]);
    t.valid = t.valid && pos >= 0 && pos < int(w[i].in);
    t.idx.push_back(clampIndex(pos, x.extents[2 + i]));
    t.index = t.index * int(w[i].k) + k[i];
  }
  return t;
}

std::vector<int64_t> windowExtents(const std::vector<WindowAxis> &w) {
  std::vector<int64_t> e;
  for (const WindowAxis &a : w)
    e.push_back(a.k);
  return e;
}

// The divisor of the AveragePool window at `o`: real taps, or with
// count_include_pad the positions inside the padded input.
Expr avgPoolCount(const std::vector<WindowAxis> &w, const std::vector<Expr> &o, bool countPad) {
  Expr count = 1;
  for (size_t i = 0; i < w.size(); ++i)
    count = count * (countPad ? w[i].paddedTaps(o[i]) : w[i].realTaps(o[i]));
  return count;
}

std::vector<Expr> spatial(const std::vector<Var> &vars) {
  return std::vector<Expr>(vars.begin() + 2, vars.end());
}

// Reverses IR-order arguments into Halide's order.
std::vector<Expr> hargs(const std::vector<Expr> &ir) {
  return std::vector<Expr>(ir.rbegin(), ir.rend());
}

} // namespace

Status lowerPool(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0);
  HTensor &out = c.outs[0];
  std::vector<WindowAxis> w = windowAxes(n, n.inputs[0]->type.dims, n.outputs[0]->type.dims,
                                         n.getInts("kernel_shape"));
  std::vector<Var> vars = irVars(out.rank());
  std::vector<Expr> o = spatial(vars), at = hargs(std::vector<Expr>(vars.begin(), vars.end()));
  BoxPoints taps = boxPoints(windowExtents(w));
  Type t = workType(x.type);
  auto tapValue = [&](const std::vector<Expr> &k, Expr &valid) {
    Tap tap = windowTap(w, o, k, x, vars[0], vars[1]);
    valid = tap.valid;
    return widen(x(tap.idx));
  };
  Expr value;
  if (n.op == OpKind::MaxPool) {
    // Padding never wins; a NaN in the window makes the result NaN (its
    // ordered key is the highest); a window of padding only (dilated) gives
    // the reference's lowest value. The fold keeps whether it has seen a real
    // tap rather than start from the lowest key: Halide 14 miscompiles
    // vectorized max/select chains on the int64 minimum (i64 and f64 keys).
    Type kt = orderedKey(cast(t, 0), true).type();
    std::vector<Expr> m =
        fold(taps, {cast(UInt(8), 0), cast(kt, 0)},
             [&](const std::vector<Expr> &acc, const std::vector<Expr> &k) {
               Expr valid, key = orderedKey(tapValue(k, valid), true);
               Expr take = valid && (acc[0] == 0 || key > acc[1]);
               return std::vector<Expr>{select(valid, cast(UInt(8), 1), acc[0]),
                                        select(take, key, acc[1])};
             },
             at, "pool_max");
    value = select(m[0] != 0, fromOrderedKey(m[1], t), t.is_float() ? cast(t, -INFINITY) : t.min());
  } else {
    Expr s = fold(taps, {cast(t, 0)},
                  [&](const std::vector<Expr> &acc, const std::vector<Expr> &k) {
                    Expr valid, v = tapValue(k, valid);
                    return std::vector<Expr>{acc[0] + select(valid, v, cast(t, 0))};
                  },
                  at, "pool_sum")[0];
    value = s / cast(t, avgPoolCount(w, o, n.getInt("count_include_pad")));
  }
  define(out, vars, cast(out.type, value));
  c.outVars = {vars};
  PoolFuncs f;
  for (const WindowAxis &a : w)
    f.strides.push_back(a.s);
  schedulePool(c, f);
  return Status::ok();
}

// MaxPoolGrad: dy goes to its window's first maximum (row-major; NaN beats
// numbers, the first NaN later ones; padding never wins). AveragePoolGrad: dy
// spreads as dy / count over its window's real taps. Either way dx at an
// input position sums over the windows that contain it: per axis, the outputs
// o with pos = o * s - pb + k * d for a tap k < K, which are at most
// ((K - 1) * d) / s + 1 consecutive o. Where the schedule splits an axis by
// its stride (pos = q * s + i, i a constant), those o are q plus constants,
// so every read is a plain vector load.
Status lowerPoolGrad(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0), &dy = c.in(1);
  HTensor &dx = c.outs[0];
  bool isMax = n.op == OpKind::MaxPoolGrad;
  std::vector<WindowAxis> w = windowAxes(n, n.inputs[0]->type.dims, n.inputs[1]->type.dims,
                                         n.getInts("kernel_shape"));
  Type t = workType(x.type);

  // Max: the row-major tap index of each window's first maximum (-1: none).
  PoolFuncs f;
  std::vector<Var> ov = irVars(dy.rank(), "o");
  if (isMax) {
    std::vector<Expr> o = spatial(ov), oa = hargs(std::vector<Expr>(ov.begin(), ov.end()));
    Type kt = orderedKey(cast(t, 0), true).type();
    Expr first = fold(boxPoints(windowExtents(w)), {-1, cast(kt, 0)},
                      [&](const std::vector<Expr> &acc, const std::vector<Expr> &k) {
                        Tap tap = windowTap(w, o, k, x, ov[0], ov[1]);
                        Expr key = orderedKey(widen(x(tap.idx)), true);
                        // The first strictly greater key replaces: a NaN
                        // beats numbers and the first NaN later ones.
                        Expr better = tap.valid && (acc[0] < 0 || key > acc[1]);
                        return std::vector<Expr>{select(better, tap.index, acc[0]),
                                                 select(better, key, acc[1])};
                      },
                      oa, "pool_first_max")[0];
    f.arg = Func("pool_argmax");
    f.arg(oa) = first;
  }

  std::vector<Var> vars = irVars(dx.rank());
  std::vector<int64_t> cands;
  for (const WindowAxis &a : w) {
    cands.push_back((a.k - 1) * a.d / a.s + 1);
    f.strides.push_back(a.s);
    f.disjoint = f.disjoint && cands.back() == 1;
  }
  auto share = [&](const std::vector<Expr> &j) {
    std::vector<Expr> o{vars[0], vars[1]}, oc{vars[0], vars[1]};
    Expr valid = const_true(), tap = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      const WindowAxis &a = w[i];
      // The first window whose last tap reaches this position, then the next.
      Expr from = vars[2 + i] + int(a.pb);
      Expr first = (from - int((a.k - 1) * a.d) + int(a.s) - 1) / int(a.s);
      Expr oi = first + j[i];
      Expr off = from - oi * int(a.s); // k * d for the tap that lands here
      valid = valid && oi >= 0 && oi < int(a.out) && off >= 0 && off % int(a.d) == 0;
      o.push_back(oi);
      oc.push_back(clampIndex(oi, dy.extents[2 + i]));
      tap = tap * int(a.k) + off / int(a.d);
    }
    Expr g = widen(dy(oc));
    if (isMax)
      return select(valid && f.arg(hargs(oc)) == tap, g, cast(t, 0));
    return select(valid,
                  g / cast(t, avgPoolCount(w, std::vector<Expr>(o.begin() + 2, o.end()),
                                           n.getInt("count_include_pad"))),
                  cast(t, 0));
  };
  Expr sum = fold(boxPoints(cands), {cast(t, 0)},
                  [&](const std::vector<Expr> &acc, const std::vector<Expr> &j) {
                    return std::vector<Expr>{acc[0] + share(j)};
                  },
                  hargs(std::vector<Expr>(vars.begin(), vars.end())), "pool_grad_sum")[0];
  define(dx, vars, cast(dx.type, sum));
  c.outVars = {vars};
  schedulePool(c, f);
  return Status::ok();
}

namespace {

// A double constant (a bare double would pass through float).
Expr f64(double v) { return make_const(Float(64), v); }

// Sums of terms(idx) over every axis of x ([N, C, ...]) but the channel, in
// double as the reference: f32 sums over N * H * W values (millions for a
// large batch of images) would lose digits the normalization then
// amplifies, and these loops are bound by memory, not arithmetic. Split
// sums (schedules/Reduce.cpp): vector lanes along the rows they read.
Func channelSums(const HTensor &x, const Target &t, const std::string &name,
                 const std::function<std::vector<Expr>(const std::vector<Expr> &)> &terms) {
  std::vector<bool> red(x.rank(), true);
  red[1] = false;
  SplitSum s = splitSum(x.extents, red, Float(64), t, terms, name);
  scheduleSplitSum(s, t);
  return s.total;
}

// The batch mean of each channel (two passes as the reference: the mean,
// then sums of deviations from it).
struct ChannelMean {
  Func mean;  // f64, over c
  Expr count; // N * spatial, Int(32)
  // x - mean at x's index idx, in double.
  Expr dev(const HTensor &x, const std::vector<Expr> &idx) const {
    return cast(Float(64), x(idx)) - mean(idx[1]);
  }
};

ChannelMean channelMean(const HTensor &x, const Target &t) {
  ChannelMean s;
  s.count = x.extents[0];
  for (size_t a = 2; a < x.rank(); ++a)
    s.count = s.count * x.extents[a];
  Func sum = channelSums(x, t, "bn_sum", [&](const std::vector<Expr> &i) {
    return std::vector<Expr>{cast(Float(64), x(i))};
  });
  Var ch("c");
  s.mean = Func("bn_mean");
  s.mean(ch) = sum(ch) / cast(Float(64), s.count);
  computeOnce(s.mean);
  return s;
}

} // namespace

// y = (x - mean) / sqrt(var + eps) * scale + bias per channel (axis 1), with
// the running statistics or (training) the batch's biased ones; training
// also outputs running = (1 - momentum) * running + momentum * batch, the
// batch variance unbiased unless unbiased=0.
Status lowerBatchNorm(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0), &scale = c.in(1), &bias = c.in(2), &rMean = c.in(3),
                &rVar = c.in(4);
  double eps = n.getFloat("epsilon"), m = n.getFloat("momentum");
  Type t = workType(x.type);
  Var ch("c");
  Func mean("bn_center"), mul("bn_mul");
  std::optional<ChannelMean> s;
  Func sqDev;
  if (n.getInt("training")) {
    s = channelMean(x, c.target);
    sqDev = channelSums(x, c.target, "bn_sqdev", [&](const std::vector<Expr> &i) {
      Expr d = s->dev(x, i);
      return std::vector<Expr>{d * d};
    });
    mean(ch) = s->mean(ch);
    mul(ch) = 1 / sqrt(sqDev(ch) / cast(Float(64), s->count) + f64(eps)) *
              cast(Float(64), scale({Expr(ch)}));
  } else {
    mean(ch) = cast(Float(64), rMean({Expr(ch)}));
    mul(ch) = 1 / sqrt(cast(Float(64), rVar({Expr(ch)})) + f64(eps)) *
              cast(Float(64), scale({Expr(ch)}));
  }
  computeOnce(mean);
  computeOnce(mul);

  std::vector<Var> vars = irVars(x.rank());
  Expr y = (widen(x(vars)) - cast(t, mean(vars[1]))) * cast(t, mul(vars[1])) +
           widen(bias({Expr(vars[1])}));
  define(c.outs[0], vars, cast(c.outs[0].type, y));
  c.outVars = {vars};
  if (c.outs.size() > 1) {
    Expr batchMean = s->mean(ch);
    Expr batchVar = sqDev(ch) / cast(Float(64), n.getInt("unbiased") ? s->count - 1 : s->count);
    Expr batch[2] = {batchMean, batchVar};
    const HTensor *running[2] = {&rMean, &rVar};
    for (size_t i = 1; i < c.outs.size(); ++i) {
      Expr r = f64(1 - m) * cast(Float(64), (*running[i - 1])({Expr(ch)})) + f64(m) * batch[i - 1];
      define(c.outs[i], {ch}, cast(c.outs[i].type, r));
      c.outVars.push_back({ch});
    }
  }
  return Status::ok();
}

// With the batch statistics of channel c over its M values,
// xhat = (x - mean) / sqrt(var + eps):
//   dbias = sum dy,  dscale = sum dy * xhat,
//   dx = scale / sqrt(var + eps) * (dy - dbias / M - xhat * dscale / M)
Status lowerBatchNormGrad(LowerCtx &c) {
  const HTensor &x = c.in(0), &scale = c.in(1), &dy = c.in(2);
  double eps = c.node.getFloat("epsilon");
  Type t = workType(x.type);
  ChannelMean s = channelMean(x, c.target);
  Var ch("c");
  Expr count = cast(Float(64), s.count);
  // The variance and the two sums in one pass over x and dy, in double like
  // the statistics: sum (x - mean)^2, sum dy, sum dy * (x - mean).
  Func sums = channelSums(x, c.target, "bng_sums", [&](const std::vector<Expr> &i) {
    Expr d = s.dev(x, i), g = cast(Float(64), dy(i));
    return std::vector<Expr>{d * d, g, g * d};
  });
  Func inv("bng_inv");
  inv(ch) = 1 / sqrt(sums(ch)[0] / count + f64(eps));
  computeOnce(inv);
  Expr dbias = sums(ch)[1], dscale = inv(ch) * sums(ch)[2];
  // dx = k1 * dy - k2 * (x - mean) - k3 per channel.
  Func k("bng_coef");
  Expr k1 = cast(Float(64), scale({Expr(ch)})) * inv(ch);
  k(ch) = Tuple(cast(t, k1), cast(t, k1 * inv(ch) * dscale / count),
                cast(t, k1 * dbias / count), cast(t, s.mean(ch)));
  computeOnce(k);

  std::vector<Var> vars = irVars(x.rank());
  FuncRef kc = k(vars[1]);
  Expr dx = kc[0] * widen(dy(vars)) - kc[1] * (widen(x(vars)) - kc[3]) - kc[2];
  define(c.outs[0], vars, cast(c.outs[0].type, dx));
  define(c.outs[1], {ch}, cast(c.outs[1].type, dscale));
  define(c.outs[2], {ch}, cast(c.outs[2].type, dbias));
  c.outVars = {vars, {ch}, {ch}};
  return Status::ok();
}

namespace {

Expr u64(uint64_t v) { return make_const(UInt(64), v); }

// The splitmix64 finalizer, on uint64 (Halide's unsigned arithmetic wraps).
Expr mix64(Expr z) {
  z = (z ^ (z >> 30)) * u64(0xBF58476D1CE4E5B9ull);
  z = (z ^ (z >> 27)) * u64(0x94D049BB133111EBull);
  return z ^ (z >> 31);
}

} // namespace

// Inverted dropout with the reference's generator, bit for bit: element i is
// kept iff u_i = (z_i >> 11) * 2^-53 >= ratio, where
//   z_i = mix64(seed * 0x9E3779B97F4A7C15 + (i + 1) * 0xBF58476D1CE4E5B9)
// and, with a step input, seed = mix64(seed ^ mix64((step + 1) * 0x9E3779B97F4A7C15)).
// u_i * 2^53 is an integer below 2^53, so the test is exact in integers:
// z_i >> 11 >= ceil(ratio * 2^53).
Status lowerDropout(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0);
  HTensor &y = c.outs[0];
  std::vector<Var> vars = irVars(x.rank());
  double ratio = n.getFloat("ratio");
  c.outVars = {vars};
  if (c.outs.size() > 1)
    c.outVars.push_back(vars);
  if (!n.getInt("training") || ratio <= 0) {
    define(y, vars, x(vars));
    if (c.outs.size() > 1)
      define(c.outs[1], vars, cast(UInt(8), 1));
    return Status::ok();
  }
  if (!x.type.is_float())
    return c.error("training dropout expects a floating-point input");
  const Expr golden = u64(0x9E3779B97F4A7C15ull);
  Expr seed = u64(static_cast<uint64_t>(n.getInt("seed")));
  if (c.hasIn(1)) {
    Expr step = cast(UInt(64), c.in(1)(std::vector<Expr>{}));
    seed = mix64(seed ^ mix64((step + 1) * golden));
  }
  // The row-major flat index of the element.
  Expr i = cast(UInt(64), 0);
  for (size_t a = 0; a < x.rank(); ++a)
    i = i * cast(UInt(64), x.extents[a]) + cast(UInt(64), vars[a]);
  Expr z = mix64(seed * golden + (i + 1) * u64(0xBF58476D1CE4E5B9ull));
  uint64_t threshold = static_cast<uint64_t>(std::ceil(std::ldexp(ratio, 53)));
  Expr keep = (z >> 11) >= u64(threshold);
  Type t = workType(x.type);
  Expr scale = cast(t, f64(1.0 / (1.0 - ratio)));
  define(y, vars, cast(y.type, select(keep, widen(x(vars)) * scale, cast(t, 0))));
  if (c.outs.size() > 1)
    define(c.outs[1], vars, cast(UInt(8), keep));
  return Status::ok();
}

// Softmax = exp(x - max) / sum exp(x - max) and LogSoftmax = x - max -
// log(sum exp(x - max)) along `axis`: subtracting the row maximum keeps exp
// from overflowing. The maximum and the sum (working type) are per row,
// computed once.
Status lowerSoftmax(LowerCtx &c) {
  const HTensor &x = c.in(0);
  HTensor &out = c.outs[0];
  size_t axis = normAxis(c.node.getInt("axis"), x.rank());
  Type t = workType(x.type);
  std::vector<Var> vars = irVars(x.rank());
  // Row functions take every variable but the axis.
  std::vector<Expr> row, at(vars.begin(), vars.end());
  for (size_t a = 0; a < vars.size(); ++a)
    if (a != axis)
      row.push_back(vars[a]);
  RDom r(0, x.extents[axis]);
  at[axis] = r;
  Func mx("softmax_max"), sm("softmax_sum");
  std::vector<Expr> hr = hargs(row);
  mx(hr) = cast(t, -INFINITY);
  Expr v = widen(x(at)), m = mx(hr);
  mx(hr) = max(m, v);
  computeOnce(mx);
  sm(hr) = cast(t, 0);
  sm(hr) += exp(v - mx(hr));
  computeOnce(sm);
  Expr xv = widen(x(vars)) - mx(hr);
  Expr y = c.node.op == OpKind::LogSoftmax ? xv - log(sm(hr)) : exp(xv) / sm(hr);
  define(out, vars, cast(out.type, y));
  c.outVars = {vars};
  return Status::ok();
}

} // namespace dlc::codegen
