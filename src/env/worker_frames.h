// Frames on a worker's socket: a 4-byte little-endian length, then the JSON text. Shared by the
// pool (worker_pool.cpp) and the worker process (worker_main.cpp).
#pragma once

#include <string>

namespace cr1::env {

bool write_frame(int fd, const std::string& payload);
// Pops one complete frame from `buf` into `payload`.
bool pop_frame(std::string& buf, std::string& payload);
// Blocking read of one frame (worker side). False on EOF.
bool read_frame_blocking(int fd, std::string& buf, std::string& payload);

}  // namespace cr1::env
