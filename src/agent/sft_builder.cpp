#include "agent/sft_builder.h"

#include <atomic>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/program_root.h"
#include "data/manifest.h"
#include "search/registry.h"
#include "util/atomic_file.h"
#include "util/progress.h"

namespace cr1::agent {
namespace fs = std::filesystem;

namespace {

fs::path book_path(const SftOptions& o) { return o.book.empty() ? fs::path(o.out.string() + ".book.jsonl") : o.book; }

// Tunes the programs that have no known sequence, appending each result to the book file.
void tune_missing(const SftOptions& o, std::span<const EpisodeJob> jobs, SequenceBook& book, SftSummary& s) {
  std::vector<const EpisodeJob*> todo;
  for (const auto& j : jobs)
    if (!book.find(j.program.uri)) todo.push_back(&j);
  if (todo.empty()) return;
  auto space = search::ActionSpace::by_name(o.actions);
  std::string method = fmt::format("tuner:{};actions={},evals={},seconds={:g},seed={}", o.tuner, o.actions,
                                   o.tuner_budget.max_evaluations, o.tuner_budget.max_seconds, o.seed);
  std::mutex mu;
  std::atomic<size_t> next{0};
  size_t finished = 0;
  ProgressBar bar("tune", todo.size(), o.progress);
  auto worker = [&] {
    for (size_t i; (i = next++) < todo.size();) {
      const EpisodeJob& job = *todo[i];
      std::optional<KnownSequence> entry;
      std::string failure;
      auto tuner = search::make_tuner(o.tuner);
      auto prog = job.load();
      if (!tuner || !prog) {
        failure = tuner ? prog.error().message : tuner.error().message;
      } else {
        env::SessionOptions so;
        so.pool = o.pool;
        auto session = env::Session::create(std::move(*prog), so);
        if (!session) {
          failure = session.error().message;
        } else {
          auto r = search::tune(**session, **tuner, o.tuner_budget, o.seed, **space);
          if (!r) failure = r.error().message;
          else if (r->best_raw.empty()) failure = "every evaluation failed";
          else
            entry = KnownSequence{job.program.uri, job.program.features, r->best_raw.flag_list(), r->over_oz_raw, r->oz_count,
                                  method};
        }
      }
      std::lock_guard lock(mu);
      if (entry) {
        if (auto st = append_to_book(book_path(o), *entry); !st) spdlog::warn("{}", st.error().message);
        book.add(std::move(*entry));
        ++s.tuned;
      } else {
        spdlog::warn("{}: not tuned: {}", job.program.uri, failure);
        s.tune_errors.emplace_back(job.program.uri, failure);
      }
      bar.update(++finished);
    }
  };
  std::vector<std::thread> threads;
  for (size_t k = 0; k < std::max<size_t>(1, std::min(o.parallel, todo.size())); ++k) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
}

}  // namespace

Expected<std::vector<EpisodeJob>> corpus_jobs(const fs::path& corpus, std::optional<data::Split> split, size_t limit) {
  auto manifest = data::Manifest::read(corpus);
  if (!manifest) return manifest.take_error();
  std::vector<const data::ProgramRecord*> ok;
  for (const auto& r : manifest->records())
    if (r.status == data::RecordStatus::ok && !r.path.empty() && (!split || r.split == *split)) ok.push_back(&r);
  if (ok.empty())
    return make_error(ErrorKind::invalid_input, fmt::format("{}: no programs{}", corpus.string(),
                                                            split ? fmt::format(" in the {} split", data::split_name(*split)) : ""));
  std::vector<const data::ProgramRecord*> chosen;
  if (limit == 0 || limit >= ok.size()) {
    chosen = ok;
  } else {
    for (size_t i = 0; i < limit; ++i) chosen.push_back(ok[i * ok.size() / limit]);
  }
  // The tools resolve filenames inside the corpus folder; a program they would refuse (a symlink out of
  // it, a missing file) would turn every episode into tool errors and an -Oz answer, so refuse it here.
  auto root = ProgramRoot::open(corpus);
  if (!root) return root.take_error();
  std::vector<EpisodeJob> jobs;
  for (const auto* r : chosen) {
    if (auto file = root->resolve(r->path); !file)
      return make_error(file.error().kind, fmt::format("{}: the tools cannot open {}: {}", corpus.string(), r->uri,
                                                       file.error().message));
    EpisodeJob j;
    j.program.uri = r->uri;
    j.program.filename = r->path;
    j.program.features = r->autophase;
    j.program.instruction_count = r->instruction_count;
    fs::path file = corpus / r->path;
    j.load = [file]() -> Expected<ir::Program> {
      fs::path paths[] = {file};
      return ir::load_program(paths);
    };
    jobs.push_back(std::move(j));
  }
  return jobs;
}

Status validate(const SftOptions& o) {
  if (o.out.empty()) return make_error(ErrorKind::invalid_input, "--out: no output file given");
  if (o.variant != "paper" && o.variant != "multi")
    return make_error(ErrorKind::invalid_input, fmt::format("--variant '{}': expected paper or multi", o.variant));
  if (o.variant == "multi" && o.candidates < 2)
    return make_error(ErrorKind::invalid_input, fmt::format("--candidates {}: the multi variant needs at least 2", o.candidates));
  if (o.parallel == 0) return make_error(ErrorKind::invalid_input, "--parallel must be at least 1");
  if (auto t = search::make_tuner(o.tuner); !t) return t.take_error();
  if (auto sp = search::ActionSpace::by_name(o.actions); !sp) return sp.take_error();
  if (o.tune_missing && o.tuner_budget.max_evaluations == 0 && o.tuner_budget.max_seconds <= 0)
    return make_error(ErrorKind::invalid_input, "the tuner needs a budget: evaluations or seconds");
  std::error_code ec;
  fs::path parent = fs::absolute(o.out, ec).parent_path();
  if (!fs::is_directory(parent, ec))
    return make_error(ErrorKind::not_found, fmt::format("{}: the output folder does not exist", parent.string()));
  return ok_status();
}

Expected<SftSummary> make_sft(const SftOptions& o, const ToolSet& tools) {
  if (auto st = validate(o); !st) return st.take_error();
  auto jobs = corpus_jobs(o.corpus, o.split, o.limit);
  if (!jobs) return jobs.take_error();
  SftSummary s;
  s.programs = jobs->size();

  auto book = SequenceBook::read(book_path(o));
  if (!book) return book.take_error();
  if (!o.eval_runs.empty()) {
    auto manifest = data::Manifest::read(o.corpus);
    if (!manifest) return manifest.take_error();
    for (const auto& run : o.eval_runs) {
      auto from = SequenceBook::from_eval_run(run, *manifest);
      if (!from) return from.take_error();
      book->merge(*from);
    }
  }
  for (const auto& j : *jobs) s.known_before += book->find(j.program.uri) ? 1 : 0;
  if (o.tune_missing) tune_missing(o, *jobs, *book, s);

  DecisionTreeOptions tree = o.variant == "multi" ? multi_candidate_options(o.candidates, o.threshold_percent)
                                                  : paper_tree_options(o.threshold_percent);
  DecisionTreePolicy policy(std::make_shared<SequenceBook>(std::move(*book)), tree);
  BatchOptions bo;
  bo.parallel = o.parallel;
  bo.episode = o.episode;
  bo.verifier.pool = o.pool;
  bo.verifier.pool.jobs = 1;
  bo.progress = o.progress;
  bo.progress_label = "sft";
  auto batch = run_episodes(*jobs, policy, tools, bo, o.out);
  if (!batch) return batch.take_error();
  s.episodes = std::move(*batch);
  auto stats = summarize_episodes(o.out);
  if (!stats) return stats.take_error();
  (*stats)["variant"] = o.variant;
  (*stats)["policy"] = policy.name();
  (*stats)["programs"] = s.programs;
  (*stats)["known_before"] = s.known_before;
  (*stats)["tuned_now"] = s.tuned;
  s.stats = std::move(*stats);
  if (auto st = write_file_atomically(o.out.string() + ".stats.json", s.stats.dump(2) + "\n"); !st) return st.take_error();
  return s;
}

}  // namespace cr1::agent
