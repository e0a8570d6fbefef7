// `compiler-r1 agent run|eval|make-sft|stats`: the agentic loop of Compiler-R1 with any policy.
//   agent run FILE --policy P        one episode, the conversation shown (P = model: the built-in model)
//   agent eval --suite S --policy P  through the evaluation harness: same records and tables as tuners
//   agent make-sft --corpus C --out F  decision-tree trajectories for SFT (resumable, parallel)
//   agent stats F                    path shares, mean OverOz and reward of an episode file
//   agent draft-table --sft F --tokenizer T --out FILE   n-gram drafts of the trajectories' assistant turns
#include <unistd.h>

#include <cstdlib>
#include <mutex>

#include <fmt/format.h>
#include <llvm/IR/Module.h>

#include "agent/agent_tools.h"
#include "agent/batch_runner.h"
#include "agent/episode.h"
#include "agent/policy_factory.h"
#include "agent/sft_builder.h"
#include "agent/sft_draft_table.h"
#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "cli/toolbox_args.h"
#include "eval/harness.h"
#include "eval/record_log.h"
#include "eval/report.h"
#include "eval/summary.h"
#include "ir/features.h"
#include "model/tokenizer.h"
#include "util/atomic_file.h"

namespace cr1::cli {
namespace {
namespace fs = std::filesystem;

// Options every agent command shares: the policy, the tools and the episode limits.
struct AgentOptions {
  agent::PolicySpec policy;
  std::vector<std::string> books, known;
  std::string corpus_for_known;
  std::string tokenizer;
  size_t max_turns = 10, max_tokens_per_turn = 2048, max_tokens = 16384;
  std::string on_error = "respond";
  double alpha = 30, tool_cost = 0;
  ToolboxArgs tools{.seed = 1};  // also the seed of the policy's sampling; root: the command's

  void add_policy(CLI::App& cmd) {
    cmd.add_option("--policy", policy.name, "decision-tree (default), multi-candidate, knn, openai or model (the built-in model)");
    cmd.add_option("--threshold", policy.threshold_percent, "Accept a sequence above this OverOz in percent (default 0)");
    cmd.add_option("-k", policy.k, "Candidates (multi-candidate) or neighbours (knn) (default 3)");
    cmd.add_flag("--knn-fbps", policy.knn_fbps, "knn: call find_best_pass_sequence when no neighbour's sequence is accepted");
    cmd.add_option("--book", books, "Known sequences (JSONL, as make-sft writes OUT.book.jsonl) (repeatable)");
    cmd.add_option("--known", known, "An eval run dir whose best answers are known sequences (repeatable; needs --known-corpus)");
    cmd.add_option("--known-corpus", corpus_for_known, "The corpus of the --known runs, for the programs' features");
    cmd.add_option("--base-url", policy.openai.base_url, "openai: the endpoint, e.g. http://127.0.0.1:8000/v1");
    cmd.add_option("--model", policy.openai.model, "openai: the model name; model: the model folder (HF layout)");
    cmd.add_option("--api-key", policy.openai.api_key, "openai: bearer token (default: $OPENAI_API_KEY)");
    cmd.add_option("--temperature", policy.openai.temperature, "openai, model: sampling temperature (default 0.7; 0 = greedy)");
    cmd.add_option("--top-p", policy.openai.top_p, "openai, model: nucleus sampling (default 0.8)");
    cmd.add_option("--top-k", policy.model.sampling.top_k, "model: keep the k most likely tokens (default 20; 0 = off)");
    cmd.add_option("--repetition-penalty", policy.model.sampling.repetition_penalty, "model: HF repetition penalty (default 1.05)");
    cmd.add_option("--device", policy.model.device, "model: cpu (default), cuda or cuda:N");
    cmd.add_option("--threads", policy.model.threads, "model: torch threads (default: torch's choice)");
    cmd.add_option("--max-context", policy.model.max_context,
                   "model: positions for prompt + turn (default: the model's max_position_embeddings)");
    cmd.add_option("--max-batch", policy.model.max_batch, "model: concurrent turns generated as one batch (default 16)");
    cmd.add_option("--tokenizer", tokenizer,
                   "tokenizer.json for exact token counts in the records (model: default the model folder's)");
    cmd.add_flag("--structured-messages", structured, "openai: send tool calls/results in OpenAI's structured form");
  }
  void add_episode(CLI::App& cmd) {
    cmd.add_option("--max-turns", max_turns, "Assistant turns per episode (default 10)");
    cmd.add_option("--max-tokens-per-turn", max_tokens_per_turn, "Tokens per assistant turn (default 2048; 0 = no limit)");
    cmd.add_option("--max-tokens", max_tokens, "Response tokens per episode (default 16384; 0 = no limit)");
    cmd.add_option("--on-protocol-error", on_error, "respond (default: the error goes back to the model) or end");
    cmd.add_option("--alpha", alpha, "Reward weight of OverOz (fraction) (default 30)");
    cmd.add_option("--tool-cost", tool_cost, "Reward cost per tool call (default 0)");
    cmd.add_option("--synergy-graph", tools.graph, "FBPS's synergy graph (default: the one shipped under data/)");
    cmd.add_option("--fbps-evals", tools.fbps_evaluations, "FBPS evaluation budget (default: the paper's)");
    cmd.add_option("-j,--jobs", tools.jobs, "Worker processes per program (default: all cores)");
    cmd.add_option("--timeout", tools.timeout_seconds, "Seconds before an evaluation is killed (default 10)");
    cmd.add_option("--cache", tools.cache_path, "Persistent SQLite result cache for the tools");
    cmd.add_option("--seed", tools.seed, "Seed of FBPS and of the policy's sampling (default 1)");
  }

  agent::PolicySpec spec() const {
    agent::PolicySpec s = policy;
    s.books.assign(books.begin(), books.end());
    s.eval_runs.assign(known.begin(), known.end());
    s.manifest_corpus = corpus_for_known;
    if (s.openai.api_key.empty())
      if (const char* k = std::getenv("OPENAI_API_KEY")) s.openai.api_key = k;
    s.openai.seed = tools.seed;
    s.openai.style = structured ? agent::MessageStyle::openai : agent::MessageStyle::text;
    s.model.model_dir = policy.openai.model;
    s.model.tokenizer = tokenizer;
    s.model.sampling.temperature = policy.openai.temperature;
    s.model.sampling.top_p = policy.openai.top_p;
    s.model.seed = tools.seed;
    return s;
  }
  agent::EpisodeOptions episode() const {
    if (on_error != "respond" && on_error != "end")
      throw CliError(fmt::format("--on-protocol-error '{}': expected respond or end", on_error));
    if (max_turns == 0) throw CliError("--max-turns must be at least 1");
    agent::EpisodeOptions e;
    e.limits.max_turns = max_turns;
    e.limits.max_tokens_per_turn = max_tokens_per_turn;
    e.limits.max_tokens_per_episode = max_tokens;
    e.on_protocol_error = on_error == "end" ? agent::OnProtocolError::end : agent::OnProtocolError::respond;
    e.reward.alpha = alpha;
    e.reward.tool_call_cost = tool_cost;
    if (!tokenizer.empty()) {
      e.count_tokens = unwrap(agent::tokenizer_token_counter(fs::path(tokenizer)));
      e.exact_token_counts = true;
    }
    return e;
  }
  agent::ToolboxOptions toolbox(const fs::path& root) const {
    ToolboxArgs t = tools;
    t.root = root.string();
    return t.options();
  }
  bool structured = false;
};

// A private folder for the tools' program root, removed at exit.
struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string tmpl = (fs::temp_directory_path() / "cr1-agent-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw CliError("cannot create a temporary folder", kExitFailure);
    path = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string file_name_for(const std::string& uri) {
  std::string s;
  for (char c : uri) s += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '_';
  return s + ".bc";
}

// Writes the session's module into the program root and describes it for the prompt.
agent::ProgramInfo stage_program(env::Session& session, const fs::path& root, const std::string& uri) {
  agent::ProgramInfo p;
  p.uri = uri;
  p.filename = file_name_for(uri);
  unwrap(ir::write_module(*session.program().module, root / p.filename), kExitFailure);
  p.features = ir::autophase_features(*session.program().module);
  p.instruction_count = session.base_count();
  return p;
}

std::unique_ptr<agent::Toolbox> open_toolbox(const AgentOptions& a, const fs::path& root) {
  return unwrap(agent::Toolbox::open(a.toolbox(root)), kExitFailure);
}

void print_conversation(const agent::EpisodeRecord& r) {
  for (size_t i = 0; i < r.messages.size(); ++i) {
    const auto& m = r.messages[i];
    fmt::print("── {} ──\n{}\n\n", m.role, m.content);
  }
}

// ---- agent run ----

struct RunArgs {
  ProgramOptions program;
  AgentOptions agent;
  std::string record;
  bool json = false, quiet = false;
};

void run_agent_run(const RunArgs& a) {
  auto policy = unwrap(agent::make_policy(a.agent.spec()));
  auto options = a.agent.episode();
  unwrap(agent::use_exact_token_counts(options, *policy));
  EnvOptions env;
  env.jobs = 1;
  env.timeout_seconds = a.agent.tools.timeout_seconds;
  auto session = open_session(a.program, env);
  ScratchDir root;
  auto info = stage_program(*session, root.path, fs::path(a.program.files.front()).filename().string());
  auto toolbox = open_toolbox(a.agent, root.path);
  auto record = agent::run_episode(info, *policy, agent::tools_of(*toolbox), *session, options);
  if (!a.record.empty()) unwrap(agent::append_jsonl_line(a.record, agent::record_line(record)), kExitFailure);
  if (a.json) {
    fmt::print("{}\n", agent::record_line(record));
  } else {
    if (!a.quiet) print_conversation(record);
    fmt::print("policy     {}\n", record.policy);
    fmt::print("ended      {}{} after {} turn(s), {} tool call(s)\n", record.end_reason,
               record.policy_error.empty() ? "" : " (" + record.policy_error + ")", record.turns.size(),
               record.tool_calls.size());
    fmt::print("answer     {}{}\n", fmt::join(record.answer, " "), record.fell_back_to_oz ? " (no valid answer: -Oz)" : "");
    fmt::print("verified   {} instructions ({}), -Oz {}, OverOz {}\n", record.answer_count, record.verified_status,
               record.oz_count, percent(record.over_oz));
    fmt::print("reward     {:.3f} = format {:.3f} + answer {:.3f} - tools {:.3f}\n", record.reward.total,
               record.reward.format, record.reward.answer, record.reward.tool_cost);
    fmt::print("tokens     prompt {}, response {}, tool {} ({})\n", record.prompt_tokens, record.response_tokens,
               record.tool_tokens, record.exact_token_counts ? "exact" : "estimated");
    fmt::print("time       {:.2f} s (policy {:.2f}, tools {:.2f}, verify {:.2f})\n", record.seconds,
               record.policy_seconds, record.tool_seconds, record.verify_seconds);
  }
  if (record.end_reason == "policy_error") throw CliError("the policy failed: " + record.policy_error, kExitFailure);
}

// ---- agent eval ----

struct EvalArgs {
  AgentOptions agent;
  std::vector<std::string> suites;
  std::string split, out, recipe = "Oz";
  size_t limit = 0;
  long long seeds = 1;
  bool json = false;
};

// The harness's view of an episode: the verified answer, clamped at -Oz like a tuner's.
search::TuneResult tune_result_of(const agent::EpisodeRecord& r, const std::string& method) {
  search::TuneResult t;
  t.method = method;
  t.oz_count = r.oz_count;
  auto oz = unwrap(ir::parse_sequence("-Oz"), kExitFailure);
  auto answer = ir::parse_sequence(std::span<const std::string>(r.answer));
  bool usable = answer && r.verified_status == "ok";
  if (usable) {
    t.best_raw = *answer;
    t.best_raw_count = r.answer_count;
    t.over_oz_raw = r.over_oz;
  }
  if (usable && r.answer_count <= r.oz_count) {
    t.answer = *answer;
    t.answer_count = r.answer_count;
    t.over_oz = r.over_oz;
  } else {
    t.answer = oz;
    t.answer_count = r.oz_count;
    t.fell_back_to_oz = true;
  }
  t.evaluations = r.tool_calls.size();
  t.seconds = r.seconds;
  return t;
}

void run_agent_eval(const EvalArgs& a) {
  auto policy = unwrap(agent::make_policy(a.agent.spec()));
  auto options = a.agent.episode();
  unwrap(agent::use_exact_token_counts(options, *policy));
  if (a.seeds <= 0) throw CliError(fmt::format("--seeds must be at least 1, got {}", a.seeds));
  std::string method = "agent:" + a.agent.policy.name;
  eval::EvalOptions o;
  o.methods = {method};
  // The harness needs a budget that ends; an episode's is its turn limit.
  o.budget.max_evaluations = options.limits.max_turns;
  for (long long s = 1; s <= a.seeds; ++s) o.seeds.push_back(static_cast<uint64_t>(s));
  o.jobs = a.agent.tools.jobs;
  o.timeout = std::chrono::milliseconds(static_cast<long long>(a.agent.tools.timeout_seconds * 1000));
  o.progress = !a.json;
  std::optional<data::Split> split;
  if (!a.split.empty()) {
    split = data::parse_split(a.split);
    if (!split) throw CliError(fmt::format("--split: '{}' is not train, valid or test", a.split));
  }
  std::vector<fs::path> suites(a.suites.begin(), a.suites.end());
  auto programs = unwrap(eval::collect_programs(suites, split, unwrap(ir::parse_recipe(a.recipe))));
  if (a.limit > 0) programs = eval::sample_per_suite(std::move(programs), a.limit);
  o.context = {{"suites", a.suites},
               {"split", a.split.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.split)},
               {"policy", policy->name()}};

  ScratchDir root;
  auto toolbox = open_toolbox(a.agent, root.path);
  auto tools = agent::tools_of(*toolbox);
  fs::create_directories(a.out);
  fs::path episodes = fs::path(a.out) / "episodes.jsonl";
  std::mutex mu;
  o.custom_methods[method] = [&](env::Session& session, const eval::EvalProgram& p,
                                 uint64_t) -> Expected<search::TuneResult> {
    auto info = stage_program(session, root.path, p.uri);
    auto record = agent::run_episode(info, *policy, tools, session, options);
    {
      std::lock_guard lock(mu);
      if (auto st = agent::append_jsonl_line(episodes, agent::record_line(record)); !st) return st.take_error();
    }
    if (record.end_reason == "policy_error") return make_error(ErrorKind::internal, "policy: " + record.policy_error);
    return tune_result_of(record, record.policy);
  };
  auto s = unwrap(eval::run_evaluation(programs, o, a.out), kExitFailure);
  auto log = unwrap(eval::RecordLog::read(a.out), kExitFailure);
  auto summary = eval::summarize(log.records());
  if (a.json) {
    print_json({{"run_dir", a.out},
                {"episodes", episodes.string()},
                {"programs", s.programs},
                {"runs", {{"planned", s.planned}, {"done", s.done}, {"skipped", s.skipped}, {"errors", s.errors.size()}}},
                {"mismatches", s.mismatches},
                {"wall_seconds", s.wall_seconds}});
  } else {
    fmt::print("agent eval: {} run(s) made, {} already done, of {} in {:.1f} s; {} verification mismatch(es)\n", s.done,
               s.skipped, s.planned, s.wall_seconds, s.mismatches);
    fmt::print("records: {}\nepisodes: {}\n\n{}", log.path().string(), episodes.string(),
               eval::render_headline_text(summary));
    fmt::print("\nreport: compiler-r1 report {}\n", a.out);
  }
  if (!s.errors.empty())
    throw CliError(fmt::format("{} run(s) failed; first: {}: {}", s.errors.size(), s.errors.front().program,
                               s.errors.front().message),
                   kExitFailure);
}

// ---- agent make-sft ----

struct SftArgs {
  AgentOptions agent;
  agent::SftOptions sft;
  std::string corpus, out, split = "train", book;
  std::vector<std::string> known;
  size_t tuner_evals = 200;
  double tuner_seconds = 0;
  bool no_tune = false, json = false;
};

void print_stats(const nlohmann::json& st) {
  fmt::print("episodes   {}\n", st.value("episodes", 0));
  std::string shares;
  for (const auto& [path, share] : st["path_shares"].items())
    shares += fmt::format("{}{} {:.1f}% ({} , mean OverOz {:+.2f}%)", shares.empty() ? "" : ", ", path,
                          share.get<double>() * 100, st["paths"][path].get<size_t>(),
                          st["mean_over_oz_percent_by_path"][path].get<double>());
  fmt::print("paths      {}\n", shares);
  fmt::print("OverOz     {:+.3f}% mean over all answers (verified; -Oz counts 0)\n", st.value("mean_over_oz_percent", 0.0));
  fmt::print("reward     {:.3f} mean; exact format {:.1f}%\n", st.value("mean_reward", 0.0),
             st.value("exact_format_share", 0.0) * 100);
  fmt::print("per episode {:.2f} turns, {:.2f} tool calls, {:.2f} s ({:.2f} s in tools)\n", st.value("mean_turns", 0.0),
             st.value("mean_tool_calls", 0.0), st.value("mean_episode_seconds", 0.0), st.value("mean_tool_seconds", 0.0));
}

void run_make_sft(SftArgs& a) {
  agent::SftOptions& o = a.sft;
  o.corpus = a.corpus;
  o.out = a.out;
  o.book = a.book;
  o.eval_runs.assign(a.known.begin(), a.known.end());
  if (a.split == "all") o.split.reset();
  else {
    o.split = data::parse_split(a.split);
    if (!o.split) throw CliError(fmt::format("--split: '{}' is not train, valid, test or all", a.split));
  }
  o.tune_missing = !a.no_tune;
  o.tuner_budget = {a.tuner_evals, a.tuner_seconds};
  o.seed = a.agent.tools.seed;
  o.episode = a.agent.episode();
  o.pool.jobs = a.agent.tools.jobs > 0 ? a.agent.tools.jobs : 1;
  o.pool.timeout = std::chrono::milliseconds(static_cast<long long>(a.agent.tools.timeout_seconds * 1000));
  o.progress = !a.json;
  unwrap(agent::validate(o));
  if (!fs::is_regular_file(o.corpus / "manifest.jsonl"))
    throw CliError(fmt::format("--corpus {}: no manifest.jsonl (build one with `compiler-r1 dataset build`)", o.corpus.string()));
  auto toolbox = open_toolbox(a.agent, o.corpus);
  auto s = unwrap_by_kind(agent::make_sft(o, agent::tools_of(*toolbox)));
  if (a.json) {
    auto j = s.stats;
    j["out"] = o.out.string();
    j["episodes_now"] = s.episodes.done;
    j["episodes_skipped"] = s.episodes.skipped;
    j["episode_errors"] = s.episodes.errors.size();
    j["tune_errors"] = s.tune_errors.size();
    print_json(j);
  } else {
    fmt::print("make-sft   {} programs: {} had a proposal, {} tuned now ({} failed); {} episodes now, {} already there, "
               "{} failed, {:.1f} s\n",
               s.programs, s.known_before, s.tuned, s.tune_errors.size(), s.episodes.done, s.episodes.skipped,
               s.episodes.errors.size(), s.episodes.wall_seconds);
    print_stats(s.stats);
    fmt::print("wrote      {} (+ .stats.json, book {})\n", o.out.string(),
               (o.book.empty() ? o.out.string() + ".book.jsonl" : o.book.string()));
  }
}

struct DraftTableArgs {
  std::vector<std::string> sft;
  std::string tokenizer, out;
  agent::SftDraftTableOptions options;
  bool json = false;
};

void run_draft_table(const DraftTableArgs& a) {
  auto tok = unwrap_by_kind(model::Tokenizer::load(a.tokenizer));
  const auto start = std::chrono::steady_clock::now();
  auto t = unwrap_by_kind(agent::build_sft_draft_table({a.sft.begin(), a.sft.end()}, tok, a.options));
  unwrap(t.drafter.save(a.out));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto bytes = fs::file_size(a.out);
  if (a.json) {
    print_json({{"out", a.out}, {"trajectories", t.trajectories}, {"turns", t.turns}, {"tokens", t.tokens},
                {"entries", t.drafter.size()}, {"bytes", bytes}, {"seconds", seconds}});
    return;
  }
  fmt::print("draft-table {} trajectories, {} assistant turns, {} tokens -> {} contexts of {}-{} tokens\n",
             t.trajectories, t.turns, t.tokens, t.drafter.size(), t.drafter.min_ngram(), t.drafter.max_ngram());
  fmt::print("wrote       {} ({:.1f} MiB) in {:.1f} s\n", a.out, bytes / 1048576.0, seconds);
}

void add_agent_command(CLI::App& app) {
  auto* agent_cmd = app.add_subcommand("agent", "The Compiler-R1 agent: episodes, evaluation, SFT trajectories");
  agent_cmd->require_subcommand(1);

  auto r = std::make_shared<RunArgs>();
  auto* run = agent_cmd->add_subcommand("run", "One episode on a program, showing the conversation");
  r->program.add_to(*run);
  r->agent.add_policy(*run);
  r->agent.add_episode(*run);
  run->add_option("--record", r->record, "Also append the episode record (JSONL) to this file");
  run->add_flag("--json", r->json, "Print the episode record as one JSON line");
  run->add_flag("-q,--quiet", r->quiet, "Only the summary, not the conversation");
  run->callback([r] { run_agent_run(*r); });

  auto e = std::make_shared<EvalArgs>();
  auto* ev = agent_cmd->add_subcommand("eval", "A policy over suites through the evaluation harness (records for `report`)");
  ev->add_option("--suite", e->suites, "Corpus folder or manifest, or a folder of programs (repeatable)")->required();
  ev->add_option("--split", e->split, "Only this split of a corpus: train | valid | test");
  ev->add_option("--limit", e->limit, "At most N programs per suite, evenly spread");
  ev->add_option("--seeds", e->seeds, "Seeds 1..K per program (default 1)");
  ev->add_option("--recipe", e->recipe, "How sources become IR: Oz (default) or O0");
  ev->add_option("--out", e->out, "Run folder (records.jsonl, run.json, episodes.jsonl); resumed if it exists")->required();
  ev->add_flag("--json", e->json, "Machine-readable summary");
  e->agent.add_policy(*ev);
  e->agent.add_episode(*ev);
  ev->callback([e] { run_agent_eval(*e); });

  auto s = std::make_shared<SftArgs>();
  auto* sft = agent_cmd->add_subcommand("make-sft", "Decision-tree trajectories for SFT from a corpus's training programs");
  sft->add_option("--corpus", s->corpus, "Corpus folder (manifest.jsonl)")->required();
  sft->add_option("--out", s->out, "Trajectories, JSONL (resumed if it exists)")->required();
  sft->add_option("--split", s->split, "train (default), valid, test or all");
  sft->add_option("--limit", s->sft.limit, "At most N programs, evenly spread (default: all)");
  sft->add_option("--variant", s->sft.variant, "paper (one proposal; default) or multi (K candidates)");
  sft->add_option("--candidates", s->sft.candidates, "K for --variant multi (default 3)");
  sft->add_option("--threshold", s->sft.threshold_percent, "Accept above this OverOz in percent (default 0)");
  sft->add_option("--book", s->book, "Known sequences file, read and appended (default OUT.book.jsonl)");
  sft->add_option("--known", s->known, "An eval run dir of this corpus: its best answers are proposals (repeatable)");
  sft->add_option("--tuner", s->sft.tuner, "Tuner for programs without a proposal (default local)");
  sft->add_option("--tuner-evals", s->tuner_evals, "Its evaluation budget per program (default 200)");
  sft->add_option("--tuner-seconds", s->tuner_seconds, "Its time budget per program (default none)");
  sft->add_option("--actions", s->sft.actions, "Its action space: cgym (default, the paper's flags) or extended");
  sft->add_flag("--no-tune", s->no_tune, "Do not tune: programs without a proposal go straight to FBPS");
  sft->add_option("--parallel", s->sft.parallel, "Programs in flight (default 2)");
  sft->add_flag("--json", s->json, "Machine-readable statistics");
  s->agent.add_episode(*sft);
  sft->callback([s] { run_make_sft(*s); });

  auto d = std::make_shared<DraftTableArgs>();
  auto* dt = agent_cmd->add_subcommand(
      "draft-table", "N-gram draft table of SFT trajectories' assistant turns, for the model policy's speculative decoding");
  dt->add_option("--sft", d->sft, "Trajectories (JSONL episode records, as make-sft writes them; repeatable)")
      ->required()
      ->check(CLI::ExistingFile);
  dt->add_option("--tokenizer", d->tokenizer, "The model's tokenizer (tokenizer.json or its folder)")->required();
  dt->add_option("--out", d->out, "The table (e.g. MODEL_DIR/ngram_drafts.bin, which the model policy loads)")->required();
  dt->add_option("--max-trajectories", d->options.max_trajectories, "Only the first N records (default: all)");
  dt->add_option("--max-ngram", d->options.ngrams.max_ngram, "Longest context, tokens (default 4)")->check(CLI::Range(1, 64));
  dt->add_option("--min-ngram", d->options.ngrams.min_ngram, "Shortest context, tokens (default 2)")->check(CLI::Range(1, 64));
  dt->add_option("--min-count", d->options.ngrams.min_count, "Keep a context seen at least this often with its next token (default 2)")
      ->check(CLI::PositiveNumber);
  dt->add_flag("--json", d->json, "Machine-readable summary");
  dt->callback([d] { run_draft_table(*d); });

  auto st = std::make_shared<std::string>();
  auto* stats = agent_cmd->add_subcommand("stats", "Path shares, mean OverOz and reward of an episode file");
  stats->add_option("file", *st, "Episodes (JSONL)")->required();
  auto json = std::make_shared<bool>(false);
  stats->add_flag("--json", *json, "Machine-readable");
  stats->callback([st, json] {
    auto j = unwrap(agent::summarize_episodes(*st));
    if (*json) print_json(j);
    else print_stats(j);
  });
}

const CommandRegistration kRegistration{60, add_agent_command};

}  // namespace
}  // namespace cr1::cli
