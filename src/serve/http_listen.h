// Listening the way every server of ours must on cpp-httplib: no port sharing, and a listen backlog
// that survives a burst of clients.
#pragma once

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

}  // namespace cr1::serve
