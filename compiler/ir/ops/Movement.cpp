// Shape inference for data movement: reshape, expand, transpose, concat,
// split, slice, pad, tile, gather.
#include "ir/ShapeInference.h"

#include <algorithm>
#include <climits>

namespace dlc {

// Resolves ONNX-style 0 (copy the input dim) and -1 (the rest) in a target
// shape. -1 may absorb one symbol: [N, 1, 28, 28] -> [-1, 784] gives [N, 784].
static Expected<Dims> resolveReshape(const Dims &in, const Dims &target) {
  Dims out = target;
  int inferAt = -1;
  for (size_t i = 0; i < out.size(); ++i) {
    if (!out[i].isStatic())
      continue;
    if (out[i].value == 0) {
      if (i >= in.size())
        return Error("shape has 0 at axis " + std::to_string(i) +
                     " beyond the input's rank");
      out[i] = in[i];
    } else if (out[i].value == -1) {
      if (inferAt >= 0)
        return Error("shape has more than one -1");
      inferAt = static_cast<int>(i);
    } else if (out[i].value < 0) {
      return Error("shape has a negative dim");
    }
  }
  DimProduct pin = dimProduct(in);
  if (inferAt >= 0) {
    Dims known = out;
    known.erase(known.begin() + inferAt);
    DimProduct pk = dimProduct(known);
    std::vector<std::string> rest;
    bool ok = pk.factor != 0 && pin.factor % pk.factor == 0 &&
              std::includes(pin.syms.begin(), pin.syms.end(), pk.syms.begin(),
                            pk.syms.end());
    if (ok)
      std::set_difference(pin.syms.begin(), pin.syms.end(), pk.syms.begin(),
                          pk.syms.end(), std::back_inserter(rest));
    int64_t f = ok ? pin.factor / pk.factor : 0;
    if (!ok || rest.size() > 1 || (rest.size() == 1 && f != 1))
      return Error("cannot reshape " + dimsString(in) + " to " +
                   dimsString(target));
    out[inferAt] = rest.empty() ? Dim(f) : Dim(rest[0]);
  }
  if (!(dimProduct(out) == pin))
    return Error("cannot reshape " + dimsString(in) + " to " + dimsString(target) +
                 ": element counts differ");
  return out;
}

Status inferReshape(Node &n) {
  DLC_TRY(out, resolveReshape(n.inputs[0]->type.dims, n.getDims("shape")));
  n.outputs[0]->type = {n.inputs[0]->type.dtype, out};
  return Status::ok();
}

Status inferExpand(Node &n) {
  for (const Dim &d : n.getDims("shape"))
    if (d.isStatic() && d.value < 0)
      return Error("shape has a negative dim");
  DLC_TRY(out, broadcastDims(n.inputs[0]->type.dims, n.getDims("shape")));
  n.outputs[0]->type = {n.inputs[0]->type.dtype, out};
  return Status::ok();
}

Status inferTranspose(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  std::vector<int64_t> perm = n.getInts("perm");
  if (perm.empty())
    for (size_t i = x.rank(); i-- > 0;)
      perm.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size(); ++i)
    if (sorted[i] != static_cast<int64_t>(i) || perm.size() != x.rank())
      return Error("perm is not a permutation of the input's " +
                   std::to_string(x.rank()) + " axes");
  Dims out;
  for (int64_t p : perm)
    out.push_back(x.dims[p]);
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferConcat(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  if (x.rank() == 0)
    return Error("inputs must have rank >= 1, got " + x.str());
  DLC_TRY(axis, normalizeAxis(n.getInt("axis"), x.rank()));
  Dims out = x.dims;
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    const TensorType &t = n.inputs[k]->type;
    if (t.rank() != x.rank() || t.dtype != x.dtype)
      return Error("input " + std::to_string(k) + " " + t.str() +
                   " does not match " + x.str());
    for (size_t i = 0; i < x.rank(); ++i) {
      if (static_cast<int64_t>(i) == axis) {
        if (!out[i].isStatic() || !t.dims[i].isStatic())
          return Error("concatenation axis must be static");
        out[i].value += t.dims[i].value;
      } else if (t.dims[i] != out[i]) {
        return Error("input " + std::to_string(k) + " " + t.str() +
                     " does not match " + x.str() + " outside axis " +
                     std::to_string(axis));
      }
    }
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferSplit(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  if (x.rank() == 0)
    return Error("input must have rank >= 1, got " + x.str());
  DLC_TRY(axis, normalizeAxis(n.getInt("axis"), x.rank()));
  if (!x.dims[axis].isStatic())
    return Error("split axis must be static");
  int64_t total = x.dims[axis].value, parts = n.outputs.size();
  std::vector<int64_t> sizes = n.getInts("split");
  if (sizes.empty()) {
    if (total % parts)
      return Error("dim " + std::to_string(total) + " does not split evenly into " +
                   std::to_string(parts));
    sizes.assign(parts, total / parts);
  }
  int64_t sum = 0;
  for (int64_t s : sizes)
    sum += s < 0 ? INT64_MIN / 2 : s;
  if (static_cast<int64_t>(sizes.size()) != parts || sum != total)
    return Error("split sizes must be " + std::to_string(parts) +
                 " non-negative values summing to " + std::to_string(total));
  for (int64_t i = 0; i < parts; ++i) {
    Dims d = x.dims;
    d[axis] = Dim(sizes[i]);
    n.outputs[i]->type = {x.dtype, d};
  }
  return Status::ok();
}

Status inferSlice(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  std::vector<int64_t> starts = n.getInts("starts"), ends = n.getInts("ends"),
                       axes = n.getInts("axes"), steps = n.getInts("steps");
  if (axes.empty())
    for (size_t i = 0; i < starts.size(); ++i)
      axes.push_back(static_cast<int64_t>(i));
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (ends.size() != starts.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return Error("starts, ends, axes and steps must have the same length");
  Dims out = x.dims;
  for (size_t i = 0; i < starts.size(); ++i) {
    DLC_TRY(a, normalizeAxis(axes[i], x.rank()));
    if (steps[i] == 0)
      return Error("steps must be non-zero");
    const Dim &d = x.dims[a];
    if (!d.isStatic()) {
      if (starts[i] == 0 && ends[i] >= INT32_MAX && steps[i] == 1)
        continue; // the whole symbolic axis
      return Error("cannot slice symbolic dim '" + d.sym + "'");
    }
    int64_t dim = d.value, s = starts[i], e = ends[i], st = steps[i];
    s = s < 0 ? s + dim : s;
    e = e < 0 ? e + dim : e;
    if (st > 0) {
      s = std::clamp<int64_t>(s, 0, dim);
      e = std::clamp<int64_t>(e, 0, dim);
      out[a] = Dim(e > s ? (e - s + st - 1) / st : 0);
    } else {
      s = std::clamp<int64_t>(s, 0, dim - 1);
      e = std::clamp<int64_t>(e, -1, dim - 1);
      out[a] = Dim(s > e ? (s - e - st - 1) / -st : 0);
    }
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferPad(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  const std::vector<int64_t> &pads = n.getInts("pads");
  const std::string &mode = n.getString("mode");
  if (mode != "constant" && mode != "reflect" && mode != "edge" && mode != "wrap")
    return Error("unknown pad mode '" + mode +
                 "' (expected constant, reflect, edge or wrap)");
  if (pads.size() != 2 * x.rank())
    return Error("pads must have " + std::to_string(2 * x.rank()) + " values");
  Dims out = x.dims;
  for (size_t i = 0; i < x.rank(); ++i) {
    int64_t b = pads[i], e = pads[i + x.rank()];
    if (b == 0 && e == 0)
      continue;
    if (!out[i].isStatic())
      return Error("cannot pad symbolic dim '" + out[i].sym + "'");
    if (mode == "reflect" && (b >= out[i].value || e >= out[i].value))
      return Error("reflect pads must be smaller than the dim");
    out[i].value += b + e;
    if (out[i].value < 0)
      return Error("pads make a negative dim");
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferTile(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  const std::vector<int64_t> &r = n.getInts("repeats");
  if (r.size() != x.rank())
    return Error("repeats must have one value per axis");
  Dims out = x.dims;
  for (size_t i = 0; i < r.size(); ++i) {
    if (r[i] < 0)
      return Error("repeats must be non-negative");
    if (r[i] == 1)
      continue;
    if (!out[i].isStatic())
      return Error("cannot tile symbolic dim '" + out[i].sym + "'");
    out[i].value *= r[i];
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferGather(Node &n) {
  const TensorType &x = n.inputs[0]->type, &idx = n.inputs[1]->type;
  if (idx.dtype != DType::I64 && idx.dtype != DType::I32)
    return Error("indices must be i64 or i32, got " + idx.str());
  if (x.rank() == 0)
    return Error("data must have rank >= 1, got " + x.str());
  DLC_TRY(axis, normalizeAxis(n.getInt("axis"), x.rank()));
  Dims out(x.dims.begin(), x.dims.begin() + axis);
  out.insert(out.end(), idx.dims.begin(), idx.dims.end());
  out.insert(out.end(), x.dims.begin() + axis + 1, x.dims.end());
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

} // namespace dlc
