#include "ir/module_hash.h"

#include <llvm/ADT/StringExtras.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/BLAKE3.h>

#include "ir/program_loader.h"

namespace cr1::ir {

std::string module_hash(const llvm::Module& module) {
  // The source file name is recorded in bitcode but is not part of the
  // program: the same IR loaded from two paths must hash the same.
  auto& m = const_cast<llvm::Module&>(module);
  std::string source_name = m.getSourceFileName();
  m.setSourceFileName("");
  std::string bytes = module_to_bitcode(module);
  m.setSourceFileName(source_name);
  auto digest = llvm::BLAKE3::hash<16>(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return llvm::toHex(digest, /*LowerCase=*/true);
}

}  // namespace cr1::ir
