// A corpus folder: manifest.jsonl (one ProgramRecord per line, appended as
// programs finish) and programs/ (the bitcode). Appending one line per
// program with a single write makes a killed build lose at most the line in
// flight; load() skips a torn last line, so the build resumes where it stopped.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "data/program_record.h"
#include "util/expected.h"

namespace cr1::data {

class Manifest {
 public:
  // Opens (creating the folder if needed) and reads what is there.
  static Expected<Manifest> open(const std::filesystem::path& corpus_dir);
  // Reads an existing corpus; a folder without a manifest is an error.
  static Expected<Manifest> read(const std::filesystem::path& corpus_dir);

  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path manifest_path() const { return dir_ / "manifest.jsonl"; }
  std::filesystem::path programs_dir() const { return dir_ / "programs"; }

  const std::vector<ProgramRecord>& records() const { return records_; }
  bool has_uri(const std::string& uri) const { return uris_.contains(uri); }
  // The uri of the ok program with this IR hash, if any.
  std::optional<std::string> uri_of_hash(const std::string& ir_hash) const;
  size_t count(RecordStatus status) const;
  size_t torn_lines() const { return torn_lines_; }

  // Adds the record; a duplicate IR hash turns an ok record into a duplicate.
  Status append(ProgramRecord record);

 private:
  std::filesystem::path dir_;
  std::vector<ProgramRecord> records_;
  std::unordered_set<std::string> uris_;
  std::unordered_map<std::string, std::string> ok_hashes_;
  size_t torn_lines_ = 0;
};

}  // namespace cr1::data
