#include "agent/tool_program_cache.h"

#include <fmt/format.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>

#include "ir/program_loader.h"

namespace cr1::agent {

namespace fs = std::filesystem;

struct ProgramCache::Entry {
  std::mutex mu;
  std::condition_variable cv;
  bool loading = false, loaded = false;
  uintmax_t size = 0;
  fs::file_time_type mtime;
  uint64_t generation = 0;  // bumped on reload: sessions of an older file are dropped
  // The module as bitcode, to make more sessions without compiling again.
  std::string bitcode, name, recipe;
  std::vector<std::string> inputs;
  std::vector<std::unique_ptr<env::Session>> idle;
  size_t in_use = 0;
};

ProgramCache::Lease::Lease(std::shared_ptr<Entry> entry, uint64_t generation, std::unique_ptr<env::Session> session)
    : entry_(std::move(entry)), generation_(generation), session_(std::move(session)) {}

ProgramCache::Lease::Lease(Lease&& other) noexcept
    : entry_(std::move(other.entry_)), generation_(other.generation_), session_(std::move(other.session_)) {}

ProgramCache::Lease::~Lease() {
  if (!entry_) return;
  std::unique_ptr<env::Session> drop;  // destroyed outside the lock (it reaps workers)
  {
    std::lock_guard lock(entry_->mu);
    --entry_->in_use;
    if (session_ && generation_ == entry_->generation) entry_->idle.push_back(std::move(session_));
    else drop = std::move(session_);
  }
  entry_->cv.notify_all();
}

ProgramCache::ProgramCache(ProgramCacheOptions options) : o_(std::move(options)) {
  if (!o_.cache) o_.cache = std::make_shared<env::ResultCache>();
  o_.max_programs = std::max<size_t>(o_.max_programs, 1);
  o_.sessions_per_program = std::max<size_t>(o_.sessions_per_program, 1);
}

ProgramCache::~ProgramCache() = default;

size_t ProgramCache::loaded_programs() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

uint64_t ProgramCache::loads() const {
  std::lock_guard lock(mu_);
  return loads_;
}

Expected<ProgramCache::Lease> ProgramCache::acquire(const fs::path& canonical) {
  std::error_code ec;
  uintmax_t size = fs::file_size(canonical, ec);
  fs::file_time_type mtime = ec ? fs::file_time_type{} : fs::last_write_time(canonical, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: {}", canonical.string(), ec.message()));

  std::shared_ptr<Entry> entry;
  {
    std::lock_guard lock(mu_);
    const std::string key = canonical.string();
    if (auto it = entries_.find(key); it != entries_.end()) {
      lru_.splice(lru_.begin(), lru_, it->second.second);
      entry = it->second.first;
    } else {
      lru_.push_front(key);
      entry = std::make_shared<Entry>();
      entries_.emplace(key, std::make_pair(entry, lru_.begin()));
      // Dropped entries live on in the leases that still hold them.
      while (entries_.size() > o_.max_programs) {
        entries_.erase(lru_.back());
        lru_.pop_back();
      }
    }
  }

  env::SessionOptions so{.pool = o_.pool, .cache = o_.cache};
  std::unique_lock lock(entry->mu);
  for (;;) {
    if (entry->loaded && (entry->size != size || entry->mtime != mtime)) {
      entry->loaded = false;
      entry->idle.clear();
      ++entry->generation;
    }
    if (!entry->loaded) {
      if (entry->loading) {
        entry->cv.wait(lock);
        continue;
      }
      entry->loading = true;
      lock.unlock();
      fs::path inputs[] = {canonical};
      auto program = ir::load_program(inputs);
      std::string bitcode;
      if (program) bitcode = ir::module_to_bitcode(*program->module);
      {
        std::lock_guard count(mu_);
        ++loads_;
      }
      lock.lock();
      entry->loading = false;
      if (!program) {
        entry->cv.notify_all();
        return program.take_error();
      }
      entry->bitcode = std::move(bitcode);
      entry->name = program->name;
      entry->recipe = program->recipe;
      entry->inputs = program->inputs;
      entry->size = size;
      entry->mtime = mtime;
      entry->loaded = true;
      auto session = env::Session::create(std::move(*program), so);
      if (!session) {
        entry->loaded = false;
        entry->cv.notify_all();
        return session.take_error();
      }
      ++entry->in_use;
      entry->cv.notify_all();
      return Lease(entry, entry->generation, std::move(*session));
    }
    if (!entry->idle.empty()) {
      auto session = std::move(entry->idle.back());
      entry->idle.pop_back();
      ++entry->in_use;
      return Lease(entry, entry->generation, std::move(session));
    }
    if (entry->in_use < o_.sessions_per_program) {
      // Another session of the same module: parse the kept bitcode into its own context.
      ++entry->in_use;
      uint64_t generation = entry->generation;
      std::string bitcode = entry->bitcode;
      ir::Program p;
      p.name = entry->name;
      p.recipe = entry->recipe;
      p.inputs = entry->inputs;
      lock.unlock();
      p.context = std::make_unique<llvm::LLVMContext>();
      auto module = ir::parse_ir(bitcode, p.name, *p.context);
      Expected<std::unique_ptr<env::Session>> session =
          module ? (p.module = std::move(*module), env::Session::create(std::move(p), so))
                 : Expected<std::unique_ptr<env::Session>>(module.take_error());
      if (!session) {
        lock.lock();
        --entry->in_use;
        entry->cv.notify_all();
        return session.take_error();
      }
      return Lease(entry, generation, std::move(*session));
    }
    entry->cv.wait(lock);
  }
}

}  // namespace cr1::agent
