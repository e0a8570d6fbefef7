// Content hash of a module: the cache key of every evaluation.
#pragma once

#include <string>

namespace llvm {
class Module;
}

namespace cr1::ir {

// BLAKE3 of the module's bitcode, as 32 hex digits (128 bits).
std::string module_hash(const llvm::Module& module);

}  // namespace cr1::ir
