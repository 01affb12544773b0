// dlc: load a model (.onnx or .dlg), run a pass pipeline, emit a form of it
// (--emit=ir|dot) or run it on the reference interpreter (--run).
#include "driver/DlcMain.h"

#include "codegen/Artifact.h"
#include "dlrt/File.h"
#include "dlrt/Npy.h"
#include "dlrt/Runtime.h"
#include "frontend/dlg/Parser.h"
#include "frontend/onnx/OnnxExporter.h"
#include "frontend/onnx/OnnxImporter.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"
#include "runtime/reference/Interpreter.h"
#include "training/Initializers.h"
#include "training/Optimizers.h"
#include "training/TrainGraph.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <algorithm>

namespace dlc {

namespace {

struct Options {
  std::string model;
  std::string emit = "ir";
  std::string output;
  std::string passes;
  std::vector<std::string> printAfter;
  bool verifyEach = false, timePasses = false, printPasses = false;
  bool elideWeights = false;
  bool run = false;
  std::vector<std::string> inputs;
  std::string outputDir;
  // Training.
  bool train = false;
  std::string entry; // train, eval, infer ("" = the model as it is)
  std::vector<std::string> losses, freeze;
  std::string optimizer;
  std::map<std::string, double> hyper; // from the hyper-parameter flags
  double l1 = -1, l2 = -1, clipNorm = -1;
  std::string lrSchedule;
  int64_t steps = 1;
  std::string saveParams;
  // Code generation.
  std::string target = "host", cacheDir;
  bool noCache = false, stats = false;
  int jobs = 0;
};

// KIND[:OUTPUT[:LABEL[:WEIGHT]]]
Expected<LossTerm> parseLossFlag(const std::string &text) {
  std::vector<std::string> parts;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ':'))
    parts.push_back(part);
  if (parts.empty() || parts.size() > 4 || parts[0].empty())
    return Error("--loss=" + text + ": expected KIND[:OUTPUT[:LABEL[:WEIGHT]]]");
  LossTerm t;
  t.kind = parts[0];
  if (parts.size() > 1)
    t.output = parts[1];
  if (parts.size() > 2)
    t.label = parts[2];
  if (parts.size() > 3) {
    char *end = nullptr;
    t.weight = std::strtod(parts[3].c_str(), &end);
    if (!end || *end || parts[3].empty())
      return Error("--loss=" + text + ": weight '" + parts[3] + "' is not a number");
  }
  return t;
}

// The model's train block, with the command line's flags over it.
Expected<TrainSpec> trainSpec(const Graph &g, const Options &o) {
  TrainSpec spec = g.train;
  if (!o.losses.empty()) {
    spec.losses.clear();
    for (const std::string &l : o.losses) {
      DLC_TRY(t, parseLossFlag(l));
      spec.losses.push_back(t);
    }
  }
  if (!o.optimizer.empty() && o.optimizer != spec.optimizer.kind) {
    spec.optimizer.kind = o.optimizer;
    spec.optimizer.args.clear();
  }
  for (auto &[k, v] : o.hyper)
    spec.optimizer.args[k] = v;
  spec.freeze.insert(spec.freeze.end(), o.freeze.begin(), o.freeze.end());
  if (o.l1 >= 0)
    spec.l1 = o.l1;
  if (o.l2 >= 0)
    spec.l2 = o.l2;
  if (o.clipNorm >= 0)
    spec.clipNorm = o.clipNorm;
  if (!o.lrSchedule.empty())
    spec.lrSchedule = o.lrSchedule;
  return spec;
}

bool endsWith(const std::string &s, const std::string &suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Expected<std::unique_ptr<Graph>> loadModel(const std::string &path) {
  if (endsWith(path, ".onnx"))
    return importOnnxFile(path);
  if (endsWith(path, ".dlg"))
    return parseDlgFile(path);
  return Error(path + ": unknown model format (expected a .onnx or .dlg file)");
}

// "-" is standard output; files are written atomically.
Status writeOutput(const std::string &path, const std::string &text) {
  if (path == "-") {
    std::cout << text;
    return Status::ok();
  }
  return dlrt::writeFileAtomic(path, text);
}

std::string safeFileName(const std::string &name) {
  std::string s;
  for (char c : name)
    s += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'
             ? c
             : '_';
  return s.empty() || s[0] == '.' ? "_" + s : s;
}

// --input NAME=FILE.npy (or FILE.npy for a sole input) into named tensors.
Expected<std::map<std::string, Tensor>> readFeeds(const std::vector<std::string> &inputNames,
                                                  const Options &o) {
  std::map<std::string, Tensor> feeds;
  for (const std::string &spec : o.inputs) {
    size_t eq = spec.find('=');
    std::string name, path = spec;
    if (eq == std::string::npos) {
      if (inputNames.size() != 1)
        return Error("--input " + spec + ": the model has " +
                     std::to_string(inputNames.size()) +
                     " inputs; write --input NAME=FILE.npy");
      name = inputNames[0];
    } else {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    }
    if (std::find(inputNames.begin(), inputNames.end(), name) == inputNames.end())
      return Error("--input " + spec + ": the model has no input '" + name + "'");
    DLC_TRY(t, dlrt::readNpy(path));
    feeds[name] = t;
  }
  return feeds;
}

// A training step's learning rate and step number come from the flags
// unless bound explicitly.
void feedStep(std::map<std::string, Tensor> &feeds, const Options &o, const TrainSpec &spec,
              int64_t step, bool lrGiven) {
  if (!lrGiven)
    feeds["lr"] = Tensor::scalar(DType::F32, o.hyper.count("lr") ? o.hyper.at("lr")
                                                                  : defaultLearningRate(spec.optimizer));
  feeds["step"] = Tensor::scalar(DType::I64, static_cast<double>(step));
}

Status writeOutputs(const std::vector<std::string> &names, const std::vector<Tensor> &outs,
                    const Options &o) {
  if (!o.outputDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.outputDir, ec);
    if (ec)
      return Error(o.outputDir + ": cannot create directory: " + ec.message());
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const Tensor &t = outs[i];
    std::cout << names[i] << ": " << dlrt::dtypeName(t.dtype()) << dlrt::shapeString(t.shape());
    if (!o.outputDir.empty()) {
      std::string path = o.outputDir + "/" + safeFileName(names[i]) + ".npy";
      DLC_CHECK(dlrt::writeNpy(path, t));
      std::cout << " -> " << path;
    }
    std::cout << "\n  [";
    int64_t shown = std::min<int64_t>(t.numel(), 8);
    for (int64_t k = 0; k < shown; ++k)
      std::cout << (k ? ", " : "") << t.getDouble(k);
    std::cout << (t.numel() > shown ? ", ...]\n" : "]\n");
  }
  return Status::ok();
}

Status saveValues(const std::vector<std::pair<std::string, Tensor>> &values, const Options &o) {
  std::error_code ec;
  std::filesystem::create_directories(o.saveParams, ec);
  if (ec)
    return Error(o.saveParams + ": cannot create directory: " + ec.message());
  for (auto &[name, t] : values)
    DLC_CHECK(dlrt::writeNpy(o.saveParams + "/" + safeFileName(name) + ".npy", t));
  return Status::ok();
}

// --run on the reference interpreter.
Status runModel(Graph &g, const Options &o) {
  std::vector<std::string> inputNames;
  for (const Value *v : g.inputs())
    inputNames.push_back(v->name);
  DLC_TRY(feeds, readFeeds(inputNames, o));
  bool training = g.lookup("lr") && g.lookup("step") && !g.updates().empty();
  bool lrGiven = feeds.count("lr");
  InterpretResult result;
  for (int64_t step = 1; step <= (training ? o.steps : 1); ++step) {
    if (training)
      feedStep(feeds, o, g.train, step, lrGiven);
    DLC_TRY(r, interpret(g, feeds));
    if (training) {
      std::cout << "step " << step << ": loss " << formatFloat(r.outputs[0].getDouble(0))
                << "\n";
      applyUpdates(g, r);
    }
    result = std::move(r);
  }
  if (!o.saveParams.empty()) {
    std::vector<std::pair<std::string, Tensor>> values;
    std::vector<const Value *> persistent(g.params().begin(), g.params().end());
    persistent.insert(persistent.end(), g.states().begin(), g.states().end());
    for (const Value *v : persistent) {
      DLC_TRY(t, materializeParam(*v));
      values.emplace_back(v->name, t);
    }
    DLC_CHECK(saveValues(values, o));
  }
  std::vector<std::string> names;
  for (auto &[name, v] : g.outputs())
    names.push_back(name);
  return writeOutputs(names, result.outputs, o);
}

// --run on a compiled artifact, through the runtime library.
Status runArtifact(const Options &o) {
  DLC_TRY(model, dlrt::Model::load(o.model));
  std::string entry = o.entry.empty() ? (o.train ? "train" : "infer") : o.entry;
  DLC_TRY(inputs, model->inputs(entry));
  std::vector<std::string> inputNames;
  for (const auto &s : inputs)
    inputNames.push_back(s.name);
  DLC_TRY(feeds, readFeeds(inputNames, o));
  bool training = entry == "train";
  bool lrGiven = feeds.count("lr");
  std::vector<Tensor> outs;
  for (int64_t step = 1; step <= (training ? o.steps : 1); ++step) {
    if (training)
      feedStep(feeds, o, TrainSpec{}, step, lrGiven);
    DLC_TRY(r, model->run(entry, feeds));
    if (training)
      std::cout << "step " << step << ": loss " << formatFloat(r[0].getDouble(0)) << "\n";
    outs = std::move(r);
  }
  if (!o.saveParams.empty()) {
    std::vector<std::pair<std::string, Tensor>> values;
    for (const auto &spec : model->values()) {
      DLC_TRY(t, model->value(spec.name));
      if (!model->isConstant(spec.name))
        values.emplace_back(spec.name, t);
    }
    DLC_CHECK(saveValues(values, o));
  }
  DLC_TRY(outSpecs, model->outputs(entry));
  std::vector<std::string> names;
  for (const auto &s : outSpecs)
    names.push_back(s.name);
  return writeOutputs(names, outs, o);
}

// The model as ONNX for the artifact to embed (`dlrun export`): the input
// file when it is ONNX, else the inference graph exported; and which values
// its initializers hold: the inference graph's params and states, by name,
// except BatchNorm statistics that the entries keep per node while the ONNX
// file shares one initializer between several inputs. A model that does not
// export still compiles, with a warning.
void embedOnnx(const Graph &g, const Options &o, codegen::ArtifactOptions &ao) {
  bool isOnnx = endsWith(o.model, ".onnx");
  std::unique_ptr<Graph> infer = g.clone();
  Expected<std::string> bytes = [&]() -> Expected<std::string> {
    DLC_CHECK(buildInferStep(*infer));
    return isOnnx ? selfContainedOnnx(o.model) : exportOnnx(*infer);
  }();
  if (!bytes) {
    std::cerr << "dlc: warning: " << bytes.error().message()
              << "; the artifact embeds no ONNX model (dlrun export will refuse it)\n";
    return;
  }
  ao.onnxModel = std::move(*bytes);
  ao.onnxSource = isOnnx ? "onnx" : "dlg";
  std::map<const Value *, std::pair<std::string, int>> perNode; // statistic -> (BN output, input)
  for (const auto &n : infer->nodes())
    for (int i = 3; n->op == OpKind::BatchNorm && i <= 4; ++i)
      perNode[n->inputs[i]] = {n->outputs[0]->name, i};
  std::vector<const Value *> persistent(infer->params().begin(), infer->params().end());
  persistent.insert(persistent.end(), infer->states().begin(), infer->states().end());
  for (const Value *v : persistent) {
    auto it = perNode.find(v);
    if (isOnnx && !g.lookup(v->name) && it != perNode.end())
      ao.onnxValues.push_back({v->name, it->second.first, it->second.second});
    else
      ao.onnxValues.push_back({v->name, "", 0});
  }
}

Status run(const Options &o) {
  if (o.printPasses) {
    for (const PassInfo &p : allPasses())
      std::printf("  %-16s %s\n", p.name, p.description);
    return Status::ok();
  }
  if (o.model.empty())
    return Error("no model given (see --help)");
  DLC_TRY(pipeline, parsePipeline(o.passes));
  for (const std::string &p : o.printAfter)
    if (p != "all" && !findPass(p))
      return Error("--print-after: unknown pass '" + p + "' (see --print-passes)");
  if (endsWith(o.model, ".dlm")) {
    if (!o.run)
      return Error(o.model + ": a compiled artifact can only be run (--run)");
    return runArtifact(o);
  }
  DLC_TRY(g, loadModel(o.model));
  if (endsWith(o.output, ".dlm")) {
    if (o.run || o.emit != "ir" || !o.entry.empty())
      return Error("-o " + o.output + " writes an artifact with every entry point; it "
                   "takes no --run, --emit or --entry");
    DLC_TRY(spec, trainSpec(*g, o));
    if (o.train || !spec.losses.empty())
      DLC_CHECK(checkTrainSpec(*g, spec));
    if (o.train && spec.losses.empty())
      return Error("--train needs a loss (--loss=KIND or a `loss` line in the train block)");
    codegen::ArtifactOptions ao;
    ao.target = o.target;
    ao.cacheDir = o.cacheDir;
    ao.useCache = !o.noCache;
    ao.jobs = o.jobs;
    ao.report = o.stats ? &std::cerr : nullptr;
    embedOnnx(*g, o, ao);
    return codegen::writeArtifact(*g, spec, ao, o.output);
  }
  std::string entry = o.entry.empty() && o.train ? "train" : o.entry;
  if (!entry.empty()) {
    DLC_TRY(spec, trainSpec(*g, o));
    if (entry == "train")
      DLC_CHECK(buildTrainStep(*g, spec));
    else if (entry == "eval")
      DLC_CHECK(buildEvalStep(*g, spec));
    else
      DLC_CHECK(buildInferStep(*g));
    // The graph now embodies the spec; keep it for defaults (lr) only.
    g->train = spec;
    g->train.present = false;
  }
  PrintOptions popts;
  popts.elideWeights = o.elideWeights;
  PipelineOptions opts;
  opts.printAfter = o.printAfter;
  opts.verifyEach = o.verifyEach;
  opts.timePasses = o.timePasses;
  opts.timingStream = &std::cerr;
  opts.print = [&](const std::string &pass, const Graph &graph) {
    std::cerr << "# ---- after " << pass << " ----\n" << printGraph(graph, popts);
  };
  DLC_CHECK(runPipeline(*g, pipeline, opts));
  if (o.run)
    return runModel(*g, o);
  std::string text;
  if (o.emit == "ir")
    text = printGraph(*g, popts);
  else if (o.emit == "dot")
    text = printDot(*g);
  else if (o.emit == "onnx") {
    DLC_TRY(bytes, exportOnnx(*g));
    text = bytes;
  } else if (o.emit == "halide" || o.emit == "asm") {
    DLC_TRY(k, codegen::emitKernels(*g, o.target, o.emit));
    text = k;
  }
  else
    return Error("--emit=" + o.emit + " is not available");
  return writeOutput(o.output.empty() ? "-" : o.output, text);
}

} // namespace

int dlcMain(int argc, char **argv) {
  CLI::App app{"dlc: compile a deep-learning model (.onnx or .dlg) to IR, Graphviz or a .dlm "
               "artifact; run models and artifacts on .npy inputs"};
  app.get_formatter()->column_width(34);
  Options o;
  app.add_option("model", o.model, "The model: a .onnx or .dlg file, or a .dlm artifact to run");
  app.add_option("--emit", o.emit,
                 "What to write: ir (.dlg text), dot (Graphviz), onnx (an ONNX model, "
                 "opset 17), halide (each kernel's lowered Halide statement) or asm (each "
                 "kernel's assembly)")
      ->check(CLI::IsMember({"ir", "dot", "onnx", "halide", "asm"}));
  app.add_option("-o", o.output, "Output file (default: standard output)");
  app.add_option("--passes", o.passes, "Comma-separated pass pipeline to run");
  app.add_flag("--print-passes", o.printPasses, "List the registered passes");
  app.add_option("--print-after", o.printAfter,
                 "Print the IR to stderr after this pass (or 'all')")
      ->delimiter(',');
  app.add_flag("--verify-each", o.verifyEach, "Verify the graph after every pass");
  app.add_flag("--time-passes", o.timePasses, "Report each pass's time on stderr");
  app.add_flag("--elide-weights", o.elideWeights,
               "Print tensors of more than 16 elements as `elided`");
  app.add_flag("--run", o.run, "Run the model on the reference interpreter");
  app.add_option("--input", o.inputs,
                 "NAME=FILE.npy binds a model input for --run (repeatable)");
  app.add_option("--output-dir", o.outputDir,
                 "With --run: write each output to DIR/NAME.npy");
  auto *cg = app.add_option_group("Code generation (-o MODEL.dlm)");
  cg->add_option("--target", o.target,
                 "host, x86-64-avx2, x86-64-avx512, host-cuda, or a Halide target string");
  cg->add_flag("--no-cache", o.noCache, "Compile every kernel, ignoring the kernel cache");
  cg->add_option("--cache-dir", o.cacheDir, "Kernel cache (default $DLC_CACHE_DIR or ~/.cache/dlc)");
  cg->add_option("--jobs", o.jobs, "Kernels compiled in parallel (default: one per core)");
  cg->add_flag("--stats", o.stats, "Report kernel counts, cache hits and compile time");
  auto *train = app.add_option_group("Training");
  train->add_flag("--train", o.train,
                  "Build the training step: forward, loss, backward, optimizer update");
  train->add_option("--entry", o.entry, "Entry point to build: train, eval or infer")
      ->check(CLI::IsMember({"train", "eval", "infer"}));
  train->add_option("--loss", o.losses,
                    "KIND[:OUTPUT[:LABEL[:WEIGHT]]] (repeatable: multi-task); KIND is mse, "
                    "l1, huber, bce, bce_with_logits, cross_entropy, cross_entropy_probs "
                    "or nll");
  train->add_option("--optimizer", o.optimizer,
                    "sgd, adagrad, adadelta, rmsprop, adam or adamw");
  train->add_option("--freeze", o.freeze, "Freeze parameters matching NAME or GLOB");
  train->add_option("--l1", o.l1, "L1 penalty: adds l1 * sum |w| to the loss");
  train->add_option("--l2", o.l2, "L2 penalty: adds l2 * sum w^2 to the loss");
  train->add_option("--clip-norm", o.clipNorm, "Clip gradients to this global norm");
  train->add_option("--lr-schedule", o.lrSchedule,
                    "Learning-rate schedule recorded in the artifact for dlrun: constant, "
                    "step:EVERY_EPOCHS:GAMMA, exp:GAMMA or cosine");
  train->add_option("--steps", o.steps, "With --run: training steps to take")
      ->check(CLI::PositiveNumber);
  train->add_option("--save-params", o.saveParams,
                    "With --run: write every parameter and state to DIR/NAME.npy");
  // Hyper-parameters by torch.optim's names.
  static const std::pair<const char *, const char *> hyper[] = {
      {"lr", "learning rate"},      {"momentum", "momentum factor"},
      {"dampening", "momentum dampening"}, {"weight-decay", "weight decay (L2 in the update)"},
      {"beta1", "Adam's beta1"},    {"beta2", "Adam's beta2"},
      {"eps", "term added for numerical stability"}, {"alpha", "RMSprop's smoothing"},
      {"rho", "Adadelta's decay"},  {"lr-decay", "Adagrad's learning-rate decay"},
      {"initial-accumulator-value", "Adagrad's initial accumulator"}};
  for (auto &[flag, help] : hyper)
    train->add_option_function<double>(
        std::string("--") + flag,
        [&o, flag = std::string(flag)](double v) {
          std::string key = flag;
          std::replace(key.begin(), key.end(), '-', '_');
          o.hyper[key] = v;
        },
        help);
  for (const char *flag : {"nesterov", "centered", "amsgrad"})
    train->add_flag_callback(std::string("--") + flag,
                             [&o, key = std::string(flag)] { o.hyper[key] = 1; });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp &e) {
    return app.exit(e);
  } catch (const CLI::ParseError &e) {
    std::cerr << "error: " << e.what() << "\n";
    return 1;
  }
  if (Status s = run(o); !s) {
    const std::string &m = s.error().message();
    // Parser errors already read "file:line:col: error: ...".
    std::cerr << (m.find(": error: ") != std::string::npos ? "" : "error: ") << m
              << "\n";
    return 1;
  }
  return 0;
}

} // namespace dlc
