// The compiler uses the runtime's error values (dlrt/Error.h) under namespace dlc.
#pragma once

#include "dlrt/Error.h"

namespace dlc {
using dlrt::Error;
using dlrt::Expected;
using dlrt::Status;
} // namespace dlc
