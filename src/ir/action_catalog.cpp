#include "ir/action_catalog.h"

#include <array>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "ir/pipeline_runner.h"

namespace cr1::ir {
namespace {

constexpr Action kActions[] = {
#define ACTION(flag, text) Action{flag, text},
#define REMOVED(flag, repl, why)
#include "ir/action_catalog.def"
#undef ACTION
#undef REMOVED
};

constexpr RemovedFlag kRemoved[] = {
#define ACTION(flag, text)
#define REMOVED(flag, repl, why) RemovedFlag{flag, repl, why},
#include "ir/action_catalog.def"
#undef ACTION
#undef REMOVED
};

std::string_view strip_dashes(std::string_view s) {
  while (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return s;
}

// The innermost pass name of a catalogue pipeline, without parameters:
// "function(loop-mssa(licm))" -> "licm", "function(early-cse<memssa>)" -> "early-cse".
std::string_view innermost_name(std::string_view text) {
  size_t open = text.rfind('(');
  if (open != std::string_view::npos) text = text.substr(open + 1);
  size_t end = text.find_first_of("<)");
  return text.substr(0, end);
}

// Wraps `pass` the way the catalogue nests `like`, e.g. like = function(loop-mssa(licm)),
// pass = licm<no-allowspeculation> -> function(loop-mssa(licm<no-allowspeculation>)).
std::string nest_like(std::string_view like, std::string_view pass) {
  size_t open = like.rfind('(');
  if (open == std::string_view::npos) return std::string(pass);
  size_t depth = 0;
  for (char c : like.substr(0, open + 1))
    if (c == '(') ++depth;
  return std::string(like.substr(0, open + 1)) + std::string(pass) + std::string(depth, ')');
}

struct Indexes {
  std::unordered_map<std::string_view, const Action*> by_flag;
  std::unordered_map<std::string_view, const Action*> by_pass_name;
  std::unordered_map<std::string_view, const RemovedFlag*> removed;
  Indexes() {
    for (const auto& a : kActions) {
      by_flag.emplace(a.flag, &a);
      by_pass_name.emplace(innermost_name(a.pipeline), &a);
    }
    for (const auto& r : kRemoved) removed.emplace(r.flag, &r);
  }
};

const Indexes& indexes() {
  static const Indexes idx;
  return idx;
}

// Splits at whitespace and at commas that are not inside () or <>.
std::vector<std::string> split_top_level(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  int depth = 0;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (char c : text) {
    if (c == '(' || c == '<') ++depth;
    if (c == ')' || c == '>') --depth;
    if (depth <= 0 && (c == ',' || c == ' ' || c == '\t' || c == '\n' || c == '\r')) {
      flush();
      continue;
    }
    cur += c;
  }
  flush();
  return out;
}

std::optional<std::string> opt_level_pipeline(std::string_view token) {
  static constexpr std::array<std::string_view, 6> levels = {"O0", "O1", "O2", "O3", "Os", "Oz"};
  for (auto l : levels)
    if (token == l) return fmt::format("default<{}>", l);
  return std::nullopt;
}

Expected<SequenceElement> parse_element(std::string_view raw) {
  bool dashed = !raw.empty() && raw.front() == '-';
  std::string_view token = strip_dashes(raw);
  if (token.empty()) return make_error(ErrorKind::invalid_pass, fmt::format("empty pass name '{}'", raw));
  if (auto level = opt_level_pipeline(token)) return SequenceElement{*level, std::string("-") + std::string(token)};

  const auto& idx = indexes();
  if (auto it = idx.by_flag.find(token); it != idx.by_flag.end())
    return SequenceElement{std::string(it->second->pipeline), "--" + std::string(token)};
  if (auto it = idx.removed.find(token); it != idx.removed.end()) {
    const RemovedFlag& r = *it->second;
    return make_error(ErrorKind::invalid_pass,
                      r.replacement.empty()
                          ? fmt::format("pass '{}' does not exist in LLVM {} ({}); leave it out", raw, llvm_version(), r.why)
                          : fmt::format("pass '{}' does not exist in LLVM {} ({}); use '{}'", raw, llvm_version(), r.why,
                                        r.replacement));
  }
  if (dashed)
    return make_error(ErrorKind::invalid_pass,
                      fmt::format("unknown pass flag '{}' (see `compiler-r1 passes` for the catalogue)", raw));

  // Bare new-PM text. A pass the catalogue knows, perhaps with parameters,
  // takes the catalogue's nesting; any other pass is nested by the level
  // PassBuilder registers it at. Every element is written fully nested, as
  // implicit nesting depends on what comes first in a pipeline.
  std::string_view name = token.substr(0, token.find_first_of("<("));
  std::string text;
  if (token.find('(') == std::string_view::npos) {
    if (auto it = idx.by_pass_name.find(name); it != idx.by_pass_name.end()) {
      // A bare catalogue name means the catalogue's (safe) form.
      if (name == token) return SequenceElement{std::string(it->second->pipeline), "--" + std::string(it->second->flag)};
      text = nest_like(it->second->pipeline, token);
    } else {
      switch (pass_level(name)) {
        case PassLevel::module: text = std::string(token); break;
        case PassLevel::cgscc: text = fmt::format("cgscc({})", token); break;
        case PassLevel::function: text = fmt::format("function({})", token); break;
        // loop-mssa: some loop passes need MemorySSA and abort without it.
        case PassLevel::loop: text = fmt::format("function(loop-mssa({}))", token); break;
        case PassLevel::unknown:
          return make_error(ErrorKind::invalid_pass, fmt::format("unknown pass '{}' (not a catalogue flag and not a "
                                                                 "pass of LLVM {})", raw, llvm_version()));
      }
    }
  } else if (name == "loop" || name == "loop-mssa") {
    text = fmt::format("function({})", token);
  } else {
    text = std::string(token);
  }
  if (auto st = check_pipeline(text); !st)
    return make_error(ErrorKind::invalid_pass, fmt::format("invalid pass '{}': {}", raw, st.error().message));
  return SequenceElement{text, ""};
}

}  // namespace

std::span<const Action> actions() { return kActions; }
std::span<const RemovedFlag> removed_flags() { return kRemoved; }

const Action* find_action(std::string_view flag) {
  const auto& idx = indexes();
  auto it = idx.by_flag.find(strip_dashes(flag));
  return it == idx.by_flag.end() ? nullptr : it->second;
}

const RemovedFlag* find_removed(std::string_view flag) {
  const auto& idx = indexes();
  auto it = idx.removed.find(strip_dashes(flag));
  return it == idx.removed.end() ? nullptr : it->second;
}

int action_index(const Action& action) { return static_cast<int>(&action - kActions); }

std::string PassSequence::pipeline() const {
  std::string out;
  for (const auto& e : elements) {
    if (!out.empty()) out += ',';
    out += e.pipeline;
  }
  return out;
}

std::vector<std::string> PassSequence::flag_list() const {
  std::vector<std::string> out;
  for (const auto& e : elements) out.push_back(e.flag.empty() ? e.pipeline : e.flag);
  return out;
}

std::string PassSequence::flags() const {
  std::string out;
  for (const auto& f : flag_list()) {
    if (!out.empty()) out += ' ';
    out += f;
  }
  return out;
}

Expected<PassSequence> parse_sequence(std::span<const std::string> items) {
  PassSequence seq;
  for (const auto& item : items) {
    for (const auto& token : split_top_level(item)) {
      auto el = parse_element(token);
      if (!el) return el.take_error();
      seq.elements.push_back(std::move(*el));
    }
  }
  return seq;
}

Expected<PassSequence> parse_sequence(std::string_view text) {
  std::string item(text);
  return parse_sequence(std::span<const std::string>(&item, 1));
}

std::vector<std::string> validate_catalog() {
  std::vector<std::string> failures;
  for (const auto& a : kActions)
    if (auto st = check_pipeline(a.pipeline); !st)
      failures.push_back(fmt::format("--{} -> '{}': {}", a.flag, a.pipeline, st.error().message));
  for (const auto& r : kRemoved)
    if (!r.replacement.empty())
      if (auto st = check_pipeline(r.replacement); !st)
        failures.push_back(fmt::format("replacement of --{} -> '{}': {}", r.flag, r.replacement, st.error().message));
  return failures;
}

}  // namespace cr1::ir
