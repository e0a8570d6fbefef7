// Tuners by name, for the CLI and the evaluation harness.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "search/tuner.h"

namespace cr1::search {

struct TunerInfo {
  std::string name;         // "rio", "ga", ...
  std::string description;  // one line
};

// Every registered method, in a stable order.
std::vector<TunerInfo> tuner_names();

// A tuner by name; an invalid_input error lists the known names.
Expected<std::unique_ptr<Tuner>> make_tuner(std::string_view name);

}  // namespace cr1::search
