#include "search/coreset.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "search/local_search.h"
#include "search/registry.h"
#include "util/atomic_file.h"

namespace cr1::search {

namespace {

// The shipped coreset, read once. A factory may throw: make_tuner turns it into an error.
const std::vector<ir::PassSequence>& shipped() {
  static const std::vector<ir::PassSequence> sequences = [] {
    auto s = read_coreset(shipped_coreset_path());
    if (!s) throw std::runtime_error(s.error().message);
    return std::move(*s);
  }();
  return sequences;
}

const TunerRegistration kCoreset{
    {"coreset", "the coreset mined on the training split (data/coreset-llvm19.txt), evaluated in order", 60},
    [] { return std::make_unique<CoresetTuner>(shipped()); }};
const TunerRegistration kCoresetLocal{
    {"coreset-local", "the coreset first, then local search from its best sequence with what is left", 61},
    [] { return std::make_unique<CoresetTuner>(shipped(), true); }};

}  // namespace

CoresetSelection select_coreset(const std::vector<std::vector<std::optional<uint64_t>>>& counts,
                                std::span<const uint64_t> oz, size_t k) {
  const size_t n_prog = oz.size();
  // gain[c][p] once, as fractions of -Oz; failures and losses gain nothing.
  std::vector<std::vector<double>> gain(counts.size(), std::vector<double>(n_prog, 0.0));
  for (size_t c = 0; c < counts.size(); ++c)
    for (size_t p = 0; p < n_prog && p < counts[c].size(); ++p)
      if (counts[c][p] && oz[p] > 0 && *counts[c][p] < oz[p])
        gain[c][p] = static_cast<double>(oz[p] - *counts[c][p]) / static_cast<double>(oz[p]);

  CoresetSelection sel;
  std::vector<double> best(n_prog, 0.0);
  std::vector<bool> used(counts.size(), false);
  while (sel.chosen.size() < k) {
    size_t pick = counts.size();
    double pick_gain = 0;
    for (size_t c = 0; c < counts.size(); ++c) {
      if (used[c]) continue;
      double g = 0;
      for (size_t p = 0; p < n_prog; ++p) g += std::max(0.0, gain[c][p] - best[p]);
      if (g > pick_gain) pick = c, pick_gain = g;  // ties: the earlier candidate
    }
    if (pick == counts.size()) break;  // nothing adds anything
    used[pick] = true;
    sel.chosen.push_back(pick);
    double total = 0;
    size_t won = 0;
    for (size_t p = 0; p < n_prog; ++p) {
      best[p] = std::max(best[p], gain[pick][p]);
      total += best[p];
      won += best[p] > 0;
    }
    sel.mean_gain.push_back(n_prog ? total / static_cast<double>(n_prog) : 0.0);
    sel.programs_won.push_back(won);
  }
  return sel;
}

Expected<std::vector<ir::PassSequence>> read_coreset(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return make_error(ErrorKind::not_found, fmt::format("{}: cannot read the coreset file", path.string()));
  std::vector<ir::PassSequence> out;
  std::string line;
  for (size_t lineno = 1; std::getline(in, line); ++lineno) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto seq = ir::parse_sequence(line);
    if (!seq)
      return make_error(ErrorKind::invalid_input, fmt::format("{}:{}: {}", path.string(), lineno, seq.error().message));
    out.push_back(std::move(*seq));
  }
  if (out.empty()) return make_error(ErrorKind::invalid_input, fmt::format("{}: no sequences", path.string()));
  return out;
}

Status write_coreset(const std::filesystem::path& path, std::span<const ir::PassSequence> sequences,
                     std::span<const std::string> header) {
  std::ostringstream text;
  for (const auto& h : header) text << "# " << h << '\n';
  for (const auto& s : sequences) text << s.flags() << '\n';
  return write_file_atomically(path, text.str());
}

std::filesystem::path shipped_coreset_path() {
  if (const char* dir = std::getenv("CR1_DATA_DIR")) return std::filesystem::path(dir) / "coreset-llvm19.txt";
  return std::filesystem::path(CR1_DATA_DIR) / "coreset-llvm19.txt";
}

std::string CoresetTuner::name() const {
  return fmt::format("coreset;k={}{}", sequences_.size(), then_local_ ? ",then=local" : "");
}

void CoresetTuner::search(SearchContext& ctx) {
  std::vector<Genome> genomes;
  for (const auto& s : sequences_)
    if (auto g = ctx.space().from_sequence(s)) genomes.push_back(std::move(*g));
  // In batches the size of the pool, so that a wall-clock budget cuts the list where it must.
  for (size_t at = 0; at < genomes.size() && !ctx.exhausted();) {
    size_t n = std::min(ctx.batch_size(), genomes.size() - at);
    ctx.evaluate(std::span<const Genome>(genomes).subspan(at, n));
    at += n;
  }
  if (then_local_ && !ctx.exhausted()) {
    LocalSearch local({.first_from_best = true});
    local.search(ctx);
  }
}

}  // namespace cr1::search
