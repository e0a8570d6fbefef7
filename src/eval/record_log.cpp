#include "eval/record_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cr1::eval {
namespace fs = std::filesystem;

Expected<RecordLog> RecordLog::open(const fs::path& run_dir) {
  std::error_code ec;
  fs::create_directories(run_dir, ec);
  if (ec || !fs::is_directory(run_dir, ec))
    return make_error(ErrorKind::io, fmt::format("{}: cannot create run folder: {}", run_dir.string(),
                                                 ec ? ec.message() : "not a folder"));
  RecordLog log;
  log.path_ = records_path(run_dir);
  std::ifstream in(log.path_, std::ios::binary);
  if (!in && fs::exists(log.path_, ec))
    return make_error(ErrorKind::io, fmt::format("{}: cannot read", log.path_.string()));
  std::stringstream buf;
  buf << in.rdbuf();
  std::string text = buf.str();
  log.needs_newline_ = !text.empty() && text.back() != '\n';
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    RunRecord r;
    try {
      r = nlohmann::json::parse(line).get<RunRecord>();
    } catch (const std::exception&) {
      ++log.torn_lines_;  // a run killed mid-write; that run is redone
      continue;
    }
    log.keys_.insert(r.key());
    log.records_.push_back(std::move(r));
  }
  return log;
}

Expected<RecordLog> RecordLog::read(const fs::path& run_dir) {
  std::error_code ec;
  if (!fs::is_directory(run_dir, ec))
    return make_error(ErrorKind::not_found, fmt::format("{}: no such run folder", run_dir.string()));
  if (!fs::exists(records_path(run_dir), ec))
    return make_error(ErrorKind::not_found,
                      fmt::format("{}: not an eval run (no records.jsonl); make one with `compiler-r1 eval --out {}`",
                                  run_dir.string(), run_dir.string()));
  return open(run_dir);
}

Status RecordLog::append(const RunRecord& record) {
  std::string line = (needs_newline_ ? "\n" : "") + nlohmann::json(record).dump() + "\n";
  // O_APPEND + one write: a killed writer leaves at most one torn line.
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorKind::io, fmt::format("{}: {}", path_.string(), std::strerror(errno)));
  ssize_t w = ::write(fd, line.data(), line.size());
  int err = errno;
  ::close(fd);
  if (w != static_cast<ssize_t>(line.size()))
    return make_error(ErrorKind::io, fmt::format("{}: short write: {}", path_.string(), w < 0 ? std::strerror(err) : "disk full?"));
  needs_newline_ = false;
  keys_.insert(record.key());
  records_.push_back(record);
  return ok_status();
}

}  // namespace cr1::eval
