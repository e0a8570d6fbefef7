#include "model/bpe_trainer_corpus.h"

#include <fstream>

#include <nlohmann/json.hpp>

#include "util/python_json.h"

namespace cr1::model {
namespace {

using ojson = nlohmann::ordered_json;

std::string content_text(const ojson& m) {
  auto it = m.find("content");
  if (it == m.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  std::string out;  // OpenAI's list of parts: keep the text parts
  if (it->is_array())
    for (const auto& part : *it)
      if (part.is_object() && part.contains("text") && part["text"].is_string()) out += part["text"].get<std::string>();
  return out;
}

constexpr std::string_view kDefaultSystem = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";

}  // namespace

Expected<CorpusFormat> parse_corpus_format(std::string_view name) {
  if (name == "auto") return CorpusFormat::automatic;
  if (name == "jsonl") return CorpusFormat::jsonl;
  if (name == "text") return CorpusFormat::text;
  return make_error(ErrorKind::invalid_input, "unknown corpus format '" + std::string(name) + "' (auto, jsonl, text)");
}

Expected<std::string> render_training_conversation(const ojson& record) {
  const ojson& messages = record.at("messages");
  if (!messages.is_array()) return make_error(ErrorKind::parse, "'messages' is not a list");
  for (const auto& m : messages)
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      return make_error(ErrorKind::parse, "a message without a string 'role'");
  std::string out;
  bool has_system = !messages.empty() && messages[0]["role"] == "system";
  std::string system = has_system ? content_text(messages[0]) : std::string(kDefaultSystem);
  auto tools = record.find("tools");
  if (tools != record.end() && tools->is_array() && !tools->empty()) {
    out += "<|im_start|>system\n" + system +
           "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\n"
           "You are provided with function signatures within <tools></tools> XML tags:\n<tools>";
    for (const auto& t : *tools) {
      out += '\n';
      append_python_json(t, out);
    }
    out += "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
           "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
           "<args-json-object>}\n</tool_call><|im_end|>\n";
  } else {
    out += "<|im_start|>system\n" + system + "<|im_end|>\n";
  }
  for (size_t i = has_system ? 1 : 0; i < messages.size(); ++i) {
    const ojson& m = messages[i];
    std::string role = m["role"];
    if (role == "tool") {
      if (i == 0 || messages[i - 1]["role"] != "tool") out += "<|im_start|>user";
      out += "\n<tool_response>\n" + content_text(m) + "\n</tool_response>";
      if (i + 1 == messages.size() || messages[i + 1]["role"] != "tool") out += "<|im_end|>\n";
      continue;
    }
    auto calls = m.find("tool_calls");
    if (role == "assistant" && calls != m.end() && calls->is_array() && !calls->empty()) {
      out += "<|im_start|>assistant";
      if (std::string c = content_text(m); !c.empty()) out += "\n" + c;
      for (const auto& call : *calls) {
        const ojson& fn = call.contains("function") ? call["function"] : call;
        out += "\n<tool_call>\n{\"name\": \"" + fn.value("name", std::string()) + "\", \"arguments\": ";
        append_python_json(fn.value("arguments", ojson::object()), out);
        out += "}\n</tool_call>";
      }
      out += "<|im_end|>\n";
      continue;
    }
    out += "<|im_start|>" + role + "\n" + content_text(m) + "<|im_end|>\n";
  }
  return out;
}

Status read_training_texts(const std::filesystem::path& file, CorpusFormat format,
                           const std::function<Status(std::string_view)>& sink) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return make_error(ErrorKind::not_found, file.string() + ": no such file");
  std::ifstream in(file, std::ios::binary);
  if (!in) return make_error(ErrorKind::io, file.string() + ": cannot read");
  if (format == CorpusFormat::automatic) {
    auto ext = file.extension().string();
    format = ext == ".jsonl" || ext == ".json" ? CorpusFormat::jsonl : CorpusFormat::text;
  }
  if (format == CorpusFormat::jsonl) {
    std::string line;
    size_t line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
      auto where = [&] { return file.string() + ":" + std::to_string(line_no) + ": "; };
      ojson record = ojson::parse(line, nullptr, false);
      if (record.is_discarded() || !record.is_object())
        return make_error(ErrorKind::parse, where() + "not a JSON object");
      std::string text;
      if (record.contains("messages")) {
        auto r = render_training_conversation(record);
        if (!r) return make_error(ErrorKind::parse, where() + r.error().message);
        text = std::move(*r);
      } else if (record.contains("text") && record["text"].is_string()) {
        text = record["text"].get<std::string>();
      } else {
        return make_error(ErrorKind::parse, where() + "a record needs 'messages' or 'text'");
      }
      if (auto st = sink(text); !st) return st;
    }
    return ok_status();
  }
  // Plain text, in pieces that end after a line break followed by a non-space, so that no run of
  // white space (which the split regex keeps together) is cut in two.
  constexpr size_t kPiece = 1 << 20;
  std::string buf, carry;
  std::vector<char> chunk(kPiece);
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    buf = carry;
    buf.append(chunk.data(), static_cast<size_t>(in.gcount()));
    carry.clear();
    size_t cut = buf.size();
    if (in) {
      cut = std::string::npos;
      for (size_t i = buf.size(); i-- > 1;)
        if ((buf[i - 1] == '\n') && buf[i] != '\n' && buf[i] != '\r' && buf[i] != ' ' && buf[i] != '\t') {
          cut = i;
          break;
        }
      if (cut == std::string::npos) {  // no line break at all: cut before the last character
        cut = buf.size();
        while (cut > 0 && (static_cast<unsigned char>(buf[cut - 1]) & 0xC0) == 0x80) --cut;
        if (cut > 0 && static_cast<unsigned char>(buf[cut - 1]) >= 0xC0) --cut;
      }
      carry = buf.substr(cut);
    }
    if (cut > 0)
      if (auto st = sink(std::string_view(buf).substr(0, cut)); !st) return st;
  }
  if (!carry.empty())
    if (auto st = sink(carry); !st) return st;
  return ok_status();
}

}  // namespace cr1::model
