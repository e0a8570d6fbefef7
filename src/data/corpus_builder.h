// Builds a corpus: runs build jobs (each makes one module: compile a source,
// generate a program, link a whole program) in crash-contained child
// processes, a batch per child, measures each (instruction count, -Oz, AutoPhase), filters by an
// instruction-count window, dedupes by IR hash and appends to the manifest.
// Jobs whose uri is already in the manifest are skipped: a killed build
// resumes where it stopped.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/manifest.h"
#include "data/stage_times.h"
#include "data/whole_program_linker.h"
#include "ir/program_loader.h"

namespace cr1::data {

struct BuildOptions {
  int jobs = 0;                        // parallel children; 0 = all cores
  uint64_t min_insts = 50;             // window on the unoptimized count (the paper's)
  uint64_t max_insts = 10'000;
  uint64_t min_oz_insts = 10;          // below this -Oz leaves nothing to tune
  std::chrono::seconds timeout{120};   // per job
  bool all_levels = false;             // also measure -O1/-O2/-O3/-Os
  ir::Recipe recipe = ir::Recipe::Oz;
  std::optional<size_t> target_ok;     // stop once the corpus has this many ok programs (checked between batches)
  // Jobs one child runs one after the other (fewer when there are few jobs, so
  // that every core gets some); a crash or hang fails only the job it hit.
  size_t jobs_per_child = 16;
  bool progress = true;
};

struct BuildJob {
  std::string uri, suite, package, group;
  // Runs in the child: makes the module (scratch is a private temporary folder).
  std::function<Expected<ir::Program>(const std::filesystem::path& scratch)> load;
  // Optional, runs in the child before `load`: writes the source into scratch
  // (a generator), so that its CPU time is told apart from clang's. `load`
  // generates the source itself when it is not there.
  std::function<Status(const std::filesystem::path& scratch)> generate;
  // Optional, runs in the child instead of `load`: links a module that may
  // stop early, once it is certain to be over options.max_insts (whole
  // programs); it is then filtered without being completed or measured.
  std::function<Expected<LinkedProgram>(const std::filesystem::path& scratch)> link;
  // Runs in the child: bytes that identify the source (for source_hash).
  std::function<std::string()> source_bytes;
};

struct BuildSummary {
  size_t skipped = 0;  // already in the manifest
  size_t ok = 0, filtered = 0, duplicate = 0, failed = 0;
  double seconds = 0;
  // CPU seconds: per "<suite> <stage>" (from the records of this run), per
  // "<suite> <status>", and all of it as the process saw it (children included).
  // Phases ("debian prepare", "csmith jobs", ...) have the process's CPU and
  // wall time, so CPU / (wall x jobs) says how busy the cores were kept.
  StageTimes stages, outcomes, phases;
  double cpu_seconds = 0;
  void add(const BuildSummary& part);
};

BuildSummary build_corpus(const std::vector<BuildJob>& jobs, const BuildOptions& options, Manifest& manifest);

// Job makers.
// With `pch_dir`, csmith.h is precompiled there once and every seed compiles
// with it, after a check that the first seed gives the same IR hash with and
// without it (else, or when precompiling fails, no PCH; a warning says why).
std::vector<BuildJob> csmith_jobs(uint64_t first_seed, uint64_t last_seed, const BuildOptions& options,
                                  const std::filesystem::path& pch_dir = {});
std::vector<BuildJob> llvm_stress_jobs(uint64_t first_seed, uint64_t last_seed, const BuildOptions& options);
// Every .c/.cc/.cpp/.ll/.bc file under `dir` is one program of suite `dir`'s
// name; the group (split unit) is the file's top-level subfolder, or the file.
Expected<std::vector<BuildJob>> folder_jobs(const std::filesystem::path& dir, const BuildOptions& options);

// A file name for a uri: safe characters, bounded length, unique.
std::string program_file_name(const std::string& uri);

}  // namespace cr1::data
