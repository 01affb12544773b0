// Learning-rate schedules (dlrt/LrSchedule.h): parsing the spec and the
// closed forms of torch.optim.lr_scheduler's StepLR, ExponentialLR and
// CosineAnnealingLR.
#include "dlrt/LrSchedule.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace dlrt {

namespace {

std::vector<std::string> splitColons(const std::string &s) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, ':'))
    parts.push_back(part);
  if (!s.empty() && s.back() == ':')
    parts.push_back("");
  return parts;
}

// A whole string as a finite number, or false.
bool toNumber(const std::string &s, double &v) {
  char *end = nullptr;
  v = std::strtod(s.c_str(), &end);
  return !s.empty() && end && !*end && std::isfinite(v);
}

// The shortest text that reads back as v: "0.1", not "0.10000000000000001".
std::string shortest(double v) {
  char buf[32];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v)
      break;
  }
  return buf;
}

} // namespace

Expected<LrSchedule> LrSchedule::parse(const std::string &spec) {
  auto bad = [&](const std::string &why) {
    return Error("learning-rate schedule '" + spec + "': " + why +
                 " (expected constant, step:EVERY_EPOCHS:GAMMA, exp:GAMMA or cosine)");
  };
  std::vector<std::string> p = splitColons(spec);
  LrSchedule s;
  if (p.empty())
    return bad("empty");
  if (p[0] == "constant" || p[0] == "cosine") {
    if (p.size() != 1)
      return bad(p[0] + " takes no arguments");
    s.kind = p[0] == "constant" ? Kind::Constant : Kind::Cosine;
    return s;
  }
  double v = 0;
  if (p[0] == "step") {
    if (p.size() != 3)
      return bad("step takes EVERY_EPOCHS and GAMMA");
    if (!toNumber(p[1], v) || v < 1 || v != std::floor(v))
      return bad("EVERY_EPOCHS '" + p[1] + "' is not a positive integer");
    s.kind = Kind::Step;
    s.every = static_cast<int64_t>(v);
  } else if (p[0] == "exp") {
    if (p.size() != 2)
      return bad("exp takes GAMMA");
    s.kind = Kind::Exp;
  } else {
    return bad("unknown schedule '" + p[0] + "'");
  }
  const std::string &g = p.back();
  if (!toNumber(g, v) || v <= 0)
    return bad("GAMMA '" + g + "' is not a positive number");
  s.gamma = v;
  return s;
}

double LrSchedule::at(double base, int64_t epoch, int64_t epochs) const {
  switch (kind) {
  case Kind::Constant:
    return base;
  case Kind::Step:
    return base * std::pow(gamma, static_cast<double>(epoch / every));
  case Kind::Exp:
    return base * std::pow(gamma, static_cast<double>(epoch));
  case Kind::Cosine:
    // Past T_max torch's recursive form climbs back up; a run never gets
    // there since T_max is its own number of epochs.
    return base * (1 + std::cos(M_PI * static_cast<double>(epoch) /
                                static_cast<double>(epochs > 0 ? epochs : 1))) /
           2;
  }
  return base;
}

std::string LrSchedule::str() const {
  switch (kind) {
  case Kind::Constant:
    return "constant";
  case Kind::Cosine:
    return "cosine";
  case Kind::Step:
    return "step:" + std::to_string(every) + ":" + shortest(gamma);
  case Kind::Exp:
    return "exp:" + shortest(gamma);
  }
  return "constant";
}

} // namespace dlrt
