#include "model/tokenizer.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "model/tokenizer_bpe.h"
#include "model/tokenizer_byte_level.h"
#include "model/tokenizer_split_regex.h"
#include "model/unicode_utf8.h"
#include "util/atomic_file.h"

namespace cr1::model {
namespace {

using nlohmann::json;

// GPT-2's split, which HF's ByteLevel pre-tokenizer applies when use_regex is true.
constexpr std::string_view kGpt2SplitPattern =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

struct LoadError {
  std::string origin;
  Error operator()(const std::string& what) const { return make_error(ErrorKind::parse, origin + ": " + what); }
};

std::string type_of(const json& j) { return j.is_object() && j.contains("type") && j["type"].is_string() ? j["type"].get<std::string>() : ""; }

bool flag(const json& j, const char* key, bool fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

bool null_or_empty_string(const json& j, const char* key) {
  auto it = j.find(key);
  return it == j.end() || it->is_null() || (it->is_string() && it->get<std::string>().empty());
}

}  // namespace

struct Tokenizer::Impl {
  NormalForm normal_form = NormalForm::none;
  std::vector<SplitRegex> splits;  // applied in order, each to the pieces of the one before
  bool add_prefix_space = false;
  BpeModel bpe;
  std::vector<AddedToken> added;
  AddedTokenMatcher raw_matcher;         // added tokens with normalized == false
  AddedTokenMatcher normalized_matcher;  // the others, matched after normalization
  // Decoding: the bytes of each id, concatenated; flags per id.
  std::string id_bytes;
  std::vector<uint32_t> id_offsets;  // id -> [offsets[id], offsets[id + 1])
  enum : uint8_t { kPresent = 1, kSpecial = 2, kAdded = 4 };
  std::vector<uint8_t> id_flags;
  std::unordered_map<std::string, int32_t> added_ids;

  explicit Impl(BpeModel m) : bpe(std::move(m)) {}

  void encode_words(std::string_view text, BpeAlgorithm algorithm, std::vector<int32_t>& out) const;
  void encode_normalized(std::string_view text, const EncodeOptions& o, BpeAlgorithm a, std::vector<int32_t>& out) const;
};

Tokenizer::Tokenizer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Expected<Tokenizer> Tokenizer::load(const std::filesystem::path& path) {
  std::error_code ec;
  auto file = std::filesystem::is_directory(path, ec) ? path / "tokenizer.json" : path;
  auto text = read_file(file);
  if (!text) return text.take_error();
  return from_json(*text, file.string());
}

Expected<Tokenizer> Tokenizer::from_json(std::string_view json_text, const std::string& origin) {
  LoadError fail{origin};
  json root = json::parse(json_text.begin(), json_text.end(), nullptr, false);
  if (root.is_discarded() || !root.is_object()) return fail("not a JSON object");

  // normalizer
  NormalForm form = NormalForm::none;
  {
    const json& n = root.value("normalizer", json());
    std::vector<json> parts;
    if (type_of(n) == "Sequence") {
      for (const auto& p : n.value("normalizers", json::array())) parts.push_back(p);
    } else if (!n.is_null()) {
      parts.push_back(n);
    }
    for (const auto& p : parts) {
      auto f = parse_normal_form(type_of(p));
      if (!f) return fail("normalizer: " + f.error().message);
      if (form != NormalForm::none && form != *f) return fail("normalizer: more than one normal form");
      form = *f;
    }
  }

  // pre_tokenizer
  std::vector<SplitRegex> splits;
  bool add_prefix_space = false;
  {
    const json& p = root.value("pre_tokenizer", json());
    std::vector<json> parts;
    if (type_of(p) == "Sequence") {
      for (const auto& q : p.value("pretokenizers", json::array())) parts.push_back(q);
    } else if (!p.is_null()) {
      parts.push_back(p);
    }
    bool byte_level = false;
    for (size_t i = 0; i < parts.size(); ++i) {
      const json& q = parts[i];
      std::string t = type_of(q);
      if (byte_level) return fail("pre_tokenizer: '" + t + "' after ByteLevel is not supported");
      if (t == "Split") {
        if (q.value("behavior", "") != "Isolated")
          return fail("pre_tokenizer: Split behavior '" + q.value("behavior", "") + "' is not supported (only Isolated)");
        if (flag(q, "invert", false)) return fail("pre_tokenizer: inverted Split is not supported");
        const json& pat = q.value("pattern", json());
        bool literal = pat.contains("String");
        const json& s = literal ? pat["String"] : pat.value("Regex", json());
        if (!s.is_string()) return fail("pre_tokenizer: Split has no Regex or String pattern");
        auto re = SplitRegex::compile(s.get<std::string>(), literal);
        if (!re) return fail("pre_tokenizer: " + re.error().message);
        splits.push_back(std::move(*re));
      } else if (t == "ByteLevel") {
        byte_level = true;
        add_prefix_space = flag(q, "add_prefix_space", false);
        if (add_prefix_space && parts.size() > 1)
          return fail("pre_tokenizer: ByteLevel add_prefix_space inside a Sequence is not supported");
        if (flag(q, "use_regex", true)) {
          auto re = SplitRegex::compile(kGpt2SplitPattern);
          if (!re) return fail("pre_tokenizer: " + re.error().message);
          splits.push_back(std::move(*re));
        }
      } else {
        return fail("pre_tokenizer: type '" + t + "' is not supported");
      }
    }
    if (!byte_level) return fail("pre_tokenizer: no ByteLevel stage; only byte-level BPE is supported");
  }

  for (const char* key : {"decoder", "post_processor"}) {
    const json& d = root.value(key, json());
    if (!d.is_null() && type_of(d) != "ByteLevel")
      return fail(std::string(key) + ": type '" + type_of(d) + "' is not supported (only ByteLevel)");
  }

  // model
  const json& m = root.value("model", json());
  if (!m.is_object()) return fail("no model");
  if (m.contains("type") && type_of(m) != "BPE") return fail("model: type '" + type_of(m) + "' is not supported (only BPE)");
  if (m.contains("dropout") && !m["dropout"].is_null() && !(m["dropout"].is_number() && m["dropout"].get<double>() == 0.0))
    return fail("model: BPE dropout is not supported");
  if (!null_or_empty_string(m, "continuing_subword_prefix") || !null_or_empty_string(m, "end_of_word_suffix"))
    return fail("model: continuing_subword_prefix/end_of_word_suffix are not supported");
  if (flag(m, "byte_fallback", false)) return fail("model: byte_fallback is not supported");
  const json& v = m.value("vocab", json());
  if (!v.is_object()) return fail("model: vocab is not an object");
  std::vector<std::pair<std::string, int32_t>> vocab;
  vocab.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (!it.value().is_number_integer()) return fail("model: vocab entry '" + it.key() + "' has no integer id");
    vocab.emplace_back(it.key(), it.value().get<int32_t>());
  }
  std::vector<std::pair<std::string, std::string>> merges;
  const json& mj = m.value("merges", json::array());
  if (!mj.is_array()) return fail("model: merges is not a list");
  merges.reserve(mj.size());
  for (size_t i = 0; i < mj.size(); ++i) {
    const json& e = mj[i];
    if (e.is_string()) {  // "a b": byte-level tokens never hold a space, so the first one splits
      const auto& s = e.get_ref<const std::string&>();
      auto sp = s.find(' ');
      if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
        return fail("model: merge " + std::to_string(i) + " '" + s + "' is not two tokens separated by a space");
      merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
    } else if (e.is_array() && e.size() == 2 && e[0].is_string() && e[1].is_string()) {
      merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
    } else {
      return fail("model: merge " + std::to_string(i) + " is neither \"a b\" nor [\"a\", \"b\"]");
    }
  }
  BpeOptions bo;
  if (m.contains("unk_token") && m["unk_token"].is_string()) bo.unk_token = m["unk_token"].get<std::string>();
  bo.fuse_unk = flag(m, "fuse_unk", false);
  bo.ignore_merges = flag(m, "ignore_merges", false);
  auto bpe = BpeModel::create(vocab, merges, bo);
  if (!bpe) return fail("model: " + bpe.error().message);

  auto impl = std::make_unique<Impl>(std::move(*bpe));
  impl->normal_form = form;
  impl->splits = std::move(splits);
  impl->add_prefix_space = add_prefix_space;

  // added_tokens
  std::vector<AddedToken> raw, normalized;
  std::vector<std::string> raw_patterns, normalized_patterns;
  for (const auto& a : root.value("added_tokens", json::array())) {
    AddedToken t;
    if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer() || !a.contains("content") ||
        !a["content"].is_string())
      return fail("added_tokens: an entry without integer id and string content");
    t.id = a["id"].get<int32_t>();
    t.content = a["content"].get<std::string>();
    if (t.id < 0) return fail("added_tokens: '" + t.content + "' has a negative id");
    if (t.content.empty() || !is_valid_utf8(t.content)) return fail("added_tokens: empty or invalid content for id " + std::to_string(t.id));
    t.special = flag(a, "special", false);
    t.single_word = flag(a, "single_word", false);
    t.lstrip = flag(a, "lstrip", false);
    t.rstrip = flag(a, "rstrip", false);
    t.normalized = flag(a, "normalized", !t.special);  // HF's default for a token given without the flag
    impl->added_ids[t.content] = t.id;
    impl->added.push_back(t);
    if (t.normalized) {
      normalized_patterns.push_back(normalize(t.content, form));
      normalized.push_back(std::move(t));
    } else {
      raw_patterns.push_back(t.content);
      raw.push_back(std::move(t));
    }
  }
  impl->raw_matcher = AddedTokenMatcher(std::move(raw), std::move(raw_patterns));
  impl->normalized_matcher = AddedTokenMatcher(std::move(normalized), std::move(normalized_patterns));

  // Decoding table: model tokens through the byte-level alphabet (a token with other characters stands
  // for its own UTF-8, as in HF's ByteLevel decoder), added tokens as their content.
  int32_t end = impl->bpe.id_end();
  for (const auto& t : impl->added) end = std::max(end, t.id + 1);
  std::vector<std::string> bytes(static_cast<size_t>(end));
  impl->id_flags.assign(static_cast<size_t>(end), 0);
  for (int32_t id = 0; id < impl->bpe.id_end(); ++id) {
    const std::string* tok = impl->bpe.token(id);
    if (!tok) continue;
    auto raw_bytes = from_byte_level(*tok);
    bytes[id] = raw_bytes ? std::move(*raw_bytes) : *tok;
    impl->id_flags[id] = Impl::kPresent;
  }
  for (const auto& t : impl->added) {
    bytes[t.id] = t.content;
    impl->id_flags[t.id] = Impl::kPresent | Impl::kAdded | (t.special ? Impl::kSpecial : 0);
  }
  impl->id_offsets.reserve(bytes.size() + 1);
  for (const auto& b : bytes) {
    impl->id_offsets.push_back(static_cast<uint32_t>(impl->id_bytes.size()));
    impl->id_bytes += b;
  }
  impl->id_offsets.push_back(static_cast<uint32_t>(impl->id_bytes.size()));
  return Tokenizer(std::move(impl));
}

void Tokenizer::Impl::encode_words(std::string_view text, BpeAlgorithm algorithm, std::vector<int32_t>& out) const {
  auto encode_word = [&](std::string_view w) {
    switch (algorithm) {
      case BpeAlgorithm::cached: bpe.encode_word(w, out); break;
      case BpeAlgorithm::uncached: bpe.encode_word_uncached(w, out); break;
      case BpeAlgorithm::heap: bpe.encode_word_heap(w, out); break;
      case BpeAlgorithm::naive: bpe.encode_word_naive(w, out); break;
    }
  };
  if (splits.empty()) {
    encode_word(text);
    return;
  }
  thread_local std::vector<std::pair<size_t, size_t>> pieces, next;
  pieces.clear();
  pieces.emplace_back(0, text.size());
  for (const auto& re : splits) {
    next.clear();
    for (auto [b, e] : pieces) {
      size_t first = next.size();
      // The text is valid UTF-8, so a failure is a PCRE2 resource limit: keep the piece whole.
      if (!re.split(text.substr(b, e - b), next)) {
        next.resize(first);
        next.emplace_back(0, e - b);
      }
      for (size_t i = first; i < next.size(); ++i) next[i] = {next[i].first + b, next[i].second + b};
    }
    std::swap(pieces, next);
  }
  for (auto [b, e] : pieces) encode_word(text.substr(b, e - b));
}

void Tokenizer::Impl::encode_normalized(std::string_view text, const EncodeOptions& o, BpeAlgorithm a,
                                        std::vector<int32_t>& out) const {
  std::string storage;
  std::string_view norm = text;
  if (needs_normalization(text, normal_form) || (add_prefix_space && (text.empty() || text[0] != ' '))) {
    storage = normalize(text, normal_form);
    if (add_prefix_space && (storage.empty() || storage[0] != ' ')) storage.insert(storage.begin(), ' ');
    norm = storage;
  }
  if (normalized_matcher.empty()) {
    encode_words(norm, a, out);
    return;
  }
  std::vector<TextSegment> segs;
  normalized_matcher.split(norm, o.split_special_tokens, segs);
  for (const auto& s : segs) {
    if (s.id >= 0)
      out.push_back(s.id);
    else
      encode_words(norm.substr(s.begin, s.end - s.begin), a, out);
  }
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options) const {
  return encode(text, options, BpeAlgorithm::cached);
}

std::vector<int32_t> Tokenizer::encode(std::string_view text, const EncodeOptions& options, BpeAlgorithm algorithm) const {
  std::string repaired;
  if (!is_valid_utf8(text)) {
    repaired = utf8_lossy(text);
    text = repaired;
  }
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 8);
  std::vector<TextSegment> segs;
  impl_->raw_matcher.split(text, options.split_special_tokens, segs);
  for (const auto& s : segs) {
    if (s.id >= 0)
      out.push_back(s.id);
    else
      impl_->encode_normalized(text.substr(s.begin, s.end - s.begin), options, algorithm, out);
  }
  return out;
}

std::string_view Tokenizer::token_bytes(int32_t id) const {
  if (id < 0 || static_cast<size_t>(id) >= impl_->id_flags.size()) return {};
  return std::string_view(impl_->id_bytes).substr(impl_->id_offsets[id], impl_->id_offsets[id + 1] - impl_->id_offsets[id]);
}

std::string Tokenizer::decode(std::span<const int32_t> ids, bool skip_special_tokens) const {
  std::string bytes;
  bytes.reserve(ids.size() * 4);
  for (int32_t id : ids) {
    if (skip_special_tokens && is_special(id)) continue;
    bytes += token_bytes(id);
  }
  if (is_valid_utf8(bytes)) return bytes;
  return utf8_lossy(bytes);
}

std::optional<std::string> Tokenizer::id_to_token(int32_t id) const {
  if (is_added(id)) return std::string(token_bytes(id));
  if (const std::string* t = impl_->bpe.token(id)) return *t;
  return std::nullopt;
}

std::optional<int32_t> Tokenizer::token_to_id(std::string_view token) const {
  if (auto it = impl_->added_ids.find(std::string(token)); it != impl_->added_ids.end()) return it->second;
  return impl_->bpe.id(token);
}

bool Tokenizer::is_special(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->id_flags.size() && (impl_->id_flags[id] & Impl::kSpecial);
}
bool Tokenizer::is_added(int32_t id) const {
  return id >= 0 && static_cast<size_t>(id) < impl_->id_flags.size() && (impl_->id_flags[id] & Impl::kAdded);
}

int32_t Tokenizer::vocab_size() const { return static_cast<int32_t>(impl_->id_flags.size()); }
size_t Tokenizer::merge_count() const { return impl_->bpe.merge_count(); }
const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added; }
NormalForm Tokenizer::normal_form() const { return impl_->normal_form; }
std::vector<std::string> Tokenizer::split_patterns() const {
  std::vector<std::string> out;
  for (const auto& s : impl_->splits) out.push_back(s.pattern());
  return out;
}
void Tokenizer::clear_cache() const { impl_->bpe.clear_cache(); }

}  // namespace cr1::model
