// Halide lowering of data movement: Reshape, Expand, Transpose, Concat,
// Split, Slice, Pad, Tile, Gather, and the gradients PadGrad and GatherGrad.
//
// Every forward op is a gather: output index -> input index, per axis where
// the op allows (Slice, Pad, Tile, Transpose, Expand), through the flat offset
// for Reshape. Computed indices are clamped into the input so bounds inference
// stays inside the buffers; where a clamped read is not the value (Pad's
// constant border, Concat's other inputs) a select discards it. Values move
// without conversion, so every dtype is exact. The two gradients scatter-add
// dy through the forward op's index map (RDom updates), so forward and
// backward share one definition of every pad mode and of negative indices.
#include "codegen/ops/Helpers.h"

namespace dlc::codegen {

using namespace Halide;
using Internal::const_true;
using Internal::make_const;

namespace {

// Defines output `out` over `vars` as `value`.
Status finish(LowerCtx &c, size_t out, const std::vector<Var> &vars, Expr value) {
  define(c.outs[out], vars, value);
  if (c.outVars.size() <= out)
    c.outVars.resize(out + 1);
  c.outVars[out] = vars;
  return Status::ok();
}

} // namespace

// Reshape keeps the row-major order: an output element reads the input
// element at the same flat offset. Leading axes the two shapes share map
// straight through, so a batch axis N costs no division. (The runtime may
// treat Reshape as a view; this kernel is the copy.)
Status lowerReshape(LowerCtx &c) {
  const HTensor &x = c.in(0);
  HTensor &out = c.outs[0];
  const Dims &in = c.node.inputs[0]->type.dims, &od = c.node.outputs[0]->type.dims;
  std::vector<Var> vars = irVars(out.rank());
  size_t same = 0;
  while (same < in.size() && same < od.size() && in[same] == od[same])
    ++same;
  // The flat offset within the shared leading axes.
  Expr flat = 0;
  for (size_t a = same; a < out.rank(); ++a)
    flat = flat * out.extents[a] + vars[a];
  std::vector<Expr> idx(x.rank());
  for (size_t a = 0; a < same; ++a)
    idx[a] = vars[a];
  for (size_t a = x.rank(); a-- > same;) {
    idx[a] = a == same ? flat : flat % x.extents[a];
    idx[a] = clampIndex(idx[a], x.extents[a]);
    flat = flat / x.extents[a];
  }
  return finish(c, 0, vars, x(idx));
}

Status lowerExpand(LowerCtx &c) {
  std::vector<Var> vars = irVars(c.outs[0].rank());
  return finish(c, 0, vars, broadcastRead(c.in(0), vars, c.outs[0]));
}

Status lowerTranspose(LowerCtx &c) {
  const HTensor &x = c.in(0);
  std::vector<int64_t> perm = c.node.getInts("perm");
  if (perm.empty())
    for (size_t i = x.rank(); i-- > 0;)
      perm.push_back(static_cast<int64_t>(i));
  std::vector<Var> vars = irVars(x.rank());
  std::vector<Expr> idx(x.rank());
  for (size_t i = 0; i < perm.size(); ++i)
    idx[perm[i]] = vars[i];
  return finish(c, 0, vars, c.in(0)(idx));
}

// Concat: along the axis, input k covers [offset_k, offset_k + extent_k).
Status lowerConcat(LowerCtx &c) {
  HTensor &out = c.outs[0];
  size_t axis = normAxis(c.node.getInt("axis"), out.rank());
  std::vector<Var> vars = irVars(out.rank());
  if (c.ins.size() == 1) // the one case where the axis may be symbolic
    return finish(c, 0, vars, c.in(0)(vars));
  Expr value;
  int64_t offset = 0;
  for (size_t k = 0; k < c.ins.size(); ++k) {
    const HTensor &x = c.in(k);
    int64_t len = c.node.inputs[k]->type.dims[axis].value;
    if (len == 0)
      continue;
    std::vector<Expr> idx(vars.begin(), vars.end());
    idx[axis] = clampIndex(vars[axis] - int(offset), x.extents[axis]);
    value = value.defined() ? select(vars[axis] < int(offset), value, x(idx)) : x(idx);
    offset += len;
  }
  if (!value.defined()) // every input is empty along the axis
    value = cast(out.type, 0);
  return finish(c, 0, vars, value);
}

Status lowerSplit(LowerCtx &c) {
  const HTensor &x = c.in(0);
  size_t axis = normAxis(c.node.getInt("axis"), x.rank());
  int64_t offset = 0;
  for (size_t k = 0; k < c.outs.size(); ++k) {
    std::vector<Var> vars = irVars(x.rank());
    std::vector<Expr> idx(vars.begin(), vars.end());
    idx[axis] = vars[axis] + int(offset);
    offset += c.node.outputs[k]->type.dims[axis].value;
    DLC_CHECK(finish(c, k, vars, x(idx)));
  }
  return Status::ok();
}

// Slice: output o of a sliced axis reads start + o * step, with start
// clamped as shape inference clamps it (ONNX); other axes pass through.
Status lowerSlice(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0);
  std::vector<int64_t> starts = n.getInts("starts"), axes = n.getInts("axes"),
                       steps = n.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  std::vector<Var> vars = irVars(x.rank());
  std::vector<Expr> idx(vars.begin(), vars.end());
  for (size_t i = 0; i < starts.size(); ++i) {
    size_t a = normAxis(axes[i], x.rank());
    const Dim &d = n.inputs[0]->type.dims[a];
    if (!d.isStatic())
      continue; // the whole symbolic axis (shape inference allows nothing else)
    int64_t dim = d.value, s = starts[i] < 0 ? starts[i] + dim : starts[i];
    s = steps[i] > 0 ? std::clamp<int64_t>(s, 0, dim) : std::clamp<int64_t>(s, 0, dim - 1);
    idx[a] = clampIndex(int(s) + vars[a] * int(steps[i]), x.extents[a]);
  }
  return finish(c, 0, vars, x(idx));
}

namespace {

// Where output position o of a padded axis (dim > 0 elements, `begin` pad
// cells before them) reads: i = o - begin, brought back into [0, dim) by the
// mode. Returns whether the position is real (false only on a constant
// border, where the index is merely clamped).
Expr padIndex(const std::string &mode, Expr o, int64_t begin, int64_t dim, Expr &i) {
  i = o - int(begin);
  Expr inside = i >= 0 && i < int(dim);
  if (mode == "wrap") {
    i = i % int(dim); // Halide's % is Euclidean: never negative
  } else if (mode == "reflect") {
    // About the edge elements, not repeating them. Reflect pads are smaller
    // than the dim (shape inference), so one reflection at each end is all
    // (and Halide 14 crashes vectorizing the periodic form's `%`). The clamp
    // changes nothing but shows bounds inference the range.
    Expr j = select(i < 0, -i, i);
    i = clamp(select(j >= int(dim), int(2 * (dim - 1)) - j, j), 0, int(dim) - 1);
  } else {
    i = clamp(i, 0, int(dim) - 1); // edge; and constant, masked below
  }
  return mode == "constant" ? inside : const_true();
}

// The input index `idx` that output index `o` of a Pad (or PadGrad) node
// reads on every axis, and whether it is real; unpadded axes (possibly
// symbolic) map straight through.
Expr padIndices(const Node &n, const Dims &in, const std::vector<Expr> &o,
                std::vector<Expr> &idx) {
  const std::vector<int64_t> &pads = n.getInts("pads");
  size_t rank = in.size();
  Expr inside = const_true();
  idx = o;
  for (size_t a = 0; a < rank; ++a)
    if (pads[a] != 0 || pads[a + rank] != 0)
      inside = inside && padIndex(n.getString("mode"), o[a], pads[a], in[a].value, idx[a]);
  return inside;
}

bool padded(const Node &n, size_t a) {
  const std::vector<int64_t> &pads = n.getInts("pads");
  return pads[a] != 0 || pads[a + pads.size() / 2] != 0;
}

} // namespace

Status lowerPad(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0);
  std::vector<Var> vars = irVars(x.rank());
  std::vector<Expr> idx;
  Expr inside =
      padIndices(n, n.inputs[0]->type.dims, std::vector<Expr>(vars.begin(), vars.end()), idx);
  // The pad value converts like a one-element cast: floats round, integers
  // truncate and wrap, bool is value != 0.
  double v = n.getFloat("value");
  Expr fill = x.type.is_float() ? cast(x.type, make_const(Float(64), v))
                                : cast(x.type, make_const(Int(64), static_cast<int64_t>(v)));
  if (n.inputs[0]->type.dtype == DType::Bool)
    fill = cast(x.type, v != 0);
  return finish(c, 0, vars, select(inside, x(idx), fill));
}

Status lowerTile(LowerCtx &c) {
  const HTensor &x = c.in(0);
  const std::vector<int64_t> &repeats = c.node.getInts("repeats");
  std::vector<Var> vars = irVars(x.rank());
  std::vector<Expr> idx(vars.begin(), vars.end());
  for (size_t a = 0; a < x.rank(); ++a)
    if (repeats[a] != 1)
      idx[a] = vars[a] % x.extents[a];
  return finish(c, 0, vars, x(idx));
}

namespace {

// Gather's source index along the axis for index value k (i32 or i64):
// negative k counts from the end; out of range is a run-time error, as in
// the reference.
Expr gatherSource(Expr k, Expr len) {
  k = cast(Int(64), k);
  Expr l = cast(Int(64), len);
  Expr in = require(k >= -l && k < l, k, "gather index out of range");
  return clampIndex(cast(Int(32), select(in < 0, in + l, in)), len);
}

} // namespace

// y[pre, j..., post] = x[pre, idx[j...], post].
Status lowerGather(LowerCtx &c) {
  const HTensor &x = c.in(0), &indices = c.in(1);
  size_t axis = normAxis(c.node.getInt("axis"), x.rank());
  std::vector<Var> vars = irVars(c.outs[0].rank());
  std::vector<Expr> at(vars.begin() + axis, vars.begin() + axis + indices.rank());
  std::vector<Expr> idx(vars.begin(), vars.begin() + axis);
  idx.push_back(gatherSource(indices(at), x.extents[axis]));
  idx.insert(idx.end(), vars.begin() + axis + indices.rank(), vars.end());
  return finish(c, 0, vars, x(idx));
}

namespace {

// dx = zeros like x, then dx[to(r)] += dy[from(r)] over the RDom of an update
// (in the working type); computed once, then cast to dx's type.
Status scatterAdd(LowerCtx &c, const std::vector<Var> &vars, const std::vector<Expr> &to,
                  Expr value) {
  HTensor &dx = c.outs[0];
  Type t = workType(dx.type);
  Func acc("scatter_acc");
  std::vector<Expr> hv(vars.rbegin(), vars.rend()), ht(to.rbegin(), to.rend());
  acc(hv) = cast(t, 0);
  acc(ht) += cast(t, value);
  computeOnce(acc);
  return finish(c, 0, vars, cast(dx.type, acc(hv)));
}

} // namespace

// dx[pre, k, post] += dy[pre, j..., post] for k = idx[j...] (negative from the
// end, repeats accumulate). pre and post stay pure variables of the update.
Status lowerGatherGrad(LowerCtx &c) {
  const HTensor &x = c.in(0), &indices = c.in(1), &dy = c.in(2);
  size_t axis = normAxis(c.node.getInt("axis"), x.rank());
  std::vector<Var> vars = irVars(x.rank());
  Region region;
  for (size_t a = indices.rank(); a-- > 0;)
    region.emplace_back(0, indices.extents[a]);
  std::vector<Expr> j;
  RDom r;
  if (!region.empty()) {
    r = RDom(region);
    for (size_t a = 0; a < indices.rank(); ++a)
      j.push_back(r[indices.rank() - 1 - a]);
  }
  std::vector<Expr> to(vars.begin(), vars.end()), from(vars.begin(), vars.begin() + axis);
  to[axis] = gatherSource(indices(j), x.extents[axis]);
  from.insert(from.end(), j.begin(), j.end());
  from.insert(from.end(), vars.begin() + axis + 1, vars.end());
  return scatterAdd(c, vars, to, dy(from));
}

// dy cells copied from x (the interior, and in reflect, edge and wrap modes
// the border copies) add onto their x cell; constant padding adds nothing.
// Padded axes run over an RDom of dy's extent; the others stay pure.
Status lowerPadGrad(LowerCtx &c) {
  const Node &n = c.node;
  const HTensor &x = c.in(0), &dy = c.in(1);
  std::vector<Var> vars = irVars(x.rank());
  Region region;
  for (size_t a = x.rank(); a-- > 0;)
    if (padded(n, a))
      region.emplace_back(0, dy.extents[a]);
  std::vector<Expr> o(vars.begin(), vars.end()), to;
  if (!region.empty()) {
    RDom r(region);
    for (size_t a = 0, k = region.size(); a < x.rank(); ++a)
      if (padded(n, a))
        o[a] = r[--k];
  }
  Expr inside = padIndices(n, n.inputs[0]->type.dims, o, to);
  Type t = workType(x.type);
  return scatterAdd(c, vars, to, select(inside, widen(dy(o)), cast(t, 0)));
}

} // namespace dlc::codegen
