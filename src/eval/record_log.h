// RUN_DIR/records.jsonl: append-only, one RunRecord per line, each written
// with a single O_APPEND write so a killed run loses at most the line in
// flight. Opening reads what is there (skipping torn or foreign lines), so a
// rerun skips the runs already recorded.
#pragma once

#include <filesystem>
#include <string>
#include <unordered_set>
#include <vector>

#include "eval/run_record.h"
#include "util/expected.h"

namespace cr1::eval {

class RecordLog {
 public:
  // Creates the folder if needed and reads the existing records.
  static Expected<RecordLog> open(const std::filesystem::path& run_dir);
  // Reads an existing run; a folder without records.jsonl is an error.
  static Expected<RecordLog> read(const std::filesystem::path& run_dir);

  static std::filesystem::path records_path(const std::filesystem::path& run_dir) { return run_dir / "records.jsonl"; }
  const std::filesystem::path& path() const { return path_; }
  const std::vector<RunRecord>& records() const { return records_; }
  bool contains(const std::string& key) const { return keys_.contains(key); }
  size_t torn_lines() const { return torn_lines_; }

  Status append(const RunRecord& record);

 private:
  std::filesystem::path path_;
  std::vector<RunRecord> records_;
  std::unordered_set<std::string> keys_;
  size_t torn_lines_ = 0;
  // The file ends in a torn line: the next write starts a new line first, so
  // the good record is never glued onto the torn one.
  bool needs_newline_ = false;
};

}  // namespace cr1::eval
