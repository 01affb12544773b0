// Whole-file reads, and writes that are atomic: the bytes go to a temporary
// file beside the destination, are flushed to disk (fsync), the file is
// renamed into place and the directory synced. A crash or a full disk leaves
// the old file (or none) under the final name, never a half-written one.
#pragma once

#include "dlrt/Error.h"

#include <string>

namespace dlrt {

Expected<std::string> readFile(const std::string &path);
Status writeFileAtomic(const std::string &path, const std::string &bytes);

} // namespace dlrt
