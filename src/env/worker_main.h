// What a worker process runs: it answers evaluation requests (frames of JSON, worker_frames.h) on
// its socket until EOF, each on a fresh clone of its module, and dies on LLVM's fatal errors after
// answering "crashed". Forked by the pool itself (the module inherited) or by the fork server (the
// module sent as bitcode).
#pragma once

namespace llvm {
class Module;
}

namespace cr1::env {

[[noreturn]] void worker_main(const llvm::Module& module, int sock);
// Reads the module's bitcode from `bitcode_fd` (a memfd) into a fresh LLVMContext first.
[[noreturn]] void worker_main_from_bitcode(int sock, int bitcode_fd);

}  // namespace cr1::env
