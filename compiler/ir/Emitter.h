// A small vocabulary of core ops for code that writes math into a graph:
// gradient rules, losses, optimizers. Every value it creates is named
// `<base>` (made unique). Emission never fails on a well-typed graph; if it
// does (our bug), the first error is latched, later calls return null, and
// the caller reports takeError() with its context.
#pragma once

#include "ir/Builder.h"

#include <optional>

namespace dlc {

class Emitter {
public:
  Emitter(Graph &g, std::string base) : g_(g), base_(std::move(base)) {}

  Value *op(OpKind op, std::vector<Value *> ins, std::map<std::string, Attr> attrs = {});
  std::vector<Value *> opMulti(OpKind op, std::vector<Value *> ins,
                               std::map<std::string, Attr> attrs, size_t outputs);
  Value *add(Value *a, Value *b) { return op(OpKind::Add, {a, b}); }
  Value *sub(Value *a, Value *b) { return op(OpKind::Sub, {a, b}); }
  Value *mul(Value *a, Value *b) { return op(OpKind::Mul, {a, b}); }
  Value *div(Value *a, Value *b) { return op(OpKind::Div, {a, b}); }
  Value *neg(Value *a) { return op(OpKind::Neg, {a}); }
  Value *sqrt(Value *a) { return op(OpKind::Sqrt, {a}); }
  Value *where(Value *c, Value *a, Value *b) { return op(OpKind::Where, {c, a, b}); }
  Value *cast(Value *v, DType to);
  // Sum over `axes` (empty: all) without keeping them.
  Value *sum(Value *v, std::vector<int64_t> axes = {});
  Value *mean(Value *v, std::vector<int64_t> axes = {});
  // A scalar constant of `like`'s dtype.
  Value *scalar(double v, const Value *like);
  Value *scalar(double v, DType t);
  // Zeros with `like`'s type (symbolic dims expand at run time).
  Value *zerosLike(const Value *like);
  Value *reshape(Value *v, const Dims &dims);
  // Sums `g` over the axes numpy broadcasting added or stretched, so the
  // result has exactly type `t` (the inverse of broadcasting `t` to g).
  Value *sumTo(Value *g, const TensorType &t);
  // Broadcasts `g` to `t` (a reduction's keepdims result back to its input).
  Value *expandTo(Value *g, const TensorType &t);

  Graph &graph() { return g_; }
  bool failed() const { return err_.has_value(); }
  std::optional<Error> takeError() { return std::move(err_); }

protected:
  Graph &g_;
  std::string base_;
  std::optional<Error> err_;
};

} // namespace dlc
