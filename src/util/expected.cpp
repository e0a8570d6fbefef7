#include "util/expected.h"

namespace cr1 {

const char* error_kind_name(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::not_found: return "not-found";
    case ErrorKind::io: return "io";
    case ErrorKind::parse: return "parse";
    case ErrorKind::verify: return "verify";
    case ErrorKind::compile: return "compile";
    case ErrorKind::invalid_pass: return "invalid-pass";
    case ErrorKind::invalid_input: return "invalid-input";
    case ErrorKind::crashed: return "crashed";
    case ErrorKind::timeout: return "timeout";
    case ErrorKind::internal: return "internal";
  }
  return "unknown";
}

}  // namespace cr1
