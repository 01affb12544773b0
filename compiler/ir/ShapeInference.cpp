// Dispatch of shape inference to the op families, and the shared helpers.
#include "ir/ShapeInference.h"

#include <algorithm>

namespace dlc {

Status inferTypes(Node &n) {
  for (size_t i = 0; i < n.inputs.size(); ++i)
    if (!n.inputs[i] && i < static_cast<size_t>(opInfo(n.op).minInputs))
      return Error(n.describe() + ": input " + std::to_string(i) + " is required");
  Status s;
  switch (n.op) {
#define DLC_OP(Name, Family, MinIn, MaxIn, MinOut, MaxOut)                     \
  case OpKind::Name:                                                           \
    s = infer##Family(n);                                                      \
    break;
#include "ir/Ops.def"
  }
  if (!s)
    return s.error().withContext(n.describe());
  return s;
}

Expected<int64_t> normalizeAxis(int64_t axis, size_t rank) {
  int64_t r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= std::max<int64_t>(r, 1))
    return Error("axis " + std::to_string(axis) + " is out of range for rank " +
                 std::to_string(r));
  return axis < 0 ? axis + r : axis;
}

Expected<Dims> broadcastDims(const Dims &a, const Dims &b) {
  size_t r = std::max(a.size(), b.size());
  Dims out(r);
  for (size_t i = 0; i < r; ++i) {
    Dim da = i + a.size() >= r ? a[i + a.size() - r] : Dim(1);
    Dim db = i + b.size() >= r ? b[i + b.size() - r] : Dim(1);
    if (da == db || db == Dim(1))
      out[i] = da;
    else if (da == Dim(1))
      out[i] = db;
    else if (!da.isStatic() && db.isStatic())
      out[i] = db; // N must equal the static extent at run time
    else if (da.isStatic() && !db.isStatic())
      out[i] = da;
    else
      return Error("shapes " + dimsString(a) + " and " + dimsString(b) +
                   " do not broadcast");
  }
  return out;
}

DimProduct dimProduct(const Dims &d, size_t begin, size_t end) {
  DimProduct p;
  for (size_t i = begin; i < std::min(end, d.size()); ++i) {
    if (d[i].isStatic())
      p.factor *= d[i].value;
    else
      p.syms.push_back(d[i].sym);
  }
  std::sort(p.syms.begin(), p.syms.end());
  return p;
}

} // namespace dlc
