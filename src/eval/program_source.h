// The programs of an evaluation: each --suite is a corpus (a folder with
// manifest.jsonl, or the manifest itself; its ok records, optionally of one
// split) or a plain folder of .c/.cc/.cpp/.ll/.bc files (each file one
// program, suite = the folder's name, uris as `dataset build` gives them).
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "data/program_record.h"
#include "ir/program_loader.h"
#include "util/expected.h"

namespace cr1::eval {

struct EvalProgram {
  std::string uri;
  std::string suite;
  // Loads the module (compiling a source when needed).
  std::function<Expected<ir::Program>()> load;
};

// Programs of all `suites` in order, without duplicate uris. Errors name the
// path: a missing one, a suite with no programs (in the split), or a split
// asked of a plain folder.
Expected<std::vector<EvalProgram>> collect_programs(const std::vector<std::filesystem::path>& suites,
                                                    std::optional<data::Split> split = std::nullopt,
                                                    ir::Recipe recipe = ir::Recipe::Oz);

// At most `per_suite` programs of each suite, spread evenly over its list (deterministic, so a rerun
// resumes the same sample); the order of `programs` is kept.
std::vector<EvalProgram> sample_per_suite(std::vector<EvalProgram> programs, size_t per_suite);

}  // namespace cr1::eval
