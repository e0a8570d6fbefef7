#include "agent/batch_runner.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <thread>
#include <unordered_set>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "util/progress.h"

namespace cr1::agent {
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

// Calls f(json) for every readable line; counts the unreadable ones.
template <class F>
size_t for_each_line(const fs::path& path, F f) {
  std::ifstream in(path);
  std::string line;
  size_t torn = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      ++torn;
      continue;
    }
    f(j);
  }
  return torn;
}

class AppendFile {
 public:
  static Expected<AppendFile> open(const fs::path& path) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) return make_error(ErrorKind::io, fmt::format("{}: cannot open for appending", path.string()));
    return AppendFile(fd, path);
  }
  AppendFile(AppendFile&& o) noexcept : fd_(o.fd_), path_(std::move(o.path_)) { o.fd_ = -1; }
  ~AppendFile() {
    if (fd_ >= 0) ::close(fd_);
  }
  Status append_line(const std::string& line) {
    std::string s = line + "\n";
    ssize_t w = ::write(fd_, s.data(), s.size());
    if (w != static_cast<ssize_t>(s.size())) return make_error(ErrorKind::io, fmt::format("{}: short write", path_.string()));
    return ok_status();
  }

 private:
  AppendFile(int fd, fs::path p) : fd_(fd), path_(std::move(p)) {}
  int fd_;
  fs::path path_;
};

// A killed run may leave a last line without its newline; end it so the next record starts clean.
Status end_torn_line(const fs::path& path) {
  std::error_code ec;
  auto size = fs::file_size(path, ec);
  if (ec || size == 0) return ok_status();
  std::ifstream in(path, std::ios::binary);
  in.seekg(static_cast<std::streamoff>(size - 1));
  char c = 0;
  in.get(c);
  if (c == '\n') return ok_status();
  std::ofstream out(path, std::ios::app | std::ios::binary);
  out << '\n';
  return out ? ok_status() : make_error(ErrorKind::io, fmt::format("{}: cannot append", path.string()));
}

}  // namespace

Status append_jsonl_line(const fs::path& path, const std::string& line) {
  if (auto st = end_torn_line(path); !st) return st;
  auto f = AppendFile::open(path);
  if (!f) return f.take_error();
  return f->append_line(line);
}

std::vector<std::string> recorded_programs(const fs::path& jsonl) {
  std::vector<std::string> out;
  for_each_line(jsonl, [&](const nlohmann::json& j) {
    if (j.contains("program") && j["program"].is_string()) out.push_back(j["program"].get<std::string>());
  });
  return out;
}

Expected<BatchSummary> run_episodes(std::span<const EpisodeJob> jobs, Policy& policy, const ToolSet& tools,
                                    const BatchOptions& o, const fs::path& out_jsonl) {
  auto t0 = Clock::now();
  BatchSummary s;
  s.planned = jobs.size();
  auto done_list = recorded_programs(out_jsonl);
  std::unordered_set<std::string> done(done_list.begin(), done_list.end());
  std::vector<const EpisodeJob*> todo;
  for (const auto& j : jobs) {
    if (done.contains(j.program.uri)) ++s.skipped;
    else todo.push_back(&j);
  }
  if (auto st = end_torn_line(out_jsonl); !st) return st.take_error();
  auto out = AppendFile::open(out_jsonl);
  if (!out) return out.take_error();

  std::mutex mu;
  std::atomic<size_t> next{0};
  std::atomic<bool> stop{false};
  std::optional<Error> write_error;
  ProgressBar bar(o.progress_label, todo.size(), o.progress);
  size_t finished = 0;

  auto worker = [&] {
    for (;;) {
      if (stop) return;
      size_t i = next++;
      if (i >= todo.size()) return;
      const EpisodeJob& job = *todo[i];
      std::optional<std::string> failure;
      std::string line;
      EpisodeRecord rec;
      auto prog = job.load ? job.load() : Expected<ir::Program>(make_error(ErrorKind::internal, "no loader"));
      if (!prog) {
        failure = prog.error().message;
      } else {
        auto session = env::Session::create(std::move(*prog), o.verifier);
        if (!session) {
          failure = session.error().message;
        } else {
          rec = run_episode(job.program, policy, tools, **session, o.episode);
          line = record_line(rec);
        }
      }
      std::lock_guard lock(mu);
      if (failure) {
        spdlog::warn("{}: skipped: {}", job.program.uri, *failure);
        s.errors.emplace_back(job.program.uri, *failure);
      } else if (!write_error) {
        if (auto st = out->append_line(line); !st) {
          write_error = st.error();
          stop = true;
        } else {
          ++s.done;
          if (o.on_record && !o.on_record(rec)) stop = true;
        }
      }
      bar.update(++finished);
    }
  };
  size_t n = std::max<size_t>(1, std::min(o.parallel, todo.size()));
  std::vector<std::thread> threads;
  for (size_t k = 0; k < n; ++k) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  bar.finish();
  if (write_error) return *write_error;
  s.wall_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return s;
}

Expected<nlohmann::json> summarize_episodes(const fs::path& jsonl) {
  std::error_code ec;
  if (!fs::exists(jsonl, ec)) return make_error(ErrorKind::not_found, fmt::format("{}: no such file", jsonl.string()));
  size_t n = 0, exact = 0, answered = 0, turns = 0, calls = 0;
  double over = 0, reward = 0, secs = 0, tool_secs = 0;
  std::map<std::string, size_t> paths, ends;
  std::map<std::string, double> path_over;
  size_t torn = for_each_line(jsonl, [&](const nlohmann::json& j) {
    ++n;
    std::string path = j.value("path", "?");
    ++paths[path];
    ++ends[j.value("end_reason", "?")];
    double o = j.value("over_oz", 0.0);
    over += o;
    path_over[path] += o;
    if (j.contains("reward")) reward += j["reward"].value("total", 0.0);
    if (j.contains("format") && j["format"].value("exact", false)) ++exact;
    if (j.value("answered", false)) ++answered;
    if (j.contains("turns")) turns += j["turns"].size();
    if (j.contains("tool_calls")) calls += j["tool_calls"].size();
    if (j.contains("seconds")) {
      secs += j["seconds"].value("total", 0.0);
      tool_secs += j["seconds"].value("tools", 0.0);
    }
  });
  auto mean = [&](double v) { return n ? v / static_cast<double>(n) : 0.0; };
  nlohmann::json shares = nlohmann::json::object(), counts = nlohmann::json::object(), by_path = nlohmann::json::object();
  for (const auto& [p, c] : paths) {
    counts[p] = c;
    shares[p] = mean(static_cast<double>(c));
    by_path[p] = 100.0 * path_over[p] / static_cast<double>(c);
  }
  return nlohmann::json{{"episodes", n},
                        {"unreadable_lines", torn},
                        {"paths", counts},
                        {"path_shares", shares},
                        {"mean_over_oz_percent_by_path", by_path},
                        {"end_reasons", ends},
                        {"mean_over_oz_percent", 100.0 * mean(over)},
                        {"mean_reward", mean(reward)},
                        {"exact_format_share", mean(static_cast<double>(exact))},
                        {"answered_share", mean(static_cast<double>(answered))},
                        {"mean_turns", mean(static_cast<double>(turns))},
                        {"mean_tool_calls", mean(static_cast<double>(calls))},
                        {"mean_episode_seconds", mean(secs)},
                        {"mean_tool_seconds", mean(tool_secs)}};
}

}  // namespace cr1::agent
