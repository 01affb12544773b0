// Gradient rules of the data-movement ops: each moves the adjoint back to
// where the forward op took its data from.
#include "autodiff/GradContext.h"

namespace dlc {

// reshape is a relabelling: dx = reshape(dy, shape(x))
void gradReshape(GradContext &c) { c.setGrad(0, c.reshape(c.dy(0), c.x(0)->type.dims)); }

} // namespace dlc
