// `dlrun bench`: runs one entry of a compiled model N times after W warm-up
// runs and reports the spread of its wall time as one JSON line. Only the
// entry's run is timed; inputs are bound before the clock starts, from a data
// set (bound as `dlrun train` binds it) or random values of the entry's
// shapes, so the figure is the step time a training loop would see.
#include "dlrt/Train.h"
#include "runtime/train/Clock.h"
#include "runtime/train/Schedule.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <numeric>
#include <ostream>
#include <sys/resource.h>

namespace dlrt {

namespace {

bool isLrInput(const TensorSpec &s) {
  return s.name == "lr" && s.dtype == DType::F32 && s.dims.empty();
}
bool isStepInput(const TensorSpec &s) {
  return s.name == "step" && s.dtype == DType::I64 && s.dims.empty();
}

// The q-th quantile of sorted values, interpolated linearly between the two
// nearest ranks (numpy.percentile's default), so the PyTorch side of
// tools/scripts/bench_vs_torch.py computes the same statistic.
double quantile(const std::vector<double> &sorted, double q) {
  double pos = q * static_cast<double>(sorted.size() - 1);
  size_t lo = static_cast<size_t>(std::floor(pos));
  size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (pos - static_cast<double>(lo)) * (sorted[hi] - sorted[lo]);
}

// Uniform in [0, 1) from the top 53 bits.
double uniform(Rng &r) { return static_cast<double>(r.next() >> 11) * 0x1.0p-53; }

// Random inputs for `entry` with its symbolic batch dim bound to `batch`:
// features standard normal, float labels uniform in [0, 1) (valid targets for
// every loss), integer labels class indices below the first output's width
// (0 where that is not [N, classes]).
// lr and step are left to the caller.
Expected<std::map<std::string, Tensor>> randomInputs(const Model &m, const std::string &entry,
                                                    const BenchOptions &o) {
  DLC_TRY(specs, m.inputs(entry));
  std::vector<TensorSpec> features;
  if (auto in = m.inputs("infer"))
    features = *in;
  int64_t classes = 0;
  if (auto out = m.outputs("infer"); out && !out->empty()) {
    const TensorSpec &first = (*out)[0];
    if (first.dims.size() == 2 && first.dims[1] > 0)
      classes = first.dims[1] == 1 ? 2 : first.dims[1]; // one column: a binary logit
  }
  Rng rng(o.run.seed);
  std::map<std::string, Tensor> inputs;
  for (const TensorSpec &s : specs) {
    if (entry == "train" && (isLrInput(s) || isStepInput(s)))
      continue;
    std::vector<int64_t> shape;
    for (size_t a = 0; a < s.dims.size(); ++a) {
      if (s.dims[a] >= 0)
        shape.push_back(s.dims[a]);
      else if (a == 0)
        shape.push_back(o.run.batch);
      else
        return Error(o.run.model + ": input " + s.str() + " has symbolic dim '" + s.symbols[a] +
                     "' besides the batch; bench binds only the first dim (--batch); give "
                     "--data=SPEC");
    }
    Tensor t(s.dtype, shape);
    bool feature = std::any_of(features.begin(), features.end(),
                               [&](const TensorSpec &f) { return f.name == s.name; });
    if (isFloat(s.dtype)) {
      for (int64_t i = 0; i < t.numel(); ++i) {
        // Box-Muller for features; labels stay in [0, 1).
        double u = uniform(rng);
        t.setDouble(i, feature ? std::sqrt(-2 * std::log1p(-u)) *
                                     std::cos(6.283185307179586 * uniform(rng))
                               : u);
      }
    } else if (!feature && classes > 0) { // otherwise all class 0, valid for any count
      for (int64_t i = 0; i < t.numel(); ++i)
        t.setDouble(i, static_cast<double>(rng.below(static_cast<uint64_t>(classes))));
    }
    inputs.emplace(s.name, t);
  }
  return inputs;
}

double peakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0; // ru_maxrss is in KiB on Linux
}

} // namespace

Status benchModel(const BenchOptions &o, std::ostream &out) {
  if (o.steps <= 0)
    return Error("--steps must be positive, got " + std::to_string(o.steps));
  if (o.warmup < 0)
    return Error("--warmup must be >= 0, got " + std::to_string(o.warmup));
  if (o.run.batch <= 0)
    return Error("--batch must be positive, got " + std::to_string(o.run.batch));
  if (o.entry != "train" && o.entry != "eval" && o.entry != "infer")
    return Error("--entry=" + o.entry + ": expected train, eval or infer");

  // With --data the batches come from the data set, checked as training
  // checks them; without, one batch of random values is used every step.
  std::unique_ptr<Model> model;
  BoundData bound;
  std::map<std::string, Tensor> fixed;
  if (!o.run.data.empty()) {
    DLC_TRY(b, bindData(o.run, /*needLabel=*/o.entry != "infer"));
    bound = std::move(b);
    model = std::move(bound.model);
  } else {
    DLC_TRY(m, loadModel(o.run));
    model = std::move(m);
  }
  std::vector<std::string> names = model->entries();
  if (std::find(names.begin(), names.end(), o.entry) == names.end()) {
    std::string have;
    for (const std::string &n : names)
      have += (have.empty() ? "" : ", ") + n;
    return Error(o.run.model + ": the artifact has no " + o.entry + " entry (it has " + have +
                 ")" + (o.entry == "infer" ? "" : "; compile it with dlc --train --loss=..."));
  }
  if (o.run.data.empty()) {
    DLC_TRY(r, randomInputs(*model, o.entry, o));
    fixed = std::move(r);
  }
  DLC_TRY(plan, planLearningRate(o.run, *model, nullptr, ""));
  double lr = plan.at(0, 1); // the first epoch's rate
  DLC_TRY(specs, model->inputs(o.entry));
  bool wantsLr = false, wantsStep = false;
  for (const TensorSpec &s : specs) {
    wantsLr |= isLrInput(s);
    wantsStep |= isStepInput(s);
  }

  auto inputsFor = [&](int64_t i) {
    std::map<std::string, Tensor> in = fixed;
    if (bound.batch) {
      for (auto &[name, t] : bound.batch(i))
        if (o.entry != "infer" || name == bound.features)
          in[name] = t;
    }
    if (o.entry == "train") {
      if (wantsLr)
        in["lr"] = Tensor::scalar(DType::F32, lr);
      if (wantsStep)
        in["step"] = Tensor::scalar(DType::I64, static_cast<double>(i + 1)); // 1-based
    }
    return in;
  };

  using Clock = std::chrono::steady_clock;
  std::vector<double> ms;
  double cpu = 0;
  for (int64_t i = 0; i < o.warmup + o.steps; ++i) {
    std::map<std::string, Tensor> in = inputsFor(i);
    double cpu0 = cpuSeconds();
    auto t0 = Clock::now();
    auto outs = model->run(o.entry, in);
    double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!outs)
      return outs.takeError().withContext(o.run.model);
    if (i < o.warmup)
      continue;
    ms.push_back(elapsed);
    cpu += cpuSeconds() - cpu0;
  }

  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  double median = quantile(sorted, 0.5);
  nlohmann::ordered_json j;
  j["model"] = std::filesystem::path(o.run.model).filename().string();
  j["entry"] = o.entry;
  j["batch"] = o.run.batch;
  j["threads"] = model->numThreads();
  j["steps"] = o.steps;
  j["warmup"] = o.warmup;
  j["data"] = o.run.data.empty() ? "random" : o.run.data;
  j["lr"] = lr;
  j["median_ms"] = median;
  j["mean_ms"] = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  j["min_ms"] = sorted.front();
  j["max_ms"] = sorted.back();
  j["p10_ms"] = quantile(sorted, 0.1);
  j["p90_ms"] = quantile(sorted, 0.9);
  // Processor time of every thread per timed run: on a shared machine it
  // measures the work where wall time also measures the wait.
  j["cpu_ms"] = 1000 * cpu / static_cast<double>(ms.size());
  j["samples_per_s"] = median > 0 ? 1000.0 * static_cast<double>(o.run.batch) / median : 0.0;
  j["peak_rss_mb"] = peakRssMb();
  out << j.dump() << "\n";
  return Status::ok();
}

} // namespace dlrt
