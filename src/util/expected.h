// A small Expected<T>: the library returns values or typed errors, and only the
// CLI turns errors into exit codes (see shared/STYLE.md, "Errors").
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace cr1 {

// Kinds a caller can tell apart. Keep in sync with error_kind_name().
enum class ErrorKind {
  not_found,      // a file that does not exist
  io,             // read/write failed
  parse,          // malformed IR, JSON, ...
  verify,         // IR that fails the LLVM verifier
  compile,        // clang failed on a source file
  invalid_pass,   // unknown or malformed pass / pipeline text
  invalid_input,  // any other bad argument (empty sequence, bad suffix, ...)
  crashed,        // LLVM aborted or signalled in a worker
  timeout,        // a worker ran past its deadline
  internal,       // a bug of ours
};

const char* error_kind_name(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message;  // one line: names the file/item and the reason
};

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : v_(std::move(value)) {}
  Expected(Error error) : v_(std::move(error)) {}

  explicit operator bool() const { return v_.index() == 0; }
  bool ok() const { return v_.index() == 0; }

  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  const Error& error() const { return std::get<1>(v_); }
  Error take_error() { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

// For functions that return nothing on success.
struct Ok {};
using Status = Expected<Ok>;
inline Status ok_status() { return Ok{}; }

inline Error make_error(ErrorKind kind, std::string message) { return Error{kind, std::move(message)}; }

}  // namespace cr1
