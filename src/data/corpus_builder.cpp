#include "data/corpus_builder.h"

#include <unistd.h>

#include <cmath>
#include <span>

#include <fmt/format.h>
#include <llvm/ADT/StringExtras.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/BLAKE3.h>
#include <llvm/Transforms/Utils/Cloning.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/generators.h"
#include "data/splits.h"
#include "env/process_map.h"
#include "env/worker_pool.h"
#include "ir/features.h"
#include "ir/module_hash.h"
#include "ir/pipeline_runner.h"
#include "util/atomic_file.h"
#include "util/progress.h"

namespace cr1::data {
namespace fs = std::filesystem;

namespace {

std::string blake3_hex(std::string_view bytes) {
  auto d = llvm::BLAKE3::hash<16>(llvm::ArrayRef<uint8_t>(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return llvm::toHex(d, true);
}

uint64_t count_after(const llvm::Module& m, ir::OptLevel level, std::string& error) {
  auto clone = llvm::CloneModule(m);
  if (auto st = ir::run_pipeline(*clone, ir::baseline_pipeline(level)); !st) {
    error = st.error().message;
    return 0;
  }
  return ir::count_instructions(*clone);
}

// A record for `job`, before anything about its program is known.
ProgramRecord record_of(const BuildJob& job) {
  ProgramRecord r;
  r.uri = job.uri;
  r.suite = job.suite;
  r.package = job.package;
  r.group = job.group;
  r.split = split_of_group(job.group);
  return r;
}

// Child side: make, measure and store one program.
// `known` is the manifest as the parent had it when this child was forked.
ProgramRecord measure(const BuildJob& job, const BuildOptions& options, const Manifest& known) {
  const fs::path& corpus_dir = known.dir();
  auto t0 = std::chrono::steady_clock::now();
  // A child runs several jobs: the CPU times are differences from here.
  const CpuSample start = cpu_now();
  ProgramRecord r = record_of(job);
  auto done = [&]() -> ProgramRecord& {
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Whatever the child spent after loading: hashing, -Oz, features, writing.
    CpuSample end = cpu_now();
    double before = 0;
    for (const auto& [stage, cpu] : r.cpu) before += cpu;
    if (!r.cpu.empty()) r.cpu["measure"] = std::max(0.0, time_between(start, end).cpu - before);
    for (auto& [stage, cpu] : r.cpu) cpu = std::round(cpu * 1000) / 1000;
    return r;
  };

  std::string scratch_tmpl = (fs::temp_directory_path() / "cr1-build-XXXXXX").string();
  fs::path scratch = ::mkdtemp(scratch_tmpl.data());
  struct Cleanup {
    fs::path p;
    ~Cleanup() {
      std::error_code ec;
      fs::remove_all(p, ec);
    }
  } cleanup{scratch};

  CpuSample c0 = start;
  if (job.generate) {
    auto generated = job.generate(scratch);
    CpuSample g = cpu_now();
    r.cpu["generate"] = g.self - c0.self + g.children - c0.children;
    c0 = g;
    if (!generated) {
      r.reason = generated.error().message;
      return done();
    }
  }
  Expected<ir::Program> program = make_error(ErrorKind::internal, job.uri + ": the job has no loader");
  uint64_t at_least = 0;  // a link that stopped early: the module's size is above this
  size_t linked = 0;
  if (job.link) {
    if (auto l = job.link(scratch); !l) program = l.take_error();
    else if (l->program) program = std::move(*l->program);
    else at_least = l->at_least, linked = l->linked;
  } else if (job.load) {
    program = job.load(scratch);
  }
  CpuSample c1 = cpu_now();
  r.cpu["compile"] = c1.children - c0.children;  // clang (a subprocess)
  r.cpu["load"] = c1.self - c0.self;            // reading and linking its bitcode
  if (job.source_bytes) r.source_hash = blake3_hex(job.source_bytes());
  if (at_least) {
    r.status = RecordStatus::filtered;
    r.instruction_count = at_least;
    r.reason = fmt::format("at least {} instructions after linking {} TUs, outside {}..{}", at_least, linked,
                           options.min_insts, options.max_insts);
    return done();
  }
  if (!program) {
    r.reason = program.error().message;
    return done();
  }
  r.recipe = program->recipe;
  const llvm::Module& m = *program->module;
  r.instruction_count = ir::count_instructions(m);
  r.ir_hash = ir::module_hash(m);
  if (r.instruction_count < options.min_insts || r.instruction_count > options.max_insts) {
    r.status = RecordStatus::filtered;
    r.reason = fmt::format("{} instructions, outside {}..{}", r.instruction_count, options.min_insts, options.max_insts);
    return done();
  }
  // Same IR as a program already in the corpus: the manifest will record a
  // duplicate of it whatever -Oz says (it said the same for the first), so
  // skip the measurement. Found before -Oz, it costs nothing more.
  if (known.uri_of_hash(r.ir_hash)) {
    r.status = RecordStatus::ok;
    return done();
  }
  std::string error;
  r.oz_instruction_count = count_after(m, ir::OptLevel::Oz, error);
  if (!error.empty()) {
    r.reason = "-Oz failed: " + error;
    return done();
  }
  if (r.oz_instruction_count < options.min_oz_insts) {
    r.status = RecordStatus::filtered;
    r.reason = fmt::format("-Oz leaves {} instructions (< {})", r.oz_instruction_count, options.min_oz_insts);
    return done();
  }
  if (options.all_levels) {
    for (auto level : {ir::OptLevel::O1, ir::OptLevel::O2, ir::OptLevel::O3, ir::OptLevel::Os}) {
      uint64_t n = count_after(m, level, error);
      if (error.empty()) r.baselines[ir::opt_level_name(level)] = n;
      error.clear();
    }
    r.baselines["Oz"] = r.oz_instruction_count;
  }
  auto features = ir::autophase_features(m);
  std::copy(features.begin(), features.end(), r.autophase.begin());
  r.path = (fs::path("programs") / job.suite / (program_file_name(job.uri) + ".bc")).string();
  std::error_code ec;
  fs::create_directories((corpus_dir / r.path).parent_path(), ec);
  if (auto st = ir::write_module(m, corpus_dir / r.path); !st) {
    r.reason = st.error().message;
    r.path.clear();
    return done();
  }
  r.status = RecordStatus::ok;
  return done();
}

ir::LoadOptions load_options(const BuildOptions& options, std::vector<std::string> clang_args = {}) {
  ir::LoadOptions o;
  o.recipe = options.recipe;
  o.extra_clang_args = std::move(clang_args);
  o.compile_timeout = options.timeout;
  return o;
}

std::function<std::string()> file_bytes(fs::path p) {
  return [p] {
    auto b = read_file(p);
    return b ? *b : std::string();
  };
}

}  // namespace

std::string program_file_name(const std::string& uri) {
  std::string name;
  for (char c : uri) name += std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ? c : '_';
  // Keep names short for the file system; a hash suffix keeps them unique.
  if (name.size() > 120) name = name.substr(name.size() - 100) + "-" + blake3_hex(uri).substr(0, 12);
  return name;
}

void BuildSummary::add(const BuildSummary& part) {
  skipped += part.skipped;
  ok += part.ok;
  filtered += part.filtered;
  duplicate += part.duplicate;
  failed += part.failed;
  seconds += part.seconds;
  stages.add(part.stages);
  outcomes.add(part.outcomes);
  phases.add(part.phases);
  cpu_seconds += part.cpu_seconds;
}

BuildSummary build_corpus(const std::vector<BuildJob>& jobs, const BuildOptions& options, Manifest& manifest) {
  CpuSample start = cpu_now();
  BuildSummary summary;
  std::vector<const BuildJob*> todo;
  for (const auto& j : jobs) {
    if (manifest.has_uri(j.uri)) ++summary.skipped;
    else todo.push_back(&j);
  }
  ProgressBar bar("building", todo.size(), options.progress);
  size_t finished = 0;
  auto reached_target = [&] { return options.target_ok && manifest.count(RecordStatus::ok) >= *options.target_ok; };
  auto add_record = [&](const ProgramRecord& r) {
    if (auto st = manifest.append(r); !st) spdlog::error("{}", st.error().message);
    const ProgramRecord& added = manifest.records().back();
    double job_cpu = 0;
    for (const auto& [stage, cpu] : added.cpu) {
      summary.stages.add(added.suite + " " + stage, {cpu, 0, 1});
      job_cpu += cpu;
    }
    summary.outcomes.add(added.suite + " " + record_status_name(added.status), {job_cpu, added.seconds, 1});
    switch (added.status) {
      case RecordStatus::ok: ++summary.ok; break;
      case RecordStatus::filtered: ++summary.filtered; break;
      case RecordStatus::duplicate: ++summary.duplicate; break;
      case RecordStatus::failed: ++summary.failed; break;
    }
    bar.update(++finished);
  };
  auto failed_record = [&](const BuildJob& job, const env::JobResult& result) {
    ProgramRecord r = record_of(job);
    r.status = RecordStatus::failed;
    r.reason = fmt::format("{}: {}", result.outcome == env::JobOutcome::timeout ? "timeout" : "crashed", result.error);
    return r;
  };

  // Each child runs a batch of jobs one after the other and sends each record
  // as it is done: a fork, and the fresh child's page faults on LLVM's code,
  // cost about as much CPU as a small program's whole measurement. When a child
  // crashes or hangs, the job it was on fails, its finished jobs are kept, and
  // the rest of its batch runs again in the next round.
  const int slots = options.jobs > 0 ? options.jobs : env::hardware_jobs();
  std::vector<const BuildJob*> pending = todo;
  while (!pending.empty() && !reached_target()) {
    size_t per_child = std::clamp<size_t>(pending.size() / (4 * static_cast<size_t>(slots)), 1,
                                          std::max<size_t>(options.jobs_per_child, 1));
    std::vector<std::span<const BuildJob* const>> batches;
    for (size_t at = 0; at < pending.size(); at += per_child)
      batches.emplace_back(pending.data() + at, std::min(per_child, pending.size() - at));
    std::vector<const BuildJob*> again;
    env::process_map(
        batches.size(),
        {.parallel = options.jobs,
         .timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options.timeout),
         .deadline_per_line = true},
        [&](size_t b) {
          for (const BuildJob* job : batches[b]) env::send_line(nlohmann::json(measure(*job, options, manifest)).dump());
          return std::string();
        },
        [&](size_t b, env::JobResult result) {
          const auto& batch = batches[b];
          size_t done = 0;
          for (size_t at = 0; done < batch.size();) {
            size_t nl = result.output.find('\n', at);
            if (nl == std::string::npos) break;  // a line cut short by the child's death is not a result
            ProgramRecord r;
            try {
              r = nlohmann::json::parse(std::string_view(result.output).substr(at, nl - at)).get<ProgramRecord>();
            } catch (const std::exception& e) {
              r = failed_record(*batch[done], {env::JobOutcome::crashed, {}, fmt::format("garbled job output: {}", e.what())});
            }
            add_record(r);
            ++done;
            at = nl + 1;
          }
          if (done == batch.size()) return;
          if (result.outcome == env::JobOutcome::ok) result.error = "the child ended without a result";
          add_record(failed_record(*batch[done], result));
          again.insert(again.end(), batch.begin() + static_cast<std::ptrdiff_t>(done) + 1, batch.end());
        },
        reached_target);
    pending = std::move(again);
  }
  bar.finish();
  StageTime t = time_between(start, cpu_now());
  summary.seconds = t.wall;
  summary.cpu_seconds = t.cpu;
  if (!todo.empty()) {
    bool one_suite = std::all_of(todo.begin(), todo.end(), [&](const BuildJob* j) { return j->suite == todo[0]->suite; });
    summary.phases.add(one_suite ? todo[0]->suite + " jobs" : "jobs", {summary.cpu_seconds, summary.seconds, todo.size()});
  }
  return summary;
}

namespace {

// One job per seed of a generator that writes a source file into the scratch folder.
std::vector<BuildJob> generator_jobs(const std::string& generator, uint64_t first_seed, uint64_t last_seed,
                                     const BuildOptions& options,
                                     Expected<fs::path> (*generate)(uint64_t, const fs::path&), const char* ext,
                                     std::vector<std::string> clang_args,
                                     std::string (*describe)(uint64_t)) {
  std::vector<BuildJob> jobs;
  for (uint64_t s = first_seed; s <= last_seed; ++s) {
    jobs.push_back(BuildJob{
        .uri = fmt::format("{}://{}", generator, s),
        .suite = generator,
        .package = generator,
        .group = seed_group(generator, s),
        .load = [=](const fs::path& scratch) -> Expected<ir::Program> {
          fs::path src = scratch / fmt::format("{}-{}{}", generator, s, ext);  // what generate() writes
          std::error_code ec;
          if (!fs::exists(src, ec))
            if (auto made = generate(s, scratch); !made) return made.take_error();
          fs::path paths[] = {src};
          return ir::load_program(paths, load_options(options, clang_args));
        },
        .generate = [=](const fs::path& scratch) -> Status {
          auto made = generate(s, scratch);
          if (!made) return made.take_error();
          return ok_status();
        },
        .source_bytes = [=] { return describe(s); },
    });
  }
  return jobs;
}

}  // namespace

namespace {

// The recipe's clang flags, as ir::load_program passes them (program_loader.cpp);
// a PCH made with other flags is rejected by clang, which the check below catches.
std::vector<std::string> recipe_clang_flags(ir::Recipe recipe) {
  if (recipe == ir::Recipe::Oz) return {"-Oz", "-Xclang", "-disable-llvm-passes"};
  return {"-O0", "-Xclang", "-disable-O0-optnone"};
}

// -include-pch args when the PCH builds and gives the same IR for `seed` as plain clang does.
std::vector<std::string> checked_csmith_pch(const fs::path& pch_dir, uint64_t seed, const BuildOptions& options) {
  auto pch = build_csmith_pch(pch_dir, recipe_clang_flags(options.recipe));
  if (!pch) {
    spdlog::warn("csmith: no precompiled header: {}", pch.error().message);
    return csmith_clang_args();
  }
  std::string tmpl = (fs::temp_directory_path() / "cr1-pch-check-XXXXXX").string();
  fs::path scratch = ::mkdtemp(tmpl.data());
  auto hash_with = [&](const std::vector<std::string>& args) -> Expected<std::string> {
    auto src = generate_csmith(seed, scratch);
    if (!src) return src.take_error();
    fs::path paths[] = {*src};
    auto p = ir::load_program(paths, load_options(options, args));
    if (!p) return p.take_error();
    return ir::module_hash(*p->module);
  };
  auto plain = hash_with(csmith_clang_args());
  auto with_pch = hash_with(csmith_clang_args(*pch));
  std::error_code ec;
  fs::remove_all(scratch, ec);
  if (plain && with_pch && *plain == *with_pch) return csmith_clang_args(*pch);
  spdlog::warn("csmith: not using the precompiled header: seed {} {}", seed,
               !with_pch ? "fails with it: " + with_pch.error().message
                         : !plain ? "fails without it: " + plain.error().message : std::string("gives other IR with it"));
  return csmith_clang_args();
}

}  // namespace

std::vector<BuildJob> csmith_jobs(uint64_t first_seed, uint64_t last_seed, const BuildOptions& options,
                                  const fs::path& pch_dir) {
  auto args = pch_dir.empty() ? csmith_clang_args() : checked_csmith_pch(pch_dir, first_seed, options);
  return generator_jobs("csmith", first_seed, last_seed, options, generate_csmith, ".c", args, [](uint64_t s) {
    return fmt::format("csmith --seed {} --max-funcs {}", s, csmith_max_funcs(s));
  });
}

std::vector<BuildJob> llvm_stress_jobs(uint64_t first_seed, uint64_t last_seed, const BuildOptions& options) {
  return generator_jobs("llvm-stress", first_seed, last_seed, options, generate_llvm_stress, ".ll", {},
                        [](uint64_t s) { return fmt::format("llvm-stress --seed {}", s); });
}

Expected<std::vector<BuildJob>> folder_jobs(const fs::path& dir, const BuildOptions& options) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error(ErrorKind::not_found, fmt::format("{}: no such folder", dir.string()));
  fs::path root = fs::canonical(dir, ec);
  std::string suite = root.filename().string();
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && (ir::is_source_file(it->path()) || ir::is_ir_file(it->path()))) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  if (files.empty())
    return make_error(ErrorKind::invalid_input, fmt::format("{}: no .c/.cc/.cpp/.ll/.bc files", dir.string()));
  std::vector<BuildJob> jobs;
  for (const auto& f : files) {
    fs::path rel = fs::relative(f, root);
    std::string group = suite + ":" + (rel.has_parent_path() ? rel.begin()->string() : rel.string());
    jobs.push_back(BuildJob{
        .uri = fmt::format("dir://{}/{}", suite, rel.string()),
        .suite = suite,
        .package = suite,
        .group = group,
        .load = [f, options](const fs::path&) -> Expected<ir::Program> {
          fs::path paths[] = {f};
          return ir::load_program(paths, load_options(options));
        },
        .source_bytes = file_bytes(f),
    });
  }
  return jobs;
}

}  // namespace cr1::data
