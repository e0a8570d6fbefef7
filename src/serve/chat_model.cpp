#include "serve/chat_model.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <type_traits>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cr1::serve {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Error bad_dir(const fs::path& dir, const std::string& why) {
  return make_error(ErrorKind::invalid_input, fmt::format("{}: {}", dir.string(), why));
}

// generation_config.json: sampling defaults and extra end-of-turn ids. Absent is fine; malformed is not.
Status read_generation_config(const fs::path& file, SamplingDefaults& d, std::vector<int64_t>& eos) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return ok_status();
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  json j = json::parse(ss.str(), nullptr, false);
  if (j.is_discarded() || !j.is_object())
    return make_error(ErrorKind::parse, fmt::format("{}: not a JSON object", file.string()));
  auto number = [&](const char* key, auto& out) -> Status {
    if (!j.contains(key) || j[key].is_null()) return ok_status();
    if (!j[key].is_number()) return make_error(ErrorKind::parse, fmt::format("{}: '{}' is not a number", file.string(), key));
    out = j[key].get<std::remove_reference_t<decltype(out)>>();
    return ok_status();
  };
  for (auto st : {number("temperature", d.temperature), number("top_p", d.top_p), number("top_k", d.top_k),
                  number("repetition_penalty", d.repetition_penalty)})
    if (!st) return st;
  if (j.contains("do_sample") && j["do_sample"].is_boolean()) d.greedy = !j["do_sample"].get<bool>();
  if (j.contains("eos_token_id")) {
    const auto& e = j["eos_token_id"];
    if (e.is_number_integer()) eos.push_back(e.get<int64_t>());
    else if (e.is_array())
      for (const auto& x : e)
        if (x.is_number_integer()) eos.push_back(x.get<int64_t>());
  }
  return ok_status();
}

}  // namespace

Expected<std::unique_ptr<ChatModel>> ChatModel::from_parts(model::LanguageModel m, model::Tokenizer t,
                                                           std::string served_name, SamplingDefaults defaults) {
  const auto& config = m.config();
  if (t.vocab_size() > config.vocab_size)
    return make_error(ErrorKind::invalid_input,
                      fmt::format("the tokenizer has {} ids but the model's vocabulary has {}: they do not belong together",
                                  t.vocab_size(), config.vocab_size));
  auto im_start = t.token_to_id("<|im_start|>");
  auto im_end = t.token_to_id("<|im_end|>");
  if (!im_start || !im_end)
    return make_error(ErrorKind::invalid_input,
                      "the tokenizer has no <|im_start|>/<|im_end|> tokens: not a ChatML (Qwen2) tokenizer");
  std::unique_ptr<ChatModel> c(new ChatModel(std::move(m), std::move(t)));
  c->name_ = std::move(served_name);
  c->defaults_ = defaults;
  c->stop_ids_.push_back(*im_end);
  if (auto eot = c->tokenizer_.token_to_id("<|endoftext|>")) c->stop_ids_.push_back(*eot);
  for (int64_t id : config.eos_token_ids)
    if (id >= 0 && id < config.vocab_size) c->stop_ids_.push_back(static_cast<model::TokenId>(id));
  std::sort(c->stop_ids_.begin(), c->stop_ids_.end());
  c->stop_ids_.erase(std::unique(c->stop_ids_.begin(), c->stop_ids_.end()), c->stop_ids_.end());
  if (config.pad_token_id >= 0 && config.pad_token_id < config.vocab_size)
    c->pad_id_ = static_cast<model::TokenId>(config.pad_token_id);
  else
    c->pad_id_ = c->stop_ids_.front();
  return c;
}

Expected<std::unique_ptr<ChatModel>> ChatModel::open(const fs::path& dir, const ChatModelOptions& options) {
  std::error_code ec;
  if (!fs::exists(dir, ec)) return bad_dir(dir, "no such model directory");
  if (!fs::is_directory(dir, ec)) return bad_dir(dir, "not a directory (expected a Hugging Face model directory)");
  if (!fs::exists(dir / "config.json", ec))
    return bad_dir(dir, "no config.json (expected a Hugging Face model directory: config.json, model.safetensors, "
                        "tokenizer.json)");
  if (!fs::exists(dir / "model.safetensors", ec) && !fs::exists(dir / "model.safetensors.index.json", ec))
    return bad_dir(dir, "no weights (neither model.safetensors nor a sharded model.safetensors.index.json)");
  if (!fs::exists(dir / "tokenizer.json", ec))
    return bad_dir(dir, "no tokenizer.json: the chat server needs the model's tokenizer (copy the base model's, or "
                        "write one with `compiler-r1 tokenizer train`)");
  // The cheap checks first: the config and tokenizer, then the weights.
  auto config = model::ModelConfig::load(dir / "config.json");  // validated too
  if (!config) return config.error();
  SamplingDefaults defaults;
  std::vector<int64_t> extra_eos;
  if (auto st = read_generation_config(dir / "generation_config.json", defaults, extra_eos); !st) return st.error();
  auto tokenizer = model::Tokenizer::load(dir / "tokenizer.json");
  if (!tokenizer) return tokenizer.error();
  auto lm = model::LanguageModel::load(dir, options.runtime);
  if (!lm) return lm.error();
  std::string name = options.served_name;
  if (name.empty()) name = fs::absolute(dir).lexically_normal().filename().string();
  if (name.empty()) name = fs::absolute(dir).lexically_normal().parent_path().filename().string();
  auto chat = from_parts(std::move(*lm), std::move(*tokenizer), name, defaults);
  if (!chat) return bad_dir(dir, chat.error().message);
  for (int64_t id : extra_eos)
    if (id >= 0 && id < (*chat)->model_.config().vocab_size &&
        std::find((*chat)->stop_ids_.begin(), (*chat)->stop_ids_.end(), id) == (*chat)->stop_ids_.end())
      (*chat)->stop_ids_.push_back(static_cast<model::TokenId>(id));
  return chat;
}

}  // namespace cr1::serve
