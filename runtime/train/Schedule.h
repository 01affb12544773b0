// The training loop's learning rate per epoch and its early stopping
// (runtime/train/Trainer.cpp): where the rate and the schedule come from, and
// the state both keep in a checkpoint's metadata so that a resumed run goes
// on exactly as an uninterrupted one.
#pragma once

#include "dlrt/LrSchedule.h"
#include "dlrt/Train.h"

#include <limits>

namespace dlrt {

struct LrPlan {
  double base = 1e-3;
  LrSchedule schedule;
  std::string source; // where base came from, for the run's header line

  double at(int64_t epoch, int64_t epochs) const { return schedule.at(base, epoch, epochs); }
  void save(Checkpoint &c) const; // dlrun.lr, dlrun.lr_schedule
};

// The rate: --lr, else the resumed checkpoint's, else the artifact's (dlc's
// --lr, Model::trainSettings), else 0.001; the schedule likewise from
// --lr-schedule, the checkpoint, the artifact, else constant.
Expected<LrPlan> planLearningRate(const RunOptions &o, const Model &m, const Checkpoint *resume,
                                  const std::string &resumePath);

// Early stopping on the validation loss: `patience` epochs without a lower
// loss than the best so far stop the run.
struct EarlyStopper {
  int64_t patience = 0; // 0: off
  double bestLoss = std::numeric_limits<double>::infinity();
  int64_t bestEpoch = 0; // 1-based; 0: none yet
  int64_t badEpochs = 0; // epochs since the best

  bool on() const { return patience > 0; }
  // Records epoch `epoch`'s validation loss; true when it is the best so far.
  bool observe(double valLoss, int64_t epoch);
  bool exhausted() const { return on() && badEpochs >= patience; }
  void save(Checkpoint &c) const; // dlrun.early_stop
  Status load(const Checkpoint &c, const std::string &path);
};

} // namespace dlrt
