// `compiler-r1 dataset build|list|stats`: corpora of programs with manifests
// and leak-free splits.
#include <fcntl.h>
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <map>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "data/corpus_builder.h"
#include "data/debian_corpus.h"
#include "data/manifest.h"
#include "env/worker_pool.h"

namespace cr1::cli {
namespace {

struct SeedRange {
  uint64_t first = 1, last = 1000;
};

SeedRange parse_seeds(const std::string& text) {
  auto dash = text.find('-');
  SeedRange r;
  auto parse = [&](std::string_view s, uint64_t& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p != s.data() + s.size())
      throw CliError(fmt::format("--seeds: '{}' is not a seed range like 1-5000", text));
  };
  if (dash == std::string::npos) {
    parse(text, r.first);
    r.last = r.first;
  } else {
    parse(std::string_view(text).substr(0, dash), r.first);
    parse(std::string_view(text).substr(dash + 1), r.last);
  }
  if (r.last < r.first) throw CliError(fmt::format("--seeds: empty range '{}'", text));
  return r;
}

struct BuildArgs {
  std::string from, out, seeds = "1-1000", packages, cache_dir = "/var/tmp/cr1-debian", recipe = "Oz";
  std::vector<std::string> only;
  int jobs = 0;
  uint64_t min_insts = 50, max_insts = 10'000;
  double timeout = 120;
  bool all_levels = false, whole_programs = true;
  size_t target = 0;
};

void append_build_log(const data::Manifest& m, const nlohmann::json& entry) {
  std::string line = entry.dump() + "\n";
  int fd = ::open((m.dir() / "builds.jsonl").c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return;
  (void)!::write(fd, line.data(), line.size());
  ::close(fd);
}

void run_build(const BuildArgs& a) {
  data::BuildOptions o;
  o.jobs = a.jobs;
  o.min_insts = a.min_insts;
  o.max_insts = a.max_insts;
  if (a.min_insts > a.max_insts) throw CliError("--min-insts is larger than --max-insts");
  if (a.timeout <= 0) throw CliError("--timeout must be positive");
  o.timeout = std::chrono::seconds(static_cast<long long>(a.timeout));
  o.all_levels = a.all_levels;
  o.recipe = unwrap(ir::parse_recipe(a.recipe));
  if (a.target) o.target_ok = a.target;

  // Several sources go into one corpus, one after the other: "debian,csmith".
  std::vector<std::string> sources;
  for (size_t at = 0; at <= a.from.size();) {
    size_t comma = std::min(a.from.find(',', at), a.from.size());
    if (comma == at) throw CliError(fmt::format("--from: empty source in '{}'", a.from));
    sources.push_back(a.from.substr(at, comma - at));
    at = comma + 1;
  }
  // Job lists are made (and folders checked) before the long work starts.
  std::vector<std::vector<data::BuildJob>> jobs(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    const auto& from = sources[i];
    if (from == "csmith" || from == "llvm-stress") {
      auto seeds = parse_seeds(a.seeds);
      jobs[i] = from == "csmith" ? data::csmith_jobs(seeds.first, seeds.last, o, std::filesystem::path(a.out) / "cache")
                                 : data::llvm_stress_jobs(seeds.first, seeds.last, o);
    } else if (from != "debian") {
      jobs[i] = unwrap(data::folder_jobs(from, o));
    }
  }
  auto manifest = unwrap(data::Manifest::open(a.out));
  if (manifest.torn_lines()) spdlog::warn("{}: skipped {} torn manifest line(s); those programs are rebuilt", a.out, manifest.torn_lines());

  auto t0 = std::chrono::steady_clock::now();
  data::BuildSummary s;
  for (size_t i = 0; i < sources.size(); ++i) {
    if (sources[i] == "debian") {
      data::DebianBuildOptions d;
      d.package_list = a.packages.empty() ? std::filesystem::path(CR1_SOURCE_DIR) / "data/debian-packages.txt"
                                          : std::filesystem::path(a.packages);
      d.only = a.only;
      d.cache_dir = a.cache_dir;
      d.whole_programs = a.whole_programs;
      s.add(unwrap(data::build_debian_corpus(d, o, manifest)));
    } else {
      s.add(data::build_corpus(jobs[i], o, manifest));
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double load[3] = {0, 0, 0};
  bool have_load = ::getloadavg(load, 3) == 3;
  append_build_log(manifest, {{"from", a.from}, {"seeds", a.seeds}, {"seconds", secs}, {"ok", s.ok},
                              {"filtered", s.filtered}, {"duplicate", s.duplicate}, {"failed", s.failed},
                              {"skipped", s.skipped}, {"jobs", a.jobs}, {"cpu_seconds", s.cpu_seconds},
                              {"stages", s.stages}, {"outcomes", s.outcomes}, {"phases", s.phases},
                              {"loadavg", have_load ? nlohmann::json({load[0], load[1], load[2]}) : nlohmann::json()}});
  fmt::print("built {}: {} ok, {} filtered, {} duplicate, {} failed, {} already done, in {:.1f} s\n", a.out, s.ok,
             s.filtered, s.duplicate, s.failed, s.skipped, secs);
  if (!s.stages.empty()) {
    fmt::print("\nCPU time per stage (user+sys, subprocesses included):\n{}", data::format_stage_table(s.stages));
    fmt::print("\nCPU time per outcome (wall: sum over jobs):\n{}", data::format_stage_table(s.outcomes));
  }
  if (!s.phases.empty()) {
    int slots = a.jobs > 0 ? a.jobs : env::hardware_jobs();  // what process_map uses for 0
    fmt::print("\nPhases (CPU of this process and its children; busy = CPU / (wall x {} jobs)):\n", slots);
    for (const auto& [name, t] : s.phases.stages())
      fmt::print("{:<28} {:>10.1f} CPU s {:>10.1f} wall s {:>6.0f}% busy\n", name, t.cpu, t.wall,
                 t.wall > 0 ? 100 * t.cpu / (t.wall * std::max(slots, 1)) : 0.0);
  }
  fmt::print("\nCPU {:.1f} s in all (this process and its children), wall {:.1f} s", s.cpu_seconds, secs);
  if (have_load) fmt::print(", load average {:.2f} {:.2f} {:.2f} at the end", load[0], load[1], load[2]);
  fmt::print("\n");
  fmt::print("corpus now has {} programs\n", manifest.count(data::RecordStatus::ok));
}

// Histogram bins of the unoptimized instruction count.
constexpr uint64_t kBins[] = {0, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, UINT64_MAX};

nlohmann::json corpus_stats(const data::Manifest& m) {
  std::map<std::string, std::map<std::string, size_t>> by_suite;  // suite -> status/split -> n
  std::map<std::string, size_t> splits, packages_per_split_count;
  std::map<std::string, std::set<std::string>> packages_per_split;
  std::vector<size_t> hist(std::size(kBins) - 1, 0);
  size_t with_levels = 0, oz_not_best = 0;
  double cpu_seconds = 0;
  for (const auto& r : m.records()) {
    by_suite[r.suite][data::record_status_name(r.status)]++;
    cpu_seconds += r.seconds;
    if (r.status != data::RecordStatus::ok) continue;
    by_suite[r.suite][std::string("split:") + data::split_name(r.split)]++;
    splits[data::split_name(r.split)]++;
    packages_per_split[data::split_name(r.split)].insert(r.package == r.suite ? r.group : r.package);
    for (size_t b = 0; b + 1 < std::size(kBins); ++b)
      if (r.instruction_count >= kBins[b] && r.instruction_count < kBins[b + 1]) hist[b]++;
    if (r.baselines.size() >= 5) {
      ++with_levels;
      uint64_t best = r.oz_instruction_count;
      for (auto& [level, n] : r.baselines) best = std::min(best, n);
      oz_not_best += best < r.oz_instruction_count;
    }
  }
  nlohmann::json j;
  j["programs"] = m.count(data::RecordStatus::ok);
  j["records"] = m.records().size();
  j["suites"] = by_suite;
  j["splits"] = splits;
  for (auto& [split, groups] : packages_per_split) j["groups_per_split"][split] = groups.size();
  nlohmann::json h = nlohmann::json::array();
  for (size_t b = 0; b + 1 < std::size(kBins); ++b)
    h.push_back({{"from", kBins[b]}, {"to", kBins[b + 1] == UINT64_MAX ? nlohmann::json(nullptr) : nlohmann::json(kBins[b + 1])}, {"programs", hist[b]}});
  j["size_histogram"] = h;
  j["job_seconds"] = cpu_seconds;  // sum of per-program wall times (both cores)
  std::ifstream log(m.dir() / "builds.jsonl");
  double wall = 0;
  for (std::string line; std::getline(log, line);) try {
      wall += nlohmann::json::parse(line).value("seconds", 0.0);
    } catch (...) {
    }
  j["build_wall_seconds"] = wall;
  if (with_levels) {
    j["headroom"] = {{"programs_with_all_levels", with_levels},
                     {"oz_not_best", oz_not_best},
                     {"share_percent", 100.0 * static_cast<double>(oz_not_best) / static_cast<double>(with_levels)}};
  }
  return j;
}

}  // namespace

namespace {

void add_dataset_command(CLI::App& app) {
  auto* ds = app.add_subcommand("dataset", "Build and inspect program corpora");
  ds->require_subcommand(1);

  auto b = std::make_shared<BuildArgs>();
  auto* build = ds->add_subcommand("build", "Build (or resume building) a corpus");
  build->add_option("--from", b->from,
                    "debian | csmith | llvm-stress | a folder of .c/.cc/.ll/.bc files; several, comma-separated "
                    "(debian,csmith), go into one corpus in that order")
      ->required();
  build->add_option("--out", b->out, "Corpus folder (manifest.jsonl + programs/)")->required();
  build->add_option("-j,--jobs", b->jobs, "Parallel jobs (default: all cores)");
  build->add_option("--seeds", b->seeds, "Seed range for generators, e.g. 1-5000 (default 1-1000)");
  build->add_option("--packages", b->packages, "Debian package list (default: data/debian-packages.txt)");
  build->add_option("--only", b->only, "Debian: only these packages (repeatable)");
  build->add_option("--cache-dir", b->cache_dir, "Debian: where sources are downloaded and unpacked");
  build->add_option("--min-insts", b->min_insts, "Smallest program kept (default 50)");
  build->add_option("--max-insts", b->max_insts, "Largest program kept (default 10000)");
  build->add_option("--timeout", b->timeout, "Seconds per program (default 120)");
  build->add_option("--recipe", b->recipe, "Oz (default) or O0");
  build->add_option("--target", b->target, "Stop once the corpus has this many programs");
  build->add_flag("--all-levels", b->all_levels, "Also measure -O1/-O2/-O3/-Os (for headroom statistics)");
  build->add_flag("!--no-whole-programs", b->whole_programs, "Debian: skip linked whole-program modules");
  build->callback([b] { run_build(*b); });

  struct ListArgs {
    std::string dir, split, suite;
    bool all = false, json = false;
  };
  auto l = std::make_shared<ListArgs>();
  auto* list = ds->add_subcommand("list", "List a corpus's programs");
  list->add_option("dir", l->dir, "Corpus folder")->required();
  list->add_option("--split", l->split, "train | valid | test");
  list->add_option("--suite", l->suite, "Only this suite");
  list->add_flag("--all", l->all, "Include filtered, duplicate and failed records");
  list->add_flag("--json", l->json, "JSONL records");
  list->callback([l] {
    if (!l->split.empty() && !data::parse_split(l->split))
      throw CliError(fmt::format("--split: '{}' is not train, valid or test", l->split));
    auto m = unwrap(data::Manifest::read(l->dir));
    for (const auto& r : m.records()) {
      if (!l->all && r.status != data::RecordStatus::ok) continue;
      if (!l->split.empty() && l->split != data::split_name(r.split)) continue;
      if (!l->suite.empty() && l->suite != r.suite) continue;
      if (l->json) {
        fmt::print("{}\n", nlohmann::json(r).dump());
      } else if (r.status == data::RecordStatus::ok) {
        fmt::print("{:<6} {:>6} {:>6}  {}  {}\n", data::split_name(r.split), r.instruction_count, r.oz_instruction_count,
                   r.uri, r.path);
      } else {
        fmt::print("{:<9} {}  {}\n", data::record_status_name(r.status), r.uri, r.reason);
      }
    }
  });

  struct StatsArgs {
    std::string dir;
    bool json = false;
  };
  auto st = std::make_shared<StatsArgs>();
  auto* stats = ds->add_subcommand("stats", "Counts per suite and split, size histogram, build time, headroom");
  stats->add_option("dir", st->dir, "Corpus folder")->required();
  stats->add_flag("--json", st->json, "Machine-readable output");
  stats->callback([st] {
    auto m = unwrap(data::Manifest::read(st->dir));
    auto j = corpus_stats(m);
    if (st->json) {
      print_json(j);
      return;
    }
    fmt::print("{} programs ({} records)\n\n", j["programs"].get<size_t>(), j["records"].get<size_t>());
    fmt::print("{:<16} {:>7} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7}\n", "suite", "ok", "filtered", "duplicate", "failed",
               "train", "valid", "test");
    for (auto& [suite, c] : j["suites"].items()) {
      auto n = [&](const char* k) { return c.contains(k) ? c[k].get<size_t>() : size_t{0}; };
      fmt::print("{:<16} {:>7} {:>9} {:>9} {:>7} {:>7} {:>7} {:>7}\n", suite, n("ok"), n("filtered"), n("duplicate"),
                 n("failed"), n("split:train"), n("split:valid"), n("split:test"));
    }
    fmt::print("\ngroups (packages / seed blocks) per split:");
    for (auto& [split, n] : j["groups_per_split"].items()) fmt::print(" {} {}", split, n.get<size_t>());
    fmt::print("\n\nsize (IR instructions)   programs\n");
    for (auto& bin : j["size_histogram"]) {
      std::string to = bin["to"].is_null() ? "" : std::to_string(bin["to"].get<uint64_t>());
      fmt::print("{:>7} .. {:<8}       {}\n", bin["from"].get<uint64_t>(), to, bin["programs"].get<size_t>());
    }
    fmt::print("\nbuild: {:.0f} s wall over all runs; per-program jobs took {:.0f} s in total\n", j["build_wall_seconds"].get<double>(),
               j["job_seconds"].get<double>());
    if (j.contains("headroom"))
      fmt::print("headroom: -Oz is not the best of -O1/-O2/-O3/-Os/-Oz on {} of {} programs ({:.1f}%)\n",
                 j["headroom"]["oz_not_best"].get<size_t>(), j["headroom"]["programs_with_all_levels"].get<size_t>(),
                 j["headroom"]["share_percent"].get<double>());
  });
}

const CommandRegistration kRegistration{60, add_dataset_command};

}  // namespace

}  // namespace cr1::cli
