// What is known about good sequences for training programs: per program, its AutoPhase features
// and the best sequence a search found for it (with its OverOz and where it came from). The
// decision-tree policy proposes a program's own entry (SFT data), and nearest neighbours propose
// the entries of the training programs closest in normalized AutoPhase space.
//
// Sources: a book file (JSONL, one KnownSequence per line, appended as tuning finishes, so it
// resumes), or an `compiler-r1 eval` run dir (its records.jsonl: the best verified answer per
// program over all methods and seeds) joined with the corpus manifest for the features.
#pragma once

#include <array>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "data/manifest.h"
#include "ir/features.h"
#include "util/expected.h"

namespace cr1::agent {

struct KnownSequence {
  std::string uri;
  ir::AutophaseFeatures features{};
  std::vector<std::string> flags;  // the sequence, as flags
  double over_oz = 0;              // fraction, verified where the source verifies
  uint64_t oz_count = 0;
  std::string source;              // e.g. "tuner:local;evals=300,seed=1" or "eval:RUN_DIR ga seed 2"
};

void to_json(nlohmann::json& j, const KnownSequence& k);
void from_json(const nlohmann::json& j, KnownSequence& k);

struct Neighbour {
  const KnownSequence* entry;
  double distance;  // in normalized AutoPhase space
};

class SequenceBook {
 public:
  // Reads a book file; a torn last line (a killed run) is skipped. A missing file is an empty book.
  static Expected<SequenceBook> read(const std::filesystem::path& path);
  // The best verified answer per program of an eval run dir, features from `manifest` (programs the
  // manifest does not know are skipped).
  static Expected<SequenceBook> from_eval_run(const std::filesystem::path& run_dir, const data::Manifest& manifest);

  // Keeps the better of two entries for one uri.
  void add(KnownSequence entry);
  void merge(const SequenceBook& other);
  const KnownSequence* find(const std::string& uri) const;
  size_t size() const { return entries_.size(); }
  const std::vector<KnownSequence>& entries() const { return entries_; }

  // The k entries closest to `features` with over_oz > min_over_oz, excluding `exclude_uri` and entries
  // whose features equal the query's exactly when `exclude_identical` (the same program under
  // another name). Distance: each feature divided by TotalInsts (log1p for TotalInsts itself), then
  // standardized per dimension over the book, Euclidean.
  std::vector<Neighbour> nearest(const ir::AutophaseFeatures& features, size_t k, const std::string& exclude_uri = {},
                                 double min_over_oz = 0.0, bool exclude_identical = false) const;

 private:
  using Vec = std::array<double, ir::kNumAutophaseFeatures>;
  static Vec normalize(const ir::AutophaseFeatures& f);
  void refresh_scale() const;

  std::vector<KnownSequence> entries_;
  std::unordered_map<std::string, size_t> by_uri_;
  // Normalized vectors and per-dimension mean/scale, rebuilt on the first query after a change
  // (queries are thread-safe; add() while other threads query is not).
  std::shared_ptr<std::mutex> scale_mutex_ = std::make_shared<std::mutex>();
  mutable std::vector<Vec> normalized_;
  mutable Vec mean_{}, scale_{};
  mutable bool stale_ = true;
};

// Appends one entry to a book file (one write, so a kill loses at most that line).
Status append_to_book(const std::filesystem::path& path, const KnownSequence& entry);

}  // namespace cr1::agent
