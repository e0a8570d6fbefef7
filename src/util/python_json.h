// JSON text as Python's json.dumps(value, ensure_ascii=False) writes it: ", " and ": " separators, keys
// in the object's order. That is what a chat template's `tojson` filter produces in transformers, so the
// agent's ChatML and the tokenizer trainer's corpus must print JSON this way to match HF byte for byte.
// Header-only over any nlohmann::basic_json (json or ordered_json).
#pragma once

#include <string>

namespace cr1 {

template <class Json>
void append_python_json(const Json& v, std::string& out) {
  if (v.is_object()) {
    out += '{';
    bool first = true;
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!first) out += ", ";
      first = false;
      out += Json(it.key()).dump(-1, ' ', false, Json::error_handler_t::replace);
      out += ": ";
      append_python_json(it.value(), out);
    }
    out += '}';
  } else if (v.is_array()) {
    out += '[';
    bool first = true;
    for (const auto& e : v) {
      if (!first) out += ", ";
      first = false;
      append_python_json(e, out);
    }
    out += ']';
  } else {
    // Scalars: nlohmann escapes strings as Python does with ensure_ascii=False; invalid UTF-8 (e.g. from
    // a model) is replaced rather than thrown on.
    out += v.dump(-1, ' ', false, Json::error_handler_t::replace);
  }
}

template <class Json>
std::string python_json_text(const Json& v) {
  std::string out;
  append_python_json(v, out);
  return out;
}

}  // namespace cr1
