// The training loop, evaluation and prediction over data sets: binds a data
// set to an artifact's inputs (checking shapes and labels first), runs the
// entries batch by batch, accumulates loss and accuracy or MSE, reports per
// epoch (plain lines, a progress bar, JSON lines) and checkpoints so that a
// resumed run continues exactly where it stopped.
#include "dlrt/Npy.h"
#include "dlrt/File.h"
#include "dlrt/Train.h"
#include "runtime/train/Clock.h"
#include "runtime/train/Schedule.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstring>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <ostream>
#include <sstream>
#include <thread>

namespace dlrt {

using json = nlohmann::json;

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string fmt(const char *f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string baseName(const std::string &path) {
  return std::filesystem::path(path).filename().string();
}

// Loss and accuracy (classification) or squared error (regression) over
// examples seen so far.
struct Meter {
  double lossSum = 0, sqErr = 0;
  int64_t correct = 0, count = 0, outCount = 0;

  double loss() const { return count ? lossSum / count : 0; }
  double accuracy() const { return count ? static_cast<double>(correct) / count : 0; }
  double mse() const { return outCount ? sqErr / outCount : 0; }
  json toJson() const {
    return {{"loss_sum", lossSum}, {"sq_err", sqErr}, {"correct", correct},
            {"count", count}, {"out_count", outCount}};
  }
  static Meter fromJson(const json &j) {
    Meter m;
    m.lossSum = j.at("loss_sum").get<double>();
    m.sqErr = j.at("sq_err").get<double>();
    m.correct = j.at("correct").get<int64_t>();
    m.count = j.at("count").get<int64_t>();
    m.outCount = j.at("out_count").get<int64_t>();
    return m;
  }
};

// A model bound to a data set: which inputs are features, which the label,
// and how the first output is scored.
struct Session {
  std::unique_ptr<Model> model;
  std::string modelName;
  TensorSpec x, label;
  bool hasLabelInput = false;
  TensorSpec out; // the first model output (infer)
  Task task = Task::Regression;
  int64_t classes = 0; // output width for classifiers (1: binary, logits)
  Dataset train, val, test;
  bool testIsHeldOut = false;
  Standardizer stdz;
  std::vector<std::string> classNames;
};

} // namespace

Expected<std::unique_ptr<Model>> loadModel(const RunOptions &o) {
  DLC_TRY(model, Model::load(o.model));
  unsigned hw = std::thread::hardware_concurrency();
  model->setNumThreads(o.threads > 0 ? o.threads : static_cast<int>(hw ? hw : 1));
  return std::move(model);
}

namespace {

bool hasEntry(const Model &m, const std::string &e) {
  for (const std::string &n : m.entries())
    if (n == e)
      return true;
  return false;
}

// Roles from the entries: infer's inputs are the features; eval adds labels.
Status bindRoles(Session &s, const RunOptions &o, bool needTrain, bool needLabel) {
  Model &m = *s.model;
  if (needTrain && !hasEntry(m, "train"))
    return Error(o.model + ": the artifact has no train entry (compile it with dlc --train "
                           "--loss=...)");
  DLC_TRY(inferIn, m.inputs("infer"));
  DLC_TRY(inferOut, m.outputs("infer"));
  if (inferIn.size() != 1)
    return Error(o.model + ": dlrun feeds models with one input; this one has " +
                 std::to_string(inferIn.size()));
  if (inferOut.empty())
    return Error(o.model + ": the model has no outputs");
  s.x = inferIn[0];
  s.out = inferOut[0];
  if (s.x.dims.empty() || (s.x.dims[0] >= 0 && s.x.dims[0] != o.batch))
    return Error(o.model + ": input " + s.x.str() +
                 " needs a symbolic batch dim (or --batch equal to its first dim)");
  if (!needLabel || !hasEntry(m, "eval"))
    return Status::ok();
  DLC_TRY(evalIn, m.inputs("eval"));
  std::vector<TensorSpec> labels;
  for (const TensorSpec &t : evalIn)
    if (t.name != s.x.name)
      labels.push_back(t);
  if (labels.size() != 1)
    return Error(o.model + ": dlrun trains models with one label input; this one has " +
                 std::to_string(labels.size()));
  s.label = labels[0];
  s.hasLabelInput = true;
  return Status::ok();
}

std::string perExample(const std::vector<int64_t> &shape) {
  return shapeString(std::vector<int64_t>(shape.begin() + 1, shape.end()));
}

// The data's features and labels against the model's input and label specs,
// and the labels against the output's classes. Runs on whole splits, before
// any hold-out, so records are numbered as in the file.
Status checkData(Session &s, const Dataset &d, const std::string &what) {
  if (d.size() == 0)
    return Error(what + ": no examples");
  const std::vector<int64_t> &xs = d.x.shape();
  bool ok = xs.size() == s.x.dims.size();
  for (size_t a = 1; ok && a < xs.size(); ++a)
    ok = s.x.dims[a] < 0 || s.x.dims[a] == xs[a];
  if (!ok)
    return Error(what + ": examples are " + perExample(xs) + ", the model's input " + s.x.str() +
                 " wants " + [&] {
                   std::string r = "[";
                   for (size_t a = 1; a < s.x.dims.size(); ++a)
                     r += (a > 1 ? ", " : "") +
                          (s.x.dims[a] < 0 ? s.x.symbols[a] : std::to_string(s.x.dims[a]));
                   return r + "]";
                 }());
  if (s.x.dtype != DType::F32)
    return Error(what + ": the model's input " + s.x.str() + " is not f32; dlrun feeds f32");
  if (!s.hasLabelInput || !d.labeled())
    return Status::ok();
  const TensorSpec &l = s.label;
  int64_t labelElems = 1;
  for (size_t a = 1; a < l.dims.size(); ++a)
    labelElems *= l.dims[a] < 0 ? 1 : l.dims[a];
  int64_t dataElems = d.y.numel() / d.size();
  if (l.dims.empty() || dataElems != labelElems)
    return Error(d.labelSource + ": labels are " + perExample(d.y.shape()) + " per example, the model's " +
                 l.str() + " wants " + std::to_string(labelElems) + " value(s)");
  if (!isFloat(l.dtype) && d.task != Task::Classification)
    return Error(d.labelSource + ": the model wants class indices (" + l.str() +
                 ") but the labels are real numbers (regression); for CSV use task=classify");
  s.task = d.task;
  if (d.task != Task::Classification)
    return Status::ok();
  int64_t width = s.out.dims.size() == 2 && s.out.dims[1] > 0 ? s.out.dims[1] : 0;
  if (!width)
    return Error(what + ": classification needs the model's output to be [N, classes], got " +
                 s.out.str());
  s.classes = width;
  int64_t limit = width == 1 ? 2 : width; // one column: a binary classifier's logit
  for (int64_t i = 0; i < d.size(); ++i) {
    int64_t v = d.y.getInt(i);
    if (v < 0 || v >= limit)
      return Error(d.labelSource + ": record " + std::to_string(i) + ": label " + std::to_string(v) +
                   " is out of range for the model's " + std::to_string(limit) +
                   " classes (output " + s.out.str() + ")");
  }
  return Status::ok();
}

// Labels as the model's label input wants them (dtype and per-example shape).
Tensor labelTensor(const Session &s, const Tensor &y) {
  std::vector<int64_t> shape{y.shape()[0]};
  for (size_t a = 1; a < s.label.dims.size(); ++a)
    shape.push_back(s.label.dims[a] < 0 ? 1 : s.label.dims[a]);
  Tensor t = y.dtype() == s.label.dtype ? y : y.cast(s.label.dtype);
  return t.reshaped(shape);
}

// Scores one batch's first output against its labels.
void score(Meter &m, const Session &s, double loss, const Tensor &out, const Tensor &y) {
  int64_t n = y.shape()[0];
  m.lossSum += loss * n;
  m.count += n;
  if (s.task == Task::Classification) {
    int64_t c = s.classes;
    const float *p = out.data<float>();
    for (int64_t i = 0; i < n; ++i) {
      int64_t pred = 0;
      if (c == 1) {
        pred = p[i] > 0;
      } else {
        for (int64_t k = 1; k < c; ++k)
          if (p[i * c + k] > p[i * c + pred])
            pred = k;
      }
      m.correct += pred == y.getInt(i);
    }
  } else {
    int64_t k = y.numel();
    for (int64_t i = 0; i < k && i < out.numel(); ++i) {
      double d = out.getDouble(i) - y.getDouble(i);
      m.sqErr += d * d;
    }
    m.outCount += k;
  }
}

std::string describe(const Session &s, const Meter &m) {
  std::string r = "loss " + fmt("%.4f", m.loss());
  if (s.task == Task::Classification)
    r += " accuracy " + fmt("%.2f%%", 100 * m.accuracy());
  else
    r += " mse " + fmt("%.4f", m.mse());
  return r;
}

void meterJson(json &j, const std::string &prefix, const Session &s, const Meter &m) {
  j[prefix + "loss"] = m.loss();
  if (s.task == Task::Classification)
    j[prefix + "accuracy"] = m.accuracy();
  else
    j[prefix + "mse"] = m.mse();
}

Expected<Meter> evaluateSplit(Session &s, const Dataset &d, int64_t batch) {
  Meter m;
  std::vector<int64_t> order(d.size());
  for (int64_t i = 0; i < d.size(); ++i)
    order[i] = i;
  for (int64_t b = 0; b < d.size(); b += batch) {
    Batch bt = makeBatch(d, order, b, std::min(d.size(), b + batch)); // the last one too
    DLC_TRY(outs, s.model->run("eval", {{s.x.name, bt.x}, {s.label.name, labelTensor(s, bt.y)}}));
    if (outs.size() < 2)
      return Error("eval: the entry outputs no model output after the loss");
    score(m, s, outs[0].getDouble(0), outs[1], bt.y);
  }
  return m;
}

bool useStandardization(const RunOptions &o, const Dataset &d) {
  if (o.standardize == "on")
    return true;
  if (o.standardize == "off")
    return false;
  return d.x.rank() == 2; // auto: tabular features
}

Status applyStandardizer(Session &s) {
  for (Dataset *d : {&s.train, &s.val, &s.test}) {
    if (d->size() == 0)
      continue;
    auto t = s.stdz.apply(d->features());
    if (!t)
      return t.takeError().withContext(d->source);
    d->x = *t;
    d->xScale = 1;
  }
  return Status::ok();
}

std::string statsJson(const std::vector<double> &v) { return json(v).dump(); }

// Loads the model and data, splits (test, then validation, each with the
// seed), checks the data against the model and standardizes.
Expected<Session> prepare(const RunOptions &o, bool training, bool needLabel,
                          const Checkpoint *ck) {
  Session s;
  DLC_TRY(model, loadModel(o));
  s.model = std::move(model);
  s.modelName = baseName(o.model);
  DLC_CHECK(bindRoles(s, o, training, needLabel));
  DLC_TRY(splits, loadData(o.data));
  DLC_CHECK(checkData(s, splits.train, splits.train.source));
  if (splits.test.size())
    DLC_CHECK(checkData(s, splits.test, splits.test.source));
  if (needLabel && !splits.train.labeled())
    return Error("--data=" + o.data + ": the data has no labels");
  s.classNames = splits.train.classNames;
  s.train = std::move(splits.train);
  s.test = std::move(splits.test);
  if (s.test.size() == 0 && o.testSplit > 0) {
    auto [rest, held] = holdOut(s.train, o.testSplit, o.seed);
    s.train = std::move(rest);
    s.test = std::move(held);
    s.testIsHeldOut = true;
  }
  if (o.valSplit > 0) {
    auto [rest, held] = holdOut(s.train, o.valSplit, o.seed + 1);
    s.train = std::move(rest);
    s.val = std::move(held);
  }
  if (ck && ck->metadata.count("dlrun.standardize_mean")) {
    DLC_TRY(stdz, checkpointStandardizer(*ck, o.weights));
    s.stdz = stdz;
  } else if (ck ? o.standardize == "on" : useStandardization(o, s.train)) {
    // A checkpoint without statistics was trained on unstandardized
    // features: eval and predict feed them so too unless told otherwise.
    s.stdz = Standardizer::fit(s.train.features());
  }
  if (!s.stdz.empty())
    DLC_CHECK(applyStandardizer(s));
  return s;
}

// Progress on a terminal: one line, rewritten.
class Progress {
public:
  Progress(std::ostream &out, bool on) : out_(out), on_(on) {}
  void update(const Session &s, int64_t epoch, int64_t epochs, int64_t batch, int64_t batches,
              const Meter &m, double samplesPerS) {
    if (!on_ || (secondsSince(last_) < 0.1 && batch < batches))
      return;
    last_ = Clock::now();
    const int width = 24;
    int filled = static_cast<int>(width * batch / std::max<int64_t>(batches, 1));
    std::string bar(filled, '=');
    if (filled < width)
      bar += '>' + std::string(width - filled - 1, ' ');
    double eta = samplesPerS > 0 ? (batches - batch) * (m.count / std::max<int64_t>(batch, 1)) /
                                       samplesPerS
                                 : 0;
    int etaS = static_cast<int>(eta);
    char etaText[32];
    std::snprintf(etaText, sizeof etaText, "%d:%02d", etaS / 60, etaS % 60);
    out_ << "\r\x1b[Kepoch " << epoch << "/" << epochs << " [" << bar << "] " << batch << "/"
         << batches << " " << describe(s, m) << " " << fmt("%.0f", samplesPerS)
         << " samples/s ETA " << etaText << std::flush;
  }
  void finish() {
    if (on_)
      out_ << "\r\x1b[K" << std::flush;
  }

private:
  std::ostream &out_;
  bool on_;
  Clock::time_point last_ = Clock::now() - std::chrono::seconds(1);
};

// Where the loop stands: what a checkpoint must hold to continue exactly.
struct LoopState {
  int64_t epoch = 0;        // 0-based epoch in progress
  int64_t batchInEpoch = 0; // batches of it done
  int64_t step = 0;         // training steps done in all
  std::array<uint64_t, 4> epochRng{}; // the order RNG before this epoch's shuffle
  Meter meter;              // this epoch's training metrics so far
  LrPlan lr;                // the rate of each epoch
  EarlyStopper early;
};

std::string checkpointPath(const RunOptions &o, const char *file = "last.safetensors") {
  return (std::filesystem::path(o.checkpointDir) / file).string();
}

// The model and the loop's state: DIR/last.safetensors, or DIR/best.safetensors
// for early stopping's best epoch (resumable, and usable by eval and predict).
Checkpoint trainingCheckpoint(const RunOptions &o, const Session &s, const LoopState &st) {
  Checkpoint c = snapshot(*s.model, s.modelName);
  c.metadata["dlrun.epoch"] = std::to_string(st.epoch);
  c.metadata["dlrun.batch_in_epoch"] = std::to_string(st.batchInEpoch);
  c.metadata["dlrun.step"] = std::to_string(st.step);
  Rng r;
  r.setState(st.epochRng);
  c.metadata["dlrun.rng"] = r.stateString();
  c.metadata["dlrun.meter"] = st.meter.toJson().dump();
  c.metadata["dlrun.seed"] = std::to_string(o.seed);
  c.metadata["dlrun.batch"] = std::to_string(o.batch);
  c.metadata["dlrun.shuffle"] = o.shuffle ? "on" : "off";
  c.metadata["dlrun.drop_last"] = o.dropLast ? "on" : "off";
  c.metadata["dlrun.val_split"] = fmt("%.17g", o.valSplit);
  c.metadata["dlrun.test_split"] = fmt("%.17g", o.testSplit);
  c.metadata["dlrun.data"] = o.data;
  if (!s.stdz.empty()) {
    c.metadata["dlrun.standardize_mean"] = statsJson(s.stdz.mean);
    c.metadata["dlrun.standardize_std"] = statsJson(s.stdz.std);
  }
  st.lr.save(c);
  st.early.save(c);
  return c;
}

Status makeCheckpointDir(const RunOptions &o) {
  std::error_code ec;
  std::filesystem::create_directories(o.checkpointDir, ec);
  if (ec)
    return Error(o.checkpointDir + ": cannot create the checkpoint directory: " + ec.message());
  return Status::ok();
}

Status writeCheckpoint(const RunOptions &o, const Checkpoint &c, const char *file) {
  DLC_CHECK(makeCheckpointDir(o));
  return writeFileAtomic(checkpointPath(o, file), serializeSafetensors(c));
}

// The first parameter or state holding NaN or Inf, or "". A step with a
// finite loss can still overflow the parameters it updates; a checkpoint of
// them must not replace the last good one.
std::string firstNonFinite(const Checkpoint &c) {
  for (auto &[name, t] : c.tensors)
    if (isFloat(t.dtype()))
      for (int64_t i = 0; i < t.numel(); ++i)
        if (!std::isfinite(t.getDouble(i)))
          return name;
  return "";
}

Status saveCheckpoint(const RunOptions &o, const Session &s, const LoopState &st) {
  Checkpoint c = trainingCheckpoint(o, s, st);
  if (std::string bad = firstNonFinite(c); !bad.empty())
    return Error("epoch " + std::to_string(st.batchInEpoch ? st.epoch + 1 : st.epoch) +
                 ", step " + std::to_string(st.step) + ": '" + bad +
                 "' holds nan or inf after the step; training stopped (" + checkpointPath(o) +
                 " is not overwritten)");
  return writeCheckpoint(o, c, "last.safetensors");
}

// Settings a resumed run must share with the run it continues.
Status checkResumable(const RunOptions &o, const Checkpoint &c, const std::string &path) {
  auto want = [&](const char *key, const std::string &value, const char *flag) -> Status {
    auto it = c.metadata.find(key);
    if (it == c.metadata.end())
      return Error(path + ": not a dlrun training checkpoint (no " + key + ")");
    if (it->second != value)
      return Error(path + ": the checkpoint was trained with " + flag + "=" + it->second +
                   ", this run has " + flag + "=" + value + "; resume with the same settings");
    return Status::ok();
  };
  DLC_CHECK(want("dlrun.seed", std::to_string(o.seed), "--seed"));
  DLC_CHECK(want("dlrun.batch", std::to_string(o.batch), "--batch"));
  DLC_CHECK(want("dlrun.shuffle", o.shuffle ? "on" : "off", "--shuffle"));
  DLC_CHECK(want("dlrun.drop_last", o.dropLast ? "on" : "off", "--drop-last"));
  DLC_CHECK(want("dlrun.val_split", fmt("%.17g", o.valSplit), "--val-split"));
  DLC_CHECK(want("dlrun.test_split", fmt("%.17g", o.testSplit), "--test-split"));
  return Status::ok();
}

Expected<LoopState> loopStateOf(const Checkpoint &c, const std::string &path) {
  LoopState st;
  try {
    st.epoch = std::stoll(c.metadata.at("dlrun.epoch"));
    st.batchInEpoch = std::stoll(c.metadata.at("dlrun.batch_in_epoch"));
    st.step = std::stoll(c.metadata.at("dlrun.step"));
    auto rng = Rng::parseState(c.metadata.at("dlrun.rng"));
    if (!rng)
      return Error(path + ": corrupt RNG state in the checkpoint's metadata");
    st.epochRng = *rng;
    st.meter = Meter::fromJson(json::parse(c.metadata.at("dlrun.meter")));
  } catch (const std::exception &) {
    return Error(path + ": not a dlrun training checkpoint (corrupt or missing loop state)");
  }
  return st;
}

} // namespace

Status trainModel(const RunOptions &o, std::ostream &out) {
  if (o.batch <= 0 || o.epochs <= 0)
    return Error("--batch and --epochs must be positive");
  if (o.valSplit < 0 || o.valSplit >= 1 || o.testSplit < 0 || o.testSplit >= 1)
    return Error("--val-split and --test-split must be in [0, 1)");
  if (o.resume && o.checkpointDir.empty())
    return Error("--resume needs --checkpoint=DIR");
  if (o.earlyStop < 0)
    return Error("--early-stop=" + std::to_string(o.earlyStop) +
                 ": the patience must be a positive number of epochs");
  if (o.earlyStop > 0 && o.valSplit <= 0)
    return Error("--early-stop=" + std::to_string(o.earlyStop) +
                 " watches the validation loss: it needs --val-split=F");
  // A directory that cannot be made fails now, not after an epoch of work.
  if (!o.checkpointDir.empty())
    DLC_CHECK(makeCheckpointDir(o));
  std::optional<Checkpoint> resumeFrom;
  if (o.resume) {
    DLC_TRY(c, readSafetensors(checkpointPath(o)));
    DLC_CHECK(checkResumable(o, c, checkpointPath(o)));
    resumeFrom = std::move(c);
  }
  RunOptions po = o;
  po.weights = o.resume ? checkpointPath(o) : "";
  DLC_TRY(s, prepare(po, true, true, resumeFrom ? &*resumeFrom : nullptr));
  if (s.train.size() == 0)
    return Error("--data=" + o.data + ": no training examples left after the splits");

  LoopState st;
  Rng rng(o.seed);
  st.epochRng = rng.state();
  if (resumeFrom) {
    DLC_CHECK(restore(*s.model, *resumeFrom, checkpointPath(o), /*strict=*/true, s.modelName));
    DLC_TRY(loaded, loopStateOf(*resumeFrom, checkpointPath(o)));
    st = loaded;
    st.early.patience = o.earlyStop;
    DLC_CHECK(st.early.load(*resumeFrom, checkpointPath(o)));
    out << "resuming from " << checkpointPath(o) << " at epoch " << st.epoch + 1 << ", step "
        << st.step << "\n";
  }

  std::unique_ptr<std::ofstream> metrics;
  if (!o.metrics.empty()) {
    metrics = std::make_unique<std::ofstream>(
        o.metrics, o.resume ? std::ios::app : std::ios::trunc);
    if (!*metrics)
      return Error(o.metrics + ": cannot write the metrics file");
  }
  auto emit = [&](const json &j) {
    if (metrics)
      *metrics << j.dump() << "\n" << std::flush;
  };

  int64_t n = s.train.size();
  int64_t batches = numBatches(n, o.batch, o.dropLast);
  if (batches == 0)
    return Error("--batch=" + std::to_string(o.batch) + " with --drop-last leaves no batch of " +
                 std::to_string(n) + " training examples");
  out << s.modelName << ": " << n << " training examples"
      << (s.val.size() ? ", " + std::to_string(s.val.size()) + " validation" : "")
      << (s.test.size() ? ", " + std::to_string(s.test.size()) + " test" : "") << "; batch "
      << o.batch << ", " << batches << " steps per epoch, " << s.model->numThreads()
      << " thread(s)" << (s.stdz.empty() ? "" : ", standardized features") << "\n"
      << std::flush;
  DLC_TRY(plan, planLearningRate(o, *s.model, resumeFrom ? &*resumeFrom : nullptr,
                                  checkpointPath(o)));
  st.lr = plan;
  st.early.patience = o.earlyStop;
  out << "learning rate " << fmt("%g", plan.base) << " from " << plan.source << ", schedule "
      << plan.schedule.str()
      << (o.earlyStop ? ", early stop after " + std::to_string(o.earlyStop) +
                            " epoch(s) without a lower validation loss"
                      : "")
      << "\n";
  // Early stopping's best epoch: its checkpoint, in memory (and in
  // DIR/best.safetensors), restored before the test.
  std::optional<Checkpoint> best;
  if (resumeFrom && st.early.bestEpoch > 0) {
    DLC_TRY(c, readSafetensors(checkpointPath(o, "best.safetensors")));
    best = std::move(c);
  }
  Progress progress(out, o.progress);
  bool haveCheckpoint = resumeFrom.has_value();
  bool stopped = false;

  for (; st.epoch < o.epochs && !st.early.exhausted(); ++st.epoch) {
    double epochLr = st.lr.at(st.epoch, o.epochs);
    Tensor lr = Tensor::scalar(DType::F32, epochLr);
    if (o.steps > 0 && st.step >= o.steps && st.batchInEpoch == 0) {
      stopped = true; // at an epoch boundary: its checkpoint is written
      break;
    }
    rng.setState(st.epochRng);
    std::vector<int64_t> order = permutation(n, o.shuffle, rng);
    std::array<uint64_t, 4> nextRng = rng.state();
    auto t0 = Clock::now();
    double cpu0 = cpuSeconds();
    int64_t seenAtStart = st.meter.count;
    for (; st.batchInEpoch < batches; ++st.batchInEpoch) {
      if (o.interrupt && o.interrupt->load()) {
        progress.finish();
        std::string where = "epoch " + std::to_string(st.epoch + 1) + ", step " +
                            std::to_string(st.step);
        if (o.checkpointDir.empty())
          return Error("interrupted at " + where + " (no --checkpoint: nothing saved)");
        DLC_CHECK(saveCheckpoint(o, s, st));
        return Error("interrupted at " + where + "; checkpoint " + checkpointPath(o) +
                     " written; continue with --resume");
      }
      if (o.steps > 0 && st.step >= o.steps) {
        stopped = true;
        break;
      }
      int64_t b = st.batchInEpoch * o.batch;
      Batch bt = makeBatch(s.train, order, b, std::min(n, b + o.batch));
      Tensor step = Tensor::scalar(DType::I64, static_cast<double>(st.step + 1));
      DLC_TRY(outs, s.model->run("train", {{s.x.name, bt.x},
                                           {s.label.name, labelTensor(s, bt.y)},
                                           {"lr", lr},
                                           {"step", step}}));
      if (outs.size() < 2)
        return Error("train: the entry outputs no model output after the loss");
      double loss = outs[0].getDouble(0);
      ++st.step;
      if (!std::isfinite(loss)) {
        progress.finish();
        return Error("epoch " + std::to_string(st.epoch + 1) + ", step " +
                     std::to_string(st.step) + ": the loss is " + (std::isnan(loss) ? "nan" : "inf") +
                     "; training stopped" +
                     (haveCheckpoint ? " (the last good checkpoint, " + checkpointPath(o) +
                                           ", is kept)"
                                     : " (no checkpoint was written)"));
      }
      score(st.meter, s, loss, outs[1], bt.y);
      double el = secondsSince(t0);
      progress.update(s, st.epoch + 1, o.epochs, st.batchInEpoch + 1, batches, st.meter,
                      el > 0 ? (st.meter.count - seenAtStart) / el : 0);
    }
    double seconds = secondsSince(t0), cpu = cpuSeconds() - cpu0;
    progress.finish();
    bool complete = st.batchInEpoch >= batches;
    json j{{"event", "epoch"}, {"epoch", st.epoch + 1}, {"step", st.step},
           {"complete", complete}, {"seconds", seconds}, {"cpu_seconds", cpu},
           {"samples_per_s", seconds > 0 ? (st.meter.count - seenAtStart) / seconds : 0},
           {"lr", epochLr}};
    meterJson(j, "train_", s, st.meter);
    out << "epoch " << st.epoch + 1 << "/" << o.epochs << (complete ? "" : " (partial)")
        << ": train " << describe(s, st.meter);
    bool improved = false;
    if (s.val.size()) {
      DLC_TRY(vm, evaluateSplit(s, s.val, std::max<int64_t>(o.batch, 256)));
      out << " | val " << describe(s, vm);
      meterJson(j, "val_", s, vm);
      if (complete && st.early.on())
        improved = st.early.observe(vm.loss(), st.epoch + 1);
    }
    out << " | lr " << fmt("%.6g", epochLr) << " | " << fmt("%.1f", seconds) << " s, cpu "
        << fmt("%.1f", cpu) << " s ("
        << fmt("%.0f", seconds > 0 ? (st.meter.count - seenAtStart) / seconds : 0)
        << " samples/s)\n"
        << std::flush;
    emit(j);
    if (complete) {
      st.batchInEpoch = 0;
      st.meter = Meter();
      st.epochRng = nextRng;
    }
    if (stopped || complete) {
      LoopState saved = st;
      if (complete)
        ++saved.epoch;
      if (!o.checkpointDir.empty()) {
        DLC_CHECK(saveCheckpoint(o, s, saved));
        haveCheckpoint = true;
      }
      if (improved) {
        best = trainingCheckpoint(o, s, saved);
        if (!o.checkpointDir.empty())
          DLC_CHECK(writeCheckpoint(o, *best, "best.safetensors"));
      }
    }
    if (stopped)
      break;
    if (st.early.exhausted())
      out << "early stop: the validation loss has not improved for " << st.early.badEpochs
          << " epoch(s)\n";
  }
  if (stopped) {
    out << "stopped after " << st.step << " steps (--steps)"
        << (o.checkpointDir.empty() ? "" : "; checkpoint " + checkpointPath(o)) << "\n";
    return Status::ok();
  }

  if (best) {
    DLC_CHECK(restore(*s.model, *best, checkpointPath(o, "best.safetensors"), /*strict=*/true,
                      s.modelName));
    out << "best epoch " << st.early.bestEpoch << " (val loss " << fmt("%.4f", st.early.bestLoss)
        << "): its weights are kept"
        << (o.checkpointDir.empty() ? "" : " in " + checkpointPath(o, "best.safetensors"))
        << (s.test.size() ? " and tested" : "") << "\n";
  }
  if (s.test.size()) {
    DLC_TRY(tm, evaluateSplit(s, s.test, std::max<int64_t>(o.batch, 256)));
    out << "test: " << describe(s, tm) << " (" << s.test.size() << " examples)\n";
    json j{{"event", "test"}, {"examples", s.test.size()}, {"step", st.step}};
    meterJson(j, "test_", s, tm);
    emit(j);
  }
  return Status::ok();
}

namespace {

Expected<Session> prepareForInference(const RunOptions &o, bool needLabel) {
  std::optional<Checkpoint> ck;
  if (!o.weights.empty()) {
    DLC_TRY(c, readSafetensors(o.weights));
    ck = std::move(c);
  }
  DLC_TRY(s, prepare(o, false, needLabel, ck ? &*ck : nullptr));
  if (ck)
    DLC_CHECK(restore(*s.model, *ck, o.weights, /*strict=*/false, s.modelName));
  return std::move(s);
}

} // namespace

Status evalModel(const RunOptions &o, std::ostream &out) {
  if (o.batch <= 0)
    return Error("--batch must be positive");
  DLC_TRY(s, prepareForInference(o, true));
  if (!s.hasLabelInput)
    return Error(o.model + ": the artifact has no eval entry with labels (compile it with a loss)");
  const Dataset &d = s.test.size() ? s.test : s.train;
  const char *which = s.test.size() ? (s.testIsHeldOut ? "held-out test split" : "test set")
                                    : "whole data set";
  DLC_TRY(m, evaluateSplit(s, d, o.batch));
  out << s.modelName << " on the " << which << ": " << describe(s, m) << " (" << d.size()
      << " examples)\n";
  if (!o.metrics.empty()) {
    std::ofstream f(o.metrics, std::ios::app);
    json j{{"event", "eval"}, {"examples", d.size()}};
    meterJson(j, "", s, m);
    f << j.dump() << "\n";
    if (!f)
      return Error(o.metrics + ": cannot write the metrics file");
  }
  return Status::ok();
}

Status predictModel(const RunOptions &o, std::ostream &out) {
  if (o.batch <= 0)
    return Error("--batch must be positive");
  bool csv = o.output.size() > 4 && o.output.substr(o.output.size() - 4) == ".csv";
  bool npy = o.output.size() > 4 && o.output.substr(o.output.size() - 4) == ".npy";
  if (!csv && !npy)
    return Error("-o " + o.output + ": predictions go to a .npy or .csv file");
  DLC_TRY(s, prepareForInference(o, false));
  const Dataset &d = s.test.size() ? s.test : s.train;
  std::vector<int64_t> order(d.size());
  for (int64_t i = 0; i < d.size(); ++i)
    order[i] = i;
  Tensor all;
  int64_t perRow = 0;
  for (int64_t b = 0; b < d.size(); b += o.batch) {
    Batch bt = makeBatch(d, order, b, std::min(d.size(), b + o.batch));
    DLC_TRY(outs, s.model->run("infer", {{s.x.name, bt.x}}));
    const Tensor &y = outs[0];
    if (all.empty()) {
      std::vector<int64_t> shape = y.shape();
      shape[0] = d.size();
      all = Tensor(y.dtype(), shape);
      perRow = y.shape()[0] ? static_cast<int64_t>(y.byteSize() / y.shape()[0]) : 0;
    }
    std::memcpy(static_cast<char *>(all.raw()) + b * perRow, y.raw(), y.byteSize());
  }
  if (npy) {
    DLC_CHECK(writeNpy(o.output, all));
  } else {
    int64_t n = all.shape()[0], k = n ? all.numel() / n : 0;
    bool classes = s.out.dims.size() == 2 && k > 1 && d.task == Task::Classification;
    std::ostringstream text;
    text.precision(9);
    if (classes)
      text << "class,";
    for (int64_t c = 0; c < k; ++c)
      text << (c ? "," : "") << s.out.name << "_" << c;
    text << "\n";
    for (int64_t i = 0; i < n; ++i) {
      if (classes) {
        int64_t best = 0;
        for (int64_t c = 1; c < k; ++c)
          if (all.getDouble(i * k + c) > all.getDouble(i * k + best))
            best = c;
        if (best < static_cast<int64_t>(s.classNames.size()))
          text << s.classNames[best] << ",";
        else
          text << best << ",";
      }
      for (int64_t c = 0; c < k; ++c)
        text << (c ? "," : "") << all.getDouble(i * k + c);
      text << "\n";
    }
    DLC_CHECK(writeFileAtomic(o.output, text.str()));
  }
  out << "wrote " << d.size() << " predictions (" << s.out.str() << ") to " << o.output << "\n";
  return Status::ok();
}

Expected<BoundData> bindData(const RunOptions &o, bool needLabel) {
  DLC_TRY(s, prepare(o, /*training=*/false, needLabel, nullptr));
  if (s.train.size() < o.batch)
    return Error("--data=" + o.data + ": " + std::to_string(s.train.size()) +
                 " training examples, fewer than one batch of " + std::to_string(o.batch));
  auto session = std::make_shared<Session>(std::move(s));
  BoundData b;
  b.model = std::move(session->model);
  b.features = session->x.name;
  b.labels = session->hasLabelInput ? session->label.name : "";
  int64_t batch = o.batch;
  b.batch = [session, batch](int64_t i) {
    const Session &s = *session;
    int64_t begin = (i % (s.train.size() / batch)) * batch;
    std::vector<int64_t> rows(batch);
    std::iota(rows.begin(), rows.end(), begin);
    Batch bt = makeBatch(s.train, rows, 0, batch);
    std::map<std::string, Tensor> in{{s.x.name, bt.x}};
    if (s.hasLabelInput && !bt.y.empty())
      in.emplace(s.label.name, labelTensor(s, bt.y));
    return in;
  };
  return b;
}

} // namespace dlrt
