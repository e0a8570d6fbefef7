#include "search/synergy/mining_run.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "data/manifest.h"
#include "ir/pipeline_runner.h"
#include "ir/program_loader.h"

namespace cr1::search::synergy {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_program_file(const fs::path& p) { return ir::is_source_file(p) || ir::is_ir_file(p); }

// Appends whole lines with one write each. A line torn by a kill is cut off
// first, so the next line starts clean.
class JsonlAppender {
 public:
  static Expected<JsonlAppender> open(const fs::path& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return make_error(ErrorKind::io, fmt::format("{}: {}", path.string(), std::strerror(errno)));
    off_t size = ::lseek(fd, 0, SEEK_END);
    if (size > 0) {
      // Truncate back to the last newline.
      off_t keep = size;
      char c = 0;
      while (keep > 0 && ::pread(fd, &c, 1, keep - 1) == 1 && c != '\n') --keep;
      if (keep != size && ::ftruncate(fd, keep) != 0) {
        ::close(fd);
        return make_error(ErrorKind::io, fmt::format("{}: cannot cut a torn line: {}", path.string(), std::strerror(errno)));
      }
    }
    return JsonlAppender(fd, path);
  }
  JsonlAppender(JsonlAppender&& o) noexcept : fd_(std::exchange(o.fd_, -1)), path_(std::move(o.path_)) {}
  ~JsonlAppender() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status append(const json& record) {
    std::string line = record.dump() + "\n";
    ssize_t n = ::write(fd_, line.data(), line.size());
    if (n != static_cast<ssize_t>(line.size()))
      return make_error(ErrorKind::io, fmt::format("{}: write failed: {}", path_.string(), std::strerror(errno)));
    return ok_status();
  }

 private:
  JsonlAppender(int fd, fs::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  fs::path path_;
};

// uri -> the record of the log (the last one wins).
std::unordered_map<std::string, json> read_log(const fs::path& path) {
  std::unordered_map<std::string, json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("uri")) continue;
    if (!j["uri"].is_string()) continue;
    std::string uri = j["uri"].get<std::string>();  // before j is moved from
    out[uri] = std::move(j);
  }
  return out;
}

json to_record(const MiningProgram& p, const std::string& hash, const ProgramSynergy& s) {
  json pairs = json::array();
  for (const auto& [a, b] : s.pairs) pairs.push_back({a, b});
  return {{"uri", p.uri},         {"module_hash", hash},          {"base_count", s.base_count},
          {"effective", s.effective}, {"pairs", pairs},           {"evaluations", s.evaluations},
          {"failures", s.failures},   {"seconds", s.seconds}};
}

}  // namespace

fs::path default_log_path(const fs::path& out) { return fs::path(out.string() + ".log.jsonl"); }

Expected<std::vector<MiningProgram>> collect_mining_programs(const std::vector<fs::path>& corpora,
                                                             std::optional<data::Split> split, size_t limit,
                                                             uint64_t seed) {
  std::vector<MiningProgram> out;
  std::set<std::string> seen;
  for (const auto& c : corpora) {
    std::error_code ec;
    if (!fs::exists(c, ec)) return make_error(ErrorKind::not_found, fmt::format("{}: no such corpus", c.string()));
    fs::path dir = fs::is_directory(c) ? c : c.parent_path();
    bool manifest = fs::is_directory(c) ? fs::exists(c / "manifest.jsonl") : c.filename() == "manifest.jsonl";
    size_t before = out.size();
    if (manifest) {
      auto m = data::Manifest::read(dir);
      if (!m) return m.take_error();
      for (const auto& r : m->records()) {
        if (r.status != data::RecordStatus::ok || (split && r.split != *split)) continue;
        if (seen.insert(r.uri).second) out.push_back({r.uri, dir / r.path});
      }
    } else if (fs::is_directory(c)) {
      for (const auto& e : fs::recursive_directory_iterator(c, ec)) {
        if (!e.is_regular_file() || !is_program_file(e.path())) continue;
        std::string uri = fmt::format("dir://{}/{}", c.filename().string(), fs::relative(e.path(), c).string());
        if (seen.insert(uri).second) out.push_back({uri, e.path()});
      }
    } else {
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: not a corpus folder, manifest.jsonl or program folder", c.string()));
    }
    if (out.size() == before)
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: no programs{}", c.string(),
                                    manifest && split ? fmt::format(" in split '{}'", data::split_name(*split)) : ""));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.uri < b.uri; });
  if (limit && limit < out.size()) {
    // A seeded shuffle: a larger limit with the same seed extends the sample.
    std::mt19937_64 rng(seed);
    std::shuffle(out.begin(), out.end(), rng);
    out.resize(limit);
  }
  return out;
}

Expected<MiningSummary> mine_corpus(const std::vector<MiningProgram>& programs, const MiningOptions& options) {
  auto t0 = std::chrono::steady_clock::now();
  fs::path log_path = options.log.empty() ? default_log_path(options.out) : options.log;
  MiningSummary sum;
  sum.programs = programs.size();

  auto log = JsonlAppender::open(log_path);
  if (!log) return log.take_error();
  auto done = read_log(log_path);

  size_t index = 0;
  for (const auto& p : programs) {
    ++index;
    if (done.count(p.uri)) {
      ++sum.resumed;
    } else {
      json record;
      fs::path inputs[] = {p.path};
      auto program = ir::load_program(inputs);
      if (!program) {
        record = {{"uri", p.uri}, {"error", program.error().message}};
      } else {
        // A fresh in-memory cache per program unless one is given: pairs
        // never repeat across programs, and a shared one would only grow.
        env::SessionOptions so = options.session;
        auto session = env::Session::create(std::move(*program), so);
        if (!session) {
          record = {{"uri", p.uri}, {"error", session.error().message}};
        } else {
          auto s = mine_program(**session);
          record = to_record(p, (*session)->module_hash(), s);
          sum.evaluations += s.evaluations;
        }
      }
      if (record.contains("error")) spdlog::warn("synergy: {}: {}", p.uri, record["error"].get<std::string>());
      if (auto st = log->append(record); !st) return st.take_error();
      ++sum.mined;
      done[p.uri] = std::move(record);
    }
    if (options.on_program && !options.on_program(index, programs.size(), p.uri)) {
      sum.stopped = true;
      break;
    }
  }

  if (!sum.stopped) {
    size_t effective_programs = 0;
    for (const auto& p : programs) {
      const json& r = done.at(p.uri);
      if (r.contains("error")) {
        ++sum.failed;
        continue;
      }
      if (!r.value("effective", json::array()).empty()) ++effective_programs;
      for (const auto& pair : r.value("pairs", json::array()))
        sum.graph.add(pair.at(0).get<std::string>(), pair.at(1).get<std::string>());
    }
    sum.graph.notes = options.notes;
    sum.graph.notes.push_back(fmt::format("LLVM {}; {} programs mined ({} failed, {} with an effective pass)",
                                          ir::llvm_version(), programs.size() - sum.failed, sum.failed,
                                          effective_programs));
    if (auto st = sum.graph.save(options.out); !st) return st.take_error();
  }
  sum.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return sum;
}

}  // namespace cr1::search::synergy
