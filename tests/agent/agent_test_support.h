// Helpers for the agent tests: programs from examples/ with their ProgramInfo, and a ToolSet that
// measures on real LLVM through env::Session (instrcount) and a small real search (FBPS stand-in
// with the same result shape), for tests that must not depend on the Toolbox's synergy graph.
#pragma once

#include <map>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <llvm/IR/Module.h>

#include "agent/episode.h"
#include "ir/features.h"
#include "search/registry.h"
#include "test_support.h"

namespace cr1::agent::test {

inline ProgramInfo info_of(const ir::Program& prog, std::string filename) {
  ProgramInfo p;
  p.uri = "test://" + filename;
  p.filename = std::move(filename);
  p.features = ir::autophase_features(*prog.module);
  p.instruction_count = ir::count_instructions(*prog.module);
  return p;
}

inline std::unique_ptr<env::Session> session_of(const std::filesystem::path& file) {
  env::SessionOptions so;
  so.pool.jobs = 1;
  auto s = env::Session::create(cr1::test::load_or_die(file), so);
  if (!s) throw std::runtime_error(s.error().message);
  return std::move(*s);
}

// instrcount and find_best_pass_sequence with the Toolbox's result shape, over sessions by filename.
class SessionTools {
 public:
  void add(const std::string& filename, const std::filesystem::path& file) { sessions_[filename] = session_of(file); }
  size_t calls(const std::string& name) const {
    auto it = calls_.find(name);
    return it == calls_.end() ? 0 : it->second;
  }
  ToolSet tools() {
    ToolSet t;
    t.schemas = nlohmann::json::parse(R"([
      {"type":"function","function":{"name":"instrcount","description":"IR instruction count of the flags and OverOz in percent",
        "parameters":{"type":"object","properties":{"filename":{"type":"string"},"optimization_flags":{"type":"array","items":{"type":"string"}}},
        "required":["filename","optimization_flags"]}}},
      {"type":"function","function":{"name":"find_best_pass_sequence","description":"search",
        "parameters":{"type":"object","properties":{"filename":{"type":"string"}},"required":["filename"]}}}])");
    t.call = [this](std::string_view name, const nlohmann::json& args) { return call(name, args); };
    return t;
  }

 private:
  nlohmann::json call(std::string_view name, const nlohmann::json& args) {
    std::lock_guard lock(mu_);
    ++calls_[std::string(name)];
    auto it = sessions_.find(args.value("filename", ""));
    if (it == sessions_.end()) return {{"status", "error"}, {"error", "unknown file"}};
    env::Session& s = *it->second;
    uint64_t oz = *s.oz_count();
    if (name == "instrcount") {
      auto seq = ir::parse_sequence(args["optimization_flags"].get<std::vector<std::string>>());
      if (!seq) return {{"status", "error"}, {"error", seq.error().message}};
      auto r = s.evaluate(*seq);
      if (!r.ok()) return {{"status", "error"}, {"error", r.message}};
      return {{"status", "success"}, {"filename", args["filename"]}, {"instruction_count", r.instruction_count},
              {"oz_instruction_count", oz}, {"improvement_over_oz", 100.0 * *s.over_oz(r.instruction_count)}};
    }
    if (name == "find_best_pass_sequence") {
      auto tuner = search::make_tuner("rio");
      auto r = search::tune(s, **tuner, {40, 0}, 1);
      return {{"status", "success"}, {"best_pass_sequence", r->best_raw.flag_list()},
              {"improvement_over_oz", 100.0 * r->over_oz_raw}};
    }
    return {{"status", "error"}, {"error", "unknown tool"}};
  }
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<env::Session>> sessions_;
  std::map<std::string, size_t> calls_;
};

}  // namespace cr1::agent::test
