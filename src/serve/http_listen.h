// Listening the way every server of ours must on cpp-httplib: no port sharing, a listen backlog that
// survives a burst of clients, and a background thread whose start, stop and wait cannot race.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "util/expected.h"

namespace httplib {
class Server;
}

namespace cr1::serve {

// httplib's default socket options add SO_REUSEPORT, which lets a second server bind a port in use and
// silently share it: a busy port must be an error. Keeps SO_REUSEADDR only.
void refuse_port_sharing(httplib::Server& server);

// Debian's compiled cpp-httplib listens with a backlog of 5: a burst of clients (an RL trainer's
// episodes) overflows it, and connections stall or break. listen() again on the bound socket raises
// the backlog (Linux). Call after binding `port`.
void raise_listen_backlog(int port);

// A thread pool of `threads` connections, a body limit, and no port sharing.
void configure_server(httplib::Server& server, int threads, size_t max_body_bytes);

// Serves `server` (which must outlive it) on a background thread.
class BackgroundListener {
 public:
  explicit BackgroundListener(httplib::Server& server) : server_(server) {}
  ~BackgroundListener() { stop(); }
  BackgroundListener(const BackgroundListener&) = delete;
  BackgroundListener& operator=(const BackgroundListener&) = delete;

  // Binds host:port (0 = any free port), raises the backlog and serves; returns the port. Idempotent.
  Expected<int> start(const std::string& host, int port);
  // Stops accepting and joins the thread. Idempotent.
  void stop();
  // Blocks until stop() is called from another thread; returns at once if never started.
  void wait();
  int port() const { return port_; }

 private:
  httplib::Server& server_;
  std::thread thread_;
  int port_ = -1;
  std::mutex join_mu_, done_mu_;
  std::condition_variable done_cv_;
  bool done_ = false;  // the listening thread has returned
};

}  // namespace cr1::serve
