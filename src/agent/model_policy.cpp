#include "agent/model_policy.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "agent/chat.h"

#if CR1_WITH_MODEL
#include "model/batched_generator.h"
#include "model/language_model.h"
#include "model/ngram_drafter.h"
#include "model/tokenizer.h"
#endif

namespace cr1::agent {

model::SamplingOptions ModelPolicyOptions::paper_sampling() {
  model::SamplingOptions s;
  s.temperature = 0.7;
  s.top_p = 0.8;
  s.top_k = 20;
  s.repetition_penalty = 1.05;
  return s;
}

const std::vector<std::string>& ModelPolicy::stop_strings() {
  static const std::vector<std::string> stops = {"</tool_call>", "</answer>", std::string(kImEnd)};
  return stops;
}

#if CR1_WITH_MODEL

bool ModelPolicy::available() { return true; }

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// A turn's seed from the policy's seed and the prompt text (FNV-1a, then SplitMix64's finalizer), so a
// turn does not depend on which episodes ran beside it or in which order.
uint64_t turn_seed(uint64_t seed, std::string_view prompt) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : prompt) h = (h ^ c) * 1099511628211ull;
  uint64_t z = h ^ (seed + 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

Status check_options(const ModelPolicyOptions& o) {
  const auto& s = o.sampling;
  if (s.top_p <= 0 || s.top_p > 1) return make_error(ErrorKind::invalid_input, fmt::format("--top-p {}: expected 0 < p <= 1", s.top_p));
  if (s.top_k < 0) return make_error(ErrorKind::invalid_input, fmt::format("--top-k {}: expected 0 (off) or more", s.top_k));
  if (s.repetition_penalty <= 0)
    return make_error(ErrorKind::invalid_input, fmt::format("--repetition-penalty {}: must be positive", s.repetition_penalty));
  if (o.max_context < 0) return make_error(ErrorKind::invalid_input, fmt::format("--max-context {}: must be positive", o.max_context));
  if (o.threads < 0) return make_error(ErrorKind::invalid_input, fmt::format("--threads {}: must be positive", o.threads));
  if (o.lookup_draft_tokens < 0)
    return make_error(ErrorKind::invalid_input, fmt::format("the model policy's lookup draft length {} must be 0 (off) or more", o.lookup_draft_tokens));
  if (o.max_batch == 0) return make_error(ErrorKind::invalid_input, "the model policy's batch size must be at least 1");
  return ok_status();
}

}  // namespace

Expected<std::unique_ptr<ModelPolicy>> ModelPolicy::open(const ModelPolicyOptions& o) {
  namespace fs = std::filesystem;
  if (auto st = check_options(o); !st) return st.take_error();
  if (o.model_dir.empty())
    return make_error(ErrorKind::invalid_input, "policy model needs --model DIR (an HF model folder: config.json, model.safetensors, tokenizer.json)");
  std::error_code ec;
  if (!fs::is_directory(o.model_dir, ec))
    return make_error(ErrorKind::not_found, fmt::format("--model {}: no such directory", o.model_dir.string()));
  if (!fs::is_regular_file(o.model_dir / "config.json", ec))
    return make_error(ErrorKind::invalid_input,
                      fmt::format("--model {}: no config.json (expected an HF model folder)", o.model_dir.string()));
  fs::path tok_path = o.tokenizer.empty() ? o.model_dir : o.tokenizer;
  if (fs::is_directory(tok_path, ec) && !fs::is_regular_file(tok_path / "tokenizer.json", ec))
    return make_error(ErrorKind::invalid_input,
                      fmt::format("{}: no tokenizer.json (give one with --tokenizer FILE)", tok_path.string()));
  auto tok = model::Tokenizer::load(tok_path);
  if (!tok) return make_error(tok.error().kind, fmt::format("--model {}: {}", o.model_dir.string(), tok.error().message));
  model::RuntimeOptions rt;
  rt.device = o.device;
  rt.num_threads = o.threads;
  rt.max_positions = o.max_context;
  rt.prefix_cache_bytes = o.prefix_cache_bytes;
  ModelPolicyOptions with_drafts = o;
  if (const fs::path table = o.model_dir / kNgramDraftsFile; !o.ngram_drafter && fs::is_regular_file(table, ec)) {
    auto d = model::NgramDrafter::load(table);
    if (!d) return d.take_error();
    with_drafts.ngram_drafter = std::make_shared<const model::NgramDrafter>(std::move(*d));
  }
  auto lm = model::LanguageModel::load(o.model_dir, rt);
  if (!lm) return make_error(lm.error().kind, fmt::format("--model {}: {}", o.model_dir.string(), lm.error().message));
  return over(std::make_shared<const model::LanguageModel>(std::move(*lm)),
              std::make_shared<const model::Tokenizer>(std::move(*tok)), with_drafts);
}

Expected<std::unique_ptr<ModelPolicy>> ModelPolicy::over(std::shared_ptr<const model::LanguageModel> lm,
                                                         std::shared_ptr<const model::Tokenizer> tok,
                                                         const ModelPolicyOptions& o) {
  if (auto st = check_options(o); !st) return st.take_error();
  const auto& config = lm->config();
  if (tok->vocab_size() > config.vocab_size)
    return make_error(ErrorKind::invalid_input,
                      fmt::format("the tokenizer has {} ids but the model's vocabulary only {}: they do not belong together",
                                  tok->vocab_size(), config.vocab_size));
  if (o.max_context > config.max_position_embeddings)
    return make_error(ErrorKind::invalid_input,
                      fmt::format("--max-context {} is more than the model's {} positions", o.max_context,
                                  config.max_position_embeddings));
  return std::unique_ptr<ModelPolicy>(new ModelPolicy(std::move(lm), std::move(tok), o));
}

ModelPolicy::ModelPolicy(std::shared_ptr<const model::LanguageModel> lm, std::shared_ptr<const model::Tokenizer> tok,
                         ModelPolicyOptions options)
    : model_(std::move(lm)), tokenizer_(std::move(tok)), o_(std::move(options)) {
  const auto& config = model_->config();
  context_ = o_.max_context > 0 ? o_.max_context : config.max_position_embeddings;
  auto add_stop = [&](int64_t id) {
    if (id >= 0 && id < config.vocab_size &&
        std::find(stop_ids_.begin(), stop_ids_.end(), static_cast<model::TokenId>(id)) == stop_ids_.end())
      stop_ids_.push_back(static_cast<model::TokenId>(id));
  };
  for (int64_t id : config.eos_token_ids) add_stop(id);
  for (std::string_view t : {kImEnd, std::string_view("<|endoftext|>")})
    if (auto id = tokenizer_->token_to_id(t)) add_stop(*id);
  model::BatchingOptions b;
  b.max_batch = o_.max_batch;
  b.window = o_.batch_window;
  generator_ = std::make_shared<model::BatchedGenerator>(
      *model_, [t = tokenizer_](std::span<const model::TokenId> ids) { return t->decode(ids, false); }, b);
}

ModelPolicy::~ModelPolicy() = default;

std::string ModelPolicy::name() const {
  const auto& s = o_.sampling;
  std::string where = o_.model_dir.empty() ? fmt::format("{}x{}", model_->config().num_hidden_layers, model_->config().hidden_size)
                                           : o_.model_dir.filename().string();
  if (where.empty()) where = o_.model_dir.parent_path().filename().string();
  if (s.greedy || s.temperature <= 0) return fmt::format("model;{},greedy,repetition_penalty={:g}", where, s.repetition_penalty);
  return fmt::format("model;{},temperature={:g},top_p={:g},top_k={},repetition_penalty={:g},seed={}", where, s.temperature,
                     s.top_p, s.top_k, s.repetition_penalty, o_.seed);
}

TokenCounter ModelPolicy::exact_token_counter() const { return tokenizer_token_counter(tokenizer_); }

std::string ModelPolicy::prompt_text(const EpisodeState& state) const {
  return render_chatml(state.messages, state.tools, true);
}

std::vector<model::TokenId> ModelPolicy::prompt_ids(const EpisodeState& state) const {
  return tokenizer_->encode(prompt_text(state));
}

Expected<PolicyReply> ModelPolicy::act(const EpisodeState& state) { return turn(state, nullptr); }

Expected<PolicyReply> ModelPolicy::act_forced(const EpisodeState& state, std::string_view text) {
  auto ids = tokenizer_->encode(text);
  // The model would end a turn that has no stop string with <|im_end|>.
  if (auto end = tokenizer_->token_to_id(kImEnd)) ids.push_back(*end);
  return turn(state, &ids);
}

Expected<PolicyReply> ModelPolicy::turn(const EpisodeState& state, const std::vector<model::TokenId>* forced) {
  auto t0 = Clock::now();
  std::string text = prompt_text(state);
  auto ids = tokenizer_->encode(text);
  const double render_seconds = since(t0);
  pin_system_prompt(state, text, ids);
  const int64_t P = static_cast<int64_t>(ids.size());
  if (P >= context_)
    return make_error(ErrorKind::invalid_input,
                      fmt::format("the conversation is {} tokens, the model's context {} positions: no room for the "
                                  "turn (--max-context N runs the model past its configured positions)",
                                  P, context_));
  size_t limit = static_cast<size_t>(context_ - P);
  const bool context_bound = !(state.max_tokens && state.max_tokens < limit) &&
                             !(o_.max_tokens_per_turn && o_.max_tokens_per_turn < limit);
  if (state.max_tokens) limit = std::min(limit, state.max_tokens);
  if (o_.max_tokens_per_turn) limit = std::min(limit, o_.max_tokens_per_turn);

  model::GenerationOptions g;
  g.max_new_tokens = static_cast<int64_t>(limit);
  g.sampling = o_.sampling;
  g.stop_strings = stop_strings();
  g.stop_token_ids = stop_ids_;
  g.seed = turn_seed(o_.seed, text);
  g.pad_token_id = model_->config().pad_token_id >= 0 ? static_cast<model::TokenId>(model_->config().pad_token_id) : 0;
  if (forced) g.forced_tokens = *forced;
  g.lookup_draft_tokens = o_.lookup_draft_tokens;
  g.lookup_min_ngram = o_.lookup_min_ngram;
  g.ngram_drafter = o_.ngram_drafter;
  auto tg = Clock::now();
  auto r = generator_->generate(std::move(ids), std::move(g));
  const double generate_seconds = since(tg);
  if (!r) return make_error(r.error().kind, fmt::format("model: {}", r.error().message));

  PolicyReply reply;
  reply.tokens = r->tokens.size();
  std::span<const model::TokenId> shown(r->tokens);
  // A stop token ends the turn; it is no part of the text (the runner renders <|im_end|> itself).
  if (r->finish == model::FinishReason::stop_token && !shown.empty()) shown = shown.first(shown.size() - 1);
  reply.text = tokenizer_->decode(shown, false);
  if (r->finish == model::FinishReason::stop_string)
    if (auto p = reply.text.find(r->stop); p != std::string::npos) reply.text.resize(p + r->stop.size());
  reply.finish_reason = r->finish == model::FinishReason::length ? "length" : "stop";
  reply.note = {{"finish", model::finish_reason_name(r->finish)}, {"prompt_tokens", P}};
  if (!r->stop.empty()) reply.note["stop"] = r->stop;
  if (r->finish == model::FinishReason::length && context_bound) reply.note["context_full"] = true;
  if (forced) reply.note["forced"] = true;

  auto gs = generator_->stats();
  std::lock_guard lock(stats_mu_);
  ++stats_.turns;
  stats_.prompt_tokens += static_cast<uint64_t>(P);
  stats_.cached_tokens += static_cast<uint64_t>(r->cached_tokens);
  stats_.generated_tokens += r->tokens.size();
  stats_.render_seconds += render_seconds;
  stats_.generate_seconds += generate_seconds;
  stats_.prefill_seconds += r->prefill_seconds;
  stats_.decode_seconds += r->decode_seconds;
  stats_.decode_forwards += static_cast<uint64_t>(r->decode_forwards);
  stats_.drafted_tokens += static_cast<uint64_t>(r->drafted_tokens);
  stats_.accepted_tokens += static_cast<uint64_t>(r->accepted_tokens);
  stats_.batches = gs.batches;
  stats_.largest_batch = gs.largest_batch;
  return reply;
}

ModelPolicyStats ModelPolicy::stats() const {
  std::lock_guard lock(stats_mu_);
  return stats_;
}

void ModelPolicy::pin_system_prompt(const EpisodeState& state, const std::string& prompt,
                                    const std::vector<model::TokenId>& ids) {
  if (state.messages.empty() || state.messages[0].role != "system" || !model_->prefix_cache_stats().enabled) return;
  std::lock_guard lock(pin_mu_);
  for (const auto& p : pinned_)
    if (prompt.starts_with(p)) return;
  // The system turn, rendered alone, ends with <|im_end|>\n: a special token, so its ids are the
  // prompt's first ids; checked, as a tokenizer could merge across it.
  std::string system = render_chatml({state.messages[0]}, state.tools, false);
  if (!prompt.starts_with(system)) return;
  pinned_.push_back(system);
  auto t0 = Clock::now();
  auto prefix = tokenizer_->encode(system);
  if (prefix.size() >= ids.size() || !std::equal(prefix.begin(), prefix.end(), ids.begin())) return;
  if (auto st = model_->pin_prefix(prefix); !st) {  // a cache miss costs time, not correctness
    spdlog::warn("model policy: the system prompt is not cached: {}", st.error().message);
    return;
  }
  std::lock_guard stats_lock(stats_mu_);
  stats_.pinned_tokens += prefix.size();
  stats_.pin_seconds += since(t0);
}

#else  // a build without libtorch (CR1_WITH_TORCH=OFF) has no model to run

namespace {
Error no_model() {
  return make_error(ErrorKind::invalid_input,
                    "policy model: this compiler-r1 was built without libtorch (CR1_WITH_TORCH=OFF); rebuild with it");
}
}  // namespace

Expected<std::unique_ptr<ModelPolicy>> ModelPolicy::open(const ModelPolicyOptions&) { return no_model(); }
Expected<std::unique_ptr<ModelPolicy>> ModelPolicy::over(std::shared_ptr<const model::LanguageModel>,
                                                         std::shared_ptr<const model::Tokenizer>,
                                                         const ModelPolicyOptions&) {
  return no_model();
}
bool ModelPolicy::available() { return false; }
ModelPolicy::~ModelPolicy() = default;
std::string ModelPolicy::name() const { return "model"; }
TokenCounter ModelPolicy::exact_token_counter() const { return {}; }
Expected<PolicyReply> ModelPolicy::act(const EpisodeState&) { return no_model(); }
Expected<PolicyReply> ModelPolicy::act_forced(const EpisodeState&, std::string_view) { return no_model(); }
std::string ModelPolicy::prompt_text(const EpisodeState& state) const { return render_chatml(state.messages, state.tools, true); }
std::vector<model::TokenId> ModelPolicy::prompt_ids(const EpisodeState&) const { return {}; }
ModelPolicyStats ModelPolicy::stats() const { return {}; }

#endif

}  // namespace cr1::agent
