// Optimizers as graph ops: each parameter's update and its optimizer state's,
// in core ops, with torch.optim's rules and defaults (PyTorch 1.13, the
// single-tensor code path torch takes on the CPU).
//
// Scalars that change with the step (bias corrections, Adagrad's decayed
// learning rate, AdamW's decay factor) are computed once per graph in f64 from
// the lr and step inputs and cast once per parameter dtype: PyTorch computes
// them in Python floats and rounds them when they meet a tensor. Element-wise
// math runs in the parameter's dtype.
#include "training/Optimizers.h"

#include "ir/Emitter.h"
#include "ir/Printer.h"

#include <algorithm>
#include <cmath>
#include <functional>

namespace dlc {

namespace {

using Args = std::map<std::string, double>;

// The per-step scalars all parameters share. Each is made on first use.
class StepScalars {
public:
  StepScalars(Graph &g, const std::string &kind, Value *lr, Value *step)
      : cx_(g, kind), lr_(lr), step_(step) {}

  Emitter &cx() { return cx_; }
  Value *c64(double v) { return cx_.scalar(v, DType::F64); }
  Value *lr64() {
    return memo("lr", [&] { return cx_.cast(lr_, DType::F64); });
  }
  Value *step64() {
    return memo("step", [&] { return cx_.cast(step_, DType::F64); });
  }
  // 1 - beta^step, in f64.
  Value *oneMinusPow(double beta) {
    return cx_.sub(c64(1), cx_.op(OpKind::Pow, {c64(beta), step64()}));
  }
  // step == 1 (bool).
  Value *firstStep() {
    return memo("first", [&] {
      return cx_.op(OpKind::Equal, {step_, cx_.scalar(1, step_)});
    });
  }
  // The learning rate in dtype `t`.
  Value *lr(DType t) {
    return t == lr_->type.dtype ? lr_ : in("lr", t, [&] { return lr64(); });
  }
  // The f64 scalar `key` (made by `make` on first use), cast to `t` once.
  Value *in(const std::string &key, DType t,
            const std::function<Value *()> &make) {
    Value *v = memo(key, make);
    return memo(key + "." + std::string(dlrt::dtypeName(t)),
                [&] { return cx_.cast(v, t); });
  }

private:
  Value *memo(const std::string &key, const std::function<Value *()> &make) {
    auto it = made_.find(key);
    if (it != made_.end())
      return it->second;
    return made_[key] = make();
  }

  Emitter cx_;
  Value *lr_, *step_;
  std::map<std::string, Value *> made_;
};

// What an update rule sees for one parameter p with gradient g: its
// hyper-parameters (defaults filled in), emission helpers in p's dtype, and
// state slots named "<p>.<slot>".
struct Rule {
  Graph &graph;
  Emitter &cx;
  StepScalars &s;
  const Args &args;
  Value *p, *g;

  double arg(const char *name) const { return args.at(name); }
  bool flag(const char *name) const { return args.at(name) != 0; }
  DType dtype() const { return p->type.dtype; }
  Value *k(double v) { return cx.scalar(v, p); }
  Value *lr() { return s.lr(dtype()); }
  // a * x, or x itself when a = 1.
  Value *scale(double a, Value *x) { return a == 1 ? x : cx.mul(k(a), x); }
  Value *square(Value *x) { return cx.mul(x, x); }
  // A zero-initialized (or `init`-filled) state shaped like p.
  Value *state(const char *slot, double init = 0) {
    Value *v = graph.addState(graph.uniqueName(p->name + "." + slot), p->type);
    v->init = init == 0 ? InitSpec{"zeros", {}}
                        : InitSpec{"constant", {{"value", init}}};
    return v;
  }
  // After the step, `target` takes `v`; returns v.
  Value *set(Value *target, Value *v) {
    graph.addUpdate(target, v);
    return v;
  }
  // g + weight_decay * p (coupled weight decay, the L2 gradient).
  Value *decayedGrad() {
    double wd = arg("weight_decay");
    return wd == 0 ? g : cx.add(g, scale(wd, p));
  }
  // A running average in state `slot`: avg <- beta * avg + (1 - beta) * x.
  Value *average(const char *slot, double beta, Value *x) {
    Value *avg = state(slot);
    return set(avg, cx.add(scale(beta, avg), scale(1 - beta, x)));
  }
};

// SGD (torch.optim.SGD), t = step:
//   g <- g + weight_decay * p
//   b <- g                                         if t = 1   } momentum != 0
//   b <- momentum * b + (1 - dampening) * g        otherwise  }
//   g <- g + momentum * b if nesterov, else b                 }
//   p <- p - lr * g
void sgd(Rule &r) {
  Emitter &cx = r.cx;
  Value *g = r.decayedGrad();
  if (double mu = r.arg("momentum"); mu != 0) {
    Value *b = r.state("momentum_buffer");
    Value *later = cx.add(r.scale(mu, b), r.scale(1 - r.arg("dampening"), g));
    Value *bNew = r.set(b, cx.where(r.s.firstStep(), g, later));
    g = r.flag("nesterov") ? cx.add(g, r.scale(mu, bNew)) : bNew;
  }
  r.set(r.p, cx.sub(r.p, cx.mul(r.lr(), g)));
}

// Adagrad (torch.optim.Adagrad), t = step:
//   g <- g + weight_decay * p
//   clr = lr / (1 + (t - 1) * lr_decay)
//   s <- s + g^2                          (s starts at
//   initial_accumulator_value) p <- p - clr * g / (sqrt(s) + eps)
void adagrad(Rule &r) {
  Emitter &cx = r.cx;
  Value *g = r.decayedGrad();
  Value *clr = r.lr();
  if (double decay = r.arg("lr_decay"); decay != 0)
    clr = r.s.in("clr", r.dtype(), [&] {
      Emitter &sx = r.s.cx();
      Value *steps = sx.sub(r.s.step64(), r.s.c64(1));
      return sx.div(r.s.lr64(),
                    sx.add(r.s.c64(1), sx.mul(steps, r.s.c64(decay))));
    });
  Value *sum = r.state("sum", r.arg("initial_accumulator_value"));
  Value *sumNew = r.set(sum, cx.add(sum, r.square(g)));
  Value *denom = cx.add(cx.sqrt(sumNew), r.k(r.arg("eps")));
  r.set(r.p, cx.sub(r.p, cx.mul(clr, cx.div(g, denom))));
}

// Adadelta (torch.optim.Adadelta):
//   g <- g + weight_decay * p
//   v <- rho * v + (1 - rho) * g^2
//   d = sqrt(u + eps) / sqrt(v + eps) * g
//   u <- rho * u + (1 - rho) * d^2
//   p <- p - lr * d
void adadelta(Rule &r) {
  Emitter &cx = r.cx;
  Value *g = r.decayedGrad();
  double rho = r.arg("rho");
  Value *eps = r.k(r.arg("eps"));
  Value *v = r.average("square_avg", rho, r.square(g));
  Value *u = r.state("acc_delta");
  Value *rmsV = cx.sqrt(cx.add(v, eps));
  Value *d = cx.mul(cx.div(cx.sqrt(cx.add(u, eps)), rmsV), g);
  r.set(u, cx.add(r.scale(rho, u), r.scale(1 - rho, r.square(d))));
  r.set(r.p, cx.sub(r.p, cx.mul(r.lr(), d)));
}

// RMSprop (torch.optim.RMSprop):
//   g <- g + weight_decay * p
//   v <- alpha * v + (1 - alpha) * g^2
//   m <- alpha * m + (1 - alpha) * g;  a = sqrt(v - m^2) + eps    if centered
//   a = sqrt(v) + eps                                             otherwise
//   b <- momentum * b + g / a;  p <- p - lr * b                   if momentum >
//   0 p <- p - lr * g / a                                           otherwise
void rmsprop(Rule &r) {
  Emitter &cx = r.cx;
  Value *g = r.decayedGrad();
  double alpha = r.arg("alpha");
  Value *v = r.average("square_avg", alpha, r.square(g));
  if (r.flag("centered"))
    v = cx.sub(v, r.square(r.average("grad_avg", alpha, g)));
  Value *step = cx.div(g, cx.add(cx.sqrt(v), r.k(r.arg("eps"))));
  if (double mu = r.arg("momentum"); mu > 0) {
    Value *b = r.state("momentum_buffer");
    step = r.set(b, cx.add(r.scale(mu, b), step));
  }
  r.set(r.p, cx.sub(r.p, cx.mul(r.lr(), step)));
}

// Adam (torch.optim.Adam) and AdamW (torch.optim.AdamW), t = step:
//   g <- g + weight_decay * p                                    Adam
//   p <- p * (1 - lr * weight_decay)                             AdamW
//   m <- beta1 * m + (1 - beta1) * g
//   v <- beta2 * v + (1 - beta2) * g^2
//   w <- max(w, v) if amsgrad (w starts at 0), else w = v
//   p <- p - lr / (1 - beta1^t) * m / (sqrt(w) / sqrt(1 - beta2^t) + eps)
void adamFamily(Rule &r, bool decoupled) {
  Emitter &cx = r.cx;
  DType t = r.dtype();
  double beta1 = r.arg("beta1"), beta2 = r.arg("beta2");
  Value *g = decoupled ? r.g : r.decayedGrad();
  Value *p = r.p;
  if (double wd = r.arg("weight_decay"); decoupled && wd != 0)
    p = cx.mul(p, r.s.in("decay", t, [&] {
      Emitter &sx = r.s.cx();
      return sx.sub(r.s.c64(1), sx.mul(r.s.lr64(), r.s.c64(wd)));
    }));
  Value *m = r.average("exp_avg", beta1, g);
  Value *w = r.average("exp_avg_sq", beta2, r.square(g));
  if (r.flag("amsgrad")) {
    Value *wMax = r.state("max_exp_avg_sq");
    w = r.set(wMax, cx.op(OpKind::Max, {wMax, w}));
  }
  Value *stepSize = r.s.in("step_size", t, [&] {
    return r.s.cx().div(r.s.lr64(), r.s.oneMinusPow(beta1));
  });
  Value *bc2Sqrt = r.s.in("bias_correction2_sqrt", t, [&] {
    return r.s.cx().sqrt(r.s.oneMinusPow(beta2));
  });
  Value *denom = cx.add(cx.div(cx.sqrt(w), bc2Sqrt), r.k(r.arg("eps")));
  r.set(r.p, cx.sub(p, cx.mul(stepSize, cx.div(m, denom))));
}

void adam(Rule &r) { adamFamily(r, /*decoupled=*/false); }
void adamw(Rule &r) { adamFamily(r, /*decoupled=*/true); }

// Every hyper-parameter with its default, in torch.optim's order. NaN: no
// default (SGD's learning rate).
struct OptimizerKind {
  const char *name;
  std::vector<std::pair<std::string, double>> defaults;
  void (*rule)(Rule &);
};

const OptimizerKind kOptimizers[] = {
    {"sgd",
     {{"lr", NAN},
      {"momentum", 0},
      {"dampening", 0},
      {"nesterov", 0},
      {"weight_decay", 0}},
     sgd},
    {"adagrad",
     {{"lr", 1e-2},
      {"lr_decay", 0},
      {"weight_decay", 0},
      {"initial_accumulator_value", 0},
      {"eps", 1e-10}},
     adagrad},
    {"adadelta",
     {{"lr", 1.0}, {"rho", 0.9}, {"eps", 1e-6}, {"weight_decay", 0}},
     adadelta},
    {"rmsprop",
     {{"lr", 1e-2},
      {"alpha", 0.99},
      {"eps", 1e-8},
      {"weight_decay", 0},
      {"momentum", 0},
      {"centered", 0}},
     rmsprop},
    {"adam",
     {{"lr", 1e-3},
      {"beta1", 0.9},
      {"beta2", 0.999},
      {"eps", 1e-8},
      {"weight_decay", 0},
      {"amsgrad", 0}},
     adam},
    {"adamw",
     {{"lr", 1e-3},
      {"beta1", 0.9},
      {"beta2", 0.999},
      {"eps", 1e-8},
      {"weight_decay", 1e-2},
      {"amsgrad", 0}},
     adamw},
};

const OptimizerKind *findOptimizer(const std::string &name) {
  for (const OptimizerKind &k : kOptimizers)
    if (name == k.name)
      return &k;
  return nullptr;
}

// The valid values of a hyper-parameter (the same wherever it appears).
enum class Range { Any, NonNegative, Positive, UnitOpen, UnitClosed, Flag };

Range rangeOf(const std::string &name) {
  static const std::map<std::string, Range> ranges = {
      {"alpha", Range::NonNegative},
      {"amsgrad", Range::Flag},
      {"beta1", Range::UnitOpen},
      {"beta2", Range::UnitOpen},
      {"centered", Range::Flag},
      {"eps", Range::Positive},
      {"initial_accumulator_value", Range::NonNegative},
      {"lr", Range::NonNegative},
      {"lr_decay", Range::NonNegative},
      {"momentum", Range::NonNegative},
      {"nesterov", Range::Flag},
      {"rho", Range::UnitClosed},
      {"weight_decay", Range::NonNegative},
  };
  auto it = ranges.find(name);
  return it == ranges.end() ? Range::Any : it->second;
}

Status checkValue(const std::string &name, double v) {
  std::string what = name == "lr" ? "learning rate" : name;
  std::string got = ", got " + formatFloat(v);
  if (!std::isfinite(v))
    return Error(what + " must be a finite number" + got);
  switch (rangeOf(name)) {
  case Range::Any:
    break;
  case Range::NonNegative:
    if (!(v >= 0))
      return Error(what + " must be non-negative" + got);
    break;
  case Range::Positive:
    if (!(v > 0))
      return Error(what + " must be positive" + got);
    break;
  case Range::UnitOpen:
    if (!(v >= 0 && v < 1))
      return Error(what + " must be in [0, 1)" + got);
    break;
  case Range::UnitClosed:
    if (!(v >= 0 && v <= 1))
      return Error(what + " must be in [0, 1]" + got);
    break;
  case Range::Flag:
    if (v != 0 && v != 1)
      return Error(what + " must be 0 or 1" + got);
    break;
  }
  return Status::ok();
}

// The spec's hyper-parameters with the defaults of the ones it leaves out.
Args withDefaults(const OptimizerKind &k, const OptimizerSpec &spec) {
  Args args(k.defaults.begin(), k.defaults.end());
  for (auto &[name, v] : spec.args)
    args[name] = v;
  return args;
}

} // namespace

Status checkOptimizerSpec(const OptimizerSpec &spec) {
  const OptimizerKind *k = findOptimizer(spec.kind);
  if (!k) {
    std::string known;
    for (const OptimizerKind &o : kOptimizers)
      known += (known.empty() ? "" : ", ") + std::string(o.name);
    return Error("unknown optimizer '" + spec.kind + "' (known: " + known +
                 ")");
  }
  Args args = withDefaults(*k, spec);
  for (const auto &arg : spec.args)
    if (const std::string &name = arg.first;
        !std::count_if(k->defaults.begin(), k->defaults.end(),
                       [&](auto &d) { return d.first == name; })) {
      std::string known;
      for (auto &d : k->defaults)
        known += (known.empty() ? "" : ", ") + d.first;
      return Error("optimizer '" + spec.kind + "' has no hyper-parameter '" +
                   name + "' (known: " + known + ")");
    }
  if (std::isnan(args.at("lr")) && !spec.args.count("lr"))
    return Error("optimizer '" + spec.kind +
                 "' needs a learning rate: torch.optim.SGD has no default lr");
  for (auto &[name, v] : args)
    DLC_CHECK(checkValue(name, v));
  if (args.count("nesterov") && args.at("nesterov") != 0 &&
      (args.at("momentum") <= 0 || args.at("dampening") != 0))
    return Error("nesterov requires momentum > 0 and dampening = 0, got "
                 "momentum " +
                 formatFloat(args.at("momentum")) + " and dampening " +
                 formatFloat(args.at("dampening")));
  return Status::ok();
}

double defaultLearningRate(const OptimizerSpec &spec) {
  auto it = spec.args.find("lr");
  if (it != spec.args.end())
    return it->second;
  const OptimizerKind *k = findOptimizer(spec.kind);
  // NaN for a spec checkOptimizerSpec rejects (unknown, or SGD without lr).
  return k ? k->defaults.front().second : NAN;
}

Status
buildOptimizer(Graph &g, const OptimizerSpec &spec,
               const std::vector<std::pair<Value *, Value *>> &paramGrads,
               Value *lr, Value *step) {
  DLC_CHECK(checkOptimizerSpec(spec));
  if (!lr || lr->type != TensorType::of(DType::F32, {}))
    return Error("the learning rate must be an f32 scalar" +
                 (lr ? ", got " + lr->type.str() : std::string()));
  if (!step || step->type != TensorType::of(DType::I64, {}))
    return Error("the step must be an i64 scalar" +
                 (step ? ", got " + step->type.str() : std::string()));
  const OptimizerKind &kind = *findOptimizer(spec.kind);
  Args args = withDefaults(kind, spec);
  StepScalars scalars(g, spec.kind, lr, step);
  for (auto [p, grad] : paramGrads) {
    if (!p->isParam() || !dlrt::isFloat(p->type.dtype))
      return Error("'" + p->name + "' is not a floating-point parameter");
    if (!grad || grad->type != p->type)
      return Error("the gradient of '" + p->name + "' has type " +
                   (grad ? grad->type.str() : "none") + ", the parameter " +
                   p->type.str());
    for (auto &u : g.updates())
      if (u.first == p)
        return Error("parameter '" + p->name + "' already has an update");
    Emitter cx(g, p->name + "." + spec.kind);
    Rule rule{g, cx, scalars, args, p, grad};
    kind.rule(rule);
    if (auto err = cx.takeError())
      return err->withContext("internal error: optimizer '" + spec.kind +
                              "' on '" + p->name + "'");
  }
  if (auto err = scalars.cx().takeError())
    return err->withContext("internal error: optimizer '" + spec.kind + "'");
  return Status::ok();
}

} // namespace dlc
