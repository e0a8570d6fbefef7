// The time of a full agent episode with a compact built-in model on one CPU thread, on real programs
// with the real tools (instrcount, find_best_pass_sequence) and fresh-worker verification, split into
// prompt prefill, decode, tool execution and verification; and in the same run the decision-tree policy's
// episode without a model, so the model's share is visible. See bench/README.md ("agent_episode").
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
#include "model/tokenizer.h"
#include "search/action_space.h"
#include "search/registry.h"
#include "search/tuner.h"

using namespace cr1;
namespace fs = std::filesystem;

namespace {

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

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
  double total = 0, prefill = 0, decode = 0, render = 0, tools = 0, verify = 0, teacher = 0, other = 0;
  double cpu = 0;  // this process's CPU time (the model, rendering, the runner; tools run in worker processes)
  size_t turns = 0, prompt_tokens = 0, prefilled = 0, generated = 0, calls = 0;
  std::string path, answer;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Agent episode time with a compact built-in model (teacher-forced decision-tree turns) vs the "
               "decision-tree policy alone"};
  int layers = 8, hidden = 256, heads = 4, kv_heads = 2, intermediate = 704, threads = 1, runs = 3;
  size_t vocab = 4096, tuner_evals = 200, fbps_evals = 0;
  std::vector<std::string> programs;
  std::string tokenizer_path, work_arg = "/tmp/cr1-agent-episode-bench";
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
  app.add_option("--tuner-evals", tuner_evals, "evaluations of the tuner that finds each program's proposal (untimed)");
  app.add_option("--fbps-evals", fbps_evals, "FBPS budget (default: the paper's, 100 x 10)");
  app.add_option("--work-dir", work_arg, "scratch folder (program root, tokenizer)");
  CLI11_PARSE(app, argc, argv);
  const fs::path work = work_arg;
  if (!agent::ModelPolicy::available()) die("built without libtorch", 2);
  if (runs < 1) die("--runs must be at least 1", 2);

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
    auto tuner = must(search::make_tuner("local"), "tuner");
    auto r = must(search::tune(*session, *tuner, {tuner_evals, 0}, 1, *space), p.source.string());
    if (!r.best_raw.empty())
      book->add({p.info.uri, p.info.features, r.best_raw.flag_list(), r.over_oz_raw, r.oz_count, "tuner:local"});
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

  // ---- the compact model ----
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
  model::RuntimeOptions rt;
  rt.num_threads = threads;
  auto lm = std::make_shared<const model::LanguageModel>(must(model::LanguageModel::create(config, 1, rt), "model"));
  agent::ModelPolicyOptions mo;
  mo.seed = 1;
  mo.batch_window = std::chrono::microseconds(0);  // one episode at a time: nothing to wait for
  auto model = must(agent::ModelPolicy::over(lm, tok, mo), "model policy");
  TeacherForcedPolicy forced(tree, *model);
  agent::EpisodeOptions eo;
  eo.count_tokens = model->exact_token_counter();
  eo.exact_token_counts = true;

  // ---- timed episodes: per program and run, the tree alone, then the model decoding the tree ----
  std::map<std::string, std::vector<Sample>> base, with_model;
  bool same_trajectories = true;
  for (int run = 0; run <= runs; ++run) {  // run 0 warms the model (oneDNN packing, allocator)
    for (const auto& p : progs) {
      {
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
        s.calls = r.tool_calls.size();
        s.prompt_tokens = r.prompt_tokens;
        s.generated = r.response_tokens;
        s.path = r.path;
        s.answer = r.answer_pipeline;
        if (run > 0) base[p.info.uri].push_back(s);
      }
      {
        auto tb = open_tools();
        auto session = fresh_session(p);
        auto before = model->stats();
        forced.teacher_seconds = 0;
        const double c0 = process_cpu_seconds();
        auto r = agent::run_episode(p.info, forced, agent::tools_of(*tb), *session, eo);
        const double cpu = process_cpu_seconds() - c0;
        auto after = model->stats();
        if (r.end_reason == "policy_error") die(p.info.uri + ": " + r.policy_error);
        Sample s;
        s.total = 1e3 * r.seconds;
        s.cpu = 1e3 * cpu;
        s.prefill = 1e3 * (after.prefill_seconds - before.prefill_seconds);
        s.decode = 1e3 * (after.decode_seconds - before.decode_seconds);
        s.render = 1e3 * (after.render_seconds - before.render_seconds);
        s.tools = 1e3 * r.tool_seconds;
        s.verify = 1e3 * r.verify_seconds;
        s.teacher = 1e3 * forced.teacher_seconds;
        s.other = s.total - s.prefill - s.decode - s.render - s.tools - s.verify - s.teacher;
        s.turns = r.turns.size();
        s.calls = r.tool_calls.size();
        s.prompt_tokens = r.prompt_tokens;
        s.prefilled = after.prompt_tokens - before.prompt_tokens;
        s.generated = after.generated_tokens - before.generated_tokens;
        s.path = r.path;
        s.answer = r.answer_pipeline;
        const auto& b = base.count(p.info.uri) && run > 0 ? base[p.info.uri].back() : s;
        if (run > 0 && (b.answer != s.answer || b.turns != s.turns)) same_trajectories = false;
        if (run > 0) with_model[p.info.uri].push_back(s);
      }
    }
  }

  // ---- report ----
  const auto c = lm->config();
  fmt::print("# agent_episode\n\n");
  fmt::print("Model: {} layers, hidden {}, {} heads / {} KV heads, intermediate {}, vocab {} ({:.1f} M parameters), "
             "random weights, f32, {} torch thread(s), oneDNN-packed CPU matrix products.\n",
             c.num_hidden_layers, c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.intermediate_size,
             c.vocab_size, c.num_parameters() / 1e6, threads);
  fmt::print("Tokenizer: {}.\n", tok_origin);
  fmt::print("Episodes: the paper's decision tree (proposal = a {}-evaluation `local` tuner result per program, found "
             "before timing) with the real tools (Toolbox, 1 worker process, FBPS budget {}) and fresh-worker "
             "verification; a fresh Toolbox and verifier session per episode (created outside the timing). The model "
             "episode decodes the tree's turns token by token (teacher forcing through the KV-cache decode loop: one "
             "forward + sampling step per token; sampling T 0.7, top-p 0.8, top-k 20, repetition penalty 1.05) and "
             "re-reads the whole conversation each turn (prefill). Median of {} runs after a warm-up run; times in "
             "ms.\n",
             tuner_evals, fbps_evals ? std::to_string(fbps_evals) : std::string("paper's (100 x 10)"), runs);
  fmt::print("Load average at start of the report: {}\n\n", load_average());

  fmt::print("| program | path | turns | tokens prompt / prefilled / generated | model episode | prefill | decode | "
             "render+tokenize | tools | verify | other | model episode, CPU of this process | tree alone | tree: tools | "
             "model's share |\n");
  fmt::print("|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::vector<double> totals, prefills, decodes, tools_ms, verifies, base_totals, shares, prefilled, generated, cpus;
  for (const auto& p : progs) {
    const auto& m = with_model[p.info.uri];
    const auto& b = base[p.info.uri];
    auto med = [](const std::vector<Sample>& v, double Sample::*f) {
      std::vector<double> x;
      for (const auto& s : v) x.push_back(s.*f);
      return median(x);
    };
    double total = med(m, &Sample::total), btotal = med(b, &Sample::total);
    double model_ms = med(m, &Sample::prefill) + med(m, &Sample::decode) + med(m, &Sample::render);
    fmt::print("| {} | {} | {} | {} / {} / {} | **{:.1f}** | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | {:.1f} | "
               "{:.1f} | {:.1f} | {:.0f}% |\n",
               p.info.uri, m.front().path, m.front().turns, m.front().prompt_tokens, m.front().prefilled,
               m.front().generated, total, med(m, &Sample::prefill), med(m, &Sample::decode), med(m, &Sample::render),
               med(m, &Sample::tools), med(m, &Sample::verify), med(m, &Sample::other) + med(m, &Sample::teacher),
               med(m, &Sample::cpu), btotal, med(b, &Sample::tools), 100.0 * model_ms / total);
    cpus.push_back(med(m, &Sample::cpu));
    totals.push_back(total);
    base_totals.push_back(btotal);
    prefills.push_back(med(m, &Sample::prefill));
    decodes.push_back(med(m, &Sample::decode));
    tools_ms.push_back(med(m, &Sample::tools));
    verifies.push_back(med(m, &Sample::verify));
    shares.push_back(model_ms);
    prefilled.push_back(static_cast<double>(m.front().prefilled));
    generated.push_back(static_cast<double>(m.front().generated));
  }
  auto mean = [](const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / std::max<size_t>(1, v.size()); };
  fmt::print("\nMean over {} programs: model episode **{:.1f} ms** (prefill {:.1f}, decode {:.1f}, tools {:.1f}, verify "
             "{:.1f}); the model's own time {:.1f} ms for {:.0f} prefilled + {:.0f} generated tokens "
             "(prefill {:.0f} tok/s, decode {:.0f} tok/s); tree alone {:.1f} ms. Target < 200 ms per episode: {}.\n",
             progs.size(), mean(totals), mean(prefills), mean(decodes), mean(tools_ms), mean(verifies), mean(shares),
             mean(prefilled), mean(generated), 1e3 * mean(prefilled) / std::max(1e-9, mean(prefills)),
             1e3 * mean(generated) / std::max(1e-9, mean(decodes)), mean(base_totals),
             mean(totals) < 200 ? "met" : "NOT met");
  fmt::print("Max over programs: model episode {:.1f} ms. Mean CPU time of this process in a model episode (the model "
             "and the runner; the tools run in worker processes): {:.1f} ms.\n",
             *std::max_element(totals.begin(), totals.end()), mean(cpus));
  if (!same_trajectories) fmt::print("Note: a model episode's answer or turns differ from the tree's alone.\n");
  fmt::print("Load average at end: {}\n", load_average());
  return 0;
}
