#include "eval/harness.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <mutex>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <spdlog/spdlog.h>

#include "env/session.h"
#include "eval/cpu_usage.h"
#include "eval/record_log.h"
#include "ir/pipeline_runner.h"
#include "search/registry.h"
#include "util/atomic_file.h"
#include "util/process_cpu_time.h"
#include "util/progress.h"

namespace cr1::eval {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What every run of one program shares: the bitcode to make private copies
// from, and the -O baselines (computed once, by a session of its own).
struct LoadedProgram {
  std::string bitcode, name, recipe;
  std::vector<std::string> inputs;
  uint64_t base_count = 0, oz_count = 0;
  std::vector<std::pair<std::string, env::EvalResult>> baselines;  // pipeline -> result
};

Expected<LoadedProgram> prepare(const EvalProgram& p, const env::SessionOptions& so) {
  auto prog = p.load();
  if (!prog) return prog.take_error();
  LoadedProgram lp;
  lp.bitcode = ir::module_to_bitcode(*prog->module);
  lp.name = prog->name;
  lp.recipe = prog->recipe;
  lp.inputs = prog->inputs;
  auto session = env::Session::create(std::move(*prog), so);
  if (!session) return session.take_error();
  auto oz = (*session)->oz_count();
  if (!oz) return oz.take_error();
  lp.oz_count = *oz;
  lp.base_count = (*session)->base_count();
  for (auto level : ir::kAllOptLevels) lp.baselines.emplace_back(ir::baseline_pipeline(level), (*session)->baseline(level));
  return lp;
}

// A private session: its own module copy, worker pool and result cache.
Expected<std::unique_ptr<env::Session>> fresh_session(const LoadedProgram& lp, env::SessionOptions so) {
  ir::Program prog;
  prog.context = std::make_unique<llvm::LLVMContext>();
  auto module = ir::parse_ir(lp.bitcode, lp.name, *prog.context);
  if (!module) return module.take_error();
  prog.module = std::move(*module);
  prog.name = lp.name;
  prog.recipe = lp.recipe;
  prog.inputs = lp.inputs;
  so.cache = std::make_shared<env::ResultCache>();
  auto session = env::Session::create(std::move(prog), so);
  if (!session) return session.take_error();
  for (const auto& [pipeline, result] : lp.baselines) (*session)->cache().put((*session)->module_hash(), pipeline, result);
  return session;
}

VerifiedSequence describe(const ir::PassSequence& seq, uint64_t count) {
  VerifiedSequence v;
  v.flags = seq.flag_list();
  v.pipeline = seq.pipeline();
  v.count = count;
  return v;
}

void take_verification(VerifiedSequence& v, const env::EvalResult& r) {
  v.verified_status = env::eval_status_name(r.status);
  v.verified_count = r.ok() ? r.instruction_count : 0;
}

// Re-evaluates the answer and the raw best in fresh worker processes (verifier
// on, no cache), both at once.
void verify(env::Session& session, RunRecord& rec, int jobs, std::chrono::milliseconds timeout) {
  std::vector<env::EvalRequest> requests{{.pipeline = rec.answer.pipeline, .verify = true}};
  bool raw_separate = rec.best_raw && rec.best_raw->pipeline != rec.answer.pipeline;
  if (raw_separate) requests.push_back({.pipeline = rec.best_raw->pipeline, .verify = true});
  env::WorkerPool pool(*session.program().module,
                       {.jobs = std::min<int>(std::max(jobs, 1), static_cast<int>(requests.size())), .timeout = timeout});
  auto results = pool.run(requests);
  take_verification(rec.answer, results[0]);
  if (rec.best_raw) take_verification(*rec.best_raw, results[raw_separate ? 1 : 0]);
}

RunRecord make_record(const EvalProgram& p, const std::string& method, uint64_t seed, const EvalOptions& o,
                      const LoadedProgram& lp, const search::TuneResult& r, int jobs) {
  RunRecord rec;
  rec.program = p.uri;
  rec.suite = p.suite;
  rec.method = method;
  rec.config = r.method;
  rec.seed = seed;
  rec.budget = o.budget;
  rec.jobs = jobs;
  rec.base_count = lp.base_count;
  rec.oz_count = lp.oz_count;
  rec.answer = describe(r.answer, r.answer_count);
  rec.fell_back_to_oz = r.fell_back_to_oz;
  if (!r.best_raw.empty()) rec.best_raw = describe(r.best_raw, r.best_raw_count);
  rec.evaluations = r.evaluations;
  rec.failures = r.failures;
  rec.search_seconds = r.seconds;
  rec.trace = r.trace;
  return rec;
}

// OverOz from the verified counts: an answer that fails verification is worth
// -Oz (0); a raw best that fails keeps its search-time value, flagged.
void score(RunRecord& rec) {
  rec.over_oz = rec.answer.verified_ok() ? std::max(0.0, over_oz_fraction(rec.oz_count, rec.answer.verified_count)) : 0.0;
  if (!rec.best_raw) rec.over_oz_raw = 0;
  else rec.over_oz_raw = over_oz_fraction(rec.oz_count, rec.best_raw->verified_ok() ? rec.best_raw->verified_count : rec.best_raw->count);
  rec.mismatch = !rec.answer.matches() || (rec.best_raw && !rec.best_raw->matches());
}

nlohmann::json summary_json(const EvalSummary& s, const EvalOptions& o, const std::string& started) {
  nlohmann::json errors = nlohmann::json::array();
  for (const auto& e : s.errors) errors.push_back({{"program", e.program}, {"message", e.message}});
  nlohmann::json j = o.context.is_object() ? o.context : nlohmann::json::object();
  j.update({{"methods", o.methods},
            {"budget", {{"evaluations", o.budget.max_evaluations}, {"seconds", o.budget.max_seconds}}},
            {"seeds", o.seeds},
            {"jobs", s.jobs},
            {"parallel_runs", s.parallel_runs},
            {"jobs_per_run", s.jobs_per_run},
            {"cores", s.cores},
            {"programs", s.programs},
            {"runs", {{"planned", s.planned}, {"done", s.done}, {"skipped", s.skipped}, {"errors", s.errors.size()}}},
            {"mismatches", s.mismatches},
            {"torn_lines", s.torn_lines},
            {"errors", errors},
            {"wall_seconds", s.wall_seconds},
            {"cpu_seconds", s.cpu_seconds},
            {"cpu_utilisation", s.cpu_utilisation},
            {"started", started},
            {"finished", utc_now()}});
  return j;
}

// run.json describes the latest invocation and keeps the earlier ones (a
// resumed run has several) under "history".
Status write_run_info(const fs::path& run_dir, nlohmann::json latest) {
  nlohmann::json history = nlohmann::json::array();
  if (auto old = read_file(run_info_path(run_dir))) {
    try {
      auto j = nlohmann::json::parse(*old);
      if (j.contains("history") && j["history"].is_array()) history = j["history"];
      j.erase("history");
      history.push_back(j);
    } catch (const std::exception&) {
    }
  }
  latest["history"] = history;
  return write_file_atomically(run_info_path(run_dir), latest.dump(2) + "\n");
}

}  // namespace

fs::path run_info_path(const fs::path& run_dir) { return run_dir / "run.json"; }

Status validate(const EvalOptions& o) {
  if (o.methods.empty()) return make_error(ErrorKind::invalid_input, "no method given");
  for (const auto& m : o.methods)
    if (!o.custom_methods.contains(m))
      if (auto t = search::parse_method(m); !t) return t.take_error();
  if (!std::isfinite(o.budget.max_seconds) || o.budget.max_seconds < 0)
    return make_error(ErrorKind::invalid_input, fmt::format("bad budget: {} seconds", o.budget.max_seconds));
  if (o.budget.max_evaluations == 0 && o.budget.max_seconds == 0)
    return make_error(ErrorKind::invalid_input, "bad budget: give evaluations or seconds (or both), more than 0");
  if (o.seeds.empty()) return make_error(ErrorKind::invalid_input, "no seeds");
  if (o.jobs < 0) return make_error(ErrorKind::invalid_input, fmt::format("bad number of jobs: {}", o.jobs));
  if (o.parallel_runs < 0)
    return make_error(ErrorKind::invalid_input, fmt::format("bad number of parallel runs: {}", o.parallel_runs));
  if (o.timeout.count() <= 0) return make_error(ErrorKind::invalid_input, "the evaluation timeout must be positive");
  return ok_status();
}

int resolve_parallel_runs(const EvalOptions& o, int jobs, size_t runs) {
  int n = o.parallel_runs;
  if (n <= 0) {
    // A wall-clock budget means seconds of the whole machine, and a custom runner (an agent policy)
    // is not known to be thread-safe: one run at a time. Otherwise one run per 4 workers: a lone
    // tuner kept only 36-52% of 16 cores busy (sequential steps between batches), and 4 workers
    // still spread each run's batches (2 x -j sequences) while other runs fill its gaps.
    if (o.budget.max_seconds > 0 || !o.custom_methods.empty()) n = 1;
    else n = std::max(1, jobs / 4);
  }
  n = std::min(n, std::max(1, jobs));
  return std::max(1, std::min<int>(n, static_cast<int>(std::min<size_t>(runs, 1'000'000))));
}

Expected<EvalSummary> run_evaluation(std::span<const EvalProgram> programs, const EvalOptions& o, const fs::path& run_dir) {
  if (auto st = validate(o); !st) return st.take_error();
  auto log = RecordLog::open(run_dir);
  if (!log) return log.take_error();
  auto started = utc_now();
  auto t0 = Clock::now();
  ProcessCpuTime cpu0 = process_cpu_time_now();

  EvalSummary s;
  s.programs = programs.size();
  s.jobs = o.jobs > 0 ? o.jobs : env::hardware_jobs();
  s.cores = env::hardware_jobs();
  s.torn_lines = log->torn_lines();
  if (s.torn_lines)
    spdlog::warn("{}: {} unreadable line(s) (torn by a killed run) are ignored; any run they held is redone",
                 log->path().string(), s.torn_lines);

  // What is left to do, in the order a sequential harness would take it.
  struct Run {
    size_t program;
    std::string method;
    uint64_t seed;
  };
  std::vector<Run> todo;
  // One per program: prepared once, by the first run that needs it (the others wait), and freed
  // when its last run is over.
  struct Slot {
    std::once_flag once;
    std::unique_ptr<LoadedProgram> lp;
    size_t left = 0;
  };
  std::vector<Slot> slots(programs.size());
  for (size_t i = 0; i < programs.size(); ++i)
    for (const auto& m : o.methods)
      for (uint64_t seed : o.seeds) {
        ++s.planned;
        if (log->contains(run_key(programs[i].uri, m, seed, o.budget))) {
          ++s.skipped;
        } else {
          todo.push_back({i, m, seed});
          ++slots[i].left;
        }
      }

  s.parallel_runs = resolve_parallel_runs(o, s.jobs, todo.size());
  s.jobs_per_run = std::max(1, s.jobs / s.parallel_runs);
  if (s.parallel_runs > 1)
    spdlog::info("{} runs at once, {} worker(s) each ({} in all)", s.parallel_runs, s.jobs_per_run,
                 s.parallel_runs * s.jobs_per_run);
  env::SessionOptions so;
  so.pool.jobs = s.jobs_per_run;
  so.pool.timeout = o.timeout;
  so.planned_jobs = s.jobs;  // the same search path as one run with all of -j

  ProgressBar bar("eval", s.planned - s.skipped, o.progress);
  std::mutex mu;  // guards everything below, s, log and bar
  size_t next = 0, finished = 0;
  bool stop = false;
  std::optional<Error> fatal;

  auto fail = [&](const std::string& uri, std::string message) {
    std::lock_guard lock(mu);
    s.errors.push_back({uri, std::move(message)});
    bar.update(++finished);
  };
  auto release = [&](Slot& slot) {
    std::lock_guard lock(mu);
    if (--slot.left == 0) slot.lp.reset();
  };

  // Takes runs off the list until it is empty or the evaluation stops. Sessions (and their worker
  // processes, which die with the thread that forked them) live and die inside this call.
  auto worker = [&] {
    for (;;) {
      size_t k;
      {
        std::lock_guard lock(mu);
        if (stop || next >= todo.size()) return;
        k = next++;
      }
      const Run& run = todo[k];
      const EvalProgram& p = programs[run.program];
      Slot& slot = slots[run.program];
      std::call_once(slot.once, [&] {
        auto lp = prepare(p, so);
        if (lp) {
          slot.lp = std::make_unique<LoadedProgram>(std::move(*lp));
          return;
        }
        spdlog::warn("{}: skipped: {}", p.uri, lp.error().message);
        std::lock_guard lock(mu);
        s.errors.push_back({p.uri, lp.error().message});
      });
      if (!slot.lp) {  // prepare failed: its one error is recorded, the run is skipped
        {
          std::lock_guard lock(mu);
          bar.update(++finished);
        }
        release(slot);
        continue;
      }
      const LoadedProgram& lp = *slot.lp;
      const std::string& method = run.method;
      uint64_t seed = run.seed;

      auto run_start = Clock::now();
      auto session = fresh_session(lp, so);
      Expected<search::TuneResult> result = make_error(ErrorKind::internal, "not run");
      if (auto custom = o.custom_methods.find(method); custom != o.custom_methods.end()) {
        if (session) result = custom->second(**session, p, seed);
      } else {
        auto spec = search::parse_method(method);
        auto tuner = search::make_tuner(spec ? spec->tuner : method);
        if (!tuner) {
          fail(p.uri, tuner.error().message);
          release(slot);
          continue;
        }
        if (session) result = search::tune(**session, **tuner, o.budget, seed, *spec->space);
      }
      if (!session || !result) {
        fail(p.uri, !session ? session.error().message : result.error().message);
        release(slot);
        continue;
      }
      RunRecord rec = make_record(p, method, seed, o, lp, *result, (*session)->pool().jobs());
      rec.parallel_runs = s.parallel_runs;
      verify(**session, rec, (*session)->pool().jobs(), o.timeout);
      score(rec);
      rec.wall_seconds = seconds_since(run_start);
      session = make_error(ErrorKind::internal, "closed");  // its workers go before the next run's start
      release(slot);

      std::lock_guard lock(mu);
      if (stop) return;  // stopped while this run was in flight: lost, as in a kill
      if (rec.mismatch) {
        ++s.mismatches;
        spdlog::warn("{} {} seed {}: verification differs from the search: answer {} -> {} ({})", p.uri, method, seed,
                     rec.answer.count, rec.answer.verified_count, rec.answer.verified_status);
      }
      if (auto st = log->append(rec); !st) {
        fatal = st.error();
        stop = true;
        return;
      }
      ++s.done;
      bar.update(++finished);
      if (o.on_record && !o.on_record(rec)) stop = true;
    }
  };
  auto guarded = [&] {
    try {
      worker();
    } catch (const std::exception& e) {
      std::lock_guard lock(mu);
      if (!fatal) fatal = make_error(ErrorKind::internal, fmt::format("evaluation: {}", e.what()));
      stop = true;
    }
  };
  if (s.parallel_runs == 1) {
    guarded();
  } else {
    std::vector<std::thread> threads;
    for (int t = 0; t < s.parallel_runs; ++t) threads.emplace_back(guarded);
    for (auto& t : threads) t.join();
  }
  bar.finish();
  if (fatal) return *fatal;

  s.wall_seconds = seconds_since(t0);
  ProcessCpuTime cpu1 = process_cpu_time_now();
  s.cpu_seconds = cpu1.total() - cpu0.total();
  s.cpu_utilisation = cpu_utilisation(s.cpu_seconds, s.wall_seconds, s.cores);
  if (auto st = write_run_info(run_dir, summary_json(s, o, started)); !st) return st.take_error();
  return s;
}

}  // namespace cr1::eval
