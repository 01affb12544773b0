// The dlc driver as a library function: tools/dlc/dlc.cpp is a one-line main
// over it, and tests can call it in-process.
#pragma once

namespace dlc {

// Returns the process exit code: 0 on success, 1 on any error (printed to
// stderr as "error: ...").
int dlcMain(int argc, char **argv);

} // namespace dlc
