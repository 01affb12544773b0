// libFuzzer target for the ONNX loader: the input is a serialized ModelProto.
// Whatever the bytes, importOnnxBytes must return a graph or an error value
// (never crash, hang or leak under ASan/UBSan), and an imported graph must
// pass the verifier and print. External data is refused (empty base dir), so
// the fuzzer never reads files.
#include "frontend/onnx/OnnxImporter.h"
#include "ir/Printer.h"
#include "ir/Verifier.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  std::string bytes(reinterpret_cast<const char *>(data), size);
  auto g = dlc::importOnnxBytes(bytes, "fuzz.onnx", "");
  if (!g)
    return 0;
  // An importer that accepts a model must hand back a well-formed graph.
  if (dlc::Status s = dlc::verifyGraph(**g); !s) {
    std::fprintf(stderr, "imported graph fails verification: %s\n",
                 s.error().message().c_str());
    std::abort();
  }
  std::string text = dlc::printGraph(**g, {/*elideWeights=*/true});
  (void)text;
  return 0;
}
