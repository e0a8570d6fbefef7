// The built-in model as a policy (`--policy model --model DIR`): an adapter over src/model/ that renders
// the conversation as ChatML with the tool schemas (render_chatml(…, tools, true), Qwen2.5's form),
// tokenizes it with the model's tokenizer, and generates the assistant turn until "</tool_call>",
// "</answer>" or "<|im_end|>" (the stop string stays in the turn, as vLLM's include_stop_str_in_output
// keeps it) or an end-of-turn token. Token counts are exact: the generated ids, and the tokenizer for
// the episode's other counts (token_counter()).
//
// Batching: the batch runner calls act() from many threads at once, one call per running episode; the
// calls go through one model::BatchedGenerator, which merges whatever is waiting into one batched
// forward per step. Each turn has its own seed, derived from the policy's seed and the text of the
// prompt, so an episode's turns are the same whatever ran beside it and in whatever order.
//
// Sampling defaults are the paper's inference settings (temperature 0.7, top-p 0.8, repetition penalty
// 1.05; Compiler-R1 §4, the values of Qwen2.5-Instruct's generation_config.json, whose top_k is 20).
//
// Turns of one episode share their start: with the model's prefix cache on (the default of open()), a
// turn prefills only the tokens new since the episode's previous turn (the tool response and the next
// assistant header), and every episode starts from the system prompt's keys/values, prefilled once.
// The tokens are those of prefilling the whole conversation, up to float rounding
// (tests/agent/model_policy_prefix_test.cpp).
//
// Torch-free: only model/language_model.h, model/tokenizer.h and model/batched_generator.h.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "agent/policy.h"
#include "agent/token_counter.h"
#include "model/generation_options.h"

namespace cr1::model {
class LanguageModel;
class Tokenizer;
class BatchedGenerator;
}  // namespace cr1::model

namespace cr1::agent {

// The n-gram draft table a model folder may hold beside its weights (`agent draft-table`).
inline constexpr std::string_view kNgramDraftsFile = "ngram_drafts.bin";

struct ModelPolicyOptions {
  std::filesystem::path model_dir;  // HF layout: config.json, model.safetensors, tokenizer.json
  std::filesystem::path tokenizer;  // a tokenizer.json or a folder holding one; empty = the model dir's
  std::string device = "cpu";       // cpu, cuda, cuda:N
  int threads = 0;                  // torch intra-op threads (process-wide); 0 = torch's default
  // Positions the model may use (prompt + turn); 0 = the checkpoint's max_position_embeddings. Larger
  // runs the rotary positions past the trained context (as vLLM's --max-model-len does).
  int64_t max_context = 0;
  model::SamplingOptions sampling = paper_sampling();
  size_t max_tokens_per_turn = 0;   // 0 = the episode's per-turn limit alone
  uint64_t seed = 1;
  size_t max_batch = 16;            // turns generated together at most
  std::chrono::microseconds batch_window{2000};  // how long an idle generator waits for company
  // Keys/values kept across turns (RuntimeOptions::prefix_cache_bytes), for open(): a turn prefills only
  // what is new since the episode's last turn, and the system prompt with the tool schemas is prefilled
  // once per policy. 0: every turn prefills the whole conversation. With over(), the model's setting.
  size_t prefix_cache_bytes = size_t{512} << 20;
  // Prompt-lookup speculative decoding (model::GenerationOptions::lookup_draft_tokens): up to this many
  // tokens guessed from the conversation itself and checked in one forward, when one turn is being
  // generated alone; the tokens are those of plain decoding. 0: one forward per token.
  // 15: a forward of 16 rows still goes through the few-rows product (model/small_gemm.h).
  int64_t lookup_draft_tokens = 15;
  int64_t lookup_min_ngram = 1;     // the shortest n-gram match that drafts
  // Drafts from the n-gram statistics of the SFT trajectories' assistant turns (model/ngram_drafter.h,
  // built by `agent draft-table`), before prompt lookup; the draft length is lookup_draft_tokens. open()
  // loads the model folder's ngram_drafts.bin when this is unset and the file is there.
  std::shared_ptr<const model::NgramDrafter> ngram_drafter;

  static model::SamplingOptions paper_sampling();
};

// What the policy spent, summed over its turns (for the episode benchmark and `--json` output).
struct ModelPolicyStats {
  uint64_t turns = 0;
  uint64_t prompt_tokens = 0;     // the turns' prompts (each turn's prompt is the whole conversation)
  uint64_t cached_tokens = 0;     // ... of which the prefix cache had the keys/values (not prefilled)
  uint64_t pinned_tokens = 0;     // system-prompt tokens prefilled once into the prefix cache
  uint64_t generated_tokens = 0;  // forward passes of the decode loop
  double render_seconds = 0;      // ChatML rendering and tokenizing the prompt
  double generate_seconds = 0;    // waiting for the generator (batching + prefill + decode + sampling)
  double prefill_seconds = 0;     // the batch's prompt forward, as the generator measured it
  double pin_seconds = 0;         // prefilling the system prompt into the prefix cache (once per prompt)
  double decode_seconds = 0;      // one forward + sampling per new token, as the generator measured it
  uint64_t decode_forwards = 0;   // forward passes of the decode steps (fewer than tokens with drafts)
  uint64_t drafted_tokens = 0;    // prompt-lookup drafts checked
  uint64_t accepted_tokens = 0;   // ... that were the chosen tokens
  uint64_t batches = 0, largest_batch = 0;  // the generator's model calls
};

class ModelPolicy final : public Policy {
 public:
  // Loads the model and the tokenizer. An invalid_input / not_found error names the directory and what
  // is wrong with it (no config.json, no tokenizer.json, a vocabulary the model does not cover).
  static Expected<std::unique_ptr<ModelPolicy>> open(const ModelPolicyOptions& options);
  // Over a model and tokenizer already in memory (benchmarks, tests). `model` must not be used by
  // other threads while the policy exists.
  static Expected<std::unique_ptr<ModelPolicy>> over(std::shared_ptr<const model::LanguageModel> model,
                                                     std::shared_ptr<const model::Tokenizer> tokenizer,
                                                     const ModelPolicyOptions& options);
  ~ModelPolicy() override;

  std::string name() const override;
  // Thread-safe; concurrent calls are batched.
  Expected<PolicyReply> act(const EpisodeState& state) override;
  TokenCounter exact_token_counter() const override;

  // Teacher forcing, for the episode benchmark: the turn is `text`, fed token by token through the same
  // decode loop as sampling (one forward and one sampling step per token, then the forced token replaces
  // the draw), so the cost is that of generating `text` while the tool calls and answer stay real.
  // Stops at the same stop strings as act().
  Expected<PolicyReply> act_forced(const EpisodeState& state, std::string_view text);

  // The prompt of a state: the rendered conversation and its ids.
  std::string prompt_text(const EpisodeState& state) const;
  std::vector<model::TokenId> prompt_ids(const EpisodeState& state) const;

  const model::Tokenizer& tokenizer() const { return *tokenizer_; }
  const model::LanguageModel& model() const { return *model_; }
  ModelPolicyStats stats() const;

  static const std::vector<std::string>& stop_strings();  // "</tool_call>", "</answer>", "<|im_end|>"
  // False in a build without libtorch (CR1_WITH_TORCH=OFF), where open() is an error.
  static bool available();

 private:
  ModelPolicy(std::shared_ptr<const model::LanguageModel> model, std::shared_ptr<const model::Tokenizer> tokenizer,
              ModelPolicyOptions options);
  Expected<PolicyReply> turn(const EpisodeState& state, const std::vector<model::TokenId>* forced);
  // Pins the system message with the tool schemas (the prompt's start, the same in every episode) in
  // the model's prefix cache, once per distinct text.
  void pin_system_prompt(const EpisodeState& state, const std::string& prompt, const std::vector<model::TokenId>& ids);

  std::shared_ptr<const model::LanguageModel> model_;
  std::shared_ptr<const model::Tokenizer> tokenizer_;
  ModelPolicyOptions o_;
  std::vector<model::TokenId> stop_ids_;
  int64_t context_ = 0;
  std::shared_ptr<model::BatchedGenerator> generator_;  // shared_ptr: no ~BatchedGenerator in builds without torch
  std::mutex pin_mu_;
  std::vector<std::string> pinned_;  // system prompts pinned (or found not to be a token prefix)
  mutable std::mutex stats_mu_;
  ModelPolicyStats stats_;
};

}  // namespace cr1::agent
