// Keeps freed heap memory in the process for the next CPU forward. Why: a CPU forward allocates and
// frees tensors of megabytes every op (activations, MLP intermediates, attention inputs); glibc serves
// blocks that large by mmap and returns them (munmap, heap trimming), so every op faulted in fresh
// zeroed pages -- a fifth of a 1000-token prefill went to the kernel's page faults and clearing.
// Raising the mmap and trim thresholds makes those blocks reuse the heap instead.
//
// Process-wide (mallopt), set once; idle memory stays with the process up to the trim threshold.
// A no-op where the C library is not glibc.
#pragma once

namespace cr1::model {

// Returns whether the thresholds are (now or already) in place.
bool keep_cpu_allocations();

}  // namespace cr1::model
