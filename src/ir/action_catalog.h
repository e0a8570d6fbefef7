// The action space: CompilerGym's 124 LLVM-10 flags as new-PM pipeline text for
// the linked LLVM, and the parser that turns user input (legacy flags, bare
// new-PM names, or full pipeline text) into a canonical pass sequence.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace cr1::ir {

struct Action {
  std::string_view flag;      // legacy flag without dashes, e.g. "instcombine"
  std::string_view pipeline;  // module-level new-PM text, e.g. "function(instcombine<no-verify-fixpoint>)"
};

struct RemovedFlag {
  std::string_view flag;
  std::string_view replacement;  // pipeline text; empty means "drop it"
  std::string_view why;
};

// The 117 flags that exist in the linked LLVM, in CompilerGym order (the index
// is the action id).
std::span<const Action> actions();
// The 7 LLVM-10 flags with no LLVM 19 pass, with what to use instead.
std::span<const RemovedFlag> removed_flags();

// Looks up "--gvn", "-gvn" or "gvn". Null when unknown.
const Action* find_action(std::string_view flag);
const RemovedFlag* find_removed(std::string_view flag);
// Index of `action` in actions().
int action_index(const Action& action);

// One element of a sequence: module-level pipeline text, plus the legacy flag
// it came from when it is a catalogue action (for printing sequences as flags).
struct SequenceElement {
  std::string pipeline;
  std::string flag;  // empty when not a catalogue action
  bool operator==(const SequenceElement&) const = default;
};

struct PassSequence {
  std::vector<SequenceElement> elements;
  bool empty() const { return elements.empty(); }
  size_t size() const { return elements.size(); }
  // Text for `opt -passes=` and the cache key: the elements joined by ','.
  std::string pipeline() const;
  // "--sroa --gvn ..."; elements that are not catalogue actions print as pipeline text.
  std::string flags() const;
  // ["--sroa", "--gvn", ...] for JSON.
  std::vector<std::string> flag_list() const;
};

// Parses a sequence given as one string ("--sroa --gvn", "sroa,gvn",
// "function(sroa),globaldce", "-Oz") or as a list of such items.
// Removed flags are an error that names the replacement.
Expected<PassSequence> parse_sequence(std::string_view text);
Expected<PassSequence> parse_sequence(std::span<const std::string> items);

// Checks every catalogue entry (and every replacement) against the linked
// PassBuilder; returns one line per entry that does not parse.
std::vector<std::string> validate_catalog();

}  // namespace cr1::ir
