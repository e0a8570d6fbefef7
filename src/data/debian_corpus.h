// The Debian part of corpus building: prepares the pinned source packages
// (debian_source.h), compiles every translation unit as one program, and links
// cBench-style whole programs from each package's TUs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "data/corpus_builder.h"
#include "data/debian_source.h"

namespace cr1::data {

struct DebianBuildOptions {
  std::filesystem::path package_list;  // name=version lines
  std::vector<std::string> only;       // when non-empty, just these packages
  std::filesystem::path cache_dir = "/var/tmp/cr1-debian";
  bool whole_programs = true;
  PrepareOptions prepare;
};

// Suites: "debian" (one program per TU) and "debian-whole" (linked programs).
// The split group is the package, so no package is in two splits.
Expected<BuildSummary> build_debian_corpus(const DebianBuildOptions& debian, const BuildOptions& options,
                                           Manifest& manifest);

}  // namespace cr1::data
