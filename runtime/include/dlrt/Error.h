// Errors as values, in the style of LLVM's Error/Expected, without LLVM; shared
// by the runtime and the compiler.
//
// A user error (bad model, bad flag, bad data) travels up as an Error holding
// a finished, lower-case message with no trailing period:
//   "model.onnx: node 'conv1' (Conv): kernel_shape must be positive".
// Bugs in our own code are DLC_ASSERT, which stays on in release builds.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace dlrt {

class Error {
public:
  explicit Error(std::string message) : message_(std::move(message)) {}
  const std::string &message() const { return message_; }
  // Prefixes context: Error("x").withContext("model.onnx") -> "model.onnx: x".
  Error withContext(const std::string &ctx) const {
    return Error(ctx + ": " + message_);
  }

private:
  std::string message_;
};

// Either a T or an Error. Test with `if (!e)`, take the error with
// takeError(), the value with * or ->.
template <typename T> class Expected {
public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error err) : v_(std::move(err)) {}
  explicit operator bool() const { return v_.index() == 0; }
  T &operator*() { return std::get<0>(v_); }
  const T &operator*() const { return std::get<0>(v_); }
  T *operator->() { return &std::get<0>(v_); }
  const T *operator->() const { return &std::get<0>(v_); }
  const Error &error() const { return std::get<1>(v_); }
  Error takeError() { return std::move(std::get<1>(v_)); }

private:
  std::variant<T, Error> v_;
};

// Success, or an Error. `if (Status s = f(); !s) return s.takeError();`
class Status {
public:
  Status() = default;
  Status(Error err) : err_(std::move(err)) {}
  static Status ok() { return Status(); }
  explicit operator bool() const { return !err_; }
  const Error &error() const { return *err_; }
  Error takeError() { return std::move(*err_); }

private:
  std::optional<Error> err_;
};

[[noreturn]] inline void assertFail(const char *cond, const char *msg,
                                    const char *file, int line) {
  std::fprintf(stderr, "internal error: %s:%d: %s (%s)\n", file, line, msg,
               cond);
  std::abort();
}

} // namespace dlrt

#define DLC_ASSERT(cond, msg)                                                  \
  do {                                                                         \
    if (!(cond))                                                               \
      ::dlrt::assertFail(#cond, msg, __FILE__, __LINE__);                       \
  } while (0)

// Propagates the error of an Expected/Status expression.
#define DLC_TRY(var, expr)                                                     \
  auto var##OrErr = (expr);                                                    \
  if (!var##OrErr)                                                             \
    return var##OrErr.takeError();                                             \
  auto &var = *var##OrErr

#define DLC_CHECK(expr)                                                        \
  do {                                                                         \
    if (auto s_ = (expr); !s_)                                                 \
      return s_.takeError();                                                   \
  } while (0)
