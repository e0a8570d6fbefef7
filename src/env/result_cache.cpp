#include "env/result_cache.h"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "ir/pipeline_runner.h"

namespace cr1::env {
namespace {

// RAII for one prepared statement.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt(sqlite3* db, const char* sql) { sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  void bind(int i, const std::string& v) { sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT); }
  void bind(int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
  void bind(int i, double v) { sqlite3_bind_double(s, i, v); }
};

constexpr auto kBusyWait = std::chrono::seconds(30);

bool is_busy(int rc) { return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED; }

// SQLite skips the busy handler in a few cases (changing the journal mode while
// another process opens the same new file; a WAL recovery in progress), so the
// steps that take locks retry SQLITE_BUSY themselves, with backoff, up to 30 s.
template <class Step>
int retry_while_busy(Step&& step) {
  const auto deadline = std::chrono::steady_clock::now() + kBusyWait;
  for (int delay_ms = 1;; delay_ms = std::min(delay_ms * 2, 50)) {
    int rc = step();
    if (!is_busy(rc) || std::chrono::steady_clock::now() > deadline) return rc;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
  }
}

}  // namespace

ResultCache::ResultCache() : llvm_version_(ir::llvm_version()) {}

Expected<std::unique_ptr<ResultCache>> ResultCache::open(const std::string& path) {
  auto cache = std::make_unique<ResultCache>();
  if (sqlite3_open_v2(path.c_str(), &cache->db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = cache->db_ ? sqlite3_errmsg(cache->db_) : "out of memory";
    return make_error(ErrorKind::io, fmt::format("{}: cannot open cache database: {}", path, why));
  }
  if (auto st = cache->init_db(); !st)
    return make_error(ErrorKind::io, fmt::format("{}: {}", path, st.error().message));
  return cache;
}

Status ResultCache::init_db() {
  sqlite3_busy_timeout(db_, static_cast<int>(std::chrono::milliseconds(kBusyWait).count()));
  const char* sql =
      "PRAGMA journal_mode=WAL;"
      "PRAGMA synchronous=NORMAL;"
      "CREATE TABLE IF NOT EXISTS results ("
      "  module_hash TEXT NOT NULL, llvm TEXT NOT NULL, pipeline TEXT NOT NULL,"
      "  status TEXT NOT NULL, instruction_count INTEGER, pass_seconds REAL, message TEXT,"
      "  PRIMARY KEY (module_hash, llvm, pipeline)) WITHOUT ROWID;";
  char* err = nullptr;
  int rc = retry_while_busy([&] {
    sqlite3_free(err);
    err = nullptr;
    return sqlite3_exec(db_, sql, nullptr, nullptr, &err);  // idempotent, so safe to rerun
  });
  if (rc != SQLITE_OK) {
    std::string why = err ? err : "unknown error";
    sqlite3_free(err);
    return make_error(ErrorKind::io, fmt::format("not a usable cache database: {}", why));
  }
  return ok_status();
}

ResultCache::~ResultCache() {
  if (db_) sqlite3_close(db_);
}

std::string ResultCache::key(const std::string& module_hash, const std::string& pipeline) const {
  return module_hash + '\n' + pipeline;
}

std::optional<EvalResult> ResultCache::get(const std::string& module_hash, const std::string& pipeline) {
  std::lock_guard lock(mu_);
  if (auto it = memory_.find(key(module_hash, pipeline)); it != memory_.end()) {
    EvalResult r = it->second;
    r.from_cache = true;
    return r;
  }
  if (!db_) return std::nullopt;
  Stmt q(db_, "SELECT status, instruction_count, pass_seconds, message FROM results "
              "WHERE module_hash=?1 AND llvm=?2 AND pipeline=?3");
  q.bind(1, module_hash);
  q.bind(2, llvm_version_);
  q.bind(3, pipeline);
  if (sqlite3_step(q.s) != SQLITE_ROW) return std::nullopt;
  auto status = parse_eval_status(reinterpret_cast<const char*>(sqlite3_column_text(q.s, 0)));
  if (!status) return std::nullopt;
  EvalResult r;
  r.status = *status;
  r.instruction_count = static_cast<uint64_t>(sqlite3_column_int64(q.s, 1));
  r.pass_seconds = sqlite3_column_double(q.s, 2);
  if (auto* m = sqlite3_column_text(q.s, 3)) r.message = reinterpret_cast<const char*>(m);
  memory_.emplace(key(module_hash, pipeline), r);
  r.from_cache = true;
  return r;
}

void ResultCache::put(const std::string& module_hash, const std::string& pipeline, const EvalResult& result) {
  put_many(module_hash, {{pipeline, result}});
}

void ResultCache::put_many(const std::string& module_hash,
                           const std::vector<std::pair<std::string, EvalResult>>& entries) {
  std::lock_guard lock(mu_);
  for (const auto& [pipeline, r] : entries)
    if (r.cacheable()) memory_[key(module_hash, pipeline)] = r;
  if (!db_) return;
  Stmt ins(db_, "INSERT OR REPLACE INTO results VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  // One transaction per batch; a busy database rolls it back and retries it whole.
  int rc = retry_while_busy([&] {
    int r = sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr);
    if (r != SQLITE_OK) return r;
    for (const auto& [pipeline, res] : entries) {
      if (!res.cacheable()) continue;
      sqlite3_reset(ins.s);
      ins.bind(1, module_hash);
      ins.bind(2, llvm_version_);
      ins.bind(3, pipeline);
      ins.bind(4, std::string(eval_status_name(res.status)));
      ins.bind(5, static_cast<int64_t>(res.instruction_count));
      ins.bind(6, res.pass_seconds);
      ins.bind(7, res.message);
      if (r = sqlite3_step(ins.s); r != SQLITE_DONE) break;
      r = SQLITE_OK;
    }
    if (r == SQLITE_OK) r = sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    if (r != SQLITE_OK) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    return r;
  });
  sqlite3_reset(ins.s);
  if (rc != SQLITE_OK) spdlog::warn("cache: writing {} results failed: {}", entries.size(), sqlite3_errstr(rc));
}

size_t ResultCache::memory_size() const {
  std::lock_guard lock(mu_);
  return memory_.size();
}

}  // namespace cr1::env
