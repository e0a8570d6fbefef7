// The programs the tools have loaded, by canonical path, least recently used
// dropped first. Each program keeps a few sessions that share one result
// cache, so that calls on the same file overlap instead of queueing, and a
// repeated call neither reloads nor re-evaluates. A file that changed on disk
// (size or modification time) is loaded again.
#pragma once

#include <condition_variable>
#include <filesystem>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "env/session.h"
#include "util/expected.h"

namespace cr1::agent {

struct ProgramCacheOptions {
  size_t max_programs = 32;
  size_t sessions_per_program = 4;
  env::PoolOptions pool;
  std::shared_ptr<env::ResultCache> cache;  // shared by every session
};

class ProgramCache {
  struct Entry;

 public:
  explicit ProgramCache(ProgramCacheOptions options);
  ~ProgramCache();

  // A session of the program, held by the caller until the lease ends.
  class Lease {
   public:
    Lease(Lease&&) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    env::Session& operator*() const { return *session_; }
    env::Session* operator->() const { return session_.get(); }

   private:
    friend class ProgramCache;
    Lease(std::shared_ptr<Entry> entry, uint64_t generation, std::unique_ptr<env::Session> session);
    std::shared_ptr<Entry> entry_;
    uint64_t generation_ = 0;
    std::unique_ptr<env::Session> session_;
  };

  // Loads the file on first use (errors name the file and the cause).
  Expected<Lease> acquire(const std::filesystem::path& canonical);

  size_t loaded_programs() const;
  uint64_t loads() const;  // times a file was read and parsed or compiled

 private:
  ProgramCacheOptions o_;
  mutable std::mutex mu_;
  std::list<std::string> lru_;  // front = most recent
  std::unordered_map<std::string, std::pair<std::shared_ptr<Entry>, std::list<std::string>::iterator>> entries_;
  uint64_t loads_ = 0;
};

}  // namespace cr1::agent
