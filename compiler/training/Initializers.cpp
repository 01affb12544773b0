// Seeded parameter initializers.
#include "training/Initializers.h"

#include <cmath>
#include <set>

namespace dlc {

namespace {

enum class Dist { Zeros, Ones, Constant, Uniform, Normal };
enum class Scale { None, Xavier, He, LeCun };

struct InitKind {
  const char *name;
  Dist dist;
  Scale scale;
  std::set<std::string> args;
};

const InitKind kInits[] = {
    {"zeros", Dist::Zeros, Scale::None, {}},
    {"ones", Dist::Ones, Scale::None, {}},
    {"constant", Dist::Constant, Scale::None, {"value"}},
    {"uniform", Dist::Uniform, Scale::None, {"low", "high", "seed"}},
    {"normal", Dist::Normal, Scale::None, {"mean", "std", "seed"}},
    {"xavier_uniform", Dist::Uniform, Scale::Xavier, {"gain", "seed"}},
    {"xavier_normal", Dist::Normal, Scale::Xavier, {"gain", "seed"}},
    {"glorot_uniform", Dist::Uniform, Scale::Xavier, {"gain", "seed"}},
    {"glorot_normal", Dist::Normal, Scale::Xavier, {"gain", "seed"}},
    {"he_uniform", Dist::Uniform, Scale::He, {"gain", "seed"}},
    {"he_normal", Dist::Normal, Scale::He, {"gain", "seed"}},
    {"kaiming_uniform", Dist::Uniform, Scale::He, {"gain", "seed"}},
    {"kaiming_normal", Dist::Normal, Scale::He, {"gain", "seed"}},
    {"lecun_uniform", Dist::Uniform, Scale::LeCun, {"gain", "seed"}},
    {"lecun_normal", Dist::Normal, Scale::LeCun, {"gain", "seed"}},
};

const InitKind *findInit(const std::string &name) {
  for (const InitKind &k : kInits)
    if (name == k.name)
      return &k;
  return nullptr;
}

// splitmix64: tiny, fast, identical on every platform.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * 0x1.0p-53; } // [0, 1)
  double normal() {                                       // Box-Muller
    double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2 * M_PI * u2);
  }
};

double arg(const InitSpec &s, const char *name, double dflt) {
  auto it = s.args.find(name);
  return it == s.args.end() ? dflt : it->second;
}

} // namespace

Status checkInitSpec(const InitSpec &spec) {
  const InitKind *k = findInit(spec.kind);
  if (!k) {
    std::string known;
    for (const InitKind &i : kInits)
      known += (known.empty() ? "" : ", ") + std::string(i.name);
    return Error("unknown initializer '" + spec.kind + "' (known: " + known + ")");
  }
  for (auto &[name, v] : spec.args)
    if (!k->args.count(name))
      return Error("initializer '" + spec.kind + "' has no argument '" + name + "'");
  return Status::ok();
}

Expected<Tensor> materializeParam(const Value &v) {
  if (v.data)
    return *v.data;
  auto where = [&](const std::string &m) { return Error("param '" + v.name + "': " + m); };
  if (v.init.kind.empty())
    return where("has no values and no initializer");
  if (Status s = checkInitSpec(v.init); !s)
    return where(s.error().message());
  if (!v.type.isStatic())
    return where("initialized params need a static shape, got " + v.type.str());
  if (!dlrt::isFloat(v.type.dtype) && v.init.kind != "zeros" &&
      v.init.kind != "ones" && v.init.kind != "constant")
    return where("random initializers need a floating-point dtype");
  const InitKind &k = *findInit(v.init.kind);
  std::vector<int64_t> shape = v.type.staticShape();
  Tensor t(v.type.dtype, shape);

  // Fans as in torch.nn.init._calculate_fan_in_and_fan_out.
  double fanIn = 1, fanOut = 1;
  if (shape.size() == 1) {
    fanIn = fanOut = static_cast<double>(shape[0]);
  } else if (shape.size() >= 2) {
    double rf = 1;
    for (size_t i = 2; i < shape.size(); ++i)
      rf *= static_cast<double>(shape[i]);
    fanIn = shape[1] * rf;
    fanOut = shape[0] * rf;
  }
  // Standard deviation of the scaled initializers.
  double std = 1;
  switch (k.scale) {
  case Scale::None: break;
  case Scale::Xavier: std = arg(v.init, "gain", 1) * std::sqrt(2.0 / (fanIn + fanOut)); break;
  case Scale::He: std = arg(v.init, "gain", std::sqrt(2.0)) / std::sqrt(fanIn); break;
  case Scale::LeCun: std = arg(v.init, "gain", 1) / std::sqrt(fanIn); break;
  }
  Rng rng{static_cast<uint64_t>(arg(v.init, "seed", 0))};
  rng.next();
  for (int64_t i = 0; i < t.numel(); ++i) {
    double x = 0;
    switch (k.dist) {
    case Dist::Zeros: x = 0; break;
    case Dist::Ones: x = 1; break;
    case Dist::Constant: x = arg(v.init, "value", 0); break;
    case Dist::Uniform:
      if (k.scale == Scale::None) {
        double lo = arg(v.init, "low", 0), hi = arg(v.init, "high", 1);
        x = lo + (hi - lo) * rng.uniform();
      } else { // U(-b, b) has std b / sqrt(3)
        double b = std * std::sqrt(3.0);
        x = -b + 2 * b * rng.uniform();
      }
      break;
    case Dist::Normal:
      x = k.scale == Scale::None
              ? arg(v.init, "mean", 0) + arg(v.init, "std", 1) * rng.normal()
              : std * rng.normal();
      break;
    }
    t.setDouble(i, x);
  }
  return t;
}

} // namespace dlc
