// Learning-rate schedules: the learning rate of each epoch from the base
// rate, in the closed forms of torch.optim.lr_scheduler (stepped once per
// epoch, as `scheduler.step()` after each epoch). One syntax for dlc
// (`--lr-schedule`, a `.dlg` train block's `lr_schedule`, recorded in the
// artifact's manifest) and dlrun (`--lr-schedule`, checkpoints):
//
//   constant           lr                                        (the default)
//   step:EVERY:GAMMA   lr * GAMMA^floor(epoch / EVERY)           StepLR
//   exp:GAMMA          lr * GAMMA^epoch                          ExponentialLR
//   cosine             lr * (1 + cos(pi * epoch / epochs)) / 2   CosineAnnealingLR
//                      (T_max = the run's epochs, eta_min = 0)
//
// `epoch` is 0-based. The value is a function of the epoch alone (no state
// carried from epoch to epoch), so a resumed run computes the same rates as
// an uninterrupted one from what its checkpoint records: the base rate, the
// schedule and the number of epochs.
#pragma once

#include "dlrt/Error.h"

#include <cstdint>
#include <string>

namespace dlrt {

struct LrSchedule {
  enum class Kind { Constant, Step, Exp, Cosine };
  Kind kind = Kind::Constant;
  int64_t every = 1; // step: epochs between decays
  double gamma = 1;  // step, exp: the decay factor

  // The schedule of a spec above; an error (naming the spec) otherwise.
  static Expected<LrSchedule> parse(const std::string &spec);
  // The learning rate of 0-based `epoch` in a run of `epochs` epochs.
  double at(double base, int64_t epoch, int64_t epochs) const;
  // The spec it parses from, normalized ("step:2:0.5").
  std::string str() const;
};

} // namespace dlrt
