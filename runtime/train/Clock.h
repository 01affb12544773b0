// Processor time for dlrun's reports (runtime/train).
#pragma once

#include <ctime>

namespace dlrt {

// Processor time of the whole process (every thread): on a shared machine it
// measures the work where wall time measures the wait.
inline double cpuSeconds() { return static_cast<double>(std::clock()) / CLOCKS_PER_SEC; }

} // namespace dlrt
