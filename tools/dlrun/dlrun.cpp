// dlrun: trains, evaluates and runs compiled models on data sets. All logic
// lives in runtime/train; dlrun links the runtime only, never the compiler.
#include "runtime/train/DlrunMain.h"

int main(int argc, char **argv) { return dlrt::dlrunMain(argc, argv); }
