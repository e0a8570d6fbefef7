#include "eval/program_source.h"

#include <map>
#include <unordered_set>

#include <fmt/format.h>

#include "data/corpus_builder.h"
#include "data/manifest.h"

namespace cr1::eval {
namespace fs = std::filesystem;

namespace {

Expected<std::vector<EvalProgram>> corpus_programs(const fs::path& dir, std::optional<data::Split> split) {
  auto manifest = data::Manifest::read(dir);
  if (!manifest) return manifest.take_error();
  std::vector<EvalProgram> out;
  for (const auto& r : manifest->records()) {
    if (r.status != data::RecordStatus::ok || r.path.empty()) continue;
    if (split && r.split != *split) continue;
    fs::path file = dir / r.path;
    out.push_back({r.uri, r.suite, [file]() -> Expected<ir::Program> {
                     fs::path paths[] = {file};
                     return ir::load_program(paths);
                   }});
  }
  if (out.empty())
    return make_error(ErrorKind::invalid_input,
                      split ? fmt::format("{}: no programs in split '{}'", dir.string(), data::split_name(*split))
                            : fmt::format("{}: corpus has no ok programs", dir.string()));
  return out;
}

Expected<std::vector<EvalProgram>> folder_programs(const fs::path& dir, ir::Recipe recipe) {
  data::BuildOptions o;
  o.recipe = recipe;
  // The builder's job maker gives the same uris and suite names as a corpus
  // built from this folder would have.
  auto jobs = data::folder_jobs(dir, o);
  if (!jobs) return jobs.take_error();
  std::vector<EvalProgram> out;
  for (auto& job : *jobs)
    out.push_back({job.uri, job.suite, [load = job.load]() { return load(fs::path()); }});
  return out;
}

}  // namespace

Expected<std::vector<EvalProgram>> collect_programs(const std::vector<fs::path>& suites, std::optional<data::Split> split,
                                                    ir::Recipe recipe) {
  if (suites.empty()) return make_error(ErrorKind::invalid_input, "no suite given");
  std::vector<EvalProgram> all;
  std::unordered_set<std::string> seen;
  for (const auto& given : suites) {
    std::error_code ec;
    fs::path dir = given;
    if (given.filename() == "manifest.jsonl" && fs::is_regular_file(given, ec)) dir = given.parent_path();
    if (dir.empty()) dir = ".";
    if (!fs::exists(dir, ec))
      return make_error(ErrorKind::not_found, fmt::format("{}: no such corpus or folder", given.string()));
    if (!fs::is_directory(dir, ec))
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: not a corpus folder, manifest.jsonl or folder of programs", given.string()));
    Expected<std::vector<EvalProgram>> programs = std::vector<EvalProgram>{};
    if (fs::exists(dir / "manifest.jsonl", ec)) {
      programs = corpus_programs(dir, split);
    } else if (split) {
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: --split needs a corpus (manifest.jsonl), this is a plain folder", given.string()));
    } else {
      programs = folder_programs(dir, recipe);
    }
    if (!programs) return programs.take_error();
    for (auto& p : *programs)
      if (seen.insert(p.uri).second) all.push_back(std::move(p));
  }
  return all;
}

std::vector<EvalProgram> sample_per_suite(std::vector<EvalProgram> programs, size_t per_suite) {
  std::map<std::string, std::vector<size_t>> by_suite;
  for (size_t i = 0; i < programs.size(); ++i) by_suite[programs[i].suite].push_back(i);
  std::vector<bool> keep(programs.size(), false);
  for (const auto& [suite, idx] : by_suite) {
    size_t n = std::min(per_suite, idx.size());
    // The k-th of n picks is at floor(k * size / n): evenly spaced, first element included.
    for (size_t k = 0; k < n; ++k) keep[idx[k * idx.size() / n]] = true;
  }
  std::vector<EvalProgram> out;
  for (size_t i = 0; i < programs.size(); ++i)
    if (keep[i]) out.push_back(std::move(programs[i]));
  return out;
}

}  // namespace cr1::eval
