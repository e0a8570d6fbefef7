#include "env/session.h"

#include <unordered_map>

#include <fmt/format.h>
#include <llvm/IR/Module.h>

#include "ir/module_hash.h"

namespace cr1::env {

Session::Session(ir::Program program, SessionOptions options)
    : program_(std::move(program)),
      hash_(ir::module_hash(*program_.module)),
      base_count_(ir::count_instructions(*program_.module)),
      cache_(options.cache ? std::move(options.cache) : std::make_shared<ResultCache>()),
      pool_(std::make_unique<WorkerPool>(*program_.module, options.pool)),
      options_(options) {}

Expected<std::unique_ptr<Session>> Session::create(ir::Program program, SessionOptions options) {
  if (!program.module) return make_error(ErrorKind::invalid_input, "session needs a loaded module");
  return std::unique_ptr<Session>(new Session(std::move(program), std::move(options)));
}

std::vector<EvalResult> Session::evaluate_pipelines(std::span<const std::string> pipelines, const ProgressFn& progress) {
  std::vector<EvalResult> results(pipelines.size());
  // Cache hits first; each distinct missing pipeline is evaluated once.
  std::vector<EvalRequest> requests;
  std::unordered_map<std::string, size_t> request_of;
  std::vector<std::optional<size_t>> pending(pipelines.size());
  for (size_t i = 0; i < pipelines.size(); ++i) {
    if (auto hit = cache_->get(hash_, pipelines[i])) {
      results[i] = *hit;
      continue;
    }
    auto [it, inserted] = request_of.emplace(pipelines[i], requests.size());
    if (inserted) requests.push_back(EvalRequest{.pipeline = pipelines[i]});
    pending[i] = it->second;
  }
  size_t hits = pipelines.size() - [&] {
    size_t n = 0;
    for (auto& p : pending) n += p.has_value();
    return n;
  }();
  if (progress) progress(hits, pipelines.size());
  if (!requests.empty()) {
    auto fresh = pool_->run(requests, [&](size_t done) {
      if (progress) progress(hits + done, pipelines.size());
    });
    std::vector<std::pair<std::string, EvalResult>> to_store;
    for (size_t k = 0; k < requests.size(); ++k) to_store.emplace_back(requests[k].pipeline, fresh[k]);
    cache_->put_many(hash_, to_store);
    for (size_t i = 0; i < pipelines.size(); ++i)
      if (pending[i]) results[i] = fresh[*pending[i]];
  }
  return results;
}

std::vector<EvalResult> Session::evaluate(std::span<const ir::PassSequence> sequences, const ProgressFn& progress) {
  std::vector<std::string> pipelines;
  pipelines.reserve(sequences.size());
  for (const auto& s : sequences) pipelines.push_back(s.pipeline());
  return evaluate_pipelines(pipelines, progress);
}

EvalResult Session::evaluate(const ir::PassSequence& sequence) {
  return evaluate(std::span<const ir::PassSequence>(&sequence, 1)).front();
}

const EvalResult& Session::baseline(ir::OptLevel level) {
  if (!baselines_.count(level)) {
    std::vector<ir::OptLevel> missing;
    std::vector<std::string> pipelines;
    for (auto l : ir::kAllOptLevels)
      if (!baselines_.count(l)) {
        missing.push_back(l);
        pipelines.push_back(ir::baseline_pipeline(l));
      }
    auto results = evaluate_pipelines(pipelines);
    for (size_t i = 0; i < pipelines.size(); ++i) baselines_[missing[i]] = results[i];
  }
  return baselines_.at(level);
}

Expected<uint64_t> Session::oz_count() {
  if (!baselines_.count(ir::OptLevel::Oz)) {
    const std::string oz_pipeline[] = {ir::baseline_pipeline(ir::OptLevel::Oz)};
    baselines_[ir::OptLevel::Oz] = evaluate_pipelines(oz_pipeline).front();
  }
  const EvalResult& oz = baselines_.at(ir::OptLevel::Oz);
  if (!oz.ok())
    return make_error(ErrorKind::crashed, fmt::format("{}: -Oz baseline failed: {}: {}", program_.name,
                                                      eval_status_name(oz.status), oz.message));
  return oz.instruction_count;
}

Expected<double> Session::over_oz(uint64_t instruction_count) {
  auto oz = oz_count();
  if (!oz) return oz.take_error();
  return over_oz_fraction(*oz, instruction_count);
}

EvalResult Session::verify(const ir::PassSequence& sequence, const std::filesystem::path& out) {
  PoolOptions one = options_.pool;
  one.jobs = 1;
  WorkerPool fresh(*program_.module, one);
  return fresh.run_one(EvalRequest{.pipeline = sequence.pipeline(), .verify = true, .output_path = out.string()});
}

Session::Verification Session::verify_with_oz(const ir::PassSequence& sequence) {
  PoolOptions one = options_.pool;
  one.jobs = 1;
  WorkerPool fresh(*program_.module, one);
  const EvalRequest requests[] = {{.pipeline = ir::baseline_pipeline(ir::OptLevel::Oz)},
                                  {.pipeline = sequence.pipeline(), .verify = true}};
  auto results = fresh.run(requests);
  return {std::move(results[0]), std::move(results[1])};
}

}  // namespace cr1::env
