#include "search/synergy/synergy_graph.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <set>

#include <fmt/format.h>

#include "util/atomic_file.h"

#include <llvm/Config/llvm-config.h>

// The shipped data folder (set by the build; see src/CMakeLists.txt).
#ifndef CR1_DATA_DIR
#define CR1_DATA_DIR "data"
#endif

namespace cr1::search::synergy {

namespace {
constexpr std::string_view kHeader = "first\tsecond\tprograms";

std::string_view strip_dashes(std::string_view s) {
  while (!s.empty() && s.front() == '-') s.remove_prefix(1);
  return s;
}
}  // namespace

std::filesystem::path default_graph_path() {
  if (const char* env = std::getenv("CR1_SYNERGY_GRAPH"); env && *env) return env;
  std::filesystem::path dir = CR1_DATA_DIR;
  if (const char* env = std::getenv("CR1_DATA_DIR"); env && *env) dir = env;
  return dir / fmt::format("synergy-llvm{}.tsv", LLVM_VERSION_MAJOR);
}

void SynergyGraph::add(std::string_view first, std::string_view second, uint64_t programs) {
  weights_[{std::string(strip_dashes(first)), std::string(strip_dashes(second))}] += programs;
}

uint64_t SynergyGraph::weight(std::string_view first, std::string_view second) const {
  auto it = weights_.find({std::string(strip_dashes(first)), std::string(strip_dashes(second))});
  return it == weights_.end() ? 0 : it->second;
}

std::vector<SynergyPair> SynergyGraph::pairs() const {
  std::vector<SynergyPair> out;
  out.reserve(weights_.size());
  for (const auto& [k, w] : weights_) out.push_back({k.first, k.second, w});
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.programs > b.programs; });
  return out;
}

std::vector<std::string> SynergyGraph::passes() const {
  std::set<std::string> s;
  for (const auto& [k, w] : weights_) {
    s.insert(k.first);
    s.insert(k.second);
  }
  return {s.begin(), s.end()};
}

std::string SynergyGraph::to_tsv() const {
  std::string out = "# compiler-r1 synergy graph: (first, second) means running `first` before `second` removes more\n"
                    "# instructions than `second` alone; programs = training programs that show it.\n";
  for (const auto& n : notes) out += fmt::format("# {}\n", n);
  out += kHeader;
  out += '\n';
  for (const auto& p : pairs()) out += fmt::format("{}\t{}\t{}\n", p.first, p.second, p.programs);
  return out;
}

Status SynergyGraph::save(const std::filesystem::path& path) const { return write_file_atomically(path, to_tsv()); }

Expected<SynergyGraph> SynergyGraph::parse(std::string_view text, std::string_view name) {
  SynergyGraph g;
  size_t line_no = 0;
  bool header_seen = false;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (line.front() == '#') {
      std::string_view note = line.substr(1);
      if (!note.empty() && note.front() == ' ') note.remove_prefix(1);
      // The two fixed description lines are written again by to_tsv().
      if (line_no > 2) g.notes.emplace_back(note);
      continue;
    }
    if (!header_seen && line == kHeader) {
      header_seen = true;
      continue;
    }
    std::string_view f[3];
    size_t n = 0;
    while (n < 3) {
      size_t tab = line.find('\t');
      f[n++] = line.substr(0, tab);
      if (tab == std::string_view::npos) {
        line = {};
        break;
      }
      line = line.substr(tab + 1);
    }
    uint64_t w = 0;
    if (n != 3 || !line.empty() || f[0].empty() || f[1].empty())
      return make_error(ErrorKind::parse, fmt::format("{}:{}: expected 'first<TAB>second<TAB>programs'", name, line_no));
    auto [ptr, ec] = std::from_chars(f[2].data(), f[2].data() + f[2].size(), w);
    if (ec != std::errc() || ptr != f[2].data() + f[2].size() || w == 0)
      return make_error(ErrorKind::parse,
                        fmt::format("{}:{}: programs must be a positive integer, got '{}'", name, line_no, f[2]));
    g.add(f[0], f[1], w);
  }
  return g;
}

Expected<SynergyGraph> SynergyGraph::load(const std::filesystem::path& path) {
  auto text = read_file(path);
  if (!text) {
    auto e = text.take_error();
    e.message = fmt::format("synergy graph: {} (mine one with `compiler-r1 synergy mine`)", e.message);
    return e;
  }
  return parse(*text, path.string());
}

}  // namespace cr1::search::synergy
