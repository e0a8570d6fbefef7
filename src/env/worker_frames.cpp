#include "env/worker_frames.h"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace cr1::env {

bool write_frame(int fd, const std::string& payload) {
  std::string frame(4, '\0');
  uint32_t n = static_cast<uint32_t>(payload.size());
  std::memcpy(frame.data(), &n, 4);
  frame += payload;
  size_t off = 0;
  while (off < frame.size()) {
    ssize_t w = ::send(fd, frame.data() + off, frame.size() - off, MSG_NOSIGNAL);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    off += static_cast<size_t>(w);
  }
  return true;
}

bool pop_frame(std::string& buf, std::string& payload) {
  if (buf.size() < 4) return false;
  uint32_t n;
  std::memcpy(&n, buf.data(), 4);
  if (buf.size() < 4 + static_cast<size_t>(n)) return false;
  payload.assign(buf, 4, n);
  buf.erase(0, 4 + static_cast<size_t>(n));
  return true;
}

bool read_frame_blocking(int fd, std::string& buf, std::string& payload) {
  char chunk[65536];
  while (!pop_frame(buf, payload)) {
    ssize_t r = ::read(fd, chunk, sizeof chunk);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    buf.append(chunk, static_cast<size_t>(r));
  }
  return true;
}

}  // namespace cr1::env
