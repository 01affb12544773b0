// libFuzzer target for the .dlg text parser: the input is .dlg text. Whatever
// the text, parseDlg must return a verified graph or a "file:line:col: error"
// value (never crash, hang or leak under ASan/UBSan). npy("...") references
// resolve under an empty base dir. With DLC_FUZZ_ROUNDTRIP=1 in the
// environment, an accepted graph must also round-trip: print -> parse -> print
// gives the same text.
#include "frontend/dlg/Parser.h"
#include "ir/Printer.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string text(reinterpret_cast<const char *>(data), size);
  auto g = dlc::parseDlg(text, "fuzz.dlg", "");
  if (!g)
    return 0;
  static const bool roundTrip = [] {
    const char *e = std::getenv("DLC_FUZZ_ROUNDTRIP");
    return e && *e == '1';
  }();
  std::string printed = dlc::printGraph(**g);
  if (!roundTrip)
    return 0;
  auto again = dlc::parseDlg(printed, "printed.dlg", "");
  if (!again) {
    std::fprintf(stderr, "printed graph does not parse: %s\n--- printed:\n%s",
                 again.error().message().c_str(), printed.c_str());
    std::abort();
  }
  std::string reprinted = dlc::printGraph(**again);
  if (reprinted != printed) {
    std::fprintf(stderr, "print -> parse -> print differs\n--- first:\n%s"
                 "--- second:\n%s", printed.c_str(), reprinted.c_str());
    std::abort();
  }
  return 0;
}
