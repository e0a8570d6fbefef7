// The synergy graph of Compiler-R1 (paper §3.2): directed pass pairs (A, B),
// "A then B", weighted by the number of training programs on which running A
// before B removes more instructions than B alone. FBPS walks on it.
//
// Stored as a small TSV (`first<TAB>second<TAB>programs`, '#' comment lines),
// passes named by their catalogue flag without dashes (e.g. "instcombine").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/expected.h"

namespace cr1::search::synergy {

struct SynergyPair {
  std::string first, second;
  uint64_t programs = 0;
};

class SynergyGraph {
 public:
  static Expected<SynergyGraph> load(const std::filesystem::path& path);
  // `name` is used in errors ("name:line: ...").
  static Expected<SynergyGraph> parse(std::string_view text, std::string_view name);

  // Adds `programs` to the weight of (first, second).
  void add(std::string_view first, std::string_view second, uint64_t programs = 1);

  // By weight (descending), then by names.
  std::vector<SynergyPair> pairs() const;
  size_t pair_count() const { return weights_.size(); }
  // Distinct passes that appear in any pair.
  std::vector<std::string> passes() const;
  uint64_t weight(std::string_view first, std::string_view second) const;
  bool empty() const { return weights_.empty(); }

  // Free-form lines written as '#' comments (provenance: LLVM, corpus, command).
  std::vector<std::string> notes;

  std::string to_tsv() const;
  // Atomically.
  Status save(const std::filesystem::path& path) const;

 private:
  std::map<std::pair<std::string, std::string>, uint64_t> weights_;
};

// The graph shipped with the repository for the linked LLVM
// (DATA/synergy-llvm<major>.tsv, DATA = $CR1_DATA_DIR or the source tree's
// data/), or $CR1_SYNERGY_GRAPH when set.
std::filesystem::path default_graph_path();

}  // namespace cr1::search::synergy
