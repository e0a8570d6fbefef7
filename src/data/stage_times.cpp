#include "data/stage_times.h"

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/process_cpu_time.h"

namespace cr1::data {

CpuSample cpu_now() {
  ProcessCpuTime t = process_cpu_time_now();
  return {t.self_seconds, t.children_seconds, std::chrono::steady_clock::now()};
}

void StageTimes::add(const std::string& stage, const StageTime& t) {
  auto& s = stages_[stage];
  s.cpu += t.cpu;
  s.wall += t.wall;
  s.count += t.count;
}

void StageTimes::add(const StageTimes& other) {
  for (const auto& [name, t] : other.stages_) add(name, t);
}

StageTime time_between(const CpuSample& from, const CpuSample& to, size_t count) {
  return {to.self - from.self + to.children - from.children, std::chrono::duration<double>(to.wall - from.wall).count(),
          count};
}

CpuSample StageTimes::lap(const std::string& stage, const CpuSample& since) {
  CpuSample now = cpu_now();
  add(stage, time_between(since, now));
  return now;
}

double StageTimes::cpu_total() const {
  double total = 0;
  for (const auto& [name, t] : stages_) total += t.cpu;
  return total;
}

void to_json(nlohmann::json& j, const StageTimes& t) {
  j = nlohmann::json::object();
  for (const auto& [name, s] : t.stages())
    j[name] = {{"cpu", std::round(s.cpu * 1000) / 1000}, {"wall", std::round(s.wall * 1000) / 1000}, {"n", s.count}};
}

void from_json(const nlohmann::json& j, StageTimes& t) {
  t = StageTimes{};
  for (const auto& [name, s] : j.items())
    t.add(name, {s.value("cpu", 0.0), s.value("wall", 0.0), s.value("n", size_t{0})});
}

std::string format_stage_table(const StageTimes& t) {
  double total = t.cpu_total();
  std::string out = fmt::format("{:<28} {:>10} {:>7} {:>10} {:>8}\n", "stage", "CPU s", "CPU %", "wall s", "count");
  for (const auto& [name, s] : t.stages())  // per-job stages have no wall time of their own: "-"
    out += fmt::format("{:<28} {:>10.1f} {:>6.1f}% {:>10} {:>8}\n", name, s.cpu, total > 0 ? 100 * s.cpu / total : 0.0,
                       s.wall > 0 ? fmt::format("{:.1f}", s.wall) : std::string("-"), s.count);
  out += fmt::format("{:<28} {:>10.1f}\n", "total (sum of stages)", total);
  return out;
}

}  // namespace cr1::data
