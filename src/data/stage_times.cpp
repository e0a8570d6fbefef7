#include "data/stage_times.h"

#include <sys/resource.h>

#include <cmath>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cr1::data {

namespace {

double seconds(const rusage& u) {
  auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

}  // namespace

CpuSample cpu_now() {
  rusage self{}, children{};
  ::getrusage(RUSAGE_SELF, &self);
  ::getrusage(RUSAGE_CHILDREN, &children);
  return {seconds(self), seconds(children), std::chrono::steady_clock::now()};
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

CpuSample StageTimes::lap(const std::string& stage, const CpuSample& since) {
  CpuSample now = cpu_now();
  add(stage, {now.self - since.self + now.children - since.children,
              std::chrono::duration<double>(now.wall - since.wall).count(), 1});
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
