#include "search/registry.h"

#include <functional>

#include <fmt/format.h>

#include "search/rio.h"

namespace cr1::search {
namespace {

struct Entry {
  const char* name;
  const char* description;
  std::function<std::unique_ptr<Tuner>()> make;
};

// Registered methods. Add new tuners here.
const std::vector<Entry>& entries() {
  static const std::vector<Entry> table = {
      {"rio", "random iterative optimization: random sequences of length 10-30",
       [] { return std::make_unique<RandomSearch>(); }},
  };
  return table;
}

}  // namespace

std::vector<TunerInfo> tuner_names() {
  std::vector<TunerInfo> out;
  for (const auto& e : entries()) out.push_back({e.name, e.description});
  return out;
}

Expected<std::unique_ptr<Tuner>> make_tuner(std::string_view name) {
  for (const auto& e : entries())
    if (name == e.name) return e.make();
  std::string known;
  for (const auto& e : entries()) known += (known.empty() ? "" : ", ") + std::string(e.name);
  return make_error(ErrorKind::invalid_input, fmt::format("unknown method '{}' (known: {})", name, known));
}

}  // namespace cr1::search
