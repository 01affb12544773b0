// Learning-rate plans and early stopping for the training loop
// (runtime/train/Schedule.h).
#include "runtime/train/Schedule.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace dlrt {

using json = nlohmann::json;

namespace {

std::string exact(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

} // namespace

void LrPlan::save(Checkpoint &c) const {
  c.metadata["dlrun.lr"] = exact(base);
  c.metadata["dlrun.lr_schedule"] = schedule.str();
}

Expected<LrPlan> planLearningRate(const RunOptions &o, const Model &m, const Checkpoint *resume,
                                  const std::string &resumePath) {
  LrPlan p;
  const Model::TrainSettings &art = m.trainSettings();
  auto fromCheckpoint = [&](const char *key) -> const std::string * {
    if (!resume)
      return nullptr;
    auto it = resume->metadata.find(key);
    return it == resume->metadata.end() ? nullptr : &it->second;
  };
  if (o.lrGiven) {
    p.base = o.lr, p.source = "--lr";
  } else if (const std::string *v = fromCheckpoint("dlrun.lr")) {
    char *end = nullptr;
    p.base = std::strtod(v->c_str(), &end);
    if (v->empty() || *end)
      return Error(resumePath + ": corrupt learning rate '" + *v + "' in the checkpoint's metadata");
    p.source = "the checkpoint";
  } else if (art.present) {
    p.base = art.lr, p.source = "the artifact (" + art.optimizer + ")";
  } else {
    p.source = "dlrun's default";
  }
  if (!(p.base > 0) || !std::isfinite(p.base))
    return Error("the learning rate " + exact(p.base) + " (from " + p.source +
                 ") must be a positive number");
  std::string spec = "constant", specFrom;
  if (!o.lrSchedule.empty()) {
    spec = o.lrSchedule, specFrom = "--lr-schedule";
  } else if (const std::string *v = fromCheckpoint("dlrun.lr_schedule")) {
    spec = *v, specFrom = resumePath;
  } else if (!art.lrSchedule.empty()) {
    spec = art.lrSchedule, specFrom = o.model;
  }
  auto s = LrSchedule::parse(spec);
  if (!s)
    return s.takeError().withContext(specFrom);
  p.schedule = *s;
  return p;
}

bool EarlyStopper::observe(double valLoss, int64_t epoch) {
  if (valLoss < bestLoss) {
    bestLoss = valLoss, bestEpoch = epoch, badEpochs = 0;
    return true;
  }
  ++badEpochs;
  return false;
}

void EarlyStopper::save(Checkpoint &c) const {
  if (!on())
    return;
  c.metadata["dlrun.early_stop"] =
      json{{"patience", patience}, {"best_loss", std::isfinite(bestLoss) ? bestLoss : -1.0},
           {"best_epoch", bestEpoch}, {"bad_epochs", badEpochs}}
          .dump();
}

Status EarlyStopper::load(const Checkpoint &c, const std::string &path) {
  auto it = c.metadata.find("dlrun.early_stop");
  if (!on() || it == c.metadata.end())
    return Status::ok(); // a run that starts early stopping on resume starts afresh
  try {
    json j = json::parse(it->second);
    bestEpoch = j.at("best_epoch").get<int64_t>();
    badEpochs = j.at("bad_epochs").get<int64_t>();
    bestLoss = bestEpoch ? j.at("best_loss").get<double>()
                         : std::numeric_limits<double>::infinity();
  } catch (const json::exception &) {
    return Error(path + ": corrupt early-stopping state in the checkpoint's metadata");
  }
  return Status::ok();
}

} // namespace dlrt
