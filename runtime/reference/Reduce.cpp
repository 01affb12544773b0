// Reference kernels for reductions (ReduceSum/Mean/Prod/Max/Min over `axes`)
// and arg-reductions (ArgMax/ArgMin over one axis).
//
// Float sums and products accumulate in double; integers in wrapping int64
// (ReduceMean of integers truncates toward zero). Max and min propagate NaN as
// numpy and PyTorch do; ArgMax/ArgMin treat NaN as the extreme value, so the
// first (or with select_last_index the last) NaN wins, as in numpy.
#include "runtime/reference/Kernels.h"

#include <cmath>
#include <limits>

namespace dlc::ref {

namespace {

template <typename E>
void reduce(OpKind op, const Tensor &xt, Tensor &yt, const std::vector<bool> &red) {
  const Shape &s = xt.shape();
  // Output offsets of the input elements: the kept-dims layout, with stride 0
  // on the reduced axes.
  Shape kept = s;
  for (size_t i = 0; i < s.size(); ++i)
    if (red[i])
      kept[i] = 1;
  Shape st = stridesOf(kept);
  for (size_t i = 0; i < s.size(); ++i)
    if (red[i])
      st[i] = 0;
  std::vector<E> x = load<E>(xt);
  E init = 0;
  constexpr bool isFloat = std::is_floating_point_v<E>;
  switch (op) {
  case OpKind::ReduceProd: init = 1; break;
  case OpKind::ReduceMax:
    init = isFloat ? -std::numeric_limits<E>::infinity()
                   : std::numeric_limits<E>::lowest();
    break;
  case OpKind::ReduceMin:
    init = isFloat ? std::numeric_limits<E>::infinity()
                   : std::numeric_limits<E>::max();
    break;
  default: break;
  }
  std::vector<E> y(yt.numel(), init);
  auto isNaN = [](E v) {
    if constexpr (isFloat)
      return std::isnan(v);
    else
      return (void)v, false;
  };
  forEachIndex<1>(s, {st}, [&](int64_t i, const int64_t *off) {
    E &acc = y[off[0]];
    E v = x[i];
    switch (op) {
    case OpKind::ReduceSum:
    case OpKind::ReduceMean:
      if constexpr (isFloat)
        acc += v;
      else
        acc = wrapAdd(acc, v);
      break;
    case OpKind::ReduceProd:
      if constexpr (isFloat)
        acc *= v;
      else
        acc = wrapMul(acc, v);
      break;
    case OpKind::ReduceMax:
      acc = isNaN(acc) || isNaN(v) ? (isNaN(acc) ? acc : v) : std::max(acc, v);
      break;
    case OpKind::ReduceMin:
      acc = isNaN(acc) || isNaN(v) ? (isNaN(acc) ? acc : v) : std::min(acc, v);
      break;
    default: break;
    }
  });
  if (op == OpKind::ReduceMean && !y.empty()) {
    int64_t count = xt.numel() / static_cast<int64_t>(y.size());
    for (E &v : y) {
      if constexpr (isFloat)
        v /= static_cast<E>(count); // 0/0 is NaN, as numpy's mean of nothing
      else
        v = count ? v / count : 0;
    }
  }
  store(y, yt);
}

} // namespace

Status runReduce(KernelArgs &a) {
  const Tensor &x = a.in(0);
  size_t rank = x.shape().size();
  std::vector<bool> red(rank, false);
  const std::vector<int64_t> &axes = a.node.getInts("axes");
  for (int64_t ax : axes)
    red[ax < 0 ? ax + static_cast<int64_t>(rank) : ax] = true;
  if (axes.empty())
    red.assign(rank, true);
  if (dlrt::isFloat(x.dtype()))
    reduce<double>(a.node.op, x, a.outs[0], red);
  else
    reduce<int64_t>(a.node.op, x, a.outs[0], red);
  return Status::ok();
}

namespace {

template <typename E>
Status argReduce(bool isMax, bool last, const Tensor &xt, Tensor &yt,
                 int64_t axis) {
  const Shape &s = xt.shape();
  int64_t outer = numElements(Shape(s.begin(), s.begin() + axis));
  int64_t len = s.empty() ? 1 : s[axis];
  int64_t inner = s.empty() ? 1 : numElements(Shape(s.begin() + axis + 1, s.end()));
  if (len == 0 && outer * inner > 0)
    return Error("cannot take the index of an extreme over an empty axis");
  std::vector<E> x = load<E>(xt);
  int64_t *y = yt.data<int64_t>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const E *p = &x[o * len * inner + i];
      int64_t best = 0;
      for (int64_t k = 1; k < len; ++k) {
        E v = p[k * inner], b = p[best * inner];
        bool better;
        if constexpr (std::is_floating_point_v<E>) {
          if (std::isnan(b))
            better = last && std::isnan(v);
          else if (std::isnan(v))
            better = true;
          else
            better = isMax ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
        } else {
          better = isMax ? (last ? v >= b : v > b) : (last ? v <= b : v < b);
        }
        if (better)
          best = k;
      }
      y[o * inner + i] = best;
    }
  return Status::ok();
}

} // namespace

Status runArgReduce(KernelArgs &a) {
  const Tensor &x = a.in(0);
  int64_t axis = a.node.getInt("axis");
  if (axis < 0)
    axis += x.rank();
  bool isMax = a.node.op == OpKind::ArgMax;
  bool last = a.node.getInt("select_last_index");
  if (dlrt::isFloat(x.dtype()))
    return argReduce<double>(isMax, last, x, a.outs[0], axis);
  return argReduce<int64_t>(isMax, last, x, a.outs[0], axis);
}

} // namespace dlc::ref
