#include "data/debian_corpus.h"

#include <malloc.h>

#include <algorithm>
#include <map>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "env/process_map.h"
#include "env/worker_pool.h"
#include "util/atomic_file.h"
#include "util/progress.h"

namespace cr1::data {
namespace fs = std::filesystem;

namespace {

// Downloads at once per job slot: apt-get spends about half its wall time
// waiting on the mirror and half loading its package cache (0.6 CPU s).
constexpr int kDownloadsPerSlot = 2;

std::string version_dir(const DebianPackage& p) {
  auto colon = p.version.find(':');
  return p.name + "-" + (colon == std::string::npos ? p.version : p.version.substr(colon + 1));
}

fs::path kept_bitcode(const fs::path& cache_dir, const DebianPackage& p, const std::string& relpath) {
  return cache_dir / "bitcode" / version_dir(p) / (relpath + ".bc");
}

}  // namespace

Expected<BuildSummary> build_debian_corpus(const DebianBuildOptions& debian, const BuildOptions& options,
                                           Manifest& manifest) {
  auto all = read_package_list(debian.package_list);
  if (!all) return all.take_error();
  std::vector<DebianPackage> packages;
  for (const auto& p : *all)
    if (debian.only.empty() || std::find(debian.only.begin(), debian.only.end(), p.name) != debian.only.end())
      packages.push_back(p);
  for (const auto& name : debian.only)
    if (std::none_of(packages.begin(), packages.end(), [&](auto& p) { return p.name == name; }))
      return make_error(ErrorKind::invalid_input,
                        fmt::format("--only {}: not in {}", name, debian.package_list.string()));

  // 1. Download, unpack and configure, in parallel children (each writes its
  //    result next to the tree, so the parent only reads it back).
  //    A child that prepared its package afresh reports the stage times.
  //    The downloads come first, two per job slot: they wait on the network
  //    half the time, and inside the preparation they would leave a core idle.
  std::vector<PreparedPackage> prepared;
  BuildSummary preparation;
  {
    CpuSample start = cpu_now();
    ProgressBar bar("downloading packages", packages.size(), options.progress);
    size_t done = 0;
    env::process_map(
        packages.size(),
        {.parallel = kDownloadsPerSlot * (options.jobs > 0 ? options.jobs : env::hardware_jobs()),
         .timeout = debian.prepare.fetch_timeout + std::chrono::seconds(60)},
        [&](size_t i) {
          auto st = fetch_package(packages[i], debian.cache_dir, debian.prepare);
          return st ? std::string("ok") : st.error().message;
        },
        [&](size_t i, env::JobResult r) {
          bar.update(++done);
          // Not fatal here: the preparation tries again and reports it.
          if (r.outcome != env::JobOutcome::ok || r.output != "ok")
            spdlog::debug("{}: download: {}", packages[i].name, r.outcome == env::JobOutcome::ok ? r.output : r.error);
        });
    StageTime t = time_between(start, cpu_now(), packages.size());
    preparation.stages.add("debian download", t);
    preparation.phases.add("debian download", t);
    preparation.cpu_seconds += t.cpu;
    preparation.seconds += t.wall;
  }
  {
    CpuSample start = cpu_now();
    ProgressBar bar("preparing packages", packages.size(), options.progress);
    size_t done = 0;
    env::process_map(
        packages.size(),
        {.parallel = options.jobs, .timeout = debian.prepare.fetch_timeout + debian.prepare.configure_timeout + std::chrono::seconds(60)},
        [&](size_t i) {
          CpuSample t = cpu_now();
          auto r = prepare_package(packages[i], debian.cache_dir, debian.prepare);
          if (!r) return r.error().message;
          StageTimes times = r->times;
          if (r->cached) times = StageTimes{}, times.lap("cached", t);  // prepared by an earlier run
          return "ok " + nlohmann::json(times).dump();
        },
        [&](size_t i, env::JobResult r) {
          bar.update(++done);
          if (r.outcome == env::JobOutcome::ok && r.output.rfind("ok ", 0) == 0) {
            try {
              auto times = nlohmann::json::parse(r.output.substr(3)).get<StageTimes>();
              for (const auto& [stage, t] : times.stages()) preparation.stages.add("debian prepare " + stage, t);
            } catch (const std::exception&) {
            }
            return;
          }
          spdlog::warn("{}: not prepared: {}", packages[i].name, r.outcome == env::JobOutcome::ok ? r.output : r.error);
        });
    StageTime t = time_between(start, cpu_now(), packages.size());
    preparation.cpu_seconds += t.cpu;
    preparation.seconds += t.wall;
    preparation.phases.add("debian prepare", t);
  }
  for (const auto& p : packages) {
    auto r = prepare_package(p, debian.cache_dir, debian.prepare);  // reads the finished preparation
    if (r) prepared.push_back(std::move(*r));
  }

  // 2. One program per translation unit. Every job is forked from this
  //    process, whose page tables fork copies, so the jobs share one copy of
  //    each distinct argument list (a package has a few dozen of them, for
  //    thousands of TUs): 135 MB of arguments, twice, made each fork cost
  //    about 10 ms of CPU in a full build.
  std::vector<BuildJob> jobs;
  for (auto& pp : prepared) {
    std::map<std::vector<std::string>, std::shared_ptr<const std::vector<std::string>>> distinct;
    for (auto& job : pp.jobs) {
      auto& args = distinct[job.clang_args];
      if (!args) args = std::make_shared<const std::vector<std::string>>(job.clang_args);
      std::vector<std::string>().swap(job.clang_args);  // only the relpaths are needed below
      fs::path keep = kept_bitcode(debian.cache_dir, pp.package, job.relpath);
      jobs.push_back(BuildJob{
          .uri = fmt::format("debian://{}/{}/{}", pp.package.name, pp.package.version, job.relpath),
          .suite = "debian",
          .package = pp.package.name,
          .group = "debian:" + pp.package.name,
          .load = [src = job.source, args, keep, recipe = options.recipe,
                   timeout = options.timeout](const fs::path&) -> Expected<ir::Program> {
            ir::LoadOptions o;
            o.recipe = recipe;
            o.extra_clang_args = *args;
            o.compile_timeout = timeout;
            o.keep_bitcode_as = keep;
            fs::path paths[] = {src};
            return ir::load_program(paths, o);
          },
          .source_bytes = [src = job.source] {
            auto b = read_file(src);
            return b ? *b : std::string();
          },
      });
    }
  }
  ::malloc_trim(0);  // give the freed argument lists back, or fork still copies their page tables
  BuildSummary total = preparation;
  total.add(build_corpus(jobs, options, manifest));
  if (!debian.whole_programs) return total;

  // 3. Whole programs from the TUs that compiled.
  std::vector<BuildJob> whole;
  for (const auto& pp : prepared) {
    std::map<std::string, fs::path> bitcode;
    std::error_code ec;
    for (const auto& job : pp.jobs) {
      fs::path keep = kept_bitcode(debian.cache_dir, pp.package, job.relpath);
      if (fs::exists(keep, ec)) bitcode.emplace(job.relpath, keep);
    }
    if (bitcode.empty()) continue;
    auto groups = whole_program_groups(bitcode);
    if (!groups) {
      spdlog::warn("{}: no whole programs: {}", pp.package.name, groups.error().message);
      continue;
    }
    for (const auto& g : *groups) {
      std::vector<fs::path> files;
      for (const auto& rel : g.relpaths) files.push_back(bitcode.at(rel));
      whole.push_back(BuildJob{
          .uri = fmt::format("debian-whole://{}/{}/{}", pp.package.name, pp.package.version, g.name),
          .suite = "debian-whole",
          .package = pp.package.name,
          .group = "debian:" + pp.package.name,
          .link = [files, max_insts = options.max_insts](const fs::path&) -> Expected<LinkedProgram> {
            auto p = link_whole_program(files, max_insts);
            if (p && p->program) p->program->recipe = "linked per-TU bitcode (" + p->program->recipe + ")";
            return p;
          },
          .source_bytes = [files] {
            std::string all;
            for (const auto& f : files) {
              auto b = read_file(f);
              if (b) all += *b;
            }
            return all;
          },
      });
    }
  }
  total.add(build_corpus(whole, options, manifest));
  return total;
}

}  // namespace cr1::data
