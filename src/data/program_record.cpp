#include "data/program_record.h"

#include <nlohmann/json.hpp>

namespace cr1::data {

const char* record_status_name(RecordStatus s) {
  switch (s) {
    case RecordStatus::ok: return "ok";
    case RecordStatus::filtered: return "filtered";
    case RecordStatus::duplicate: return "duplicate";
    case RecordStatus::failed: return "failed";
  }
  return "failed";
}

std::optional<RecordStatus> parse_record_status(std::string_view s) {
  for (auto v : {RecordStatus::ok, RecordStatus::filtered, RecordStatus::duplicate, RecordStatus::failed})
    if (s == record_status_name(v)) return v;
  return std::nullopt;
}

const char* split_name(Split s) {
  switch (s) {
    case Split::train: return "train";
    case Split::valid: return "valid";
    case Split::test: return "test";
  }
  return "train";
}

std::optional<Split> parse_split(std::string_view s) {
  for (auto v : {Split::train, Split::valid, Split::test})
    if (s == split_name(v)) return v;
  return std::nullopt;
}

void to_json(nlohmann::json& j, const ProgramRecord& r) {
  j = nlohmann::json{{"uri", r.uri},       {"suite", r.suite},   {"package", r.package},
                     {"group", r.group},   {"split", split_name(r.split)},
                     {"status", record_status_name(r.status)}, {"recipe", r.recipe},
                     {"source_hash", r.source_hash},           {"seconds", r.seconds}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (!r.cpu.empty()) j["cpu"] = r.cpu;
  if (r.status == RecordStatus::failed) return;
  j["ir_hash"] = r.ir_hash;
  j["instruction_count"] = r.instruction_count;
  if (r.status != RecordStatus::ok) return;
  j["path"] = r.path;
  j["oz_instruction_count"] = r.oz_instruction_count;
  if (!r.baselines.empty()) j["baselines"] = r.baselines;
  j["autophase"] = r.autophase;
}

void from_json(const nlohmann::json& j, ProgramRecord& r) {
  r.uri = j.at("uri").get<std::string>();
  r.suite = j.value("suite", "");
  r.package = j.value("package", "");
  r.group = j.value("group", "");
  r.split = parse_split(j.value("split", "train")).value_or(Split::train);
  r.status = parse_record_status(j.value("status", "failed")).value_or(RecordStatus::failed);
  r.reason = j.value("reason", "");
  r.recipe = j.value("recipe", "");
  r.source_hash = j.value("source_hash", "");
  r.ir_hash = j.value("ir_hash", "");
  r.path = j.value("path", "");
  r.instruction_count = j.value("instruction_count", uint64_t{0});
  r.oz_instruction_count = j.value("oz_instruction_count", uint64_t{0});
  r.baselines = j.value("baselines", std::map<std::string, uint64_t>{});
  if (j.contains("autophase")) r.autophase = j.at("autophase").get<std::array<int64_t, 56>>();
  r.seconds = j.value("seconds", 0.0);
  r.cpu = j.value("cpu", std::map<std::string, double>{});
}

}  // namespace cr1::data
