// Outputs are written to a temporary file in the destination directory and
// renamed into place, so a reader never sees a half-written file and a failed
// command leaves nothing behind (cf. ToolOutputFile::keep() in LLVM's opt).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "util/expected.h"

namespace cr1 {

class AtomicFile {
 public:
  // Creates "<dir>/.<name>.tmp.XXXXXX" next to `target`.
  static Expected<AtomicFile> create(const std::filesystem::path& target);

  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&&) = delete;
  AtomicFile(const AtomicFile&) = delete;
  ~AtomicFile();  // removes the temporary unless commit() succeeded

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }

  // fsync + rename over the target.
  Status commit();

 private:
  AtomicFile(std::filesystem::path target, std::filesystem::path temp, int fd)
      : target_(std::move(target)), temp_(std::move(temp)), fd_(fd) {}
  std::filesystem::path target_;
  std::filesystem::path temp_;
  int fd_ = -1;
  bool done_ = false;
};

// Convenience: write `data` to `target` atomically.
Status write_file_atomically(const std::filesystem::path& target, std::string_view data);

// Reads a whole file; not_found / io errors name the path.
Expected<std::string> read_file(const std::filesystem::path& path);

}  // namespace cr1
