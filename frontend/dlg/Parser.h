// The .dlg text parser (grammar in ir/Printer.h). Errors are
// "file:line:col: error: message". The result is verified.
#pragma once

#include "ir/IR.h"

#include <memory>
#include <string>

namespace dlc {

Expected<std::unique_ptr<Graph>> parseDlgFile(const std::string &path);
// `displayName` is used in messages; npy("...") references resolve under
// `baseDir`.
Expected<std::unique_ptr<Graph>> parseDlg(const std::string &text,
                                          const std::string &displayName,
                                          const std::string &baseDir);

} // namespace dlc
