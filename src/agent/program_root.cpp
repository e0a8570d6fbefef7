#include "agent/program_root.h"

#include <fmt/format.h>
#include <fmt/std.h>

namespace cr1::agent {

namespace fs = std::filesystem;

Expected<ProgramRoot> ProgramRoot::open(const fs::path& root) {
  std::error_code ec;
  fs::path dir = root.empty() ? fs::current_path(ec) : root;
  fs::path canonical = fs::canonical(dir, ec);
  if (ec) return make_error(ErrorKind::not_found, fmt::format("program root {}: {}", dir, ec.message()));
  if (!fs::is_directory(canonical, ec))
    return make_error(ErrorKind::invalid_input, fmt::format("program root {} is not a folder", dir));
  return ProgramRoot(canonical);
}

bool ProgramRoot::contains(const fs::path& canonical) const {
  // Component-wise, so that /a/rootx is not inside /a/root.
  auto r = root_.begin();
  auto p = canonical.begin();
  for (; r != root_.end(); ++r, ++p)
    if (p == canonical.end() || *p != *r) return false;
  return true;
}

Expected<fs::path> ProgramRoot::resolve(std::string_view filename) const {
  if (filename.empty()) return make_error(ErrorKind::invalid_input, "filename is empty");
  if (filename.find('\0') != std::string_view::npos)
    return make_error(ErrorKind::invalid_input, "filename contains a NUL byte");
  fs::path given(filename);
  fs::path joined = given.is_absolute() ? given : root_ / given;
  std::error_code ec;
  // Lexically first: `../x` is refused even when x does not exist.
  fs::path lexical = fs::weakly_canonical(joined, ec);
  if (ec) lexical = joined.lexically_normal();
  if (!contains(lexical))
    return make_error(ErrorKind::invalid_input,
                      fmt::format("'{}' is outside the program root {} (refused)", filename, root_.string()));
  if (!fs::exists(joined, ec))
    return make_error(ErrorKind::not_found,
                      fmt::format("'{}': no such file in the program root {}", filename, root_.string()));
  // Then with every symlink resolved: a link inside the root may point out.
  fs::path canonical = fs::canonical(joined, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("'{}': {}", filename, ec.message()));
  if (!contains(canonical))
    return make_error(ErrorKind::invalid_input,
                      fmt::format("'{}' resolves to {}, outside the program root {} (refused)", filename,
                                  canonical.string(), root_.string()));
  if (!fs::is_regular_file(canonical, ec))
    return make_error(ErrorKind::io, fmt::format("'{}' is not a regular file", filename));
  return canonical;
}

}  // namespace cr1::agent
