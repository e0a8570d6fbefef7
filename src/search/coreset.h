// Coreset: a fixed, ordered list of K sequences mined from the training split, evaluated in order; the
// best is the answer. The idea follows Liang et al., "Learning Compiler Pass Orders using Coreset and
// Normalized Value Prediction" (ICML 2023): a few sequences chosen so that together they capture most
// of what each training program can gain over -Oz.
//
// Selection is greedy maximum coverage, the standard (1 - 1/e) approximation for this submodular
// objective: with gain(p, S) = max(0, max over s in S of (IC_Oz(p) - IC_s(p)) / IC_Oz(p)), each step
// adds the candidate that raises sum_p gain(p, S) the most. The order of the file is the order of
// selection, so a small budget evaluates the most valuable sequences first.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "ir/action_catalog.h"
#include "search/tuner.h"
#include "util/expected.h"

namespace cr1::search {

struct CoresetSelection {
  std::vector<size_t> chosen;        // candidate indices, in selection order
  std::vector<double> mean_gain;     // after each pick: mean over programs of gain(p, S), a fraction
  std::vector<size_t> programs_won;  // after each pick: programs where some chosen sequence beats -Oz
};

// counts[c][p]: instruction count of candidate c on program p (nullopt: failed); oz[p]: IC(-Oz) of p.
// Stops at k picks or when no candidate adds anything.
CoresetSelection select_coreset(const std::vector<std::vector<std::optional<uint64_t>>>& counts,
                                std::span<const uint64_t> oz, size_t k);

// The file: one sequence per line as legacy flags (or pipeline text); blank lines and '#' comments are
// ignored. Errors name the file and line.
Expected<std::vector<ir::PassSequence>> read_coreset(const std::filesystem::path& path);
// Written atomically, with `header` lines as comments first.
Status write_coreset(const std::filesystem::path& path, std::span<const ir::PassSequence> sequences,
                     std::span<const std::string> header = {});

// data/coreset-llvm19.txt, the coreset mined on our training split (see README, "Coreset").
std::filesystem::path shipped_coreset_path();

// Evaluates the coreset's sequences in order (those not expressible in the context's action space are
// skipped) until the budget or the list ends; with `then_local`, spends what is left on local search
// climbing from the best coreset sequence.
class CoresetTuner final : public Tuner {
 public:
  explicit CoresetTuner(std::vector<ir::PassSequence> sequences, bool then_local = false)
      : sequences_(std::move(sequences)), then_local_(then_local) {}
  std::string name() const override;
  void search(SearchContext& ctx) override;

 private:
  std::vector<ir::PassSequence> sequences_;
  bool then_local_;
};

}  // namespace cr1::search
