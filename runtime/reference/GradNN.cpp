// Reference kernels of the neural-network gradient ops: ConvGradWeight,
// MaxPoolGrad / AveragePoolGrad and BatchNormGrad (Ops.def, "Gradient ops").
//
// Each is the transpose of its forward kernel in NN.cpp, written with the same
// window geometry (Window3, tapRange, avgPoolCount from Kernels.h) so forward
// and backward agree on which input positions a window reads. Gradients are
// float-only; every sum accumulates in double and rounds once on store.
#include "runtime/reference/Kernels.h"

#include <cmath>

namespace dlc::ref {

namespace {

Status needFloat(const Tensor &t) {
  if (!dlrt::isFloat(t.dtype()))
    return Error("expects floating-point operands");
  return Status::ok();
}

// Calls f(offset) for each real tap of a window starting at `base` (taps
// [lo, hi) per axis), in row-major order; offset is into one input plane.
template <typename F>
void forEachTap(const Window3 &w, const int64_t base[3], const int64_t lo[3],
                const int64_t hi[3], F f) {
  for (int64_t kd = lo[0]; kd < hi[0]; ++kd)
    for (int64_t kh = lo[1]; kh < hi[1]; ++kh)
      for (int64_t kw = lo[2]; kw < hi[2]; ++kw)
        f(((base[0] + kd * w.d[0]) * w.in[1] + base[1] + kh * w.d[1]) * w.in[2] +
          base[2] + kw * w.d[2]);
}

} // namespace

// dw[o, c, k] = sum_{n, p} x[n, g*Cg + c, p*s - pb + k*d] * dy[n, o, p] with
// g = o / (O / group): the forward conv's loop nest with the roles of the
// output and the weight exchanged.
Status runConvGradWeight(KernelArgs &a) {
  const Tensor &xt = a.in(0), &dyt = a.in(1);
  Tensor &dwt = a.outs[0];
  DLC_CHECK(needFloat(xt));
  DLC_TRY(w, window3(a.node, xt.shape(), dyt.shape(),
                     Shape(dwt.shape().begin() + 2, dwt.shape().end())));
  std::vector<double> x = load<double>(xt), dy = load<double>(dyt),
                      dw(dwt.numel(), 0.0);
  int64_t group = a.node.getInt("group");
  int64_t N = xt.shape()[0], C = xt.shape()[1], O = dyt.shape()[1];
  int64_t Cg = C / group, Og = O / group;
  int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
  int64_t kVol = w.k[0] * w.k[1] * w.k[2];
  int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < O; ++oc) {
      int64_t g = oc / Og;
      const double *dyp = &dy[(n * O + oc) * outPlane];
      for (int64_t od = 0; od < w.out[0]; ++od) {
        int64_t bd = od * w.s[0] - w.pb[0], dLo, dHi;
        tapRange(bd, w.d[0], w.k[0], w.in[0], dLo, dHi);
        for (int64_t oh = 0; oh < w.out[1]; ++oh) {
          int64_t bh = oh * w.s[1] - w.pb[1], hLo, hHi;
          tapRange(bh, w.d[1], w.k[1], w.in[1], hLo, hHi);
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            int64_t bw = ow * w.s[2] - w.pb[2], wLo, wHi;
            tapRange(bw, w.d[2], w.k[2], w.in[2], wLo, wHi);
            double gy = dyp[(od * w.out[1] + oh) * w.out[2] + ow];
            for (int64_t ic = 0; ic < Cg; ++ic) {
              const double *xp = &x[(n * C + g * Cg + ic) * inPlane];
              double *dwp = &dw[(oc * Cg + ic) * kVol];
              for (int64_t kd = dLo; kd < dHi; ++kd)
                for (int64_t kh = hLo; kh < hHi; ++kh) {
                  const double *xr = xp + ((bd + kd * w.d[0]) * w.in[1] + bh +
                                           kh * w.d[1]) * w.in[2] + bw;
                  double *dwr = dwp + (kd * w.k[1] + kh) * w.k[2];
                  for (int64_t kw = wLo; kw < wHi; ++kw)
                    dwr[kw] += xr[kw * w.d[2]] * gy;
                }
            }
          }
        }
      }
    }
  store(dw, dwt);
  return Status::ok();
}

// MaxPoolGrad: each dy goes to its window's first maximum in row-major order
// (strictly greater replaces, as PyTorch; a NaN wins over numbers, the first
// NaN over later ones); padding is never a candidate. AveragePoolGrad: each
// dy spreads as dy / count over its window's real elements, count as the
// forward divisor. Overlapping windows accumulate.
Status runPoolGrad(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &xt = a.in(0), &dyt = a.in(1);
  DLC_CHECK(needFloat(xt));
  bool isMax = n.op == OpKind::MaxPoolGrad;
  DLC_TRY(w, window3(n, xt.shape(), dyt.shape(), n.getInts("kernel_shape")));
  bool countPad = !isMax && n.getInt("count_include_pad");
  std::vector<double> x = load<double>(xt), dy = load<double>(dyt),
                      dx(x.size(), 0.0);
  int64_t planes = xt.shape()[0] * xt.shape()[1];
  int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
  int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
  for (int64_t p = 0; p < planes; ++p) {
    const double *xp = &x[p * inPlane], *dyp = &dy[p * outPlane];
    double *dxp = &dx[p * inPlane];
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          int64_t base[3] = {od * w.s[0] - w.pb[0], oh * w.s[1] - w.pb[1],
                             ow * w.s[2] - w.pb[2]};
          int64_t lo[3], hi[3];
          for (int i = 0; i < 3; ++i)
            tapRange(base[i], w.d[i], w.k[i], w.in[i], lo[i], hi[i]);
          double gy = dyp[(od * w.out[1] + oh) * w.out[2] + ow];
          if (isMax) {
            int64_t arg = -1;
            forEachTap(w, base, lo, hi, [&](int64_t q) {
              double v = xp[q];
              if (arg < 0 || v > xp[arg] || (std::isnan(v) && !std::isnan(xp[arg])))
                arg = q;
            });
            if (arg >= 0)
              dxp[arg] += gy;
          } else {
            double share = gy / static_cast<double>(avgPoolCount(w, base, lo, hi, countPad));
            forEachTap(w, base, lo, hi, [&](int64_t q) { dxp[q] += share; });
          }
        }
  }
  store(dx, a.outs[0]);
  return Status::ok();
}

// With batch statistics over the M = N * spatial values of channel c,
// xhat = (x - mean) / sqrt(var + eps), y = scale * xhat + bias:
//   dbias  = sum dy
//   dscale = sum dy * xhat
//   dx     = scale / sqrt(var + eps) * (dy - dbias / M - xhat * dscale / M)
Status runBatchNormGrad(KernelArgs &a) {
  const Tensor &xt = a.in(0);
  DLC_CHECK(needFloat(xt));
  std::vector<double> x = load<double>(xt), scale = load<double>(a.in(1)),
                      dy = load<double>(a.in(2));
  int64_t N = xt.shape()[0], C = xt.shape()[1];
  int64_t inner = numElements(Shape(xt.shape().begin() + 2, xt.shape().end()));
  double count = static_cast<double>(N * inner);
  if (N * inner < 1)
    return Error("needs at least one value per channel");
  double eps = a.node.getFloat("epsilon");
  std::vector<double> dx(x.size()), dscale(C), dbias(C);
  for (int64_t c = 0; c < C; ++c) {
    double mean, sqDev;
    channelMoments(x, N, C, inner, c, mean, sqDev);
    double inv = 1.0 / std::sqrt(sqDev / count + eps);
    auto at = [&](int64_t i, int64_t j) { return (i * C + c) * inner + j; };
    double sdy = 0, sdyx = 0;
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        sdy += dy[at(i, j)];
        sdyx += dy[at(i, j)] * (x[at(i, j)] - mean) * inv;
      }
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        double xhat = (x[at(i, j)] - mean) * inv;
        dx[at(i, j)] =
            scale[c] * inv * (dy[at(i, j)] - sdy / count - xhat * sdyx / count);
      }
    dscale[c] = sdyx;
    dbias[c] = sdy;
  }
  store(dx, a.outs[0]);
  store(dscale, a.outs[1]);
  store(dbias, a.outs[2]);
  return Status::ok();
}

} // namespace dlc::ref
