// The time of a full agent episode with a compact built-in model on one CPU thread, on real programs
// with the real tools (instrcount, find_best_pass_sequence) and fresh-worker verification, split into
// prompt prefill, decode, tool execution and verification; and in the same run the decision-tree policy's
// episode without a model, so the model's share is visible; episodes are grouped by the tree's path (A:
// propose, instrcount, answer; B: find_best_pass_sequence called, a search with the tool's own budget).
// The model keeps each episode's keys/values across turns and starts from the system prompt prefilled
// once (the prefix cache); the baseline in the same run is the path before: the same model re-reading
// the whole conversation every turn with attention through ATen's bmm (the system BLAS). See
// bench/README.md ("agent_episode").
//
// A random-weight model writes garbage, so the model decodes the decision tree's turns (teacher forcing,
// ModelPolicy::act_forced): every token still costs one forward and one sampling step of the KV-cache
// decode loop, while the tool calls and the answer are real.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <llvm/IR/Module.h>

#include "agent/agent_tools.h"
#include "agent/chat.h"
#include "agent/decision_tree_policy.h"
#include "agent/episode.h"
#include "agent/model_policy.h"
#include "agent/sequence_book.h"
#include "agent/toolbox.h"
#include "ir/features.h"
#include "ir/program_loader.h"
#include "model/bpe_trainer.h"
#include "model/bpe_trainer_output.h"
#include "model/language_model.h"
#include "model/ngram_drafter.h"
#include "model/tokenizer.h"
#include "search/action_space.h"
#include "search/registry.h"
#include "search/tuner.h"
#include "bench_util.h"

using namespace cr1;
namespace fs = std::filesystem;

using cr1::bench::load_average;
using cr1::bench::process_cpu_seconds;
using cr1::bench::median;

namespace {

[[noreturn]] void die(const std::string& msg, int code = 1) {
  fmt::print(stderr, "error: {}\n", msg);
  std::exit(code);
}

template <class T>
T must(Expected<T> e, const std::string& what) {
  if (!e) die(what + ": " + e.error().message);
  return std::move(*e);
}

struct Program {
  fs::path source;
  agent::ProgramInfo info;
  fs::path staged;  // bitcode in the tools' program root
};

// The model decodes what the teacher (the decision tree) would say, token by token.
class TeacherForcedPolicy final : public agent::Policy {
 public:
  TeacherForcedPolicy(agent::Policy& teacher, agent::ModelPolicy& model) : teacher_(teacher), model_(model) {}
  std::string name() const override { return model_.name() + ";forced=" + teacher_.name(); }
  Expected<agent::PolicyReply> act(const agent::EpisodeState& state) override {
    auto t0 = std::chrono::steady_clock::now();
    auto turn = teacher_.act(state);
    teacher_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!turn) return turn;
    auto reply = model_.act_forced(state, turn->text);
    if (reply) reply->note["teacher"] = turn->note;
    return reply;
  }
  agent::TokenCounter exact_token_counter() const override { return model_.exact_token_counter(); }
  double teacher_seconds = 0;

 private:
  agent::Policy& teacher_;
  agent::ModelPolicy& model_;
};

struct Sample {
  // ms
  double total = 0, prefill = 0, decode = 0, render = 0, tools = 0, fbps = 0, verify = 0, teacher = 0, other = 0;
  double cpu = 0;  // this process's CPU time (the model, rendering, the runner; tools run in worker processes)
  size_t turns = 0, prompt_tokens = 0, prefilled = 0, cached = 0, generated = 0, calls = 0;
  size_t forwards = 0, drafted = 0, accepted = 0;  // decode forwards, prompt-lookup drafts checked / accepted
  bool fbps_called = false;
  std::string path, answer;
  double model() const { return prefill + decode + render; }  // the model's own time
};

// A model policy over its own copy of the model (same seed, same weights), with or without the prefix
// cache and speculative decoding, teacher-forced by the tree.
struct Variant {
  std::string label;
  bool incremental = true, attention_kernel = true;
  int64_t lookup_draft = 0;
  std::shared_ptr<model::LanguageModel> lm;
  std::unique_ptr<agent::ModelPolicy> policy;
  std::unique_ptr<TeacherForcedPolicy> forced;
  int runs = 0;
  std::map<std::string, std::vector<Sample>> samples;
};

double med(const std::vector<Sample>& v, double (Sample::*f)() const) {
  std::vector<double> x;
  for (const auto& s : v) x.push_back((s.*f)());
  return median(x);
}
double med(const std::vector<Sample>& v, double Sample::*f) {
  std::vector<double> x;
  for (const auto& s : v) x.push_back(s.*f);
  return median(x);
}
double mean(const std::vector<double>& v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Agent episode time with a compact built-in model (teacher-forced decision-tree turns) vs the "
               "decision-tree policy alone"};
  int layers = 8, hidden = 256, heads = 4, kv_heads = 2, intermediate = 704, threads = 1, runs = 3, full_runs = 1;
  size_t cache_mib = 512;
  size_t vocab = 4096, tuner_evals = 200, fbps_evals = 0;
  std::string tuner_name = "local", ngram_drafts_path;
  std::vector<std::string> programs;
  std::string tokenizer_path, work_arg = "/tmp/cr1-agent-episode-bench", checkpoint_dtype = "f32";
  app.add_option("--program", programs, "C/C++/IR files (default: examples/*.c and data/sample/*/*.c)");
  app.add_option("--layers", layers);
  app.add_option("--hidden", hidden);
  app.add_option("--heads", heads);
  app.add_option("--kv-heads", kv_heads);
  app.add_option("--intermediate", intermediate);
  app.add_option("--vocab", vocab, "size of the BPE vocabulary trained on the trajectories (default 4096)");
  app.add_option("--tokenizer", tokenizer_path, "use this tokenizer.json instead of training one");
  app.add_option("--threads", threads, "torch threads (default 1)");
  app.add_option("--runs", runs, "timed episodes per program and policy (median reported)");
  app.add_option("--full-reprefill-runs", full_runs,
                 "timed episodes per program of the baseline that re-prefills the whole conversation every turn "
                 "(the model without a prefix cache; default 1, 0 = skip it)");
  app.add_option("--prefix-cache-mib", cache_mib, "the incremental model's prefix cache budget (default 512)");
  int64_t lookup_draft = agent::ModelPolicyOptions{}.lookup_draft_tokens;
  int plain_runs = -1;
  int64_t lookup_min_ngram = agent::ModelPolicyOptions{}.lookup_min_ngram;
  app.add_option("--lookup-min-ngram", lookup_min_ngram, "the shortest n-gram match that drafts (default: the policy's)");
  app.add_option("--lookup-draft", lookup_draft,
                 "prompt-lookup speculative decoding: tokens drafted per forward (default: the model policy's)");
  app.add_option("--plain-decode-runs", plain_runs,
                 "timed episodes per program of the incremental model without speculative decoding (default: --runs; "
                 "0 = skip it)");
  bool full_kernel = false;
  app.add_flag("--full-reprefill-kernel", full_kernel,
               "also time full re-prefill with the attention kernel (separates the prefix cache's gain from the "
               "kernel's)");
  app.add_option("--tuner", tuner_name, "the tuner that finds each program's proposal (default local; make-sft's "
                                       "trajectories used coreset)");
  app.add_option("--ngram-drafts", ngram_drafts_path,
                 "an n-gram draft table (`agent draft-table`, built with the same --tokenizer from SFT trajectories "
                 "of other programs): the policy drafts from it before prompt lookup");
  app.add_option("--tuner-evals", tuner_evals, "evaluations of the tuner that finds each program's proposal (untimed)");
  app.add_option("--fbps-evals", fbps_evals, "FBPS budget (default: the paper's, 100 x 10)");
  app.add_option("--work-dir", work_arg, "scratch folder (program root, tokenizer)");
  app.add_option("--checkpoint-dtype", checkpoint_dtype,
                 "f32 or bf16: the random weights are saved in this dtype and loaded back (computed in f32 on the "
                 "CPU; bf16 decode steps read the bf16 copy)");
  CLI11_PARSE(app, argc, argv);
  const fs::path work = work_arg;
  std::shared_ptr<const model::NgramDrafter> drafter;
  if (!ngram_drafts_path.empty())
    drafter = std::make_shared<const model::NgramDrafter>(must(model::NgramDrafter::load(ngram_drafts_path), "--ngram-drafts"));
  const auto ckpt_dtype = model::parse_weight_dtype(checkpoint_dtype);
  if (!ckpt_dtype) die(ckpt_dtype.error().message, 2);
  if (!agent::ModelPolicy::available()) die("built without libtorch", 2);
  if (runs < 1) die("--runs must be at least 1", 2);
  if (full_runs < 0) die("--full-reprefill-runs must be 0 or more", 2);
  if (lookup_draft < 0) die("--lookup-draft must be 0 or more", 2);
  if (plain_runs < 0) plain_runs = lookup_draft > 0 ? runs : 0;
  if (cache_mib == 0) die("--prefix-cache-mib must be positive (the baseline is the model without one)", 2);

  // ---- programs, staged as bitcode for the tools, with the facts the prompt shows ----
  if (programs.empty()) {
    fs::path src = CR1_SOURCE_DIR;
    for (auto d : {src / "examples", src / "data/sample"})
      for (const auto& e : fs::recursive_directory_iterator(d))
        if (e.path().extension() == ".c") programs.push_back(e.path().string());
    std::sort(programs.begin(), programs.end());
  }
  fs::remove_all(work);
  fs::create_directories(work / "programs");
  std::vector<Program> progs;
  for (const auto& p : programs) {
    fs::path paths[] = {p};
    auto prog = must(ir::load_program(paths), p);
    Program pr;
    pr.source = p;
    pr.info.uri = fs::path(p).filename().string();
    pr.info.filename = fs::path(p).stem().string() + ".bc";
    pr.info.features = ir::autophase_features(*prog.module);
    pr.info.instruction_count = ir::count_instructions(*prog.module);
    pr.staged = work / "programs" / pr.info.filename;
    if (auto st = ir::write_module(*prog.module, pr.staged); !st) die(st.error().message);
    progs.push_back(std::move(pr));
  }
  auto load = [](const Program& p) {
    fs::path paths[] = {p.staged};
    return must(ir::load_program(paths), p.staged.string());
  };
  auto fresh_session = [&](const Program& p) {
    env::SessionOptions so;
    so.pool.jobs = 1;
    return must(env::Session::create(load(p), so), p.staged.string());
  };

  // ---- each program's proposal, as `agent make-sft` finds it (a short tuner run; untimed) ----
  auto book = std::make_shared<agent::SequenceBook>();
  auto space = must(search::ActionSpace::by_name("cgym"), "action space");
  for (const auto& p : progs) {
    auto session = fresh_session(p);
    auto tuner = must(search::make_tuner(tuner_name), "tuner");
    auto r = must(search::tune(*session, *tuner, {tuner_evals, 0}, 1, *space), p.source.string());
    if (!r.best_raw.empty())
      book->add({p.info.uri, p.info.features, r.best_raw.flag_list(), r.over_oz_raw, r.oz_count, "tuner:" + tuner_name});
  }
  agent::DecisionTreePolicy tree(book, agent::paper_tree_options());

  agent::ToolboxOptions to;
  to.program_root = work / "programs";
  to.jobs = 1;
  to.fbps_seed = 1;
  to.fbps_max_evaluations = fbps_evals;
  auto open_tools = [&] { return must(agent::Toolbox::open(to), "toolbox"); };

  // ---- warm-up: one decision-tree episode per program; its trajectories train the tokenizer ----
  std::vector<agent::EpisodeRecord> warm;
  for (const auto& p : progs) {
    auto tb = open_tools();
    auto session = fresh_session(p);
    warm.push_back(agent::run_episode(p.info, tree, agent::tools_of(*tb), *session));
  }
  std::shared_ptr<const model::Tokenizer> tok;
  std::string tok_origin;
  if (!tokenizer_path.empty()) {
    tok = std::make_shared<const model::Tokenizer>(must(model::Tokenizer::load(tokenizer_path), tokenizer_path));
    tok_origin = tokenizer_path;
  } else {
    model::BpeTrainerOptions bo;
    bo.vocab_size = vocab;
    auto trainer = must(model::BpeTrainer::create(bo), "BPE trainer");
    for (const auto& r : warm)
      if (auto st = trainer.add_text(agent::render_chatml(r.messages, r.tools, false)); !st) die(st.error().message);
    for (const auto& p : progs) {  // the sources too, so the vocabulary is not all prompt boilerplate
      std::ifstream in(p.source);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (auto st = trainer.add_text(text); !st) die(st.error().message);
    }
    auto v = must(trainer.train(), "BPE training");
    if (auto st = model::save_tokenizer(v, work / "tokenizer"); !st) die(st.error().message);
    tok = std::make_shared<const model::Tokenizer>(must(model::Tokenizer::load(work / "tokenizer"), "tokenizer"));
    tok_origin = fmt::format("BPE trained here on the warm-up trajectories and the sources (asked {}, got {})", vocab,
                             tok->vocab_size());
  }

  // ---- the compact model, twice (same seed: same weights): with the prefix cache, and without ----
  model::ModelConfig config;
  config.vocab_size = (tok->vocab_size() + 63) / 64 * 64;
  config.hidden_size = hidden;
  config.intermediate_size = intermediate;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.max_position_embeddings = 8192;
  config.rope_theta = 1000000.0;
  if (auto id = tok->token_to_id("<|im_end|>")) config.eos_token_ids = {*id};
  // Variant 0 is what the policy runs (prefix cache, speculative decoding); then, in the same run, the
  // path before each step: the same without speculative decoding (one forward per token); the whole
  // conversation prefilled every turn with attention through ATen's bmm and the system BLAS; optionally
  // the latter with the written-out attention, to separate the two.
  std::vector<Variant> variants;
  auto add_variant = [&](std::string label, bool incremental, bool kernel, int64_t draft, int var_runs) {
    Variant v;
    v.label = std::move(label);
    v.incremental = incremental;
    v.attention_kernel = kernel;
    v.lookup_draft = draft;
    v.runs = var_runs;
    variants.push_back(std::move(v));
  };
  add_variant(lookup_draft > 0 ? fmt::format("incremental, speculative (lookup {}, n-grams {}-3)", lookup_draft,
                                             lookup_min_ngram)
                               : "incremental",
              true,
              true, lookup_draft, runs);
  if (plain_runs > 0) add_variant("incremental, one forward per token", true, true, 0, plain_runs);
  if (full_runs > 0) {
    add_variant("full re-prefill, BLAS attention", false, false, 0, full_runs);
    if (full_kernel) add_variant("full re-prefill, attention kernel", false, true, 0, full_runs);
  }
  for (auto& var : variants) {
    model::RuntimeOptions rt;
    rt.num_threads = threads;  // at::set_num_threads: one intra-op thread by default
    rt.prefix_cache_bytes = var.incremental ? cache_mib << 20 : 0;
    rt.cpu_attention = var.attention_kernel;
    auto lm = must(model::LanguageModel::create(config, 1, rt), "model");
    if (*ckpt_dtype != model::WeightDType::f32) {  // as a user loading a checkpoint of that dtype
      if (auto st = lm.save(work / "model", {.dtype = *ckpt_dtype}); !st) die(st.error().message);
      lm = must(model::LanguageModel::load(work / "model", rt), "model");
    }
    var.lm = std::make_shared<model::LanguageModel>(std::move(lm));
    agent::ModelPolicyOptions mo;
    mo.seed = 1;
    mo.batch_window = std::chrono::microseconds(0);  // one episode at a time: nothing to wait for
    mo.lookup_draft_tokens = var.lookup_draft;
    mo.lookup_min_ngram = lookup_min_ngram;
    mo.ngram_drafter = drafter;
    var.policy = must(agent::ModelPolicy::over(var.lm, tok, mo), "model policy");
    var.forced = std::make_unique<TeacherForcedPolicy>(tree, *var.policy);
  }
  agent::EpisodeOptions eo;
  eo.count_tokens = variants[0].policy->exact_token_counter();
  eo.exact_token_counts = true;

  auto model_episode = [&](Variant& var, const Program& p) {
    auto tb = open_tools();
    auto session = fresh_session(p);
    var.lm->clear_prefix_cache();  // no episode reuses another's keys/values, only the pinned system prompt
    auto before = var.policy->stats();
    var.forced->teacher_seconds = 0;
    const double c0 = process_cpu_seconds();
    auto r = agent::run_episode(p.info, *var.forced, agent::tools_of(*tb), *session, eo);
    const double cpu = process_cpu_seconds() - c0;
    auto after = var.policy->stats();
    if (r.end_reason == "policy_error") die(p.info.uri + ": " + r.policy_error);
    Sample s;
    s.total = 1e3 * r.seconds;
    s.cpu = 1e3 * cpu;
    // The system prompt's one-time prefill (pinned at the policy's first turn) counts as prefill.
    s.prefill = 1e3 * (after.prefill_seconds - before.prefill_seconds + after.pin_seconds - before.pin_seconds);
    s.decode = 1e3 * (after.decode_seconds - before.decode_seconds);
    s.render = 1e3 * (after.render_seconds - before.render_seconds);
    s.tools = 1e3 * r.tool_seconds;
    for (const auto& c : r.tool_calls)
      if (c.name == "find_best_pass_sequence") {
        s.fbps += 1e3 * c.seconds;
        s.fbps_called = true;
      }
    s.verify = 1e3 * r.verify_seconds;
    s.teacher = 1e3 * var.forced->teacher_seconds;
    s.other = s.total - s.prefill - s.decode - s.render - s.tools - s.verify - s.teacher;
    s.turns = r.turns.size();
    s.calls = r.tool_calls.size();
    s.prompt_tokens = after.prompt_tokens - before.prompt_tokens;
    s.cached = after.cached_tokens - before.cached_tokens;
    s.prefilled = s.prompt_tokens - s.cached + (after.pinned_tokens - before.pinned_tokens);
    s.generated = after.generated_tokens - before.generated_tokens;
    s.forwards = after.decode_forwards - before.decode_forwards;
    s.drafted = after.drafted_tokens - before.drafted_tokens;
    s.accepted = after.accepted_tokens - before.accepted_tokens;
    s.path = r.path;
    s.answer = r.answer_pipeline;
    return s;
  };

  // ---- timed episodes: per program and run, the tree alone, then the model decoding the tree's turns ----
  std::map<std::string, std::vector<Sample>> base;
  bool same_trajectories = true;
  int max_runs = runs;
  for (const auto& var : variants) max_runs = std::max(max_runs, var.runs);
  for (int run = 0; run <= max_runs; ++run) {  // run 0 warms up (oneDNN packing, allocator, the pinned prompt)
    for (const auto& p : progs) {
      if (run <= runs) {
        auto tb = open_tools();
        auto session = fresh_session(p);
        const double c0 = process_cpu_seconds();
        auto r = agent::run_episode(p.info, tree, agent::tools_of(*tb), *session, eo);
        const double cpu = process_cpu_seconds() - c0;
        Sample s;
        s.total = 1e3 * r.seconds;
        s.cpu = 1e3 * cpu;
        s.tools = 1e3 * r.tool_seconds;
        s.verify = 1e3 * r.verify_seconds;
        s.teacher = 1e3 * r.policy_seconds;
        s.other = s.total - s.tools - s.verify - s.teacher;
        s.turns = r.turns.size();
        s.path = r.path;
        s.answer = r.answer_pipeline;
        if (run > 0) base[p.info.uri].push_back(s);
      }
      for (auto& var : variants) {
        if (run > var.runs) continue;
        auto s = model_episode(var, p);
        if (run == 0) continue;
        const auto& b = base[p.info.uri];
        if (!b.empty() && (b.front().answer != s.answer || b.front().turns != s.turns)) same_trajectories = false;
        var.samples[p.info.uri].push_back(s);
      }
    }
  }

  // ---- report ----
  const auto c = variants[0].lm->config();
  auto& inc = variants[0];
  const auto pin = inc.policy->stats();
  const auto cache = inc.lm->prefix_cache_stats();
  fmt::print("# agent_episode\n\n");
  fmt::print("Model: {} layers, hidden {}, {} heads / {} KV heads, intermediate {}, vocab {} ({:.1f} M parameters), "
             "random weights as a {} checkpoint holds them, computed in f32, {} torch intra-op thread(s) "
             "(at::set_num_threads), oneDNN-packed CPU matrix products.\n",
             c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.intermediate_size,
             c.vocab_size, c.num_parameters() / 1e6, checkpoint_dtype, threads);
  fmt::print("Tokenizer: {}.\n", tok_origin);
  fmt::print("Episodes: the paper's decision tree (proposal = a {}-evaluation `{}` tuner result per program, found "
             "before timing) with the real tools (Toolbox, 1 worker process, FBPS budget {}) and fresh-worker "
             "verification; a fresh Toolbox and verifier session per episode (created outside the timing). The model "
             "episode decodes the tree's turns token by token (teacher forcing through the KV-cache decode loop: one "
             "sampling step per token, the forced token replacing the draw; sampling T 0.7, top-p 0.8, top-k 20, "
             "repetition penalty 1.05). Speculative: {}drafts (up to {} tokens, adaptive length) checked in "
             "one forward, accepted only where they equal the forced token, so the forwards are those a model writing "
             "the same text needs; one forward per token: the same model without drafts. "
             "Incremental: the model keeps each episode's keys/values across turns (prefix cache, {} MiB) and the "
             "system prompt with the tool schemas is prefilled once per policy ({} tokens, {:.1f} ms, in the warm-up "
             "run); full re-prefill: the same model without the cache re-reads the whole conversation each turn. "
             "Median of {} runs ({} for full re-prefill) after a warm-up run; times in ms.\n",
             tuner_evals, tuner_name, fbps_evals ? std::to_string(fbps_evals) : std::string("paper's (100 x 10)"),
             drafter ? fmt::format("n-gram table drafts ({}, {} contexts), else prompt-lookup ", ngram_drafts_path,
                                   drafter->size())
                     : std::string("prompt-lookup "),
             lookup_draft,
             cache_mib,
             pin.pinned_tokens, 1e3 * pin.pin_seconds, runs, full_runs);
  fmt::print("Load average at start of the report: {}\n\n", load_average());

  fmt::print("| program | path | turns | prompt tokens (all turns) / prefilled / cached / generated | model episode | "
             "**model's own time** (prefill + decode + render) | prefill | decode | tools (of which FBPS) | verify | "
             "other | CPU of this process | tree alone |{}\n",
             full_runs ? " full re-prefill: episode / model's own time / prefilled | model time ratio |" : "");
  fmt::print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|{}\n", full_runs ? "---:|---:|" : "");
  struct Group {
    std::vector<double> total, model, prefill, decode, tools, fbps, verify, full_model, full_total, prefilled, generated,
        cached, prompt;
    size_t programs = 0;
  };
  std::map<std::string, Group> groups;  // "A": no FBPS call, "B": FBPS called, "all"
  const Variant* full_variant = nullptr;
  for (const auto& v : variants)
    if (!v.incremental && !v.attention_kernel) full_variant = &v;
  for (const auto& p : progs) {
    const auto& m = inc.samples[p.info.uri];
    const auto& b = base[p.info.uri];
    const auto& f = m.front();
    const double total = med(m, &Sample::total), model_ms = med(m, &Sample::model);
    std::string full_cols;
    double full_model = 0, full_total = 0;
    if (full_runs) {
      const auto& fm = full_variant->samples.at(p.info.uri);
      full_model = med(fm, &Sample::model);
      full_total = med(fm, &Sample::total);
      full_cols = fmt::format(" {:.1f} / {:.1f} / {} | {:.1f}x |", full_total, full_model, fm.front().prefilled,
                              full_model / std::max(1e-9, model_ms));
    }
    fmt::print("| {} | {}{} | {} | {} / {} / {} / {} | {:.1f} | **{:.1f}** | {:.1f} | {:.1f} | {:.1f} ({:.1f}) | {:.1f} | "
               "{:.1f} | {:.1f} | {:.1f} |{}\n",
               p.info.uri, f.fbps_called ? "B" : "A", f.path == (f.fbps_called ? "B" : "A") ? "" : " (" + f.path + ")",
               f.turns, f.prompt_tokens, f.prefilled, f.cached, f.generated, total, model_ms, med(m, &Sample::prefill),
               med(m, &Sample::decode), med(m, &Sample::tools), med(m, &Sample::fbps), med(m, &Sample::verify),
               med(m, &Sample::other) + med(m, &Sample::teacher), med(m, &Sample::cpu), med(b, &Sample::total),
               full_cols);
    for (const std::string& key : {std::string(f.fbps_called ? "B" : "A"), std::string("all")}) {
      auto& g = groups[key];
      ++g.programs;
      g.total.push_back(total);
      g.model.push_back(model_ms);
      g.prefill.push_back(med(m, &Sample::prefill));
      g.decode.push_back(med(m, &Sample::decode));
      g.tools.push_back(med(m, &Sample::tools));
      g.fbps.push_back(med(m, &Sample::fbps));
      g.verify.push_back(med(m, &Sample::verify));
      g.prefilled.push_back(static_cast<double>(f.prefilled));
      g.cached.push_back(static_cast<double>(f.cached));
      g.prompt.push_back(static_cast<double>(f.prompt_tokens));
      g.generated.push_back(static_cast<double>(f.generated));
      if (full_runs) {
        g.full_model.push_back(full_model);
        g.full_total.push_back(full_total);
      }
    }
  }
  fmt::print("\n| episodes | programs | model episode (wall) | **model's own time** | prefill | decode | tools | of which "
             "FBPS | verify | tokens prompt / prefilled / generated | prefill tok/s | decode tok/s |{}\n",
             full_runs ? " full re-prefill: episode / model's own time | model time ratio |" : "");
  fmt::print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|{}\n", full_runs ? "---|---:|" : "");
  for (const auto& [key, g] : groups) {
    const std::string name = key == "A" ? "path A (propose, instrcount, answer)"
                             : key == "B" ? "path B (FBPS called)" : "all";
    fmt::print("| {} | {} | {:.1f} | **{:.1f}** | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.0f} / {:.0f} / {:.0f} | "
               "{:.0f} | {:.0f} |{}\n",
               name, g.programs, mean(g.total), mean(g.model), mean(g.prefill), mean(g.decode), mean(g.tools),
               mean(g.fbps), mean(g.verify), mean(g.prompt), mean(g.prefilled), mean(g.generated),
               1e3 * mean(g.prefilled) / std::max(1e-9, mean(g.prefill)),
               1e3 * mean(g.generated) / std::max(1e-9, mean(g.decode)),
               full_runs ? fmt::format(" {:.1f} / {:.1f} | {:.1f}x |", mean(g.full_total), mean(g.full_model),
                                       mean(g.full_model) / std::max(1e-9, mean(g.model)))
                         : std::string());
  }
  fmt::print("\nEach variant, means over the programs of a path (model's own time = prefill + decode + render; "
             "tok/s = tokens / time summed over the programs):\n\n");
  fmt::print("| variant | path | runs | model episode | model's own time | prefill | decode | render | tools | verify | "
             "tokens prefilled / generated | decode forwards per generated token | drafts accepted / checked | "
             "prefill tok/s | decode tok/s |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---:|---:|\n");
  for (const auto& var : variants)
    for (const std::string key : {"A", "B"}) {
      std::vector<double> total, model_ms, prefill, decode, render, prefilled, generated, forwards, drafted, accepted,
          tools, verify;
      for (const auto& p : progs) {
        const auto& m = var.samples.at(p.info.uri);
        if ((m.front().fbps_called ? "B" : "A") != key) continue;
        total.push_back(med(m, &Sample::total));
        model_ms.push_back(med(m, &Sample::model));
        prefill.push_back(med(m, &Sample::prefill));
        decode.push_back(med(m, &Sample::decode));
        render.push_back(med(m, &Sample::render));
        prefilled.push_back(static_cast<double>(m.front().prefilled));
        generated.push_back(static_cast<double>(m.front().generated));
        forwards.push_back(static_cast<double>(m.front().forwards));
        drafted.push_back(static_cast<double>(m.front().drafted));
        accepted.push_back(static_cast<double>(m.front().accepted));
        tools.push_back(med(m, &Sample::tools));
        verify.push_back(med(m, &Sample::verify));
      }
      if (total.empty()) continue;
      fmt::print("| {} | {} | {} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.0f} / {:.0f} | {:.2f} | "
                 "{:.0f} / {:.0f} ({:.0f}%) | {:.0f} | {:.0f} |\n",
                 var.label, key, var.runs, mean(total), mean(model_ms), mean(prefill), mean(decode), mean(render),
                 mean(tools), mean(verify), mean(prefilled), mean(generated),
                 mean(forwards) / std::max(1e-9, mean(generated)), mean(accepted), mean(drafted),
                 100 * mean(accepted) / std::max(1e-9, mean(drafted)), 1e3 * mean(prefilled) / std::max(1e-9, mean(prefill)),
                 1e3 * mean(generated) / std::max(1e-9, mean(decode)));
    }
  fmt::print("\nMeans over programs. Target < 200 ms per episode:\n");
  for (const auto& [key, g] : groups) {
    if (key == "all") continue;
    fmt::print("- path {}: the model's own time {:.1f} ms ({}); the whole episode {:.1f} ms ({}){}.\n", key,
               mean(g.model), mean(g.model) < 200 ? "met" : "NOT met", mean(g.total),
               mean(g.total) < 200 ? "met" : "NOT met",
               key == "B" ? fmt::format(", of which FBPS (a search, the tool's own budget) {:.1f} ms", mean(g.fbps))
                          : std::string());
  }
  fmt::print("Prefix cache at the end: {} entries ({} pinned), {:.1f} MiB; {} of {} lookups hit, {} extended in place; "
             "{} tokens reused, {} prefilled.\n",
             cache.entries, cache.pinned, cache.bytes / 1048576.0, cache.hits, cache.lookups, cache.takes,
             cache.reused_tokens, cache.prefilled_tokens);
  if (!same_trajectories) fmt::print("Note: a model episode's answer or turns differ from the tree's alone.\n");
  fmt::print("Load average at end: {}\n", load_average());
  return 0;
}
