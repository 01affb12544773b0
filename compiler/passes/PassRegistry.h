// Passes over the graph and the textual pipeline that runs them
// (`--passes=simplify,fold-constants,dce`). Each pass lives in its own file and
// is listed in Passes.def.
#pragma once

#include "ir/IR.h"

#include <functional>
#include <ostream>
#include <string>
#include <vector>

namespace dlc {

using PassFn = Expected<bool> (*)(Graph &);

struct PassInfo {
  const char *name;
  PassFn run;
  const char *description;
};

#define DLC_PASS(Name, Function, Description) Expected<bool> Function(Graph &g);
#include "passes/Passes.def"

const std::vector<PassInfo> &allPasses();
const PassInfo *findPass(const std::string &name);

struct PipelineOptions {
  std::vector<std::string> printAfter; // pass names, or "all"
  bool verifyEach = false;
  bool timePasses = false;
  // Called with (pass name, graph) after each pass named in printAfter.
  std::function<void(const std::string &, const Graph &)> print;
  std::ostream *timingStream = nullptr;
};

// Splits "a,b,c" and checks every name; errors list the unknown ones.
Expected<std::vector<const PassInfo *>> parsePipeline(const std::string &text);
Status runPipeline(Graph &g, const std::vector<const PassInfo *> &passes,
                   const PipelineOptions &opts);

} // namespace dlc
