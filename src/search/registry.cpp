#include "search/registry.h"

#include <algorithm>

#include <fmt/format.h>

namespace cr1::search {
namespace {

struct Entry {
  TunerInfo info;
  TunerFactory make;
};

// A function-local static: registrations run during static initialisation of
// other files, in no fixed order.
std::vector<Entry>& entries() {
  static std::vector<Entry> table;
  return table;
}

}  // namespace

TunerRegistration::TunerRegistration(TunerInfo info, TunerFactory make) {
  entries().push_back({std::move(info), std::move(make)});
}

std::vector<TunerInfo> tuner_names() {
  std::vector<TunerInfo> out;
  for (const auto& e : entries()) out.push_back(e.info);
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return std::tie(a.order, a.name) < std::tie(b.order, b.name); });
  return out;
}

Expected<std::unique_ptr<Tuner>> make_tuner(std::string_view name) {
  for (const auto& e : entries())
    if (name == e.info.name) {
      // A factory that needs data (the coreset file) throws when it is missing or bad.
      try {
        return e.make();
      } catch (const std::exception& ex) {
        return make_error(ErrorKind::invalid_input, fmt::format("method '{}': {}", name, ex.what()));
      }
    }
  std::string known;
  for (const auto& i : tuner_names()) known += (known.empty() ? "" : ", ") + i.name;
  return make_error(ErrorKind::invalid_input, fmt::format("unknown method '{}' (known: {})", name, known));
}

Expected<MethodSpec> parse_method(std::string_view text) {
  auto at = text.find('@');
  std::string tuner(text.substr(0, at));
  auto probe = make_tuner(tuner);
  if (!probe) return probe.take_error();
  auto space = ActionSpace::by_name(at == std::string_view::npos ? "cgym" : text.substr(at + 1));
  if (!space) return space.take_error();
  return MethodSpec{tuner, *space};
}

}  // namespace cr1::search
