#include "cli/command_registry.h"

#include <algorithm>

namespace cr1::cli {
namespace {

struct Entry {
  int order;
  std::function<void(CLI::App&)> add;
};

std::vector<Entry>& entries() {
  static std::vector<Entry> table;
  return table;
}

}  // namespace

CommandRegistration::CommandRegistration(int order, std::function<void(CLI::App&)> add) {
  entries().push_back({order, std::move(add)});
}

void add_registered_commands(CLI::App& app) {
  auto sorted = entries();
  std::stable_sort(sorted.begin(), sorted.end(), [](auto& a, auto& b) { return a.order < b.order; });
  for (auto& e : sorted) e.add(app);
}

}  // namespace cr1::cli
