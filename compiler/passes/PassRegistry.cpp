// The pass table and the pipeline runner.
#include "passes/PassRegistry.h"

#include "ir/Verifier.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace dlc {

const std::vector<PassInfo> &allPasses() {
  static const std::vector<PassInfo> passes = {
#define DLC_PASS(Name, Function, Description) {Name, Function, Description},
#include "passes/Passes.def"
  };
  return passes;
}

const PassInfo *findPass(const std::string &name) {
  for (const PassInfo &p : allPasses())
    if (name == p.name)
      return &p;
  return nullptr;
}

Expected<std::vector<const PassInfo *>> parsePipeline(const std::string &text) {
  std::vector<const PassInfo *> out;
  std::vector<std::string> unknown;
  std::stringstream ss(text);
  std::string name;
  while (std::getline(ss, name, ',')) {
    if (name.empty())
      continue;
    if (const PassInfo *p = findPass(name))
      out.push_back(p);
    else
      unknown.push_back("'" + name + "'");
  }
  if (!unknown.empty()) {
    std::string list;
    for (auto &u : unknown)
      list += (list.empty() ? "" : ", ") + u;
    return Error("unknown pass" + std::string(unknown.size() > 1 ? "es " : " ") + list +
                 " (see --print-passes)");
  }
  return out;
}

Status runPipeline(Graph &g, const std::vector<const PassInfo *> &passes,
                   const PipelineOptions &opts) {
  auto wants = [&](const std::string &name) {
    return std::any_of(opts.printAfter.begin(), opts.printAfter.end(),
                       [&](const std::string &p) { return p == "all" || p == name; });
  };
  std::vector<std::pair<std::string, double>> times;
  for (const PassInfo *p : passes) {
    auto start = std::chrono::steady_clock::now();
    auto changed = p->run(g);
    double ms = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - start).count();
    times.emplace_back(p->name, ms);
    if (!changed)
      return changed.takeError().withContext(std::string("pass '") + p->name + "'");
    if (opts.verifyEach)
      if (Status s = verifyGraph(g); !s)
        return s.error().withContext(std::string("verification after pass '") +
                                     p->name + "' failed");
    if (opts.print && wants(p->name))
      opts.print(p->name, g);
  }
  if (opts.timePasses && opts.timingStream) {
    double total = 0;
    for (auto &t : times)
      total += t.second;
    *opts.timingStream << "===-- pass execution timing report --===\n";
    char line[160];
    for (auto &[name, ms] : times) {
      std::snprintf(line, sizeof line, "  %10.3f ms  %5.1f%%  %s\n", ms,
                    total > 0 ? 100 * ms / total : 0.0, name.c_str());
      *opts.timingStream << line;
    }
    std::snprintf(line, sizeof line, "  %10.3f ms  100.0%%  total\n", total);
    *opts.timingStream << line;
  }
  return Status::ok();
}

} // namespace dlc
