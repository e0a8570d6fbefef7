// A small well-formedness check for the SVG the reports write: every tag is
// closed in order, attributes are quoted, and the document is one <svg>
// element. Not a full XML parser, but it fails on the mistakes hand-written
// SVG makes (unclosed tags, stray '<' or '&').
#pragma once

#include <string>
#include <vector>

namespace cr1::test {

// Empty when well formed, else what is wrong.
inline std::string xml_problem(const std::string& doc) {
  std::vector<std::string> open;
  size_t i = 0, elements = 0;
  while (i < doc.size() && std::isspace(static_cast<unsigned char>(doc[i]))) ++i;
  if (doc.compare(i, 4, "<svg") != 0) return "does not start with <svg";
  for (; i < doc.size(); ++i) {
    char c = doc[i];
    if (c == '&') {
      size_t semi = doc.find(';', i);
      std::string ent = semi == std::string::npos ? "" : doc.substr(i, semi - i + 1);
      if (ent != "&amp;" && ent != "&lt;" && ent != "&gt;" && ent != "&quot;" && ent != "&apos;") return "bad entity at " + std::to_string(i);
      continue;
    }
    if (c == '>') return "stray '>' at " + std::to_string(i);
    if (c != '<') continue;
    if (open.empty() && elements > 0) return "content after the root element";
    size_t end = i + 1;
    char quote = 0;
    for (; end < doc.size(); ++end) {
      if (quote) {
        if (doc[end] == quote) quote = 0;
        else if (doc[end] == '<') return "'<' inside an attribute at " + std::to_string(end);
      } else if (doc[end] == '"' || doc[end] == '\'') {
        quote = doc[end];
      } else if (doc[end] == '<') {
        return "'<' inside a tag at " + std::to_string(end);
      } else if (doc[end] == '>') {
        break;
      }
    }
    if (end >= doc.size()) return "unterminated tag at " + std::to_string(i);
    std::string tag = doc.substr(i + 1, end - i - 1);
    if (tag.empty()) return "empty tag";
    if (tag[0] == '/') {
      std::string name = tag.substr(1);
      if (open.empty() || open.back() != name) return "closing </" + name + "> does not match";
      open.pop_back();
    } else {
      ++elements;
      std::string name = tag.substr(0, tag.find_first_of(" \t\n/"));
      if (tag.back() != '/') open.push_back(name);
    }
    i = end;
  }
  if (!open.empty()) return "unclosed <" + open.back() + ">";
  return "";
}

}  // namespace cr1::test
