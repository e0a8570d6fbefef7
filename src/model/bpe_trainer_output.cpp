#include "model/bpe_trainer_output.h"

#include <nlohmann/json.hpp>

#include "model/tokenizer_chat_template.h"
#include "util/atomic_file.h"

namespace cr1::model {
namespace {

using ojson = nlohmann::ordered_json;

ojson byte_level_stage() {
  return {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
}

ojson vocab_object(const BpeVocabulary& v) {
  ojson vocab = ojson::object();
  for (size_t id = 0; id < v.tokens.size(); ++id) vocab[v.tokens[id]] = id;
  return vocab;
}

std::string merge_text(const BpeVocabulary& v, const std::pair<int32_t, int32_t>& m) {
  return v.tokens[m.first] + " " + v.tokens[m.second];
}

ojson added_token_json(const AddedToken& t, bool with_id) {
  ojson j;
  if (with_id) j["id"] = t.id;
  j["content"] = t.content;
  j["single_word"] = t.single_word;
  j["lstrip"] = t.lstrip;
  j["rstrip"] = t.rstrip;
  j["normalized"] = t.normalized;
  j["special"] = t.special;
  return j;
}

const AddedToken* find_added(const BpeVocabulary& v, std::string_view content) {
  for (const auto& t : v.added_tokens)
    if (t.content == content) return &t;
  return nullptr;
}

}  // namespace

std::string tokenizer_json(const BpeVocabulary& v) {
  ojson j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  ojson added = ojson::array();
  for (const auto& t : v.added_tokens) added.push_back(added_token_json(t, true));
  j["added_tokens"] = added;
  j["normalizer"] = v.normal_form == NormalForm::none ? ojson() : ojson{{"type", normal_form_name(v.normal_form)}};
  j["pre_tokenizer"] = {{"type", "Sequence"},
                        {"pretokenizers", ojson::array({{{"type", "Split"},
                                                         {"pattern", {{"Regex", v.split_pattern}}},
                                                         {"behavior", "Isolated"},
                                                         {"invert", false}},
                                                        byte_level_stage()})}};
  j["post_processor"] = byte_level_stage();
  j["decoder"] = byte_level_stage();
  ojson model;
  model["type"] = "BPE";
  model["dropout"] = nullptr;
  model["unk_token"] = nullptr;
  model["continuing_subword_prefix"] = "";
  model["end_of_word_suffix"] = "";
  model["fuse_unk"] = false;
  model["byte_fallback"] = false;
  model["vocab"] = vocab_object(v);
  ojson merges = ojson::array();
  for (const auto& m : v.merges) merges.push_back(merge_text(v, m));
  model["merges"] = merges;
  j["model"] = model;
  return j.dump(2) + "\n";
}

std::string tokenizer_config_json(const BpeVocabulary& v) {
  ojson j;
  j["add_bos_token"] = false;
  j["add_prefix_space"] = false;
  ojson decoder = ojson::object();
  for (const auto& t : v.added_tokens) decoder[std::to_string(t.id)] = added_token_json(t, false);
  j["added_tokens_decoder"] = decoder;
  ojson extra = ojson::array();
  for (const auto& t : v.added_tokens)
    if (t.special && t.content != "<|endoftext|>") extra.push_back(t.content);
  j["additional_special_tokens"] = extra;
  j["bos_token"] = nullptr;
  j["chat_template"] = std::string(qwen25_chatml_template());
  j["clean_up_tokenization_spaces"] = false;
  const AddedToken* eos = find_added(v, "<|im_end|>");
  const AddedToken* pad = find_added(v, "<|endoftext|>");
  j["eos_token"] = eos ? ojson(eos->content) : ojson();
  j["errors"] = "replace";
  j["model_max_length"] = 32768;
  j["pad_token"] = pad ? ojson(pad->content) : ojson();
  j["split_special_tokens"] = false;
  j["tokenizer_class"] = "Qwen2Tokenizer";
  j["unk_token"] = nullptr;
  return j.dump(2) + "\n";
}

Status save_tokenizer(const BpeVocabulary& v, const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::io, dir.string() + ": cannot create directory: " + ec.message());
  std::string merges_txt = "#version: 0.2\n";
  for (const auto& m : v.merges) merges_txt += merge_text(v, m) + "\n";
  const std::pair<const char*, std::string> files[] = {
      {"tokenizer.json", tokenizer_json(v)},
      {"tokenizer_config.json", tokenizer_config_json(v)},
      {"vocab.json", vocab_object(v).dump() + "\n"},
      {"merges.txt", merges_txt},
  };
  for (const auto& [name, data] : files)
    if (auto st = write_file_atomically(dir / name, data); !st) return st;
  return ok_status();
}

}  // namespace cr1::model
