// dce: removes nodes whose results reach no graph output, and unused constants.
// Inputs and parameters are part of the model's interface and stay.
#include "passes/PassRegistry.h"

namespace dlc {

Expected<bool> runDce(Graph &g) { return g.removeDeadCode(); }

} // namespace dlc
