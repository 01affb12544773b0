// Training, evaluation and inference entry points (TrainGraph.h).
#include "training/TrainGraph.h"

#include "autodiff/Autodiff.h"
#include "ir/Emitter.h"
#include "dlrt/LrSchedule.h"
#include "ir/ShapeInference.h"
#include "training/Losses.h"
#include "training/Optimizers.h"

#include <fnmatch.h>
#include <set>

namespace dlc {

namespace {

bool matchesAny(const std::string &name, const std::vector<std::string> &globs) {
  for (const std::string &p : globs)
    if (fnmatch(p.c_str(), name.c_str(), 0) == 0)
      return true;
  return false;
}

// A running statistic of BatchNorm `n` (input 3 or 4) as a state of its own.
// Eval mode makes the same copies under the same names (entries are built
// from clones of one graph), so eval and infer read the statistics that
// training updates; it leaves everything else as it is.
Expected<Value *> runningState(Graph &g, Node &n, size_t i,
                               const std::map<const Value *, int> &uses,
                               std::set<const Value *> &claimed, bool training) {
  Value *v = n.inputs[i];
  if (v->isState() && !claimed.count(v))
    return v;
  if (!v->isPersistent()) {
    if (!training)
      return v;
    return Error(n.describe() + ": running statistic '" + v->name +
                 "' must be a parameter or state to be updated in training");
  }
  // Shared with another use (exporters merge equal initializers; two
  // BatchNorms may share one): give this BatchNorm its own copy.
  if (v->isState() || uses.at(v) > 1) {
    Value *s = g.addState(g.uniqueName(n.name + (i == 3 ? ".running_mean" : ".running_var")),
                          v->type);
    s->data = v->data;
    s->init = v->init;
    n.inputs[i] = s;
    return s;
  }
  if (training)
    g.makeState(v);
  return v;
}

// Puts Dropout and BatchNorm in training mode (step given) or eval mode.
Status setMode(Graph &g, Value *step) {
  bool training = step != nullptr;
  auto uses = g.useCounts();
  std::set<const Value *> claimed;
  bool reorder = false; // nodes added after their users
  std::vector<Node *> nodes;
  for (const auto &n : g.nodes())
    nodes.push_back(n.get());
  for (Node *n : nodes) {
    if (n->op != OpKind::Dropout && n->op != OpKind::BatchNorm)
      continue;
    if (!training) {
      // Outputs that eval mode still defines (ONNX): a BatchNorm the model
      // itself marks training_mode=1 whose batch statistics it outputs runs
      // as written (batch statistics, no state updated; ONNX Runtime does
      // the same); an eval Dropout's mask is all true.
      auto used = [&](size_t i) { return i < n->outputs.size() && uses.count(n->outputs[i]); };
      if (n->op == OpKind::BatchNorm && n->getInt("training") && (used(1) || used(2)))
        continue;
      if (n->op == OpKind::Dropout && !n->getInt("training") && used(1)) {
        Emitter e(g, n->name + ".mask");
        g.replaceAllUses(n->outputs[1], e.expandTo(e.scalar(1, DType::Bool), n->outputs[1]->type));
        uses.erase(n->outputs[1]);
        reorder = true;
      }
      for (size_t i = 1; i < n->outputs.size(); ++i)
        if (uses.count(n->outputs[i]))
          return Error(n->describe() + ": output '" + n->outputs[i]->name +
                       "' exists only in training mode but is used");
      n->attrs.erase("training");
      if (n->op == OpKind::Dropout)
        n->inputs.resize(1);
      g.dropResults(n, 1);
      for (size_t i = 3; n->op == OpKind::BatchNorm && i <= 4; ++i) {
        DLC_TRY(s, runningState(g, *n, i, uses, claimed, false));
        claimed.insert(s);
      }
      DLC_CHECK(inferTypes(*n));
      continue;
    }
    n->attrs["training"] = Attr::ofInt(1);
    if (n->op == OpKind::Dropout) {
      n->inputs.resize(1);
      n->inputs.push_back(step);
      if (n->outputs.size() < 2)
        g.addResult(n, n->outputs[0]->name + ".mask");
    } else {
      while (n->outputs.size() < 3)
        g.addResult(n, n->name + (n->outputs.size() == 1 ? ".new_mean" : ".new_var"));
      for (size_t i = 3; i <= 4; ++i) {
        DLC_TRY(s, runningState(g, *n, i, uses, claimed, true));
        claimed.insert(s);
        g.addUpdate(s, n->outputs[i - 2]);
      }
    }
    DLC_CHECK(inferTypes(*n));
  }
  return reorder ? g.topoSort() : Status::ok();
}

// Sum of the weighted losses, as a value named "loss".
Expected<Value *> totalLoss(Graph &g, const TrainSpec &spec) {
  Emitter e(g, "loss");
  Value *total = nullptr;
  for (const LossTerm &t : spec.losses) {
    DLC_TRY(l, buildLoss(g, t));
    total = total ? e.add(total, l) : l;
  }
  if (auto err = e.takeError())
    return *err;
  return total;
}

Status checkNameFree(const Graph &g, const char *name) {
  if (g.hasName(name))
    return Error(std::string("the model already has a value named '") + name +
                 "', which the training step needs for its " +
                 (std::string(name) == "lr" ? "learning rate" : "step number"));
  return Status::ok();
}

} // namespace

Status checkTrainSpec(const Graph &g, const TrainSpec &spec) {
  if (spec.losses.empty())
    return Error("training needs a loss (--loss=KIND or a `loss` line in the train block)");
  DLC_CHECK(checkOptimizerSpec(spec.optimizer));
  for (const std::string &p : spec.freeze) {
    bool any = false;
    for (const Value *v : g.params())
      any |= matchesAny(v->name, {p});
    if (!any)
      return Error("freeze: no parameter matches '" + p + "'");
  }
  for (double v : {spec.l1, spec.l2, spec.clipNorm})
    if (!(v >= 0))
      return Error("l1, l2 and clip_norm must be non-negative");
  if (!spec.lrSchedule.empty())
    DLC_CHECK(dlrt::LrSchedule::parse(spec.lrSchedule));
  return Status::ok();
}

Status buildTrainStep(Graph &g, const TrainSpec &spec) {
  DLC_CHECK(checkTrainSpec(g, spec));
  DLC_CHECK(checkNameFree(g, "lr"));
  DLC_CHECK(checkNameFree(g, "step"));
  Value *lr = g.addInput("lr", TensorType{DType::F32, {}});
  Value *step = g.addInput("step", TensorType{DType::I64, {}});
  DLC_CHECK(setMode(g, step));
  auto modelOutputs = g.outputs();
  DLC_TRY(loss, totalLoss(g, spec));

  // What trains: float params that are trainable and not frozen.
  std::vector<Value *> wrt;
  for (Value *p : g.params()) {
    if (matchesAny(p->name, spec.freeze))
      p->trainable = false;
    if (p->trainable && dlrt::isFloat(p->type.dtype))
      wrt.push_back(p);
  }
  if (wrt.empty())
    return Error("nothing to train: the model has no trainable parameters left");

  Emitter e(g, "train");
  // Penalties: l1 * sum |w| + l2 * sum w^2 over the trained parameters.
  for (Value *w : wrt) {
    if (spec.l1)
      loss = e.add(loss, e.mul(e.scalar(spec.l1, loss),
                               e.cast(e.sum(e.op(OpKind::Abs, {w})), loss->type.dtype)));
    if (spec.l2)
      loss = e.add(loss, e.mul(e.scalar(spec.l2, loss),
                               e.cast(e.sum(e.mul(w, w)), loss->type.dtype)));
  }
  if (auto err = e.takeError())
    return Error("internal error building penalties: " + err->message());

  DLC_TRY(grads, buildGradients(g, loss, wrt));
  std::vector<std::pair<Value *, Value *>> pairs;
  for (Value *w : wrt)
    pairs.emplace_back(w, grads.at(w));

  // Clip by global norm, as torch.nn.utils.clip_grad_norm_:
  //   coef = min(1, max_norm / (||g||_2 + 1e-6)), g <- coef * g
  if (spec.clipNorm) {
    Emitter c(g, "clip");
    Value *sq = nullptr;
    for (auto &[w, gr] : pairs) {
      Value *s = c.cast(c.sum(c.mul(gr, gr)), DType::F32);
      sq = sq ? c.add(sq, s) : s;
    }
    Value *norm = c.add(c.sqrt(sq), c.scalar(1e-6, DType::F32));
    Value *coef = c.op(OpKind::Min, {c.div(c.scalar(spec.clipNorm, DType::F32), norm),
                                     c.scalar(1, DType::F32)});
    for (auto &[w, gr] : pairs)
      gr = c.mul(gr, c.cast(coef, gr->type.dtype));
    if (auto err = c.takeError())
      return Error("internal error clipping gradients: " + err->message());
  }
  DLC_CHECK(buildOptimizer(g, spec.optimizer, pairs, lr, step));

  g.outputs().clear();
  g.addOutput("loss", loss);
  for (auto &o : modelOutputs)
    g.addOutput(o.first, o.second);
  return Status::ok();
}

Status buildEvalStep(Graph &g, const TrainSpec &spec) {
  DLC_CHECK(setMode(g, nullptr));
  if (spec.losses.empty())
    return Status::ok();
  auto modelOutputs = g.outputs();
  DLC_TRY(loss, totalLoss(g, spec));
  g.outputs().clear();
  g.addOutput("loss", loss);
  for (auto &o : modelOutputs)
    g.addOutput(o.first, o.second);
  return Status::ok();
}

Status buildInferStep(Graph &g) { return setMode(g, nullptr); }

} // namespace dlc
