#include "serve/http_listen.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <string>

#include <fmt/format.h>

#include <httplib.h>

namespace cr1::serve {

void refuse_port_sharing(httplib::Server& server) {
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

void raise_listen_backlog(int port) {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    try {
      fd = std::stoi(e.path().filename().string());
    } catch (...) {
      continue;
    }
    int listening = 0;
    socklen_t len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t alen = sizeof(addr);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &alen) != 0) continue;
    int bound = addr.ss_family == AF_INET    ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                : addr.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                             : -1;
    if (bound == port) ::listen(fd, SOMAXCONN);
  }
}

void configure_server(httplib::Server& server, int threads, size_t max_body_bytes) {
  const auto n = static_cast<size_t>(std::max(1, threads));
  server.new_task_queue = [n] { return new httplib::ThreadPool(n); };
  server.set_payload_max_length(max_body_bytes);
  refuse_port_sharing(server);
}

Expected<int> BackgroundListener::start(const std::string& host, int port) {
  if (thread_.joinable()) return port_;
  int bound = port == 0 ? server_.bind_to_any_port(host) : (server_.bind_to_port(host, port) ? port : -1);
  if (bound < 0)
    return make_error(ErrorKind::io,
                      fmt::format("cannot listen on {}:{} (in use, or not an address of this host)", host, port));
  port_ = bound;
  raise_listen_backlog(port_);
  thread_ = std::thread([this] {
    server_.listen_after_bind();
    {
      std::lock_guard lock(done_mu_);
      done_ = true;
    }
    done_cv_.notify_all();
  });
  // httplib's stop() does nothing until the accept loop runs: wait for it, so that a stop right after
  // start() is not lost.
  for (;;) {
    if (server_.is_running()) break;
    std::lock_guard lock(done_mu_);
    if (done_) return make_error(ErrorKind::io, fmt::format("{}:{}: the server stopped at once", host, port_));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return port_;
}

void BackgroundListener::stop() {
  server_.stop();
  std::lock_guard lock(join_mu_);
  if (thread_.joinable()) thread_.join();
}

void BackgroundListener::wait() {
  if (port_ < 0) return;
  std::unique_lock lock(done_mu_);
  done_cv_.wait(lock, [this] { return done_; });
}

}  // namespace cr1::serve
