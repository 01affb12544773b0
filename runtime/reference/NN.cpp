// Reference kernels for the neural-network layers: Conv, ConvTranspose,
// MaxPool / AveragePool, BatchNorm, Dropout, Softmax / LogSoftmax and MatMul.
//
// Windowed ops handle 1, 2 and 3 spatial axes by treating the missing leading
// axes as extent 1, so there is a single loop nest per op. Sums accumulate in
// double (floats) or wrapping int64 (integers) and round once on store.
// Conventions follow ONNX and PyTorch: pads are [begins..., ends...], a
// padded position never contributes to a max, and a pooling window may hang
// over the end only in ceil_mode (the output shape is shape inference's).
#include "runtime/reference/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

namespace dlc::ref {

namespace {

constexpr size_t kMaxSpatial = 3;

// Multiply-accumulate in the working type.
inline double mac(double acc, double x, double w) { return acc + x * w; }
inline int64_t mac(int64_t acc, int64_t x, int64_t w) {
  return wrapAdd(acc, wrapMul(x, w));
}

std::vector<int64_t> intsOr(const Node &n, const char *name, size_t len,
                            int64_t dflt) {
  std::vector<int64_t> v;
  if (findAttrSpec(n.op, name))
    v = n.getInts(name);
  if (v.empty())
    v.assign(len, dflt);
  return v;
}

} // namespace

Expected<Window3> window3(const Node &n, const Shape &in, const Shape &out,
                          const std::vector<int64_t> &kernel) {
  size_t r = in.size() - 2;
  if (r > kMaxSpatial)
    return Error("more than 3 spatial axes are not supported");
  std::vector<int64_t> s = intsOr(n, "strides", r, 1),
                       d = intsOr(n, "dilations", r, 1),
                       p = intsOr(n, "pads", 2 * r, 0);
  Window3 w;
  size_t off = kMaxSpatial - r;
  for (size_t i = 0; i < kMaxSpatial; ++i) {
    bool real = i >= off;
    size_t j = i - off;
    w.in[i] = real ? in[2 + j] : 1;
    w.out[i] = real ? out[2 + j] : 1;
    w.k[i] = real ? kernel[j] : 1;
    w.s[i] = real ? s[j] : 1;
    w.d[i] = real ? d[j] : 1;
    w.pb[i] = real ? p[j] : 0;
    w.pe[i] = real ? p[j + r] : 0;
  }
  return w;
}

int64_t avgPoolCount(const Window3 &w, const int64_t base[3],
                     const int64_t lo[3], const int64_t hi[3], bool countPad) {
  int64_t count = 1;
  for (int i = 0; i < 3; ++i) {
    if (countPad) {
      int64_t end = std::min(base[i] + (w.k[i] - 1) * w.d[i] + 1, w.in[i] + w.pe[i]);
      count *= end - base[i];
    } else {
      count *= hi[i] - lo[i];
    }
  }
  return count;
}

namespace {

template <typename E>
void conv(const Tensor &xt, const Tensor &wt, const Tensor *bt, Tensor &yt,
          const Window3 &w, int64_t group) {
  std::vector<E> x = load<E>(xt), wv = load<E>(wt), y(yt.numel());
  std::vector<E> bias = bt ? load<E>(*bt) : std::vector<E>();
  int64_t N = xt.shape()[0], C = xt.shape()[1], O = yt.shape()[1];
  int64_t Cg = C / group, Og = O / group;
  int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
  int64_t kVol = w.k[0] * w.k[1] * w.k[2];
  int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t oc = 0; oc < O; ++oc) {
      int64_t g = oc / Og;
      E *yp = &y[(n * O + oc) * outPlane];
      for (int64_t od = 0; od < w.out[0]; ++od) {
        int64_t bd = od * w.s[0] - w.pb[0], dLo, dHi;
        tapRange(bd, w.d[0], w.k[0], w.in[0], dLo, dHi);
        for (int64_t oh = 0; oh < w.out[1]; ++oh) {
          int64_t bh = oh * w.s[1] - w.pb[1], hLo, hHi;
          tapRange(bh, w.d[1], w.k[1], w.in[1], hLo, hHi);
          for (int64_t ow = 0; ow < w.out[2]; ++ow) {
            int64_t bw = ow * w.s[2] - w.pb[2], wLo, wHi;
            tapRange(bw, w.d[2], w.k[2], w.in[2], wLo, wHi);
            E acc = bt ? bias[oc] : E(0);
            for (int64_t ic = 0; ic < Cg; ++ic) {
              const E *xp = &x[(n * C + g * Cg + ic) * inPlane];
              const E *wp = &wv[(oc * Cg + ic) * kVol];
              for (int64_t kd = dLo; kd < dHi; ++kd)
                for (int64_t kh = hLo; kh < hHi; ++kh) {
                  const E *xr = xp + ((bd + kd * w.d[0]) * w.in[1] +
                                      bh + kh * w.d[1]) * w.in[2] + bw;
                  const E *wr = wp + (kd * w.k[1] + kh) * w.k[2];
                  for (int64_t kw = wLo; kw < wHi; ++kw)
                    acc = mac(acc, xr[kw * w.d[2]], wr[kw]);
                }
            }
            yp[(od * w.out[1] + oh) * w.out[2] + ow] = acc;
          }
        }
      }
    }
  store(y, yt);
}

} // namespace

Status runConv(KernelArgs &a) {
  const Tensor &x = a.in(0), &w = a.in(1);
  Tensor &y = a.outs[0];
  if (x.dtype() == DType::Bool)
    return Error("does not take bool operands");
  DLC_TRY(win, window3(a.node, x.shape(), y.shape(),
                       Shape(w.shape().begin() + 2, w.shape().end())));
  const Tensor *b = a.hasIn(2) ? &a.in(2) : nullptr;
  int64_t group = a.node.getInt("group");
  if (dlrt::isFloat(x.dtype()))
    conv<double>(x, w, b, y, win, group);
  else
    conv<int64_t>(x, w, b, y, win, group);
  return Status::ok();
}

namespace {

// Scatter form: every input element adds x * w into the outputs its taps
// reach, out = in * stride - pad_begin + k * dilation.
template <typename E>
void convTranspose(const Tensor &xt, const Tensor &wt, const Tensor *bt,
                   Tensor &yt, const Window3 &w, int64_t group) {
  std::vector<E> x = load<E>(xt), wv = load<E>(wt), y(yt.numel(), E(0));
  int64_t N = xt.shape()[0], C = xt.shape()[1], O = yt.shape()[1];
  int64_t Cg = C / group, Og = O / group;
  int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
  int64_t kVol = w.k[0] * w.k[1] * w.k[2];
  int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      int64_t g = c / Cg;
      const E *xp = &x[(n * C + c) * inPlane];
      for (int64_t id = 0; id < w.in[0]; ++id)
        for (int64_t ih = 0; ih < w.in[1]; ++ih)
          for (int64_t iw = 0; iw < w.in[2]; ++iw) {
            E xv = xp[(id * w.in[1] + ih) * w.in[2] + iw];
            for (int64_t oc = 0; oc < Og; ++oc) {
              E *yp = &y[(n * O + g * Og + oc) * outPlane];
              const E *wp = &wv[(c * Og + oc) * kVol];
              for (int64_t kd = 0; kd < w.k[0]; ++kd) {
                int64_t od = id * w.s[0] - w.pb[0] + kd * w.d[0];
                if (od < 0 || od >= w.out[0])
                  continue;
                for (int64_t kh = 0; kh < w.k[1]; ++kh) {
                  int64_t oh = ih * w.s[1] - w.pb[1] + kh * w.d[1];
                  if (oh < 0 || oh >= w.out[1])
                    continue;
                  for (int64_t kw = 0; kw < w.k[2]; ++kw) {
                    int64_t ow = iw * w.s[2] - w.pb[2] + kw * w.d[2];
                    if (ow < 0 || ow >= w.out[2])
                      continue;
                    E &acc = yp[(od * w.out[1] + oh) * w.out[2] + ow];
                    acc = mac(acc, xv, wp[(kd * w.k[1] + kh) * w.k[2] + kw]);
                  }
                }
              }
            }
          }
    }
  if (bt) {
    std::vector<E> bias = load<E>(*bt);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t oc = 0; oc < O; ++oc)
        for (int64_t i = 0; i < outPlane; ++i) {
          E &v = y[(n * O + oc) * outPlane + i];
          v = mac(v, bias[oc], E(1));
        }
  }
  store(y, yt);
}

} // namespace

Status runConvTranspose(KernelArgs &a) {
  const Tensor &x = a.in(0), &w = a.in(1);
  Tensor &y = a.outs[0];
  if (x.dtype() == DType::Bool)
    return Error("does not take bool operands");
  if (a.hasIn(2) && a.in(2).shape() != Shape{y.shape()[1]})
    return Error("bias must be [" + std::to_string(y.shape()[1]) + "], got " +
                 dlrt::shapeString(a.in(2).shape()));
  DLC_TRY(win, window3(a.node, x.shape(), y.shape(),
                       Shape(w.shape().begin() + 2, w.shape().end())));
  const Tensor *b = a.hasIn(2) ? &a.in(2) : nullptr;
  int64_t group = a.node.getInt("group");
  if (dlrt::isFloat(x.dtype()))
    convTranspose<double>(x, w, b, y, win, group);
  else
    convTranspose<int64_t>(x, w, b, y, win, group);
  return Status::ok();
}

namespace {

template <typename E> E lowest() {
  return std::is_floating_point_v<E> ? -std::numeric_limits<E>::infinity()
                                     : std::numeric_limits<E>::lowest();
}

template <typename E> bool isNaN(E v) {
  if constexpr (std::is_floating_point_v<E>)
    return std::isnan(v);
  else
    return false;
}

// One window per output element. Max: padded positions never win, NaN
// propagates. Average: the divisor counts the real elements, or with
// count_include_pad the positions inside the padded input (PyTorch: not the
// overhang a ceil_mode window has past the end padding).
template <typename E>
void pool(const Tensor &xt, Tensor &yt, const Window3 &w, bool isMax,
          bool countPad) {
  std::vector<E> x = load<E>(xt), y(yt.numel());
  int64_t planes = xt.shape()[0] * xt.shape()[1];
  int64_t inPlane = w.in[0] * w.in[1] * w.in[2];
  int64_t outPlane = w.out[0] * w.out[1] * w.out[2];
  for (int64_t p = 0; p < planes; ++p) {
    const E *xp = &x[p * inPlane];
    E *yp = &y[p * outPlane];
    for (int64_t od = 0; od < w.out[0]; ++od)
      for (int64_t oh = 0; oh < w.out[1]; ++oh)
        for (int64_t ow = 0; ow < w.out[2]; ++ow) {
          int64_t base[3] = {od * w.s[0] - w.pb[0], oh * w.s[1] - w.pb[1],
                             ow * w.s[2] - w.pb[2]};
          int64_t lo[3], hi[3];
          for (int i = 0; i < 3; ++i)
            tapRange(base[i], w.d[i], w.k[i], w.in[i], lo[i], hi[i]);
          E m = lowest<E>();
          double sum = 0;
          bool nan = false;
          for (int64_t kd = lo[0]; kd < hi[0]; ++kd)
            for (int64_t kh = lo[1]; kh < hi[1]; ++kh)
              for (int64_t kw = lo[2]; kw < hi[2]; ++kw) {
                E v = xp[((base[0] + kd * w.d[0]) * w.in[1] + base[1] +
                          kh * w.d[1]) * w.in[2] + base[2] + kw * w.d[2]];
                nan |= isNaN(v);
                m = v > m ? v : m;
                sum += static_cast<double>(v);
              }
          E &out = yp[(od * w.out[1] + oh) * w.out[2] + ow];
          if (isMax) {
            out = m;
            if constexpr (std::is_floating_point_v<E>)
              out = nan ? E(NAN) : m;
            continue;
          }
          int64_t count = avgPoolCount(w, base, lo, hi, countPad);
          out = static_cast<E>(sum / static_cast<double>(count));
        }
  }
  store(y, yt);
}

} // namespace

Status runPool(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &x = a.in(0);
  Tensor &y = a.outs[0];
  bool isMax = n.op == OpKind::MaxPool;
  if (!isMax && !dlrt::isFloat(x.dtype()))
    return Error("expects a floating-point input");
  if (x.dtype() == DType::Bool)
    return Error("does not take a bool input");
  DLC_TRY(win, window3(n, x.shape(), y.shape(), n.getInts("kernel_shape")));
  bool countPad = !isMax && n.getInt("count_include_pad");
  if (dlrt::isFloat(x.dtype()))
    pool<double>(x, y, win, isMax, countPad);
  else
    pool<int64_t>(x, y, win, isMax, countPad);
  return Status::ok();
}

void channelMoments(const std::vector<double> &x, int64_t N, int64_t C,
                    int64_t inner, int64_t c, double &mean, double &sqDev) {
  // Two passes: the mean, then the squared deviations from it.
  double s = 0;
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < inner; ++j)
      s += x[(i * C + c) * inner + j];
  mean = s / static_cast<double>(N * inner);
  sqDev = 0;
  for (int64_t i = 0; i < N; ++i)
    for (int64_t j = 0; j < inner; ++j) {
      double dlt = x[(i * C + c) * inner + j] - mean;
      sqDev += dlt * dlt;
    }
}

Status runBatchNorm(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &xt = a.in(0);
  if (!dlrt::isFloat(xt.dtype()))
    return Error("expects a floating-point input");
  std::vector<double> x = load<double>(xt), scale = load<double>(a.in(1)),
                      bias = load<double>(a.in(2)),
                      mean = load<double>(a.in(3)), var = load<double>(a.in(4));
  int64_t N = xt.shape()[0], C = xt.shape()[1];
  int64_t inner = numElements(Shape(xt.shape().begin() + 2, xt.shape().end()));
  double eps = n.getFloat("epsilon");
  bool training = n.getInt("training");
  int64_t count = N * inner;
  if (training && count < 2)
    return Error("training needs more than one value per channel, got " +
                 std::to_string(count));
  std::vector<double> y(x.size()), bMean(C), bVar(C);
  for (int64_t c = 0; c < C; ++c) {
    double mu = mean[c], v = var[c];
    if (training) {
      double q;
      channelMoments(x, N, C, inner, c, mu, q);
      v = q / count; // biased, for normalizing
      bMean[c] = mu;
      // The running estimate: unbiased (PyTorch) or biased (ONNX).
      bVar[c] = q / (n.getInt("unbiased") ? count - 1 : count);
    }
    double inv = 1.0 / std::sqrt(v + eps);
    for (int64_t i = 0; i < N; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        int64_t k = (i * C + c) * inner + j;
        y[k] = (x[k] - mu) * inv * scale[c] + bias[c];
      }
  }
  store(y, a.outs[0]);
  // running = (1 - momentum) * running + momentum * batch (PyTorch).
  double m = n.getFloat("momentum");
  if (a.outs.size() > 1) {
    std::vector<double> r(C);
    for (int64_t c = 0; c < C; ++c)
      r[c] = (1 - m) * mean[c] + m * bMean[c];
    store(r, a.outs[1]);
  }
  if (a.outs.size() > 2) {
    std::vector<double> r(C);
    for (int64_t c = 0; c < C; ++c)
      r[c] = (1 - m) * var[c] + m * bVar[c];
    store(r, a.outs[2]);
  }
  return Status::ok();
}

// The splitmix64 finalizer: a bijection that scatters nearby inputs.
static uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// The dropout generator: splitmix64 of (seed, element index), so a mask
// depends only on the seed and the position and is the same on every run
// and machine. With a step input the seed is first mixed with the step, so
// each training step draws its own mask (and a step's mask is reproducible).
static double dropoutUniform(uint64_t seed, uint64_t i) {
  uint64_t z = mix64(seed * 0x9E3779B97F4A7C15ull + (i + 1) * 0xBF58476D1CE4E5B9ull);
  return static_cast<double>(z >> 11) * 0x1.0p-53; // [0, 1)
}

static uint64_t dropoutSeed(uint64_t seed, uint64_t step) {
  return mix64(seed ^ mix64((step + 1) * 0x9E3779B97F4A7C15ull));
}

Status runDropout(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &xt = a.in(0);
  Tensor &yt = a.outs[0];
  double ratio = n.getFloat("ratio");
  bool drop = n.getInt("training") && ratio > 0;
  int64_t count = xt.numel();
  uint8_t *mask = a.outs.size() > 1 ? a.outs[1].data<uint8_t>() : nullptr;
  if (!drop) {
    if (count)
      std::memcpy(yt.raw(), xt.raw(), xt.byteSize());
    if (mask)
      std::fill(mask, mask + count, uint8_t(1));
    return Status::ok();
  }
  if (!dlrt::isFloat(xt.dtype()))
    return Error("training dropout expects a floating-point input");
  std::vector<double> x = load<double>(xt);
  double scale = 1.0 / (1.0 - ratio);
  uint64_t seed = static_cast<uint64_t>(n.getInt("seed"));
  if (a.hasIn(1))
    seed = dropoutSeed(seed, static_cast<uint64_t>(a.in(1).data<int64_t>()[0]));
  for (int64_t i = 0; i < count; ++i) {
    bool keep = dropoutUniform(seed, static_cast<uint64_t>(i)) >= ratio;
    x[i] = keep ? x[i] * scale : 0.0;
    if (mask)
      mask[i] = keep;
  }
  store(x, yt);
  return Status::ok();
}

Status runSoftmax(KernelArgs &a) {
  const Tensor &xt = a.in(0);
  const Shape &s = xt.shape();
  int64_t rank = static_cast<int64_t>(s.size());
  int64_t axis = a.node.getInt("axis");
  if (axis < 0)
    axis += rank;
  bool isLog = a.node.op == OpKind::LogSoftmax;
  std::vector<double> x = load<double>(xt);
  int64_t outer = numElements(Shape(s.begin(), s.begin() + axis));
  int64_t len = rank ? s[axis] : 1;
  int64_t inner = rank ? numElements(Shape(s.begin() + axis + 1, s.end())) : 1;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double *p = &x[o * len * inner + i];
      double m = -INFINITY;
      for (int64_t k = 0; k < len; ++k)
        m = std::isnan(p[k * inner]) || p[k * inner] > m ? p[k * inner] : m;
      double sum = 0;
      for (int64_t k = 0; k < len; ++k)
        sum += std::exp(p[k * inner] - m);
      double logSum = std::log(sum);
      for (int64_t k = 0; k < len; ++k) {
        double &v = p[k * inner];
        v = isLog ? v - m - logSum : std::exp(v - m) / sum;
      }
    }
  store(x, a.outs[0]);
  return Status::ok();
}

namespace {

// C[b] = op(A)[b] x op(B)[b] per broadcast batch index b. `aT`/`bT` say the
// stored matrices are transposed ([K, M] / [N, K]).
template <typename E>
void matmul(const Tensor &at, const Tensor &bt, Tensor &ct, const Shape &aBatch,
            const Shape &bBatch, const Shape &cBatch, int64_t M, int64_t K,
            int64_t N, bool aT, bool bT) {
  std::vector<E> A = load<E>(at), B = load<E>(bt), C(ct.numel());
  std::vector<Shape> strides{broadcastStrides(aBatch, cBatch),
                             broadcastStrides(bBatch, cBatch)};
  int64_t aRow = aT ? 1 : K, aCol = aT ? M : 1; // element (m, k)
  int64_t bRow = bT ? 1 : N, bCol = bT ? K : 1; // element (k, n)
  forEachIndex<2>(cBatch, strides, [&](int64_t c, const int64_t *off) {
    const E *pa = &A[off[0] * M * K];
    const E *pb = &B[off[1] * K * N];
    E *pc = &C[c * M * N];
    for (int64_t m = 0; m < M; ++m)
      for (int64_t n = 0; n < N; ++n) {
        E acc = 0;
        for (int64_t k = 0; k < K; ++k)
          acc = mac(acc, pa[m * aRow + k * aCol], pb[k * bRow + n * bCol]);
        pc[m * N + n] = acc;
      }
  });
  store(C, ct);
}

} // namespace

Status runMatMul(KernelArgs &a) {
  const Tensor &at = a.in(0), &bt = a.in(1);
  if (at.dtype() == DType::Bool)
    return Error("does not take bool operands");
  Shape as = at.shape(), bs = bt.shape();
  bool aT = a.node.getInt("transA") && as.size() >= 2;
  bool bT = a.node.getInt("transB") && bs.size() >= 2;
  // A vector operand is a [1, K] row or a [K, 1] column.
  if (as.size() == 1)
    as.insert(as.begin(), 1);
  if (bs.size() == 1)
    bs.push_back(1);
  size_t ra = as.size(), rb = bs.size();
  int64_t M = aT ? as[ra - 1] : as[ra - 2], K = aT ? as[ra - 2] : as[ra - 1];
  int64_t N = bT ? bs[rb - 2] : bs[rb - 1];
  Shape aBatch(as.begin(), as.end() - 2), bBatch(bs.begin(), bs.end() - 2);
  Shape cBatch(std::max(aBatch.size(), bBatch.size()), 1);
  for (size_t i = 0; i < cBatch.size(); ++i) {
    size_t fromEnd = cBatch.size() - i;
    int64_t da = fromEnd <= aBatch.size() ? aBatch[aBatch.size() - fromEnd] : 1;
    int64_t db = fromEnd <= bBatch.size() ? bBatch[bBatch.size() - fromEnd] : 1;
    cBatch[i] = da == 1 ? db : da;
  }
  if (numElements(cBatch) * M * N != a.outs[0].numel())
    return Error("output shape does not match the operands");
  if (dlrt::isFloat(at.dtype()))
    matmul<double>(at, bt, a.outs[0], aBatch, bBatch, cBatch, M, K, N, aT, bT);
  else
    matmul<int64_t>(at, bt, a.outs[0], aBatch, bBatch, cBatch, M, K, N, aT, bT);
  return Status::ok();
}

} // namespace dlc::ref
