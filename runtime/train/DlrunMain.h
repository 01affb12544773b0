// dlrun's command line (train, eval, predict), as a library function so that
// tools/dlrun stays a thin main.
#pragma once

namespace dlrt {

int dlrunMain(int argc, char **argv);

} // namespace dlrt
