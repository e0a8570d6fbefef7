#include "eval/run_record.h"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cr1::eval {
namespace {

nlohmann::json sequence_json(const VerifiedSequence& s) {
  nlohmann::json j = {{"flags", s.flags}, {"pipeline", s.pipeline}, {"count", s.count}, {"verified_status", s.verified_status}};
  if (s.verified_ok()) j["verified_count"] = s.verified_count;
  return j;
}

VerifiedSequence sequence_from(const nlohmann::json& j) {
  VerifiedSequence s;
  s.flags = j.at("flags").get<std::vector<std::string>>();
  s.pipeline = j.at("pipeline").get<std::string>();
  s.count = j.at("count").get<uint64_t>();
  s.verified_status = j.at("verified_status").get<std::string>();
  s.verified_count = j.value("verified_count", uint64_t{0});
  return s;
}

}  // namespace

std::string run_key(const std::string& program, const std::string& method, uint64_t seed, const search::Budget& budget) {
  // Tabs cannot appear in uris or method names, so the fields stay apart.
  return fmt::format("{}\t{}\t{}\t{}\t{}", program, method, seed, budget.max_evaluations, budget.max_seconds);
}

std::string RunRecord::key() const { return run_key(program, method, seed, budget); }

std::string budget_label(const search::Budget& budget) {
  std::string evals = budget.max_evaluations ? fmt::format("{} evals", budget.max_evaluations) : "";
  std::string secs = budget.max_seconds > 0 ? fmt::format("{:g} s", budget.max_seconds) : "";
  if (!evals.empty() && !secs.empty()) return evals + " / " + secs;
  return evals.empty() ? (secs.empty() ? "unlimited" : secs) : evals;
}

void to_json(nlohmann::json& j, const RunRecord& r) {
  nlohmann::json trace = nlohmann::json::array();
  for (const auto& p : r.trace) trace.push_back({{"evaluations", p.evaluations}, {"seconds", p.seconds}, {"best_count", p.best_count}});
  nlohmann::json answer = sequence_json(r.answer);
  answer["fell_back_to_oz"] = r.fell_back_to_oz;
  j = nlohmann::json{
      {"program", r.program},
      {"suite", r.suite},
      {"method", {{"name", r.method}, {"config", r.config}}},
      {"seed", r.seed},
      {"budget", {{"evaluations", r.budget.max_evaluations}, {"seconds", r.budget.max_seconds}}},
      {"jobs", r.jobs},
      {"parallel_runs", r.parallel_runs},
      {"base_count", r.base_count},
      {"oz_count", r.oz_count},
      {"answer", answer},
      {"best_raw", r.best_raw ? sequence_json(*r.best_raw) : nlohmann::json(nullptr)},
      {"mismatch", r.mismatch},
      {"over_oz", r.over_oz},
      {"over_oz_raw", r.over_oz_raw},
      {"evaluations", r.evaluations},
      {"failures", r.failures},
      {"search_seconds", r.search_seconds},
      {"wall_seconds", r.wall_seconds},
      {"trace", trace},
  };
}

void from_json(const nlohmann::json& j, RunRecord& r) {
  r.program = j.at("program").get<std::string>();
  r.suite = j.at("suite").get<std::string>();
  r.method = j.at("method").at("name").get<std::string>();
  r.config = j.at("method").value("config", r.method);
  r.seed = j.at("seed").get<uint64_t>();
  r.budget.max_evaluations = j.at("budget").at("evaluations").get<size_t>();
  r.budget.max_seconds = j.at("budget").at("seconds").get<double>();
  r.jobs = j.value("jobs", 0);
  r.parallel_runs = j.value("parallel_runs", 1);
  r.base_count = j.at("base_count").get<uint64_t>();
  r.oz_count = j.at("oz_count").get<uint64_t>();
  r.answer = sequence_from(j.at("answer"));
  r.fell_back_to_oz = j.at("answer").value("fell_back_to_oz", false);
  if (j.contains("best_raw") && !j["best_raw"].is_null()) r.best_raw = sequence_from(j["best_raw"]);
  else r.best_raw.reset();
  r.mismatch = j.value("mismatch", false);
  r.over_oz = j.at("over_oz").get<double>();
  r.over_oz_raw = j.at("over_oz_raw").get<double>();
  r.evaluations = j.at("evaluations").get<size_t>();
  r.failures = j.value("failures", size_t{0});
  r.search_seconds = j.at("search_seconds").get<double>();
  r.wall_seconds = j.value("wall_seconds", r.search_seconds);
  r.trace.clear();
  for (const auto& p : j.value("trace", nlohmann::json::array()))
    r.trace.push_back({p.at("evaluations").get<size_t>(), p.at("seconds").get<double>(), p.at("best_count").get<uint64_t>()});
}

}  // namespace cr1::eval
