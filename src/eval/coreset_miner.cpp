#include "eval/coreset_miner.h"

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "env/session.h"
#include "eval/record_log.h"
#include "util/progress.h"

namespace cr1::eval {

namespace {

using Row = std::vector<std::optional<uint64_t>>;

// What is known of one program: IC(-Oz) and the count of every candidate evaluated on it so far, by
// pipeline text, so that adding candidates later evaluates only the new ones.
struct MatrixRow {
  uint64_t oz = 0;
  std::unordered_map<std::string, std::optional<uint64_t>> counts;
};

// Rows of the matrix file, lines of one program merged (torn or foreign lines are skipped).
std::unordered_map<std::string, MatrixRow> read_rows(const std::filesystem::path& path) {
  std::unordered_map<std::string, MatrixRow> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("program") || !j.contains("counts") ||
        !j["counts"].is_object())
      continue;
    auto& r = rows[j.value("program", "")];
    r.oz = j.value("oz", uint64_t{0});
    for (const auto& [pipeline, c] : j["counts"].items())
      r.counts[pipeline] = c.is_number_unsigned() ? std::optional<uint64_t>(c.get<uint64_t>()) : std::nullopt;
  }
  return rows;
}

// One line, one O_APPEND write: a kill loses at most the row in flight.
Status append_row(const std::filesystem::path& path, const nlohmann::json& row) {
  std::string line = row.dump() + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorKind::io, fmt::format("{}: cannot open for appending", path.string()));
  bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::close(fd);
  if (!ok) return make_error(ErrorKind::io, fmt::format("{}: write failed", path.string()));
  return ok_status();
}

}  // namespace

Expected<std::vector<ir::PassSequence>> coreset_candidates(std::span<const std::filesystem::path> run_dirs) {
  std::vector<ir::PassSequence> out;
  std::unordered_set<std::string> seen;
  for (const auto& dir : run_dirs) {
    auto log = RecordLog::read(dir);
    if (!log) return log.take_error();
    for (const auto& r : log->records()) {
      // A sequence that does not beat -Oz on the program it was found for rarely does elsewhere.
      if (!r.best_raw || r.best_raw->verified_status != "ok" || r.mismatch || r.over_oz_raw <= 0) continue;
      auto seq = ir::parse_sequence(r.best_raw->pipeline);
      if (!seq || seq->empty() || !seen.insert(seq->pipeline()).second) continue;
      out.push_back(std::move(*seq));
    }
  }
  if (out.empty()) return make_error(ErrorKind::invalid_input, "no verified sequences in the candidate runs");
  return out;
}

Expected<CoresetMineResult> mine_coreset(std::span<const ir::PassSequence> candidates,
                                         std::span<const EvalProgram> programs, const CoresetMineOptions& options,
                                         const std::filesystem::path& out) {
  auto t0 = std::chrono::steady_clock::now();
  const auto matrix_path = std::filesystem::path(out.string() + ".matrix.jsonl");
  auto rows = read_rows(matrix_path);

  CoresetMineResult res;
  res.candidates = candidates.size();
  std::vector<uint64_t> oz;
  std::vector<Row> by_program;
  ProgressBar bar("coreset matrix", programs.size(), options.progress);
  for (size_t i = 0; i < programs.size(); ++i) {
    const auto& p = programs[i];
    auto& row = rows[p.uri];
    std::vector<std::string> missing;
    for (const auto& c : candidates)
      if (!row.counts.contains(c.pipeline())) missing.push_back(c.pipeline());
    if (!missing.empty()) {
      auto prog = p.load();
      Expected<std::unique_ptr<env::Session>> session =
          prog ? env::Session::create(std::move(*prog), {.pool = {.jobs = options.jobs, .timeout = options.timeout}})
               : Expected<std::unique_ptr<env::Session>>(prog.take_error());
      auto ozc = session ? (*session)->oz_count() : Expected<uint64_t>(session.error());
      if (!ozc) {
        spdlog::warn("{}: skipped: {}", p.uri, ozc.error().message);
        ++res.programs_failed;
        bar.update(i + 1);
        continue;
      }
      auto results = (*session)->evaluate_pipelines(missing);
      row.oz = *ozc;
      nlohmann::json counts = nlohmann::json::object();
      for (size_t k = 0; k < missing.size(); ++k) {
        const auto& r = results[k];
        // Timeouts depend on the load: not recorded, so a rerun tries them again.
        if (!r.ok() && !r.cacheable()) continue;
        row.counts[missing[k]] = r.ok() ? std::optional<uint64_t>(r.instruction_count) : std::nullopt;
        counts[missing[k]] = r.ok() ? nlohmann::json(r.instruction_count) : nlohmann::json(nullptr);
        res.evaluations += !r.from_cache;
      }
      auto st = append_row(matrix_path, {{"program", p.uri}, {"oz", *ozc}, {"counts", counts}});
      if (!st) return st.take_error();
    }
    oz.push_back(row.oz);
    Row counts;
    for (const auto& c : candidates) {
      auto it = row.counts.find(c.pipeline());
      counts.push_back(it == row.counts.end() ? std::nullopt : it->second);
    }
    by_program.push_back(std::move(counts));
    bar.update(i + 1);
  }
  bar.finish();
  res.programs = oz.size();
  if (oz.empty()) return make_error(ErrorKind::invalid_input, "no program could be evaluated");

  // select_coreset wants counts[candidate][program].
  std::vector<Row> counts(candidates.size(), Row(oz.size()));
  for (size_t p = 0; p < oz.size(); ++p)
    for (size_t c = 0; c < candidates.size() && c < by_program[p].size(); ++c) counts[c][p] = by_program[p][c];
  res.selection = search::select_coreset(counts, oz, options.k);
  auto all = search::select_coreset(counts, oz, candidates.size());
  res.oracle_mean_gain = all.mean_gain.empty() ? 0 : all.mean_gain.back();
  for (size_t c : res.selection.chosen) res.coreset.push_back(candidates[c]);

  std::vector<std::string> header = {
      "compiler-r1 coreset: sequences in selection order (greedy cover of the training programs' gains over -Oz).",
      fmt::format("{} candidates on {} training programs; K = {}.", res.candidates, res.programs, res.coreset.size()),
  };
  if (!res.selection.mean_gain.empty())
    header.push_back(fmt::format("Mean OverOz of the best of all K on those programs: {:.2f}% (all candidates: {:.2f}%); "
                                 "programs beating -Oz: {} of {}.",
                                 100 * res.selection.mean_gain.back(), 100 * res.oracle_mean_gain,
                                 res.selection.programs_won.back(), res.programs));
  auto st = search::write_coreset(out, res.coreset, header);
  if (!st) return st.take_error();
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return res;
}

}  // namespace cr1::eval
