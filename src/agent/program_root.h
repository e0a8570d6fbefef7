// Path confinement for the agent's tools: a filename the model (or an HTTP
// client) gives is resolved inside one configured folder, and anything that
// would leave it (`../`, an absolute path elsewhere, a symlink pointing out)
// is refused before the file is opened.
#pragma once

#include <filesystem>
#include <string_view>

#include "util/expected.h"

namespace cr1::agent {

class ProgramRoot {
 public:
  // The root must be an existing folder; empty means the current directory.
  static Expected<ProgramRoot> open(const std::filesystem::path& root);

  const std::filesystem::path& path() const { return root_; }

  // The canonical path of an existing regular file inside the root.
  // Errors: invalid_input for an empty name or a path escaping the root,
  // not_found for a file that does not exist, io for a non-file.
  Expected<std::filesystem::path> resolve(std::string_view filename) const;

 private:
  explicit ProgramRoot(std::filesystem::path root) : root_(std::move(root)) {}
  bool contains(const std::filesystem::path& canonical) const;

  std::filesystem::path root_;  // canonical
};

}  // namespace cr1::agent
