// Reference kernels for data movement: Reshape, Expand, Transpose, Concat,
// Split, Slice, Pad, Tile, Gather. They move element bytes and never convert,
// so they are exact for every dtype.
//
// Slice, Pad and Tile are one gather-by-axis-maps: each output coordinate on
// an axis maps to an input coordinate (or to the pad value), from a table
// built once per axis.
#include "runtime/reference/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace dlc::ref {

namespace {

// out[o] = in[sum over axes of maps[a][o_a] * stride_a], or `fill` where some
// map entry is -1.
template <typename R>
void copyByAxisMaps(const R *in, const Shape &inShape, R *out,
                    const Shape &outShape, const std::vector<Shape> &maps,
                    R fill) {
  size_t rank = outShape.size();
  int64_t total = numElements(outShape);
  if (total == 0)
    return;
  Shape st = stridesOf(inShape);
  // Per axis, the element offset of each output coordinate (-1: padding).
  std::vector<Shape> offs(rank);
  for (size_t a = 0; a < rank; ++a) {
    offs[a].resize(outShape[a]);
    for (int64_t o = 0; o < outShape[a]; ++o)
      offs[a][o] = maps[a][o] < 0 ? -1 : maps[a][o] * st[a];
  }
  std::vector<int64_t> idx(rank, 0);
  for (int64_t o = 0; o < total; ++o) {
    int64_t off = 0;
    bool pad = false;
    for (size_t a = 0; a < rank; ++a) {
      int64_t v = offs[a][idx[a]];
      pad |= v < 0;
      off += v;
    }
    out[o] = pad ? fill : in[off];
    for (size_t a = rank; a-- > 0;) {
      if (++idx[a] < outShape[a])
        break;
      idx[a] = 0;
    }
  }
}

// Copies `in` to `out` with the input read under broadcast or permuted
// strides (one stride per output axis).
void copyStrided(const Tensor &in, Tensor &out, const Shape &strides) {
  withRaw(in.dtype(), [&](auto tag) {
    using R = decltype(tag);
    const R *pi = in.data<R>();
    R *po = out.data<R>();
    forEachIndex<1>(out.shape(), {strides},
                    [&](int64_t o, const int64_t *off) { po[o] = pi[off[0]]; });
    return 0;
  });
}

} // namespace

Status runReshape(KernelArgs &a) {
  const Tensor &x = a.in(0);
  if (x.numel() != a.outs[0].numel())
    return Error("cannot reshape " + dlrt::shapeString(x.shape()) + " to " +
                 dlrt::shapeString(a.outs[0].shape()));
  if (x.numel())
    std::memcpy(a.outs[0].raw(), x.raw(), x.byteSize());
  return Status::ok();
}

Status runExpand(KernelArgs &a) {
  copyStrided(a.in(0), a.outs[0],
              broadcastStrides(a.in(0).shape(), a.outs[0].shape()));
  return Status::ok();
}

Status runTranspose(KernelArgs &a) {
  const Tensor &x = a.in(0);
  std::vector<int64_t> perm = a.node.getInts("perm");
  if (perm.empty())
    for (int64_t i = x.rank(); i-- > 0;)
      perm.push_back(i);
  Shape own = stridesOf(x.shape()), st;
  for (int64_t p : perm)
    st.push_back(own[p]);
  copyStrided(x, a.outs[0], st);
  return Status::ok();
}

// Concat and Split: the tensors are [outer, axis extent * inner] matrices
// joined or cut along their columns.
Status runConcat(KernelArgs &a) {
  Tensor &y = a.outs[0];
  const Shape &ys = y.shape();
  int64_t axis = a.node.getInt("axis");
  if (axis < 0)
    axis += y.rank();
  int64_t outer = numElements(Shape(ys.begin(), ys.begin() + axis));
  size_t esize = dlrt::dtypeSize(y.dtype());
  int64_t yRow = numElements(Shape(ys.begin() + axis, ys.end())) * esize;
  int64_t col = 0;
  for (const Tensor *t : a.ins) {
    const Shape &s = t->shape();
    int64_t row = numElements(Shape(s.begin() + axis, s.end())) * esize;
    for (int64_t o = 0; o < outer && row; ++o)
      std::memcpy(static_cast<char *>(y.raw()) + o * yRow + col,
                  static_cast<const char *>(t->raw()) + o * row, row);
    col += row;
  }
  return Status::ok();
}

Status runSplit(KernelArgs &a) {
  const Tensor &x = a.in(0);
  const Shape &xs = x.shape();
  int64_t axis = a.node.getInt("axis");
  if (axis < 0)
    axis += x.rank();
  int64_t outer = numElements(Shape(xs.begin(), xs.begin() + axis));
  size_t esize = dlrt::dtypeSize(x.dtype());
  int64_t xRow = numElements(Shape(xs.begin() + axis, xs.end())) * esize;
  int64_t col = 0;
  for (Tensor &t : a.outs) {
    const Shape &s = t.shape();
    int64_t row = numElements(Shape(s.begin() + axis, s.end())) * esize;
    for (int64_t o = 0; o < outer && row; ++o)
      std::memcpy(static_cast<char *>(t.raw()) + o * row,
                  static_cast<const char *>(x.raw()) + o * xRow + col, row);
    col += row;
  }
  return Status::ok();
}

namespace {

Status gatherByMaps(const Tensor &x, Tensor &y, const std::vector<Shape> &maps,
                    const Tensor *fill) {
  withRaw(x.dtype(), [&](auto tag) {
    using R = decltype(tag);
    R f{};
    if (fill)
      f = fill->data<R>()[0];
    copyByAxisMaps(x.data<R>(), x.shape(), y.data<R>(), y.shape(), maps, f);
    return 0;
  });
  return Status::ok();
}

} // namespace

Status runSlice(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &x = a.in(0);
  Tensor &y = a.outs[0];
  std::vector<int64_t> starts = n.getInts("starts"), axes = n.getInts("axes"),
                       steps = n.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  // Unsliced axes map straight through.
  std::vector<Shape> maps(x.rank());
  for (int64_t i = 0; i < x.rank(); ++i) {
    maps[i].resize(y.shape()[i]);
    for (int64_t o = 0; o < y.shape()[i]; ++o)
      maps[i][o] = o;
  }
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t ax = axes[i] < 0 ? axes[i] + x.rank() : axes[i];
    if (y.shape()[ax] == 0)
      continue;
    int64_t dim = x.shape()[ax], s = starts[i], st = steps[i];
    s = s < 0 ? s + dim : s;
    // Same clamping as shape inference (ONNX): the output extent is known.
    s = st > 0 ? std::clamp<int64_t>(s, 0, dim) : std::clamp<int64_t>(s, 0, dim - 1);
    for (int64_t o = 0; o < y.shape()[ax]; ++o)
      maps[ax][o] = s + o * st;
  }
  return gatherByMaps(x, y, maps, nullptr);
}

Status runPad(KernelArgs &a) {
  const Node &n = a.node;
  const Tensor &x = a.in(0);
  Tensor &y = a.outs[0];
  const std::vector<int64_t> &pads = n.getInts("pads");
  const std::string &mode = n.getString("mode");
  int64_t rank = x.rank();
  std::vector<Shape> maps(rank);
  for (int64_t ax = 0; ax < rank; ++ax) {
    int64_t dim = x.shape()[ax], begin = pads[ax];
    maps[ax].resize(y.shape()[ax]);
    for (int64_t o = 0; o < y.shape()[ax]; ++o) {
      int64_t i = o - begin;
      if (i < 0 || i >= dim) {
        if (dim == 0 && mode != "constant")
          return Error("cannot pad an empty axis in " + mode + " mode");
        if (mode == "constant") {
          i = -1;
        } else if (mode == "edge") {
          i = i < 0 ? 0 : dim - 1;
        } else if (mode == "wrap") {
          i = ((i % dim) + dim) % dim;
        } else { // reflect, about the edge elements (not repeating them)
          int64_t period = 2 * (dim - 1);
          if (period == 0) {
            i = 0;
          } else {
            i = ((i % period) + period) % period;
            if (i >= dim)
              i = period - i;
          }
        }
      }
      maps[ax][o] = i;
    }
  }
  // The pad value, converted to the tensor's dtype like a one-element cast.
  Tensor fill(x.dtype(), {});
  double v = n.getFloat("value");
  if (dlrt::isFloat(x.dtype())) {
    store(std::vector<double>{v}, fill);
  } else {
    if (!(std::fabs(v) < 9.2e18))
      return Error("pad value " + std::to_string(v) + " does not fit " +
                   std::string(dlrt::dtypeName(x.dtype())));
    store(std::vector<int64_t>{static_cast<int64_t>(v)}, fill);
  }
  return gatherByMaps(x, y, maps, &fill);
}

Status runTile(KernelArgs &a) {
  const Tensor &x = a.in(0);
  Tensor &y = a.outs[0];
  std::vector<Shape> maps(x.rank());
  for (int64_t ax = 0; ax < x.rank(); ++ax) {
    maps[ax].resize(y.shape()[ax]);
    for (int64_t o = 0; o < y.shape()[ax]; ++o)
      maps[ax][o] = o % x.shape()[ax];
  }
  return gatherByMaps(x, y, maps, nullptr);
}

Status runGather(KernelArgs &a) {
  const Tensor &x = a.in(0), &idx = a.in(1);
  Tensor &y = a.outs[0];
  int64_t axis = a.node.getInt("axis");
  if (axis < 0)
    axis += x.rank();
  const Shape &xs = x.shape();
  int64_t outer = numElements(Shape(xs.begin(), xs.begin() + axis));
  int64_t len = xs[axis];
  size_t esize = dlrt::dtypeSize(x.dtype());
  int64_t row = numElements(Shape(xs.begin() + axis + 1, xs.end())) * esize;
  std::vector<int64_t> ids = load<int64_t>(idx);
  for (int64_t &k : ids) {
    if (k < -len || k >= len)
      return Error("index " + std::to_string(k) + " is out of range for axis " +
                   std::to_string(axis) + " of size " + std::to_string(len));
    if (k < 0)
      k += len; // negative indices count from the end
  }
  int64_t count = static_cast<int64_t>(ids.size());
  for (int64_t o = 0; o < outer && row; ++o)
    for (int64_t j = 0; j < count; ++j)
      std::memcpy(static_cast<char *>(y.raw()) + (o * count + j) * row,
                  static_cast<const char *>(x.raw()) + (o * len + ids[j]) * row,
                  row);
  return Status::ok();
}

} // namespace dlc::ref
