// dlc: load a model (.onnx or .dlg), run a pass pipeline, emit a form of it
// (--emit=ir|dot) or run it on the reference interpreter (--run).
#include "driver/DlcMain.h"

#include "dlrt/Npy.h"
#include "frontend/dlg/Parser.h"
#include "frontend/onnx/OnnxImporter.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"
#include "runtime/reference/Interpreter.h"

#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

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
};

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

// Writes next to the destination, then renames: a failed run leaves no
// partial file behind.
Status writeFileAtomic(const std::string &path, const std::string &text) {
  if (path == "-") {
    std::cout << text;
    return Status::ok();
  }
  std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary);
    if (!f.write(text.data(), text.size()) || !f.flush()) {
      std::remove(tmp.c_str());
      return Error(path + ": cannot write file");
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Error(path + ": cannot write file");
  }
  return Status::ok();
}

std::string safeFileName(const std::string &name) {
  std::string s;
  for (char c : name)
    s += std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'
             ? c
             : '_';
  return s.empty() || s[0] == '.' ? "_" + s : s;
}

Status runModel(const Graph &g, const Options &o) {
  std::map<std::string, Tensor> feeds;
  for (const std::string &spec : o.inputs) {
    size_t eq = spec.find('=');
    std::string name, path = spec;
    if (eq == std::string::npos) {
      if (g.inputs().size() != 1)
        return Error("--input " + spec + ": the model has " +
                     std::to_string(g.inputs().size()) +
                     " inputs; write --input NAME=FILE.npy");
      name = g.inputs()[0]->name;
    } else {
      name = spec.substr(0, eq);
      path = spec.substr(eq + 1);
    }
    if (!g.lookup(name) || g.lookup(name)->kind != ValueKind::Input)
      return Error("--input " + spec + ": the model has no input '" + name + "'");
    DLC_TRY(t, dlrt::readNpy(path));
    feeds[name] = t;
  }
  DLC_TRY(result, interpret(g, feeds));
  if (!o.outputDir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(o.outputDir, ec);
    if (ec)
      return Error(o.outputDir + ": cannot create directory: " + ec.message());
  }
  for (size_t i = 0; i < g.outputs().size(); ++i) {
    const std::string &name = g.outputs()[i].first;
    const Tensor &t = result.outputs[i];
    std::cout << name << ": " << dlrt::dtypeName(t.dtype())
              << dlrt::shapeString(t.shape());
    if (!o.outputDir.empty()) {
      std::string path = o.outputDir + "/" + safeFileName(name) + ".npy";
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
  DLC_TRY(g, loadModel(o.model));
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
  else
    return Error("--emit=" + o.emit + " is not available (expected ir or dot)");
  return writeFileAtomic(o.output.empty() ? "-" : o.output, text);
}

} // namespace

int dlcMain(int argc, char **argv) {
  CLI::App app{"dlc: compile a deep-learning model (.onnx or .dlg)"};
  app.get_formatter()->column_width(34);
  Options o;
  app.add_option("model", o.model, "The model: a .onnx or .dlg file");
  app.add_option("--emit", o.emit, "What to write: ir (.dlg text) or dot (Graphviz)")
      ->check(CLI::IsMember({"ir", "dot"}));
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
