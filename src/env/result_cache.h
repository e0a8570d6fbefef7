// Evaluation results keyed by (module hash, LLVM version, canonical pipeline),
// in memory and, when a file is given, in SQLite. The database uses WAL mode
// and a busy timeout, so several processes can write to one file at once, and a
// killed process loses at most the batch it had not committed.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "env/eval_result.h"
#include "util/expected.h"

struct sqlite3;

namespace cr1::env {

class ResultCache {
 public:
  // In-memory only.
  ResultCache();
  // Also persistent in `path` (created if missing).
  static Expected<std::unique_ptr<ResultCache>> open(const std::string& path);
  ~ResultCache();
  ResultCache(const ResultCache&) = delete;
  ResultCache& operator=(const ResultCache&) = delete;

  std::optional<EvalResult> get(const std::string& module_hash, const std::string& pipeline);
  // Timeouts are not stored (see EvalResult::cacheable).
  void put(const std::string& module_hash, const std::string& pipeline, const EvalResult& result);
  // Many puts in one transaction.
  void put_many(const std::string& module_hash,
                const std::vector<std::pair<std::string, EvalResult>>& entries);

  size_t memory_size() const;
  bool persistent() const { return db_ != nullptr; }

 private:
  std::string key(const std::string& module_hash, const std::string& pipeline) const;
  Status init_db();

  mutable std::mutex mu_;
  std::unordered_map<std::string, EvalResult> memory_;
  sqlite3* db_ = nullptr;
  std::string llvm_version_;
};

}  // namespace cr1::env
