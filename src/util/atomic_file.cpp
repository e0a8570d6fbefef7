#include "util/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace cr1 {

namespace fs = std::filesystem;

Expected<AtomicFile> AtomicFile::create(const fs::path& target) {
  fs::path dir = target.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    return make_error(ErrorKind::io, fmt::format("{}: output directory '{}' does not exist", target.string(), dir.string()));
  std::string templ = (dir / ("." + target.filename().string() + ".tmp.XXXXXX")).string();
  int fd = ::mkstemp(templ.data());
  if (fd < 0)
    return make_error(ErrorKind::io, fmt::format("{}: cannot write: {}", target.string(), std::strerror(errno)));
  return AtomicFile(target, fs::path(templ), fd);
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)), temp_(std::move(other.temp_)), fd_(other.fd_), done_(other.done_) {
  other.fd_ = -1;
  other.done_ = true;
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!done_) {
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

Status AtomicFile::commit() {
  if (fd_ >= 0) {
    ::fsync(fd_);
    ::close(fd_);
    fd_ = -1;
  }
  // mkstemp creates 0600; outputs should look like any other file the user writes.
  mode_t mask = ::umask(0);
  ::umask(mask);
  ::chmod(temp_.c_str(), 0666 & ~mask);
  if (::rename(temp_.c_str(), target_.c_str()) != 0)
    return make_error(ErrorKind::io, fmt::format("{}: cannot rename into place: {}", target_.string(), std::strerror(errno)));
  done_ = true;
  return ok_status();
}

Status write_file_atomically(const fs::path& target, std::string_view data) {
  auto file = AtomicFile::create(target);
  if (!file) return file.take_error();
  {
    std::ofstream out(file->temp_path(), std::ios::binary | std::ios::trunc);
    out.write(data.data(), static_cast<std::streamsize>(data.size()));
    out.flush();
    if (!out)
      return make_error(ErrorKind::io, fmt::format("{}: write failed", target.string()));
  }
  return file->commit();
}

Expected<std::string> read_file(const fs::path& path) {
  std::error_code ec;
  if (!fs::exists(path, ec)) return make_error(ErrorKind::not_found, fmt::format("{}: no such file", path.string()));
  if (fs::is_directory(path, ec)) return make_error(ErrorKind::io, fmt::format("{}: is a directory", path.string()));
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(ErrorKind::io, fmt::format("{}: cannot read: {}", path.string(), std::strerror(errno)));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace cr1
