// Training, evaluation and prediction of compiled models on data sets, and
// their checkpoints: the library behind `dlrun` (dlrt_train). Links the
// runtime and the data library only.
//
// An artifact's entries fix the roles of its inputs: "infer" takes the
// features; "eval" takes the features and the labels; "train" adds `lr` (f32
// scalar) and `step` (i64 scalar, 1-based). Train and eval output the loss
// first, then the model's outputs; the first model output is what accuracy
// (classification: argmax over axis 1, or logit > 0 for one column) and MSE
// (regression) are computed from.
//
// Checkpoints are safetensors files (8-byte little-endian header size, a JSON
// header of {name: {dtype, shape, data_offsets}} and a "__metadata__" map of
// strings, then the raw little-endian data). They hold every parameter and
// state of the model by name, and in the metadata: the model's identity, the
// epoch and step, the data order's RNG state, the run's settings and the
// standardization statistics. They are written atomically (temporary file,
// fsync, rename): a failed write leaves the previous checkpoint intact.
#pragma once

#include "dlrt/Data.h"
#include "dlrt/Error.h"
#include "dlrt/Runtime.h"
#include "dlrt/Tensor.h"

#include <atomic>
#include <functional>
#include <iosfwd>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace dlrt {

struct Checkpoint {
  std::vector<std::pair<std::string, Tensor>> tensors; // in file order
  std::map<std::string, std::string> metadata;
  const Tensor *find(const std::string &name) const;
};

std::string serializeSafetensors(const Checkpoint &c);
Expected<Checkpoint> parseSafetensors(const std::string &bytes, const std::string &name);
Expected<Checkpoint> readSafetensors(const std::string &path);

// A digest of the model's persistent values (names, dtypes, shapes): two
// artifacts of the same model and optimizer agree.
std::string modelSignature(const Model &m);
// Every parameter and state of the model (constants excluded), with the
// identity metadata ("dlrun.model", "dlrun.signature").
Checkpoint snapshot(const Model &m, const std::string &modelName);
// Loads a checkpoint's values into the model. `strict` (resuming) wants every
// value of the model; otherwise (eval, predict) every trainable parameter.
// A checkpoint of another model is refused, naming what does not fit.
Status restore(Model &m, const Checkpoint &c, const std::string &path, bool strict,
               const std::string &modelName = "");
// The feature standardization statistics a training run stored in the
// checkpoint's metadata (empty when it stored none).
Expected<Standardizer> checkpointStandardizer(const Checkpoint &c, const std::string &path);

struct RunOptions {
  std::string model; // .dlm path
  std::string data;  // data spec (dlrt/Data.h)
  int64_t epochs = 1, batch = 64;
  // train: lr when lrGiven (--lr), else the checkpoint's (--resume), else the
  // artifact's (dlc's --lr or the optimizer's default, Model::trainSettings),
  // else this default.
  double lr = 1e-3;
  bool lrGiven = false;
  // train: a dlrt/LrSchedule.h spec; "" = the checkpoint's, else the
  // artifact's, else constant.
  std::string lrSchedule;
  // train: stop when the validation loss has not improved for this many
  // epochs (0: off); the best epoch's weights are kept (DIR/best.safetensors)
  // and tested.
  int64_t earlyStop = 0;
  uint64_t seed = 0;
  int threads = 0; // 0: every core
  int64_t steps = 0; // stop after this many training steps in all (0: no limit)
  bool shuffle = true;
  bool dropLast = false; // drop the partial last batch in training
  double valSplit = 0, testSplit = 0;
  std::string standardize = "auto"; // auto (tabular data only), on, off
  std::string checkpointDir;
  bool resume = false;
  std::string metrics; // JSON lines
  std::string weights; // eval / predict: a checkpoint
  std::string output;  // predict: .npy or .csv
  bool progress = false; // a one-line progress bar (stdout is a terminal)
  const std::atomic<bool> *interrupt = nullptr; // set by Ctrl-C: checkpoint, stop
};

// Trains, writing per-epoch lines (or a progress bar) to out. Returns an error
// for bad input, a non-finite loss (naming epoch and step) or an interrupted
// run (after its checkpoint is written).
Status trainModel(const RunOptions &o, std::ostream &out);
Status evalModel(const RunOptions &o, std::ostream &out);
Status predictModel(const RunOptions &o, std::ostream &out);

// o.model with o.threads kernel threads (0: every core).
Expected<std::unique_ptr<Model>> loadModel(const RunOptions &o);

// o.model bound to the training split of o.data as `dlrun train` binds it
// (the same checks of shapes and labels, the same standardization).
// batch(i) gives the features and, where the model and the data have them,
// the labels of the i-th full batch of o.batch examples in file order,
// wrapping around.
struct BoundData {
  std::unique_ptr<Model> model;
  std::string features, labels; // input names; labels empty: none bound
  std::function<std::map<std::string, Tensor>(int64_t)> batch;
};
Expected<BoundData> bindData(const RunOptions &o, bool needLabel);

// `dlrun bench`: runs `entry` warmup + steps times and writes one JSON line
// (model, entry, batch, threads, steps, warmup, data, lr, median_ms, mean_ms,
// min_ms, max_ms, p10_ms, p90_ms, cpu_ms, samples_per_s, peak_rss_mb). Only
// the runs are timed. Without run.data the inputs are random values of the
// entry's shapes (the first dim from run.batch, class indices for integer
// labels); train gets the learning rate `dlrun train` would start with
// (run.lr when run.lrGiven, else the artifact's) and step = 1, 2, ...
struct BenchOptions {
  RunOptions run; // model, data (empty: random inputs), batch, threads, lr, seed
  std::string entry = "train";
  int64_t steps = 0, warmup = 10;
};
Status benchModel(const BenchOptions &o, std::ostream &out);

} // namespace dlrt
