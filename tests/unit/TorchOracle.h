// PyTorch as an outside oracle for unit tests: Debian's python3-torch, run
// through DLC_PYTHON (the interpreter that sees it). Tests that need it skip
// cleanly where it is missing.
//
// TorchCases batches many small computations into one Python process: each
// case is a body that sees `x` (its inputs as float64 tensors) and `F`
// (torch.nn.functional) and assigns `y` (a tensor or a list of tensors).
#pragma once

#include "dlrt/Npy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace dlc::test {

namespace fs = std::filesystem;

inline bool haveTorch() {
  static int ok = -1;
  if (ok < 0)
    ok = std::system(DLC_PYTHON " -c 'import torch, numpy' >/dev/null 2>&1") == 0;
  return ok == 1;
}

#define DLC_SKIP_WITHOUT_TORCH()                                               \
  if (!::dlc::test::haveTorch())                                               \
  GTEST_SKIP() << DLC_PYTHON " cannot import torch"

// A scratch directory removed when the test ends.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "dlc-test-XXXXXX").string();
    path = mkdtemp(tmpl.data()) ? fs::path(tmpl) : fs::path();
  }
  ~TempDir() {
    std::error_code ec;
    if (!path.empty())
      fs::remove_all(path, ec);
  }
  TempDir(const TempDir &) = delete;
  TempDir &operator=(const TempDir &) = delete;
};

// Runs `script` with DLC_PYTHON, the directory as argv[1]; on failure adds
// a test failure holding Python's output.
inline bool runPython(const TempDir &dir, const std::string &script, const std::string &what) {
  if (dir.path.empty()) {
    ADD_FAILURE() << "cannot create a temporary directory";
    return false;
  }
  fs::path file = dir.path / "ref.py";
  std::ofstream(file) << script;
  std::string cmd = std::string(DLC_PYTHON) + " " + file.string() + " " + dir.path.string() +
                    " > " + (dir.path / "log").string() + " 2>&1";
  if (std::system(cmd.c_str()) == 0)
    return true;
  std::ifstream log(dir.path / "log");
  std::stringstream ss;
  ss << log.rdbuf();
  ADD_FAILURE() << what << " failed:\n" << ss.str();
  return false;
}

inline bool saveNpy(const std::string &path, const dlrt::Tensor &t) {
  dlrt::Status s = dlrt::writeNpy(path, t);
  if (!s)
    ADD_FAILURE() << s.error().message();
  return bool(s);
}

inline dlrt::Tensor loadNpy(const std::string &path) {
  auto t = dlrt::readNpy(path);
  if (!t) {
    ADD_FAILURE() << t.error().message();
    return dlrt::Tensor();
  }
  return *t;
}

// "(1, 2)", "(3, )": a Python tuple.
inline std::string pyTuple(const std::vector<int64_t> &v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i)
    s += std::to_string(v[i]) + (v.size() == 1 || i + 1 < v.size() ? ", " : "");
  return s + ")";
}

class TorchCases {
public:
  int add(const std::string &body, std::vector<dlrt::Tensor> inputs) {
    cases_.push_back({body, std::move(inputs)});
    return static_cast<int>(cases_.size()) - 1;
  }

  // Runs every case; false (with a test failure) if Python failed.
  bool run() {
    std::ostringstream py;
    py << "import sys, numpy as np, torch\n"
          "import torch.nn.functional as F\n"
          "d = sys.argv[1]\n"
          "def load(k, i):\n"
          "    return torch.from_numpy(np.load(f'{d}/c{k}_in{i}.npy').astype(np.float64))\n"
          "def save(k, ys):\n"
          "    if not isinstance(ys, (list, tuple)): ys = [ys]\n"
          "    for j, t in enumerate(ys):\n"
          "        a = np.array(t.detach().to(torch.float64).numpy(), order='C')\n"
          "        np.save(f'{d}/c{k}_out{j}.npy', a)\n";
    for (size_t k = 0; k < cases_.size(); ++k) {
      for (size_t i = 0; i < cases_[k].inputs.size(); ++i)
        if (!saveNpy(file(k, "in", i), cases_[k].inputs[i]))
          return false;
      py << "def case" << k << "(x):\n";
      std::istringstream lines(cases_[k].body);
      for (std::string line; std::getline(lines, line);)
        py << "    " << line << "\n";
      py << "    return y\n";
      py << "save(" << k << ", case" << k << "([load(" << k << ", i) for i in range("
         << cases_[k].inputs.size() << ")]))\n";
    }
    return runPython(dir_, py.str(), "PyTorch reference");
  }

  dlrt::Tensor output(int k, size_t j = 0) const { return loadNpy(file(k, "out", j)); }

private:
  std::string file(size_t k, const char *kind, size_t i) const {
    return (dir_.path / ("c" + std::to_string(k) + "_" + kind + std::to_string(i) + ".npy"))
        .string();
  }
  struct Case {
    std::string body;
    std::vector<dlrt::Tensor> inputs;
  };
  std::vector<Case> cases_;
  TempDir dir_;
};

} // namespace dlc::test
