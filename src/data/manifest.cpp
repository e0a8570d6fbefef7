#include "data/manifest.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace cr1::data {
namespace fs = std::filesystem;

Expected<Manifest> Manifest::open(const fs::path& corpus_dir) {
  std::error_code ec;
  fs::create_directories(corpus_dir / "programs", ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: cannot create corpus folder: {}", corpus_dir.string(), ec.message()));
  Manifest m;
  m.dir_ = corpus_dir;
  std::ifstream in(m.manifest_path());
  size_t line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.empty()) continue;
    ProgramRecord r;
    try {
      r = nlohmann::json::parse(line).get<ProgramRecord>();
    } catch (const std::exception&) {
      // A build killed mid-write leaves a torn line; the program is retried.
      ++m.torn_lines_;
      continue;
    }
    m.uris_.insert(r.uri);
    if (r.status == RecordStatus::ok) m.ok_hashes_.emplace(r.ir_hash, r.uri);
    m.records_.push_back(std::move(r));
  }
  return m;
}

Expected<Manifest> Manifest::read(const fs::path& corpus_dir) {
  std::error_code ec;
  if (!fs::exists(corpus_dir / "manifest.jsonl", ec))
    return make_error(ErrorKind::not_found, fmt::format("{}: not a corpus (no manifest.jsonl)", corpus_dir.string()));
  return open(corpus_dir);
}

std::optional<std::string> Manifest::uri_of_hash(const std::string& ir_hash) const {
  auto it = ok_hashes_.find(ir_hash);
  if (it == ok_hashes_.end()) return std::nullopt;
  return it->second;
}

size_t Manifest::count(RecordStatus status) const {
  size_t n = 0;
  for (const auto& r : records_) n += r.status == status;
  return n;
}

Status Manifest::append(ProgramRecord record) {
  if (record.status == RecordStatus::ok) {
    if (auto first = uri_of_hash(record.ir_hash)) {
      record.status = RecordStatus::duplicate;
      record.reason = "same IR as " + *first;
      std::error_code ec;
      if (!record.path.empty()) fs::remove(dir_ / record.path, ec);
      record.path.clear();
    }
  }
  std::string line = nlohmann::json(record).dump() + "\n";
  // O_APPEND + one write: concurrent or killed writers never interleave lines.
  int fd = ::open(manifest_path().c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorKind::io, fmt::format("{}: {}", manifest_path().string(), std::strerror(errno)));
  ssize_t w = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (w != static_cast<ssize_t>(line.size()))
    return make_error(ErrorKind::io, fmt::format("{}: short write", manifest_path().string()));
  uris_.insert(record.uri);
  if (record.status == RecordStatus::ok) ok_hashes_.emplace(record.ir_hash, record.uri);
  records_.push_back(std::move(record));
  return ok_status();
}

}  // namespace cr1::data
