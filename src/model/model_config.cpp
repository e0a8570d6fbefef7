#include "model/model_config.h"

#include <fmt/format.h>

#include "util/atomic_file.h"

namespace cr1::model {

using nlohmann::json;

const char* weight_dtype_name(WeightDType d) {
  switch (d) {
    case WeightDType::f32: return "float32";
    case WeightDType::bf16: return "bfloat16";
    case WeightDType::f16: return "float16";
  }
  return "?";
}

Expected<WeightDType> parse_weight_dtype(const std::string& name) {
  if (name == "float32" || name == "f32" || name == "fp32") return WeightDType::f32;
  if (name == "bfloat16" || name == "bf16") return WeightDType::bf16;
  if (name == "float16" || name == "f16" || name == "fp16" || name == "half") return WeightDType::f16;
  return make_error(ErrorKind::invalid_input,
                    fmt::format("unknown dtype '{}' (expected float32, bfloat16 or float16)", name));
}

int64_t ModelConfig::num_parameters() const {
  const int64_t kv = num_key_value_heads * head_dim();
  const int64_t attn = hidden_size * hidden_size * 2 + hidden_size * kv * 2 + hidden_size + 2 * kv;
  const int64_t mlp = 3 * hidden_size * intermediate_size;
  const int64_t layer = attn + mlp + 2 * hidden_size;
  const int64_t embed = vocab_size * hidden_size;
  return embed * (tie_word_embeddings ? 1 : 2) + num_hidden_layers * layer + hidden_size;
}

Status ModelConfig::validate() const {
  auto bad = [](std::string why) -> Status { return make_error(ErrorKind::invalid_input, "config.json: " + why); };
  if (vocab_size <= 0 || hidden_size <= 0 || intermediate_size <= 0 || num_hidden_layers <= 0 ||
      num_attention_heads <= 0 || num_key_value_heads <= 0)
    return bad("vocab_size, hidden_size, intermediate_size, num_hidden_layers, num_attention_heads and "
               "num_key_value_heads must all be positive");
  if (hidden_size % num_attention_heads != 0)
    return bad(fmt::format("hidden_size {} is not a multiple of num_attention_heads {}", hidden_size,
                           num_attention_heads));
  if (num_attention_heads % num_key_value_heads != 0)
    return bad(fmt::format("num_attention_heads {} is not a multiple of num_key_value_heads {}",
                           num_attention_heads, num_key_value_heads));
  if (head_dim() % 2 != 0) return bad(fmt::format("head_dim {} must be even for rotary embeddings", head_dim()));
  if (rope_theta <= 0 || rms_norm_eps <= 0) return bad("rope_theta and rms_norm_eps must be positive");
  if (max_position_embeddings <= 0) return bad("max_position_embeddings must be positive");
  return ok_status();
}

namespace {

// Keys this struct owns; everything else goes to `extra`.
const char* const kOwnedKeys[] = {
    "vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
    "num_key_value_heads", "max_position_embeddings", "rope_theta", "rope_parameters", "rope_scaling",
    "rms_norm_eps", "tie_word_embeddings", "torch_dtype", "dtype", "bos_token_id", "eos_token_id",
    "pad_token_id", "architectures", "model_type", "hidden_act", "use_sliding_window", "head_dim",
    "sliding_window", "max_window_layers", "layer_types"};

template <class T>
Expected<T> get_opt(const json& j, const char* key, T fallback) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return fallback;
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return make_error(ErrorKind::parse, fmt::format("config.json: '{}' has the wrong type ({})", key, it->dump()));
  }
}

}  // namespace

Expected<ModelConfig> ModelConfig::from_json(const json& j) {
  if (!j.is_object()) return make_error(ErrorKind::parse, "config.json: not a JSON object");
  auto unsupported = [](std::string why) -> Expected<ModelConfig> {
    return make_error(ErrorKind::invalid_input, "config.json: unsupported: " + why);
  };
  if (auto mt = get_opt<std::string>(j, "model_type", "qwen2"); !mt) return mt.error();
  else if (*mt != "qwen2") return unsupported(fmt::format("model_type '{}' (only qwen2)", *mt));
  if (auto act = get_opt<std::string>(j, "hidden_act", "silu"); !act) return act.error();
  else if (*act != "silu") return unsupported(fmt::format("hidden_act '{}' (only silu)", *act));
  if (auto sw = get_opt<bool>(j, "use_sliding_window", false); !sw) return sw.error();
  else if (*sw) return unsupported("use_sliding_window true");
  if (auto it = j.find("layer_types"); it != j.end() && it->is_array())  // transformers 5
    for (const auto& t : *it)
      if (t != "full_attention") return unsupported("layer_types entry " + t.dump() + " (only full_attention)");
  if (j.contains("rope_scaling") && !j["rope_scaling"].is_null())
    return unsupported("rope_scaling " + j["rope_scaling"].dump());

  ModelConfig c;
  struct IntKey { const char* key; int64_t* field; bool required; };
  const IntKey ints[] = {{"vocab_size", &c.vocab_size, true},
                         {"hidden_size", &c.hidden_size, true},
                         {"intermediate_size", &c.intermediate_size, true},
                         {"num_hidden_layers", &c.num_hidden_layers, true},
                         {"num_attention_heads", &c.num_attention_heads, true},
                         {"num_key_value_heads", &c.num_key_value_heads, false},
                         {"max_position_embeddings", &c.max_position_embeddings, false},
                         {"bos_token_id", &c.bos_token_id, false},
                         {"pad_token_id", &c.pad_token_id, false}};
  for (const auto& k : ints) {
    if (k.required && !j.contains(k.key))
      return make_error(ErrorKind::parse, fmt::format("config.json: missing '{}'", k.key));
    auto v = get_opt<int64_t>(j, k.key, *k.field);
    if (!v) return v.error();
    *k.field = *v;
  }
  if (!j.contains("num_key_value_heads")) c.num_key_value_heads = c.num_attention_heads;

  // rope_theta: 4.x top level, 5.x rope_parameters.rope_theta.
  auto theta = get_opt<double>(j, "rope_theta", c.rope_theta);
  if (!theta) return theta.error();
  c.rope_theta = *theta;
  if (auto it = j.find("rope_parameters"); it != j.end() && it->is_object()) {
    auto type = get_opt<std::string>(*it, "rope_type", "default");
    if (!type) return type.error();
    if (*type != "default") return unsupported(fmt::format("rope_type '{}'", *type));
    auto t = get_opt<double>(*it, "rope_theta", c.rope_theta);
    if (!t) return t.error();
    c.rope_theta = *t;
  }
  auto eps = get_opt<double>(j, "rms_norm_eps", c.rms_norm_eps);
  if (!eps) return eps.error();
  c.rms_norm_eps = *eps;
  auto tied = get_opt<bool>(j, "tie_word_embeddings", false);
  if (!tied) return tied.error();
  c.tie_word_embeddings = *tied;

  std::string dtype = "float32";
  for (const char* key : {"torch_dtype", "dtype"}) {
    auto d = get_opt<std::string>(j, key, "");
    if (!d) return d.error();
    if (!d->empty()) dtype = *d;
  }
  auto wd = parse_weight_dtype(dtype);
  if (!wd) return make_error(ErrorKind::invalid_input, "config.json: " + wd.error().message);
  c.torch_dtype = *wd;

  if (auto it = j.find("eos_token_id"); it != j.end() && !it->is_null()) {
    if (it->is_number_integer()) c.eos_token_ids = {it->get<int64_t>()};
    else if (it->is_array() && std::all_of(it->begin(), it->end(), [](const json& e) { return e.is_number_integer(); }))
      c.eos_token_ids = it->get<std::vector<int64_t>>();
    else return make_error(ErrorKind::parse, "config.json: 'eos_token_id' must be an integer or a list of them");
  }
  if (auto hd = get_opt<int64_t>(j, "head_dim", 0); !hd) return hd.error();
  else if (*hd != 0 && c.num_attention_heads > 0 && *hd * c.num_attention_heads != c.hidden_size)
    return unsupported(fmt::format("head_dim {} != hidden_size / num_attention_heads", *hd));

  for (auto it = j.begin(); it != j.end(); ++it) {
    bool owned = false;
    for (const char* k : kOwnedKeys) owned = owned || it.key() == k;
    if (!owned) c.extra[it.key()] = it.value();
  }
  if (auto st = c.validate(); !st) return st.error();
  return c;
}

Expected<ModelConfig> ModelConfig::load(const std::filesystem::path& config_json) {
  auto text = read_file(config_json);
  if (!text) return text.error();
  json j = json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return make_error(ErrorKind::parse, config_json.string() + ": not valid JSON");
  auto c = from_json(j);
  if (!c) return make_error(c.error().kind, config_json.string() + ": " + c.error().message);
  return c;
}

json ModelConfig::to_json() const {
  json j = extra;
  j["architectures"] = {"Qwen2ForCausalLM"};
  j["model_type"] = "qwen2";
  j["hidden_act"] = "silu";
  j["vocab_size"] = vocab_size;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["num_key_value_heads"] = num_key_value_heads;
  j["max_position_embeddings"] = max_position_embeddings;
  j["rope_theta"] = rope_theta;
  j["rms_norm_eps"] = rms_norm_eps;
  j["tie_word_embeddings"] = tie_word_embeddings;
  j["torch_dtype"] = weight_dtype_name(torch_dtype);
  j["use_sliding_window"] = false;
  j["sliding_window"] = nullptr;
  j["max_window_layers"] = num_hidden_layers;
  if (!j.contains("attention_dropout")) j["attention_dropout"] = 0.0;
  if (!j.contains("use_cache")) j["use_cache"] = true;
  j["bos_token_id"] = bos_token_id >= 0 ? json(bos_token_id) : json(nullptr);
  j["pad_token_id"] = pad_token_id >= 0 ? json(pad_token_id) : json(nullptr);
  if (eos_token_ids.size() == 1) j["eos_token_id"] = eos_token_ids[0];
  else if (eos_token_ids.empty()) j["eos_token_id"] = nullptr;
  else j["eos_token_id"] = eos_token_ids;
  return j;
}

Status ModelConfig::save(const std::filesystem::path& config_json) const {
  return write_file_atomically(config_json, to_json().dump(2) + "\n");
}

}  // namespace cr1::model
