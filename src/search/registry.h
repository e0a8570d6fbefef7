// Tuners by name, for the CLI and the evaluation harness. Each technique's
// .cpp registers itself with a static TunerRegistration, so adding a tuner is
// adding one file (cr1_search is an object library: every object is linked).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "search/tuner.h"

namespace cr1::search {

struct TunerInfo {
  std::string name;         // "rio", "ga", ...
  std::string description;  // one line
  int order = 100;          // position in listings
};

using TunerFactory = std::function<std::unique_ptr<Tuner>()>;

struct TunerRegistration {
  TunerRegistration(TunerInfo info, TunerFactory make);
};

// Every registered method, by `order` then name.
std::vector<TunerInfo> tuner_names();

// A tuner by name; an invalid_input error lists the known names.
Expected<std::unique_ptr<Tuner>> make_tuner(std::string_view name);

// A method as the harness and the CLI name it: "ga" searches the paper's
// action space (cgym), "ga@extended" the extended one.
struct MethodSpec {
  std::string tuner;
  const ActionSpace* space;
};
Expected<MethodSpec> parse_method(std::string_view text);

}  // namespace cr1::search
