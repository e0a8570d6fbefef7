#include "agent/toolbox.h"

#include <cmath>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/program_root.h"
#include "agent/tool_program_cache.h"
#include "ir/action_catalog.h"
#include "search/synergy/fbps.h"

namespace cr1::agent {

namespace {

using nlohmann::json;

json error_json(std::string message) { return {{"status", "error"}, {"error", std::move(message)}}; }

// Percent, rounded to 1e-4 so that printed answers stay short.
double percent(double fraction) { return std::round(fraction * 100.0 * 1e4) / 1e4; }

// Why a failed evaluation failed, in words a model can act on.
std::string failure_cause(const env::EvalResult& r, double timeout_seconds) {
  switch (r.status) {
    case env::EvalStatus::crashed: return fmt::format("LLVM crashed on this sequence: {}", r.message);
    case env::EvalStatus::timeout:
      return fmt::format("the sequence ran past the {} s time limit and was stopped", timeout_seconds);
    case env::EvalStatus::invalid_pass: return fmt::format("invalid pass pipeline: {}", r.message);
    case env::EvalStatus::invalid_ir: return fmt::format("the sequence produced invalid IR: {}", r.message);
    case env::EvalStatus::unsupported: return fmt::format("this compiler-r1 cannot process the program: {}", r.message);
    case env::EvalStatus::ok: break;
  }
  return r.message;
}

// Checks that `args` has exactly the keys the tool takes.
std::optional<std::string> check_keys(std::string_view tool, const json& args,
                                      std::initializer_list<std::string_view> required) {
  for (auto key : required)
    if (!args.contains(key)) return fmt::format("{}: missing argument '{}'", tool, key);
  for (const auto& [key, value] : args.items()) {
    bool known = false;
    for (auto k : required) known = known || key == k;
    if (!known) return fmt::format("{}: unknown argument '{}'", tool, key);
  }
  return std::nullopt;
}

class ToolboxImpl final : public Toolbox {
 public:
  ToolboxImpl(ToolboxOptions options, ProgramRoot root, std::shared_ptr<env::ResultCache> cache,
              std::shared_ptr<const search::synergy::SynergyGraph> graph)
      : o_(std::move(options)),
        root_(std::move(root)),
        programs_(ProgramCacheOptions{.max_programs = o_.max_programs,
                                      .sessions_per_program = o_.sessions_per_program,
                                      .pool = {.jobs = o_.jobs,
                                               .timeout = std::chrono::milliseconds(
                                                   static_cast<long>(o_.timeout_seconds * 1000))},
                                      .cache = std::move(cache)}),
        graph_(std::move(graph)) {}

  json call(std::string_view name, const json& arguments) override {
    try {
      const json* args = &arguments;
      json parsed;
      // OpenAI-style clients send the arguments as a JSON-encoded string.
      if (arguments.is_string()) {
        parsed = json::parse(arguments.get<std::string>(), nullptr, false);
        if (parsed.is_discarded()) return error_json(fmt::format("{}: arguments are not valid JSON", name));
        args = &parsed;
      }
      if (!args->is_object())
        return error_json(fmt::format("{}: arguments must be a JSON object, got {}", name, args->type_name()));
      if (name == "instrcount") {
        if (auto bad = check_keys(name, *args, {"filename", "optimization_flags"})) return error_json(*bad);
        const json& file = (*args)["filename"];
        if (!file.is_string()) return error_json("instrcount: 'filename' must be a string");
        const json& flags = (*args)["optimization_flags"];
        std::vector<std::string> items;
        if (flags.is_string()) {
          items.push_back(flags.get<std::string>());
        } else if (flags.is_array()) {
          for (const auto& f : flags) {
            if (!f.is_string())
              return error_json(fmt::format("instrcount: 'optimization_flags' must be a list of strings, found {}",
                                            f.dump()));
            items.push_back(f.get<std::string>());
          }
        } else {
          return error_json("instrcount: 'optimization_flags' must be a list of strings");
        }
        return instrcount_items(file.get<std::string>(), items);
      }
      if (name == "find_best_pass_sequence") {
        if (auto bad = check_keys(name, *args, {"filename"})) return error_json(*bad);
        const json& file = (*args)["filename"];
        if (!file.is_string()) return error_json("find_best_pass_sequence: 'filename' must be a string");
        return find_best_pass_sequence(file.get<std::string>());
      }
      return error_json(fmt::format("unknown tool '{}' (known: instrcount, find_best_pass_sequence)", name));
    } catch (const std::exception& e) {
      return error_json(fmt::format("{}: internal error: {}", name, e.what()));
    }
  }

  json instrcount(const std::string& filename, const std::string& optimization_flags) override {
    try {
      return instrcount_items(filename, std::vector<std::string>{optimization_flags});
    } catch (const std::exception& e) {
      return error_json(fmt::format("instrcount: internal error: {}", e.what()));
    }
  }

  json find_best_pass_sequence(const std::string& filename) override {
    try {
      return fbps(filename);
    } catch (const std::exception& e) {
      return error_json(fmt::format("find_best_pass_sequence: internal error: {}", e.what()));
    }
  }

 private:
  json instrcount_items(const std::string& filename, const std::vector<std::string>& items) {
    auto seq = ir::parse_sequence(items);
    if (!seq) return error_json(fmt::format("instrcount: {}", seq.error().message));
    if (seq->empty())
      return error_json("instrcount: 'optimization_flags' is empty (give at least one pass, or \"-Oz\")");
    auto path = root_.resolve(filename);
    if (!path) return error_json(fmt::format("instrcount: {}", path.error().message));
    auto session = programs_.acquire(*path);
    if (!session) return error_json(fmt::format("instrcount: {}: {}", filename, session.error().message));

    auto oz = (*session)->oz_count();
    if (!oz) return error_json(fmt::format("instrcount: {}", oz.error().message));
    env::EvalResult r = (*session)->evaluate(*seq);
    if (!r.ok()) return error_json(fmt::format("instrcount: {}: {}", filename, failure_cause(r, o_.timeout_seconds)));
    const double over = env::over_oz_fraction(*oz, r.instruction_count);
    return {{"status", "success"},
            {"filename", filename},
            {"instruction_count", r.instruction_count},
            {"oz_instruction_count", *oz},
            {"improvement_over_oz", percent(over)}};
  }

  json fbps(const std::string& filename) {
    auto path = root_.resolve(filename);
    if (!path) return error_json(fmt::format("find_best_pass_sequence: {}", path.error().message));
    auto graph = this->graph();
    if (!graph) return error_json(fmt::format("find_best_pass_sequence: {}", graph.error().message));
    auto session = programs_.acquire(*path);
    if (!session)
      return error_json(fmt::format("find_best_pass_sequence: {}: {}", filename, session.error().message));

    search::synergy::FbpsOptions fo;
    search::Budget budget{.max_evaluations = 0, .max_seconds = 0};
    if (o_.fbps_max_evaluations) {
      fo.generations = 0;  // spend the given budget
      budget.max_evaluations = o_.fbps_max_evaluations;
    }
    search::synergy::FbpsSearch tuner(*graph, fo);
    auto result = search::tune(**session, tuner, budget, o_.fbps_seed);
    if (!result) return error_json(fmt::format("find_best_pass_sequence: {}", result.error().message));
    if (result->best_raw.empty())
      return error_json(fmt::format("find_best_pass_sequence: {}: all {} sequences tried failed", filename,
                                    result->evaluations));
    return {{"status", "success"},
            {"filename", filename},
            {"best_pass_sequence", result->best_raw.flag_list()},
            {"instruction_count", result->best_raw_count},
            {"oz_instruction_count", result->oz_count},
            {"improvement_over_oz", percent(result->over_oz_raw)},
            {"evaluations", result->evaluations}};
  }

  Expected<std::shared_ptr<const search::synergy::SynergyGraph>> graph() {
    if (graph_) return graph_;
    return search::synergy::shipped_graph();
  }

  ToolboxOptions o_;
  ProgramRoot root_;
  ProgramCache programs_;
  std::shared_ptr<const search::synergy::SynergyGraph> graph_;  // null = the shipped one, loaded on first use
};

}  // namespace

Expected<std::unique_ptr<Toolbox>> Toolbox::open(ToolboxOptions options) {
  auto root = ProgramRoot::open(options.program_root);
  if (!root) return root.take_error();
  std::shared_ptr<env::ResultCache> cache;
  if (!options.cache_path.empty()) {
    auto c = env::ResultCache::open(options.cache_path.string());
    if (!c) return c.take_error();
    cache = std::move(*c);
  } else {
    cache = std::make_shared<env::ResultCache>();
  }
  std::shared_ptr<const search::synergy::SynergyGraph> graph;
  if (!options.synergy_graph.empty()) {
    auto g = search::synergy::SynergyGraph::load(options.synergy_graph);
    if (!g) return g.take_error();
    if (g->empty())
      return make_error(ErrorKind::invalid_input,
                        fmt::format("synergy graph {} has no pairs", options.synergy_graph.string()));
    graph = std::make_shared<const search::synergy::SynergyGraph>(std::move(*g));
  }
  if (options.timeout_seconds <= 0)
    return make_error(ErrorKind::invalid_input, "toolbox: timeout_seconds must be positive");
  return std::unique_ptr<Toolbox>(new ToolboxImpl(std::move(options), std::move(*root), std::move(cache), std::move(graph)));
}

}  // namespace cr1::agent
