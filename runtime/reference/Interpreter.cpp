// Placeholder until the interpreter lands.
#include "runtime/reference/Interpreter.h"
namespace dlc {
Expected<InterpretResult> interpret(const Graph &, const std::map<std::string, Tensor> &) {
  return Error("interpreter is not implemented yet");
}
} // namespace dlc
