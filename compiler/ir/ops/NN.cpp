// Shape inference for the neural-network layers: conv, conv-transpose,
// pooling, batch norm, dropout, softmax, matmul.
#include "ir/ShapeInference.h"

namespace dlc {

// Spatial attributes with their derived defaults: strides and dilations of 1,
// pads of 0 on each of the `rank` spatial axes.
struct Window {
  std::vector<int64_t> kernel, strides, dilations, pads;
};

static Expected<Window> window(const Node &n, size_t rank,
                               std::vector<int64_t> kernel) {
  Window w;
  w.kernel = std::move(kernel);
  auto get = [&](const char *name, size_t len,
                 int64_t dflt) -> Expected<std::vector<int64_t>> {
    if (!findAttrSpec(n.op, name))
      return std::vector<int64_t>(len, dflt);
    std::vector<int64_t> v = n.getInts(name);
    if (v.empty())
      v.assign(len, dflt);
    if (v.size() != len)
      return Error(std::string(name) + " has " + std::to_string(v.size()) +
                   " values, expected " + std::to_string(len));
    return v;
  };
  if (w.kernel.size() != rank)
    return Error("kernel_shape has " + std::to_string(w.kernel.size()) +
                 " values, expected " + std::to_string(rank));
  DLC_TRY(s, get("strides", rank, 1));
  DLC_TRY(d, get("dilations", rank, 1));
  DLC_TRY(p, get("pads", 2 * rank, 0));
  w.strides = s, w.dilations = d, w.pads = p;
  for (size_t i = 0; i < rank; ++i) {
    if (w.kernel[i] <= 0)
      return Error("kernel_shape must be positive");
    if (w.strides[i] <= 0 || w.dilations[i] <= 0)
      return Error("strides and dilations must be positive");
    if (w.pads[i] < 0 || w.pads[i + rank] < 0)
      return Error("pads must be non-negative");
  }
  return w;
}

static Expected<int64_t> windowOut(const Dim &in, const Window &w, size_t i,
                                   size_t rank, bool ceilMode) {
  if (!in.isStatic())
    return Error("spatial dim '" + in.sym + "' must be static");
  int64_t span = (w.kernel[i] - 1) * w.dilations[i] + 1;
  int64_t padded = in.value + w.pads[i] + w.pads[i + rank];
  if (padded < span)
    return Error("window of size " + std::to_string(span) +
                 " is larger than the padded input (" + std::to_string(padded) +
                 ")");
  int64_t num = padded - span;
  int64_t out = (ceilMode ? (num + w.strides[i] - 1) / w.strides[i]
                          : num / w.strides[i]) + 1;
  // A window may not start inside the end padding (ONNX and PyTorch).
  if (ceilMode && (out - 1) * w.strides[i] >= in.value + w.pads[i])
    --out;
  return out;
}

static Status needRank(const TensorType &t, size_t min, const char *what) {
  if (t.rank() < min)
    return Error(std::string(what) + " must have rank >= " + std::to_string(min) +
                 ", got " + t.str());
  return Status::ok();
}

Status inferConv(Node &n) {
  const TensorType &x = n.inputs[0]->type, &w = n.inputs[1]->type;
  DLC_CHECK(needRank(x, 3, "input"));
  if (w.rank() != x.rank())
    return Error("weight " + w.str() + " and input " + x.str() +
                 " must have the same rank");
  if (x.dtype != w.dtype)
    return Error("input and weight dtypes differ");
  if (!w.isStatic())
    return Error("weight shape must be static");
  size_t rank = x.rank() - 2;
  std::vector<int64_t> ws = w.staticShape();
  int64_t group = n.getInt("group");
  if (group <= 0 || ws[0] % group != 0)
    return Error("group " + std::to_string(group) +
                 " must divide the output channels (" + std::to_string(ws[0]) + ")");
  if (x.dims[1] != Dim(ws[1] * group))
    return Error("input has " + x.dims[1].str() + " channels, weight " + w.str() +
                 " with group " + std::to_string(group) + " expects " +
                 std::to_string(ws[1] * group));
  if (n.hasInput(2) && n.inputs[2]->type.dims != Dims{Dim(ws[0])})
    return Error("bias must be [" + std::to_string(ws[0]) + "], got " +
                 n.inputs[2]->type.str());
  DLC_TRY(win, window(n, rank, std::vector<int64_t>(ws.begin() + 2, ws.end())));
  Dims out{x.dims[0], Dim(ws[0])};
  for (size_t i = 0; i < rank; ++i) {
    DLC_TRY(o, windowOut(x.dims[i + 2], win, i, rank, false));
    out.push_back(Dim(o));
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferConvTranspose(Node &n) {
  const TensorType &x = n.inputs[0]->type, &w = n.inputs[1]->type;
  DLC_CHECK(needRank(x, 3, "input"));
  if (w.rank() != x.rank() || !w.isStatic())
    return Error("weight " + w.str() + " must be static with the input's rank");
  size_t rank = x.rank() - 2;
  std::vector<int64_t> ws = w.staticShape();
  int64_t group = n.getInt("group");
  if (group <= 0 || x.dims[1] != Dim(ws[0]) || ws[0] % group != 0)
    return Error("input channels " + x.dims[1].str() + " do not match weight " +
                 w.str() + " with group " + std::to_string(group));
  DLC_TRY(win, window(n, rank, std::vector<int64_t>(ws.begin() + 2, ws.end())));
  std::vector<int64_t> op = n.getInts("output_padding");
  if (op.empty())
    op.assign(rank, 0);
  if (op.size() != rank)
    return Error("output_padding must have one value per spatial axis");
  Dims out{x.dims[0], Dim(ws[1] * group)};
  for (size_t i = 0; i < rank; ++i) {
    if (!x.dims[i + 2].isStatic())
      return Error("spatial dims must be static");
    int64_t o = win.strides[i] * (x.dims[i + 2].value - 1) + op[i] +
                (win.kernel[i] - 1) * win.dilations[i] + 1 - win.pads[i] -
                win.pads[i + rank];
    if (o <= 0)
      return Error("output size would be " + std::to_string(o));
    out.push_back(Dim(o));
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferPool(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  DLC_CHECK(needRank(x, 3, "input"));
  size_t rank = x.rank() - 2;
  DLC_TRY(win, window(n, rank, n.getInts("kernel_shape")));
  Dims out{x.dims[0], x.dims[1]};
  for (size_t i = 0; i < rank; ++i) {
    if (win.pads[i] >= (win.kernel[i] - 1) * win.dilations[i] + 1 ||
        win.pads[i + rank] >= (win.kernel[i] - 1) * win.dilations[i] + 1)
      return Error("pads must be smaller than the window");
    DLC_TRY(o, windowOut(x.dims[i + 2], win, i, rank, n.getInt("ceil_mode")));
    out.push_back(Dim(o));
  }
  n.outputs[0]->type = {x.dtype, out};
  return Status::ok();
}

Status inferBatchNorm(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  DLC_CHECK(needRank(x, 2, "input"));
  for (int i = 1; i < 5; ++i)
    if (n.inputs[i]->type.dims != Dims{x.dims[1]} ||
        n.inputs[i]->type.dtype != x.dtype)
      return Error("input " + std::to_string(i) + " must be " +
                   std::string(dlrt::dtypeName(x.dtype)) + "[" + x.dims[1].str() +
                   "], got " + n.inputs[i]->type.str());
  if (n.outputs.size() > 1 && !n.getInt("training"))
    return Error("running statistics are outputs only with training=1");
  n.outputs[0]->type = x;
  for (size_t i = 1; i < n.outputs.size(); ++i)
    n.outputs[i]->type = n.inputs[3]->type;
  return Status::ok();
}

Status inferDropout(Node &n) {
  double r = n.getFloat("ratio");
  if (!(r >= 0 && r < 1))
    return Error("ratio must be in [0, 1)");
  if (n.hasInput(1) && (n.inputs[1]->type.dtype != DType::I64 ||
                        n.inputs[1]->type.rank() != 0))
    return Error("step must be an i64 scalar, got " + n.inputs[1]->type.str());
  n.outputs[0]->type = n.inputs[0]->type;
  if (n.outputs.size() > 1)
    n.outputs[1]->type = {DType::Bool, n.inputs[0]->type.dims};
  return Status::ok();
}

Status inferSoftmax(Node &n) {
  const TensorType &x = n.inputs[0]->type;
  if (!dlrt::isFloat(x.dtype))
    return Error("expects a floating-point input");
  DLC_TRY(axis, normalizeAxis(n.getInt("axis"), x.rank()));
  (void)axis;
  n.outputs[0]->type = x;
  return Status::ok();
}

// MatMul as numpy.matmul, on op(A) and op(B) where op transposes the last two
// axes when transA / transB is set. A 1-D operand is a vector.
Status inferMatMul(Node &n) {
  Dims a = n.inputs[0]->type.dims, b = n.inputs[1]->type.dims;
  if (n.inputs[0]->type.dtype != n.inputs[1]->type.dtype)
    return Error("operands have different dtypes");
  if (a.empty() || b.empty())
    return Error("operands must have rank >= 1");
  if (n.getInt("transA") && a.size() >= 2)
    std::swap(a[a.size() - 1], a[a.size() - 2]);
  if (n.getInt("transB") && b.size() >= 2)
    std::swap(b[b.size() - 1], b[b.size() - 2]);
  bool vecA = a.size() == 1, vecB = b.size() == 1;
  if (vecA)
    a.insert(a.begin(), Dim(1));
  if (vecB)
    b.push_back(Dim(1));
  Dim k = a.back(), kb = b[b.size() - 2];
  if (k != kb)
    return Error("inner dimensions differ: " + dimsString(n.inputs[0]->type.dims) +
                 " x " + dimsString(n.inputs[1]->type.dims));
  DLC_TRY(batch, broadcastDims(Dims(a.begin(), a.end() - 2),
                               Dims(b.begin(), b.end() - 2)));
  Dims out = batch;
  if (!vecA)
    out.push_back(a[a.size() - 2]);
  if (!vecB)
    out.push_back(b.back());
  n.outputs[0]->type = {n.inputs[0]->type.dtype, out};
  return Status::ok();
}

} // namespace dlc
