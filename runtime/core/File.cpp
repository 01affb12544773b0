// File reading and atomic writing (dlrt/File.h).
#include "dlrt/File.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <libgen.h>
#include <unistd.h>

namespace dlrt {

Expected<std::string> readFile(const std::string &path) {
  FILE *f = std::fopen(path.c_str(), "rb");
  if (!f)
    return Error(path + ": cannot open file: " + std::strerror(errno));
  std::string bytes;
  char buf[1 << 16];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;)
    bytes.append(buf, n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed)
    return Error(path + ": cannot read file");
  return bytes;
}

Status writeFileAtomic(const std::string &path, const std::string &bytes) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return Error(path + ": cannot write file: " + std::strerror(errno));
  auto fail = [&](int e) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return Error(path + ": cannot write file: " + std::strerror(e) +
                 " (any previous version of the file is intact)");
  };
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t w = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (w < 0) {
      if (errno == EINTR)
        continue;
      return fail(errno);
    }
    done += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0)
    return fail(errno);
  if (::close(fd) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error(path + ": cannot write file: " + std::strerror(e));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Error(path + ": cannot write file: " + std::strerror(e));
  }
  // The rename itself becomes durable with its directory's fsync.
  std::string dir = path;
  if (int dfd = ::open(::dirname(dir.data()), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Status::ok();
}

} // namespace dlrt
