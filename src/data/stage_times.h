// CPU and wall time per stage of a corpus build (download, configure, clang,
// -Oz measurement, ...), so a build can say where its time went. CPU time is
// user + system of this process and of the children it has waited for
// (getrusage), which on a shared machine says more than wall time.
#pragma once

#include <chrono>
#include <map>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace cr1::data {

// CPU seconds used so far by this process (self) and its reaped children.
struct CpuSample {
  double self = 0, children = 0;
  std::chrono::steady_clock::time_point wall;
};
CpuSample cpu_now();

struct StageTime {
  double cpu = 0;   // seconds, self + children
  double wall = 0;  // seconds
  size_t count = 0; // how many times the stage ran
};

// The CPU (self + children) and wall time from one sample to a later one, as a stage that ran `count` times.
StageTime time_between(const CpuSample& from, const CpuSample& to, size_t count = 1);

class StageTimes {
 public:
  void add(const std::string& stage, const StageTime& t);
  void add(const StageTimes& other);
  // Adds the time since `since` to `stage`; returns now, for the next stage.
  CpuSample lap(const std::string& stage, const CpuSample& since);
  const std::map<std::string, StageTime>& stages() const { return stages_; }
  double cpu_total() const;
  bool empty() const { return stages_.empty(); }

 private:
  std::map<std::string, StageTime> stages_;
};

void to_json(nlohmann::json& j, const StageTimes& t);
void from_json(const nlohmann::json& j, StageTimes& t);

// A table, one line per stage: CPU s, share of the CPU total, wall s, count.
std::string format_stage_table(const StageTimes& t);

}  // namespace cr1::data
