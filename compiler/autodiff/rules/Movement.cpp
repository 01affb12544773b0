// Gradient rules of the data-movement ops: each moves the adjoint back to
// where the forward op took its data from. Cells the forward op read several
// times (Expand, Tile, Gather, the border of a reflect/edge/wrap Pad) get the
// sum of their copies' adjoints; cells it never read get 0.
#include "autodiff/GradContext.h"

#include <algorithm>

namespace dlc {

// reshape is a relabelling: dx = reshape(dy, shape(x))
void gradReshape(GradContext &c) { c.setGrad(0, c.reshape(c.dy(0), c.x(0)->type.dims)); }

// y = transpose(x, perm), y[i] = x[i permuted back]
// dx = transpose(dy, inverse(perm)), inverse[perm[k]] = k   (an empty perm
// reverses the axes and is its own inverse)
void gradTranspose(GradContext &c) {
  const std::vector<int64_t> &perm = c.node().getInts("perm");
  std::vector<int64_t> inverse(perm.size());
  for (size_t k = 0; k < perm.size(); ++k)
    inverse[perm[k]] = static_cast<int64_t>(k);
  c.setGrad(0, c.op(OpKind::Transpose, {c.dy(0)}, {{"perm", Attr::ofInts(inverse)}}));
}

// y = expand(x): d/dx is the sum over the broadcast copies: dx = sumTo(dy)
void gradExpand(GradContext &c) { c.setGrad(0, c.sumTo(c.dy(0), c.x(0)->type)); }

// y = tile(x, r), y[k d + i] = x[i] on each axis of extent d tiled r times.
// dx[i] = sum_k dy[k d + i]: view dy as [r, d] on each tiled axis and sum the
// r copies away. Zero repeats leave dy empty and dx 0.
void gradTile(GradContext &c) {
  const TensorType &x = c.x(0)->type;
  const std::vector<int64_t> &repeats = c.node().getInts("repeats");
  Dims split;
  std::vector<int64_t> copyAxes;
  for (size_t i = 0; i < x.rank(); ++i) {
    if (repeats[i] == 0)
      return c.setGrad(0, c.zerosLike(c.x(0)));
    if (repeats[i] != 1) {
      copyAxes.push_back(static_cast<int64_t>(split.size()));
      split.push_back(Dim(repeats[i]));
    }
    split.push_back(x.dims[i]);
  }
  if (copyAxes.empty())
    return c.setGrad(0, c.dy(0));
  c.setGrad(0, c.op(OpKind::ReduceSum, {c.reshape(c.dy(0), split)},
                    {{"axes", Attr::ofInts(copyAxes)}, {"keepdims", Attr::ofInt(0)}}));
}

// y = concat(x_0, ..., x_n) along axis: y is the x_k side by side, so
// dx_k = dy[..., o_k : o_k + d_k, ...] with o_k the extents before x_k.
void gradConcat(GradContext &c) {
  const Node &n = c.node();
  int64_t axis = n.getInt("axis"), offset = 0;
  if (axis < 0)
    axis += static_cast<int64_t>(c.y(0)->type.rank());
  for (size_t k = 0; k < n.inputs.size(); ++k) {
    int64_t extent = c.x(k)->type.dims[axis].value; // static: Concat checks
    if (c.needs(k))
      c.setGrad(k, c.op(OpKind::Slice, {c.dy(0)},
                        {{"starts", Attr::ofInts({offset})},
                         {"ends", Attr::ofInts({offset + extent})},
                         {"axes", Attr::ofInts({axis})}}));
    offset += extent;
  }
}

// (y_0, ..., y_n) = split(x) along axis: the y_k side by side are x, so
// dx = concat(dy_0, ..., dy_n), zeros for outputs no gradient reached.
void gradSplit(GradContext &c) {
  std::vector<Value *> parts;
  for (size_t k = 0; k < c.node().outputs.size(); ++k)
    parts.push_back(c.dy(k) ? c.dy(k) : c.zerosLike(c.y(k)));
  c.setGrad(0, c.op(OpKind::Concat, parts, {{"axis", c.node().attr("axis")}}));
}

// y = slice(x): on each sliced axis y[k] = x[s + k t] (start s and step t
// normalized and clamped as shape inference does). dx is dy put back at those
// cells and 0 elsewhere, built axis by axis from core ops:
//   t < 0:  reverse dy on the axis (a step -1 slice); the cells are then
//           x[lo + k |t|] in increasing k, lo = s + (n - 1) t
//   |t| > 1: interleave |t| - 1 zeros after each element: reshape [n] ->
//           [n, 1], pad to [n, |t|], reshape to [n |t|]
// and finally one zero Pad puts every axis at its offset lo (its end pad may
// be negative: it drops the zeros interleaved after the last element).
void gradSlice(GradContext &c) {
  const Node &n = c.node();
  const TensorType &x = c.x(0)->type, &y = c.y(0)->type;
  if (y.isStatic() && dimProduct(y.dims).factor == 0)
    return c.setGrad(0, c.zerosLike(c.x(0)));
  std::vector<int64_t> starts = n.getInts("starts"), axes = n.getInts("axes"),
                       steps = n.getInts("steps");
  int64_t rank = static_cast<int64_t>(x.rank());
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  std::vector<int64_t> pads(2 * rank, 0);
  Value *g = c.dy(0);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (!x.dims[a].isStatic())
      continue; // the whole symbolic axis: nothing to move
    int64_t dim = x.dims[a].value, len = y.dims[a].value, s = starts[i], t = steps[i];
    s = s < 0 ? s + dim : s;
    s = t > 0 ? std::clamp<int64_t>(s, 0, dim) : std::clamp<int64_t>(s, 0, dim - 1);
    if (t < 0) {
      g = c.op(OpKind::Slice, {g},
               {{"starts", Attr::ofInts({-1})}, {"ends", Attr::ofInts({-len - 1})},
                {"axes", Attr::ofInts({a})}, {"steps", Attr::ofInts({-1})}});
      s += (len - 1) * t;
      t = -t;
    }
    if (t > 1) {
      Dims d = g->type.dims;
      d.insert(d.begin() + a + 1, Dim(1));
      std::vector<int64_t> gaps(2 * (rank + 1), 0);
      gaps[rank + 1 + a + 1] = t - 1;
      g = c.op(OpKind::Pad, {c.reshape(g, d)}, {{"pads", Attr::ofInts(gaps)}});
      d = g->type.dims;
      d[a] = Dim(len * t);
      d.erase(d.begin() + a + 1);
      g = c.reshape(g, d);
    }
    pads[a] = s;
    pads[rank + a] = dim - s - len * t;
  }
  bool moved = false;
  for (int64_t p : pads)
    moved |= p != 0;
  c.setGrad(0, moved ? c.op(OpKind::Pad, {g}, {{"pads", Attr::ofInts(pads)}}) : g);
}

// y = pad(x). constant: y holds x at offset pads_begin, so dx is that slice of
// dy; a negative (cropping) pad dropped x cells, whose gradient is 0: then
// dx = pad(dy, -pads) with zeros, which covers both. reflect, edge and wrap
// copy x cells into the border: PadGrad sums each dy cell back onto the x
// cell it was copied from.
void gradPad(GradContext &c) {
  const Node &n = c.node();
  const std::vector<int64_t> &pads = n.getInts("pads");
  int64_t rank = static_cast<int64_t>(c.x(0)->type.rank());
  if (n.getString("mode") != "constant")
    return c.setGrad(0, c.op(OpKind::PadGrad, {c.x(0), c.dy(0)},
                             {{"mode", n.attr("mode")}, {"pads", n.attr("pads")}}));
  bool crops = false;
  std::vector<int64_t> starts, ends, axes, negated;
  for (int64_t a = 0; a < rank; ++a) {
    crops |= pads[a] < 0 || pads[rank + a] < 0;
    if (pads[a] != 0 || pads[rank + a] != 0) {
      starts.push_back(pads[a]);
      ends.push_back(pads[a] + c.x(0)->type.dims[a].value); // static: padded
      axes.push_back(a);
    }
  }
  for (int64_t p : pads)
    negated.push_back(-p);
  if (axes.empty())
    return c.setGrad(0, c.dy(0));
  if (crops)
    return c.setGrad(0, c.op(OpKind::Pad, {c.dy(0)}, {{"pads", Attr::ofInts(negated)}}));
  c.setGrad(0, c.op(OpKind::Slice, {c.dy(0)},
                    {{"starts", Attr::ofInts(starts)}, {"ends", Attr::ofInts(ends)},
                     {"axes", Attr::ofInts(axes)}}));
}

// y = gather(x, indices) along axis: y reads x[..., indices[j], ...], so dx
// scatter-adds dy into zeros like x (repeated indices accumulate; negative
// ones count from the end). The indices (integers) have no gradient.
void gradGather(GradContext &c) {
  c.setGrad(0, c.op(OpKind::GatherGrad, {c.x(0), c.x(1), c.dy(0)},
                    {{"axis", c.node().attr("axis")}}));
}

} // namespace dlc
