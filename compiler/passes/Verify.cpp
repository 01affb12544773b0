// verify: runs the verifier as a pipeline step; changes nothing.
#include "ir/Verifier.h"
#include "passes/PassRegistry.h"

namespace dlc {

Expected<bool> runVerify(Graph &g) {
  if (Status s = verifyGraph(g); !s)
    return s.takeError();
  return false;
}

} // namespace dlc
