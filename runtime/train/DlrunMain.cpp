// dlrun's command line: parses flags (CLI11) into RunOptions and calls the
// training library; the only place that turns errors into exit codes and
// Ctrl-C into a checkpoint-and-stop request.
#include "runtime/train/DlrunMain.h"

#include "dlrt/Export.h"
#include "dlrt/Train.h"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>
#include <unistd.h>

namespace dlrt {

namespace {

std::atomic<bool> interrupted{false};
// The signal that stopped training: the exit status is 128 + it, as a shell
// reports a process killed by it (130 for SIGINT, 143 for SIGTERM).
volatile std::sig_atomic_t stopSignal = 0;

extern "C" void onSigint(int sig) {
  stopSignal = sig;
  if (interrupted.exchange(true)) // a second Ctrl-C: stop now
    std::_Exit(128 + sig);
}

void commonData(CLI::App *cmd, RunOptions &o) {
  cmd->add_option("model", o.model, "The compiled model (.dlm, from dlc -o)")->required();
  cmd->add_option("--data", o.data,
                  "idx:DIR, csv:FILE[,header=auto|yes|no][,skip=N][,label=COL]"
                  "[,task=auto|classify|regress] or npy:X.npy[,Y.npy]")
      ->required();
  cmd->add_option("--batch", o.batch, "Examples per step")->check(CLI::PositiveNumber);
  cmd->add_option("--seed", o.seed, "Seed of the data order and the splits");
  cmd->add_option("--threads", o.threads, "Kernel threads (default: every core)");
  cmd->add_option("--test-split", o.testSplit,
                  "Hold out this fraction as the test set (data without one, e.g. CSV)");
  cmd->add_option("--standardize", o.standardize,
                  "Feature standardization from the training split: auto (tabular "
                  "data), on or off")
      ->check(CLI::IsMember({"auto", "on", "off"}));
}

} // namespace

int dlrunMain(int argc, char **argv) {
  CLI::App app{"dlrun: train, evaluate, run and export compiled dlc models (.dlm) on data sets"};
  app.get_formatter()->column_width(30);
  app.require_subcommand(1);
  RunOptions o;
  o.batch = 64;

  auto *train = app.add_subcommand("train", "Train the model, report per-epoch metrics and "
                                            "test metrics at the end");
  commonData(train, o);
  train->add_option("--epochs", o.epochs, "Passes over the training data")
      ->check(CLI::PositiveNumber);
  train->add_option_function<double>(
      "--lr", [&o](double v) { o.lr = v, o.lrGiven = true; },
      "Learning rate (default: the checkpoint's when resuming, else the artifact's: dlc's "
      "--lr or the optimizer's default)");
  train->add_option("--lr-schedule", o.lrSchedule,
                    "Per-epoch learning-rate schedule: constant, step:EVERY_EPOCHS:GAMMA, "
                    "exp:GAMMA or cosine (default: the checkpoint's, else the artifact's)");
  train->add_option("--early-stop", o.earlyStop,
                    "Stop when the validation loss has not improved for PATIENCE epochs; "
                    "test the best epoch's weights (DIR/best.safetensors); needs --val-split");
  train->add_option("--steps", o.steps, "Stop after this many steps in all (0: no limit)");
  std::string shuffle = "on";
  train->add_option("--shuffle", shuffle, "Shuffle the training data each epoch")
      ->check(CLI::IsMember({"on", "off"}));
  train->add_flag("--drop-last", o.dropLast, "Drop the partial last batch of each epoch");
  train->add_option("--val-split", o.valSplit,
                    "Hold out this fraction of the training data for validation");
  train->add_option("--checkpoint", o.checkpointDir,
                    "Write DIR/last.safetensors after each epoch (and when stopped)");
  train->add_flag("--resume", o.resume, "Continue from DIR/last.safetensors");
  train->add_option("--metrics", o.metrics, "Write metrics as JSON lines to FILE");
  std::string progress = "auto";
  train->add_option("--progress", progress, "Progress bar: auto (on a terminal), on or off")
      ->check(CLI::IsMember({"auto", "on", "off"}));

  auto *eval = app.add_subcommand("eval", "Loss and accuracy (or MSE) on the test set");
  commonData(eval, o);
  eval->add_option("--weights", o.weights, "A checkpoint (.safetensors) to evaluate");
  eval->add_option("--metrics", o.metrics, "Append the result as a JSON line to FILE");

  auto *predict = app.add_subcommand("predict", "Write the model's outputs for the data");
  commonData(predict, o);
  predict->add_option("--weights", o.weights, "A checkpoint (.safetensors)");
  predict->add_option("-o", o.output, "OUT.npy or OUT.csv")->required();

  auto *exportCmd = app.add_subcommand(
      "export", "Write the model with a checkpoint's weights as ONNX (the original .onnx, or "
                "one built from the .dlg); standardization statistics in the checkpoint are "
                "folded in as (x - mean) / std in front of the input, so the ONNX model takes "
                "raw features and predicts what `dlrun predict` does");
  exportCmd->add_option("model", o.model, "The compiled model (.dlm, from dlc -o)")->required();
  exportCmd->add_option("--weights", o.weights, "The checkpoint (.safetensors)")->required();
  exportCmd->add_option("-o", o.output, "The ONNX file to write (atomically)")->required();

  BenchOptions bo;
  auto *bench = app.add_subcommand("bench", "Time an entry: median and spread of its wall time "
                                            "over --steps runs, as one JSON line");
  bench->add_option("model", bo.run.model, "The compiled model (.dlm, from dlc -o)")->required();
  bench->add_option("--steps", bo.steps, "Timed runs")->required();
  bench->add_option("--warmup", bo.warmup, "Untimed runs first (default 10)");
  bench->add_option("--entry", bo.entry, "train (default), eval or infer");
  bench->add_option("--batch", bo.run.batch, "Examples per run (the symbolic batch dim)");
  bench->add_option("--threads", bo.run.threads, "Kernel threads (default: every core)");
  bench->add_option_function<double>(
      "--lr", [&bo](double v) { bo.run.lr = v, bo.run.lrGiven = true; },
      "Learning rate fed to train (default: the artifact's, as train)");
  bench->add_option("--seed", bo.run.seed, "Seed of the random inputs");
  bench->add_option("--data", bo.run.data,
                    "Batches from a data set (as train's --data) instead of random inputs");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  o.shuffle = shuffle == "on";
  o.progress = progress == "on" || (progress == "auto" && isatty(STDOUT_FILENO));
  if (o.batch <= 0)
    o.batch = 64;

  // Over a file-size limit (ulimit -f) a write then fails with EFBIG, which
  // the writers report naming the file, instead of SIGXFSZ killing dlrun.
  std::signal(SIGXFSZ, SIG_IGN);
  Status s;
  if (train->parsed()) {
    o.interrupt = &interrupted;
    std::signal(SIGINT, onSigint);
    std::signal(SIGTERM, onSigint);
    s = trainModel(o, std::cout);
  } else if (eval->parsed()) {
    if (o.batch == 64)
      o.batch = 256; // no gradients: bigger batches are cheap
    s = evalModel(o, std::cout);
  } else if (bench->parsed()) {
    s = benchModel(bo, std::cout);
  } else if (exportCmd->parsed()) {
    s = exportModel(o, std::cout);
  } else {
    if (o.batch == 64)
      o.batch = 256;
    s = predictModel(o, std::cout);
  }
  std::cout.flush();
  if (!s) {
    std::cerr << "error: " << s.error().message() << "\n";
    return interrupted ? 128 + stopSignal : 1;
  }
  return 0;
}

} // namespace dlrt
