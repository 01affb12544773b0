// dlc: the compiler's command line. All logic lives in compiler/driver.
#include "driver/DlcMain.h"

int main(int argc, char **argv) { return dlc::dlcMain(argc, argv); }
