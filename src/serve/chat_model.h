// A model ready to chat: a Qwen2 checkpoint directory opened with its tokenizer and the settings the
// chat server needs (the name it is served under, the token ids that end a turn, the sampling defaults
// of generation_config.json). Opening checks the directory first and refuses anything it cannot serve
// with one line naming the file and the reason, before the (slow) weights are read.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/language_model.h"
#include "model/tokenizer.h"
#include "util/expected.h"

namespace cr1::serve {

// Used where a request leaves a setting out. HF's generation defaults (temperature 1, no top-k/top-p,
// no penalty), overridden by the model's generation_config.json, as vLLM does.
struct SamplingDefaults {
  bool greedy = false;  // generation_config.json "do_sample": false
  double temperature = 1.0;
  double top_p = 1.0;
  int64_t top_k = 0;
  double repetition_penalty = 1.0;
};

struct ChatModelOptions {
  model::RuntimeOptions runtime;
  std::string served_name;  // empty: the directory's name
};

class ChatModel {
 public:
  // Needs config.json, model.safetensors (or a sharded index), and tokenizer.json with the ChatML
  // tokens (<|im_start|>, <|im_end|>); generation_config.json is optional.
  static Expected<std::unique_ptr<ChatModel>> open(const std::filesystem::path& dir, const ChatModelOptions& options = {});
  // From parts already loaded (tests, benchmarks): the same checks on the tokenizer.
  static Expected<std::unique_ptr<ChatModel>> from_parts(model::LanguageModel model, model::Tokenizer tokenizer,
                                                         std::string served_name, SamplingDefaults defaults = {});

  const std::string& name() const { return name_; }
  const model::LanguageModel& model() const { return model_; }
  const model::Tokenizer& tokenizer() const { return tokenizer_; }
  const SamplingDefaults& defaults() const { return defaults_; }
  // Ids that end a completion: <|im_end|>, <|endoftext|> and the config's eos ids.
  const std::vector<model::TokenId>& stop_token_ids() const { return stop_ids_; }
  model::TokenId pad_token_id() const { return pad_id_; }
  // Prompt plus completion tokens (max_position_embeddings).
  int64_t context_length() const { return model_.config().max_position_embeddings; }

 private:
  ChatModel(model::LanguageModel m, model::Tokenizer t) : model_(std::move(m)), tokenizer_(std::move(t)) {}
  model::LanguageModel model_;
  model::Tokenizer tokenizer_;
  std::string name_;
  SamplingDefaults defaults_;
  std::vector<model::TokenId> stop_ids_;
  model::TokenId pad_id_ = 0;
};

}  // namespace cr1::serve
