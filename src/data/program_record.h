// One program of a corpus, as the manifest records it. Every attempted input
// gets a record, including the ones filtered out or failed, so that a resumed
// build knows what it has already tried.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace cr1::data {

enum class RecordStatus {
  ok,         // in the corpus
  filtered,   // outside the instruction-count window
  duplicate,  // same IR hash as an earlier program
  failed,     // did not compile, load, or finish -Oz (reason says why)
};
const char* record_status_name(RecordStatus s);
std::optional<RecordStatus> parse_record_status(std::string_view s);

enum class Split { train, valid, test };
const char* split_name(Split s);
std::optional<Split> parse_split(std::string_view s);

struct ProgramRecord {
  std::string uri;      // debian://bzip2/1.0.8-5/blocksort.c, csmith://42, llvm-stress://7, dir://suite/rel/path.c
  std::string suite;    // debian, debian-whole, csmith, llvm-stress, or a user folder's name
  std::string package;  // Debian package, generator name, or folder
  std::string group;    // unit of the split: a package, a seed block, a folder
  Split split = Split::train;
  RecordStatus status = RecordStatus::failed;
  std::string reason;      // for filtered/duplicate/failed
  std::string recipe;      // how the IR was made
  std::string source_hash; // BLAKE3 of the source bytes (or generator + seed)
  std::string ir_hash;     // ir::module_hash of the unoptimized module
  std::string path;        // bitcode, relative to the corpus folder (ok only)
  uint64_t instruction_count = 0;
  uint64_t oz_instruction_count = 0;
  std::map<std::string, uint64_t> baselines;  // O1..Oz when measured (--all-levels)
  std::array<int64_t, 56> autophase{};
  double seconds = 0;  // time to make and measure it
  // CPU seconds per stage of making it (generate, compile, load, measure);
  // user + system, subprocesses included.
  std::map<std::string, double> cpu;
};

void to_json(nlohmann::json& j, const ProgramRecord& r);
void from_json(const nlohmann::json& j, ProgramRecord& r);

}  // namespace cr1::data
