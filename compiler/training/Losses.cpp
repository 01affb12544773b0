// Losses in core ops (definitions in Losses.h).
#include "training/Losses.h"

#include "ir/Emitter.h"

#include <algorithm>

namespace dlc {

namespace {

enum class LabelKind { ClassIndex, LikeOutput };

struct LossKind {
  const char *name;
  LabelKind label;
};

const LossKind kLosses[] = {
    {"mse", LabelKind::LikeOutput},           {"l1", LabelKind::LikeOutput},
    {"huber", LabelKind::LikeOutput},         {"bce", LabelKind::LikeOutput},
    {"bce_with_logits", LabelKind::LikeOutput}, {"cross_entropy", LabelKind::ClassIndex},
    {"cross_entropy_probs", LabelKind::LikeOutput}, {"nll", LabelKind::ClassIndex},
};

// The label type a loss expects for output y.
Expected<TensorType> labelType(const LossKind &k, const TensorType &y) {
  if (k.label == LabelKind::LikeOutput)
    return y;
  if (y.rank() < 2 || !y.dims[1].isStatic())
    return Error(std::string(k.name) + " needs an output of shape [N, C, ...] with a "
                 "static class count C, got " + y.str());
  TensorType t{DType::I64, y.dims};
  t.dims.erase(t.dims.begin() + 1);
  return t;
}

// log-probabilities at each sample's label: [N, C, ...] -> [N, ...].
Value *pickClass(Emitter &e, Value *logp, Value *label) {
  const Dims &d = logp->type.dims;
  int64_t classes = d[1].value;
  // classes: [C, 1, ...] against label [N, 1, ...] broadcasts to [N, C, ...].
  std::vector<int64_t> shape{classes};
  shape.resize(d.size() - 1, 1);
  Tensor range(DType::I64, shape);
  for (int64_t c = 0; c < classes; ++c)
    range.data<int64_t>()[c] = c;
  Value *cls = e.graph().addConst(e.graph().uniqueName("loss.classes"), range);
  Dims ld = label->type.dims;
  ld.insert(ld.begin() + 1, Dim(1));
  Value *onehot = e.cast(e.op(OpKind::Equal, {e.reshape(label, ld), cls}), logp->type.dtype);
  return e.sum(e.mul(logp, onehot), {1});
}

// The per-element (or per-sample) loss.
Value *elementLoss(Emitter &e, const std::string &kind, const LossTerm &t, Value *y,
                   Value *label) {
  auto c = [&](double v) { return e.scalar(v, y); };
  if (kind == "mse") {
    Value *d = e.sub(y, label);
    return e.mul(d, d);
  }
  if (kind == "l1")
    return e.op(OpKind::Abs, {e.sub(y, label)});
  if (kind == "huber") {
    Value *d = e.sub(y, label), *a = e.op(OpKind::Abs, {d});
    Value *quad = e.mul(c(0.5), e.mul(d, d));
    Value *lin = e.mul(c(t.delta), e.sub(a, c(0.5 * t.delta)));
    return e.where(e.op(OpKind::Less, {a, c(t.delta)}), quad, lin);
  }
  if (kind == "bce") { // log clamped at -100, as PyTorch
    Value *logP = e.op(OpKind::Max, {e.op(OpKind::Log, {y}), c(-100)});
    Value *log1mP = e.op(OpKind::Max, {e.op(OpKind::Log, {e.sub(c(1), y)}), c(-100)});
    return e.neg(e.add(e.mul(label, logP), e.mul(e.sub(c(1), label), log1mP)));
  }
  if (kind == "bce_with_logits") { // max(x, 0) - x t + log(1 + exp(-|x|))
    Value *softplus = e.op(OpKind::Softplus, {e.neg(e.op(OpKind::Abs, {y}))});
    return e.add(e.sub(e.op(OpKind::Relu, {y}), e.mul(y, label)), softplus);
  }
  if (kind == "cross_entropy")
    return e.neg(pickClass(e, e.op(OpKind::LogSoftmax, {y}, {{"axis", Attr::ofInt(1)}}),
                           label));
  if (kind == "cross_entropy_probs") {
    Value *logp = e.op(OpKind::LogSoftmax, {y}, {{"axis", Attr::ofInt(1)}});
    return e.neg(e.sum(e.mul(label, logp), {1}));
  }
  DLC_ASSERT(kind == "nll", "loss kind missing from elementLoss");
  return e.neg(pickClass(e, y, label));
}

} // namespace

Expected<Value *> buildLoss(Graph &g, const LossTerm &term) {
  std::string kind = term.kind;
  std::replace(kind.begin(), kind.end(), '-', '_');
  const LossKind *k = nullptr;
  std::string known;
  for (const LossKind &l : kLosses) {
    known += (known.empty() ? "" : ", ") + std::string(l.name);
    if (kind == l.name)
      k = &l;
  }
  if (!k)
    return Error("unknown loss '" + term.kind + "' (known: " + known + ")");
  if (term.reduction != "mean" && term.reduction != "sum")
    return Error("loss " + kind + ": reduction must be mean or sum, got '" +
                 term.reduction + "'");

  Value *y = nullptr;
  std::string outputs;
  for (auto &[name, v] : g.outputs()) {
    outputs += (outputs.empty() ? "'" : ", '") + name + "'";
    if (name == term.output)
      y = v;
  }
  if (term.output.empty()) {
    if (g.outputs().size() != 1)
      return Error("loss " + kind + ": the model has " + std::to_string(g.outputs().size()) +
                   " outputs (" + outputs + "); name the one the loss reads");
    y = g.outputs()[0].second;
  }
  if (!y)
    return Error("loss " + kind + ": the model has no output '" + term.output +
                 "' (its outputs: " + outputs + ")");
  if (!dlrt::isFloat(y->type.dtype))
    return Error("loss " + kind + ": output '" + y->name + "' is " + y->type.str() +
                 ", not floating point");

  DLC_TRY(want, labelType(*k, y->type));
  std::string labelName = term.label.empty() ? "label" : term.label;
  Value *label = g.lookup(labelName);
  if (!label)
    label = g.addInput(labelName, want);
  else if (label->kind != ValueKind::Input)
    return Error("loss " + kind + ": label '" + labelName + "' must be a graph input");
  else if (label->type != want)
    return Error("loss " + kind + ": label '" + labelName + "' must be " + want.str() +
                 " for output " + y->type.str() + ", got " + label->type.str());

  Emitter e(g, "loss." + kind);
  Value *l = elementLoss(e, kind, term, y, label);
  Value *r = term.reduction == "mean" ? e.mean(l) : e.sum(l);
  if (term.weight != 1.0)
    r = e.mul(r, e.scalar(term.weight, r));
  if (auto err = e.takeError())
    return Error("internal error building loss " + kind + ": " + err->message());
  return r;
}

} // namespace dlc
