#include "data/debian_source.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fmt/format.h>
#include <llvm/IR/Function.h>
#include <llvm/IR/LLVMContext.h>
#include <llvm/IR/Module.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "ir/program_loader.h"
#include "util/atomic_file.h"
#include "util/subprocess.h"

namespace cr1::data {
namespace fs = std::filesystem;

namespace {

constexpr const char* kBuildDirName = ".cr1-build";  // cmake's binary dir inside the tree
constexpr const char* kShimDirName = ".cr1-shim";    // forwarding headers, see write_shims()
constexpr int kMaxIncludeDirs = 64;                  // -I per TU, nearest first
constexpr int kMaxAfterDirs = 16;                    // -idirafter per TU
// Where a package keeps its configure script when not at the root (tcl: unix/).
constexpr const char* kConfigureDirs[] = {"", "unix", "src", "build/unix"};
constexpr size_t kMaxHubs = 16;                      // most-included dirs, searched early
constexpr int kMinHubUses = 20;                      // #include lines that make a dir a hub

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Debian policy 5.6.1: lower-case alphanumerics and + - ., at least two, starting alphanumeric.
bool valid_package_name(const std::string& s) {
  if (s.size() < 2 || !std::isalnum(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (std::islower(static_cast<unsigned char>(c)) || std::isdigit(static_cast<unsigned char>(c)) || c == '+' ||
            c == '-' || c == '.');
  });
}

// Debian policy 5.6.12: [epoch:]upstream[-revision]; the upstream part starts with a digit.
bool valid_version(const std::string& s) {
  if (s.empty()) return false;
  bool chars_ok = std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' || c == '~' || c == ':';
  });
  if (!chars_ok) return false;
  size_t colon = s.find(':');
  std::string upstream = s;
  if (colon != std::string::npos) {
    std::string epoch = s.substr(0, colon);
    auto digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    if (epoch.empty() || !std::all_of(epoch.begin(), epoch.end(), digit)) return false;
    upstream = s.substr(colon + 1);
  }
  return !upstream.empty() && std::isdigit(static_cast<unsigned char>(upstream[0]));
}

std::string without_epoch(const std::string& version) {
  size_t colon = version.find(':');
  return colon == std::string::npos ? version : version.substr(colon + 1);
}

std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  return trim(s);
}

// Runs argv in `dir` under GNU timeout, which kills the whole process group (configure spawns many
// children that would otherwise outlive a plain kill of the shell).
SubprocessResult run_in(const fs::path& dir, std::vector<std::string> argv, std::chrono::seconds limit) {
  std::vector<std::string> cmd = {"timeout", "-k", "10", std::to_string(limit.count()), "sh", "-c",
                                  "cd \"$1\" && shift && exec \"$@\"", "sh", dir.string()};
  cmd.insert(cmd.end(), std::make_move_iterator(argv.begin()), std::make_move_iterator(argv.end()));
  auto r = run_subprocess(cmd, limit + std::chrono::seconds(30));
  if (!r.timed_out && !r.signal && r.exit_code == 124) r.timed_out = true;  // timeout(1)'s own code
  return r;
}

// The last line that says "error", else the last line: configure scripts end with boilerplate.
std::string telling_line(const std::string& text) {
  std::istringstream in(text);
  std::string line, last, last_error;
  while (std::getline(in, line)) {
    line = trim(line);
    if (line.empty()) continue;
    last = line;
    if (lower(line).find("error") != std::string::npos) last_error = line;
  }
  return last_error.empty() ? last : last_error;
}

std::string failure_reason(const SubprocessResult& r) {
  if (r.spawn_failed) return one_line(r.err);
  if (r.timed_out) return "timed out";
  std::string tail = telling_line(r.err.empty() ? r.out : r.err);
  if (r.signal) return fmt::format("killed by signal {}: {}", r.signal, tail);
  return fmt::format("exit {}: {}", r.exit_code, tail);
}

// The files a .dsc lists ("Files:" field: " md5 size name" lines).
std::vector<std::pair<std::string, uintmax_t>> dsc_files(const std::string& dsc) {
  std::vector<std::pair<std::string, uintmax_t>> files;
  std::istringstream in(dsc);
  std::string line;
  bool in_files = false;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.rfind("Files:", 0) == 0) {
      in_files = true;
      continue;
    }
    if (!in_files) continue;
    if (line.empty() || (line[0] != ' ' && line[0] != '\t')) break;
    std::istringstream fields(line);
    std::string md5, name;
    uintmax_t size = 0;
    if (fields >> md5 >> size >> name) files.emplace_back(name, size);
  }
  return files;
}

bool download_complete(const fs::path& downloads, const fs::path& dsc) {
  auto text = read_file(dsc);
  if (!text) return false;
  auto files = dsc_files(*text);
  if (files.empty()) return false;
  std::error_code ec;
  for (const auto& [name, size] : files)
    if (fs::file_size(downloads / name, ec) != size || ec) return false;
  return true;
}

// ---- enumerating jobs -------------------------------------------------------------------------------

bool excluded_dir(const std::string& name) {
  // Packaging, VCS and build-system noise, and ports to other operating systems.
  static const std::unordered_set<std::string> names = {
      ".pc",   "debian", ".git",    ".svn",  ".hg",    "cmakefiles", kBuildDirName, kShimDirName, "win32", "win64",
      "windows", "wince", "winnt",  "mswin", "vms",    "amiga",      "amigaos",     "msdos", "dos",
      "djgpp", "os2",    "mac",     "macos", "macosx", "beos",       "haiku",       "riscos", "watcom",
      "symbian", "android", "ios",  "os400", "qnx",  "nt",    "pc",     "pcbuild"};
  return names.count(lower(name)) > 0;
}

bool is_header_ext(const std::string& ext) {
  return ext == ".h" || ext == ".hh" || ext == ".hpp" || ext == ".hxx" || ext == ".inc";
}

// Headers whose names collide with the C library's: a directory holding one must not come before the
// system directories, or <time.h> inside glibc would find the package's time.h.
bool shadows_system_header(const std::string& name) {
  static const std::unordered_set<std::string> names = {
      "assert.h",  "complex.h",  "ctype.h",    "errno.h",   "fenv.h",     "float.h",    "inttypes.h", "iso646.h",
      "limits.h",  "locale.h",   "math.h",     "setjmp.h",  "signal.h",   "stdalign.h", "stdarg.h",   "stdatomic.h",
      "stdbool.h", "stddef.h",   "stdint.h",   "stdio.h",   "stdlib.h",   "stdnoreturn.h", "string.h", "tgmath.h",
      "threads.h", "time.h",     "uchar.h",    "wchar.h",   "wctype.h",   "alloca.h",   "byteswap.h", "dirent.h",
      "dlfcn.h",   "endian.h",   "err.h",      "error.h",   "fcntl.h",    "features.h", "fnmatch.h",  "getopt.h",
      "glob.h",    "grp.h",      "iconv.h",    "langinfo.h", "libgen.h",  "libintl.h",  "malloc.h",   "memory.h",
      "netdb.h",   "poll.h",     "pthread.h",  "pwd.h",     "regex.h",    "sched.h",    "search.h",   "spawn.h",
      "strings.h", "syslog.h",   "termios.h",  "unistd.h",  "utime.h",    "utmp.h",     "wordexp.h",  "ftw.h",
      "obstack.h", "argp.h",     "mntent.h",   "paths.h",   "pty.h",      "resolv.h",   "shadow.h",   "values.h",
      "elf.h",     "link.h",     "ucontext.h"};
  return names.count(name) > 0;
}

struct SpecUse {
  bool quoted = false;  // some use is #include "spec"
  int uses = 0;         // how many #include lines name it
};

// The `spec` of every `#include "spec"` / `#include <spec>` in `text`.
void collect_include_specs(const std::string& text, std::unordered_map<std::string, SpecUse>& specs) {
  size_t pos = 0;
  while ((pos = text.find("include", pos)) != std::string::npos) {
    size_t kw = pos;
    pos += 7;
    // "#" and optional blanks before the keyword, at the start of a line.
    size_t b = kw;
    while (b > 0 && (text[b - 1] == ' ' || text[b - 1] == '\t')) --b;
    if (b == 0 || text[b - 1] != '#') continue;
    size_t h = b - 1;
    while (h > 0 && (text[h - 1] == ' ' || text[h - 1] == '\t')) --h;
    if (h > 0 && text[h - 1] != '\n') continue;
    size_t q = pos;
    while (q < text.size() && (text[q] == ' ' || text[q] == '\t')) ++q;
    if (q >= text.size() || (text[q] != '"' && text[q] != '<')) continue;
    char close = text[q] == '"' ? '"' : '>';
    size_t end = text.find_first_of(std::string(1, close) + "\n", q + 1);
    if (end == std::string::npos || text[end] != close) continue;
    std::string spec = text.substr(q + 1, end - q - 1);
    while (spec.rfind("./", 0) == 0) spec.erase(0, 2);
    if (spec.empty() || spec.find("..") != std::string::npos || spec[0] == '/') continue;
    auto& use = specs[spec];
    use.quoted |= close == '"';
    ++use.uses;
  }
}

bool in_system_include_dirs(const std::string& spec) {
  static const std::vector<fs::path> dirs = [] {
    std::vector<fs::path> d = {"/usr/local/include", "/usr/include"};
    std::error_code ec;
    for (const auto& e : fs::directory_iterator("/usr/include", ec))
      if (e.path().filename().string().ends_with("-linux-gnu")) d.push_back(e.path());
    for (const auto& e : fs::directory_iterator("/usr/lib/llvm-19/lib/clang", ec)) d.push_back(e.path() / "include");
    return d;
  }();
  std::error_code ec;
  return std::any_of(dirs.begin(), dirs.end(), [&](const fs::path& d) { return fs::exists(d / spec, ec); });
}

// Tree distance between two directories given relative to the same root ("" is the root).
int tree_distance(const fs::path& a, const fs::path& b) {
  auto ia = a.begin(), ib = b.begin();
  while (ia != a.end() && ib != b.end() && *ia == *ib) ++ia, ++ib;
  int d = 0;
  for (; ia != a.end(); ++ia) ++d;
  for (; ib != b.end(); ++ib) ++d;
  return d;
}

struct Tree {
  std::vector<fs::path> tus;         // relative to root
  std::set<fs::path> include_dirs;   // relative to root ("" = root); may include the build dir
  std::set<fs::path> shadow_dirs;    // the subset that holds a system-named header
  bool has_config_h = false;
  std::map<std::string, fs::path> shims;  // unresolved spec -> the one header of that name (relative)
  std::set<std::string> stubs;            // quoted header specs found nowhere: generated by the build
  std::map<fs::path, int> popularity;     // include dir -> #include lines it resolves (unambiguously)
};

bool in_build_dir(const fs::path& rel) { return !rel.empty() && *rel.begin() == kBuildDirName; }

void scan_tree(const fs::path& root, Tree& tree) {
  std::unordered_map<std::string, std::vector<fs::path>> headers_by_name;  // file name -> relpaths
  std::unordered_map<std::string, SpecUse> specs;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    const auto& entry = *it;
    std::string name = entry.path().filename().string();
    if (entry.is_symlink(ec)) continue;
    if (entry.is_directory(ec)) {
      // The build dir is searched for headers but holds no TUs of the package (cmake's probes).
      bool build = name == kBuildDirName && it.depth() == 0;
      if (!build && excluded_dir(name)) it.disable_recursion_pending();
      if (name == "CMakeFiles") it.disable_recursion_pending();
      continue;
    }
    if (!entry.is_regular_file(ec)) continue;
    fs::path rel = entry.path().lexically_relative(root);
    bool in_build = in_build_dir(rel);
    std::string ext = entry.path().extension().string();
    bool tu = ext == ".c" || ext == ".cc" || ext == ".cpp" || ext == ".cxx";
    bool header = is_header_ext(ext);
    // Windows-only TUs sit next to portable ones (zlib's iowin32.c, w32*.c).
    if (tu && !in_build && lower(name).find("win32") == std::string::npos) tree.tus.push_back(rel);
    if (header) {
      tree.include_dirs.insert(rel.parent_path());
      headers_by_name[name].push_back(rel);
      if (shadows_system_header(name)) tree.shadow_dirs.insert(rel.parent_path());
      if (name == "config.h") tree.has_config_h = true;
    }
    if ((tu && !in_build) || header) {
      std::ifstream in(entry.path(), std::ios::binary);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      collect_include_specs(text, specs);
    }
  }
  // `#include <openssl/ssl.h>` needs -I include/, which holds no header itself: add the prefix under
  // which each multi-component spec resolves.
  for (const auto& [spec, use] : specs) {
    fs::path sp(spec);
    auto found = headers_by_name.find(sp.filename().string());
    bool quoted = use.quoted;
    if (found == headers_by_name.end()) {
      // A quoted header that neither the package nor the system has is made by the build (Debian's
      // lua5.4-deb-multiarch.h, gnulib's configmake.h); an empty stand-in lets the TUs that only
      // include it compile, and the rest fail as they would have.
      std::string ext = sp.extension().string();
      if (quoted && (ext == ".h" || ext == ".hh" || ext == ".hpp") && !in_system_include_dirs(spec))
        tree.stubs.insert(spec);
      continue;
    }
    if (spec.find('/') == std::string::npos) {
      if (found->second.size() == 1) tree.popularity[found->second[0].parent_path()] += use.uses;
      continue;
    }
    size_t depth = std::distance(sp.begin(), sp.end());
    std::vector<fs::path> prefixes;
    for (const auto& rel : found->second) {
      size_t rdepth = std::distance(rel.begin(), rel.end());
      if (rdepth < depth) continue;
      fs::path prefix, tail;
      size_t i = 0;
      for (const auto& part : rel) (i++ < rdepth - depth ? prefix : tail) /= part;
      if (tail == sp) tree.include_dirs.insert(prefix), prefixes.push_back(prefix);
    }
    bool resolved = !prefixes.empty();
    if (prefixes.size() == 1) tree.popularity[prefixes[0]] += use.uses;
    // Makefiles link some headers into place (postgres: storage/lwlocknames.h from
    // backend/storage/lmgr/); a unique header of that name stands in.
    bool plain = std::all_of(spec.begin(), spec.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '_' || c == '-' || c == '.' || c == '+';
    });
    if (!resolved && found->second.size() == 1 && plain && !in_build_dir(found->second[0]))
      tree.shims[spec] = found->second[0];
  }
}

// Writes <root>/.cr1-shim/<spec>: forwarding headers for `shims`, empty ones for `stubs`. The dir is
// searched after everything else, so a real header always wins.
bool write_shims(const fs::path& root, const Tree& tree) {
  std::error_code ec;
  fs::path dir = root / kShimDirName;
  fs::remove_all(dir, ec);
  if (tree.shims.empty() && tree.stubs.empty()) return false;
  for (const auto& [spec, rel] : tree.shims) {
    fs::path shim = dir / spec;
    fs::create_directories(shim.parent_path(), ec);
    std::ofstream(shim) << "#include \"" << (root / rel).string() << "\"\n";
  }
  for (const auto& spec : tree.stubs) {
    fs::path stub = dir / spec;
    fs::create_directories(stub.parent_path(), ec);
    std::ofstream(stub) << "/* compiler-r1: empty stand-in for a header made at build time */\n";
  }
  return true;
}

bool is_under(const fs::path& rel, const fs::path& dir) {
  auto [d_end, r_it] = std::mismatch(dir.begin(), dir.end(), rel.begin(), rel.end());
  return d_end == dir.end();
}

// Dirs of the headers that configure wrote: config.status's config_headers (autoconf runs in the tree)
// and every header dir under the build dir (cmake). They go before other same-named headers, e.g.
// libsndfile's .cr1-build/src/config.h before its unrelated src/GSM610/config.h.
std::set<fs::path> generated_header_dirs(const fs::path& root, const fs::path& build_rel, Tree& tree) {
  std::set<fs::path> dirs;
  if (!build_rel.empty())
    for (const auto& d : tree.include_dirs)
      if (is_under(d, build_rel)) dirs.insert(d);
  for (const char* sub : kConfigureDirs) {
    fs::path cdir = fs::path(sub);
    auto status = read_file(root / cdir / "config.status");
    if (!status) continue;
    size_t at = status->find("\nconfig_headers=\"");
    if (at == std::string::npos) continue;
    at += std::string_view("\nconfig_headers=\"").size();
    std::istringstream headers(status->substr(at, status->find('"', at) - at));
    for (std::string h; headers >> h;) {
      fs::path out = (cdir / h.substr(0, h.find(':'))).lexically_normal();
      if (!out.empty() && out.is_relative() && *out.begin() != "..") dirs.insert(out.parent_path());
      tree.has_config_h = true;  // whatever its name (curl: lib/curl_config.h), HAVE_CONFIG_H selects it
    }
  }
  return dirs;
}

}  // namespace

// ---- package list ---------------------------------------------------------------------------------------

Expected<std::vector<DebianPackage>> read_package_list(const fs::path& file) {
  auto text = read_file(file);
  if (!text) return text.take_error();
  std::vector<DebianPackage> packages;
  std::set<std::string> seen;
  std::istringstream in(*text);
  std::string raw;
  for (int lineno = 1; std::getline(in, raw); ++lineno) {
    std::string line = trim(raw.substr(0, raw.find('#')));
    if (line.empty()) continue;
    auto where = fmt::format("{}:{}", file.string(), lineno);
    size_t eq = line.find('=');
    if (eq == std::string::npos)
      return make_error(ErrorKind::invalid_input, fmt::format("{}: expected name=version, got '{}'", where, line));
    DebianPackage pkg{trim(line.substr(0, eq)), {}, {}};
    std::istringstream rest(line.substr(eq + 1));
    rest >> pkg.version;
    for (std::string arg; rest >> arg;) {
      bool allowed = (arg.rfind("-D", 0) == 0 || arg.rfind("-U", 0) == 0) && arg.size() > 2;
      if (!allowed && arg.rfind("-std=", 0) != 0)
        return make_error(ErrorKind::invalid_input,
                          fmt::format("{}: argument '{}' for {} is not -D, -U or -std=", where, arg, pkg.name));
      pkg.extra_args.push_back(arg);
    }
    if (!valid_package_name(pkg.name))
      return make_error(ErrorKind::invalid_input, fmt::format("{}: bad source package name '{}'", where, pkg.name));
    if (!valid_version(pkg.version))
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: bad version '{}' for {}", where, pkg.version, pkg.name));
    if (!seen.insert(pkg.name).second)
      return make_error(ErrorKind::invalid_input, fmt::format("{}: {} is listed twice", where, pkg.name));
    packages.push_back(std::move(pkg));
  }
  return packages;
}

// ---- jobs --------------------------------------------------------------------------------------------

std::vector<CompileJob> enumerate_jobs(const fs::path& root_in, const fs::path& build_dir_in) {
  fs::path root = fs::absolute(root_in).lexically_normal();
  fs::path build = fs::absolute(build_dir_in).lexically_normal();
  if (root.filename().empty()) root = root.parent_path();
  if (build.filename().empty()) build = build.parent_path();
  Tree tree;
  scan_tree(root, tree);
  fs::path build_rel = build.lexically_relative(root);
  if (build_rel == ".") build_rel.clear();
  bool build_inside = !build_rel.empty() && *build_rel.begin() != "..";
  bool build_outside = !build_inside && build != root;
  std::error_code ec;
  if (build_outside && fs::is_directory(build, ec)) {
    // A build dir outside the tree: only its top level counts (config.h and friends).
    for (const auto& e : fs::directory_iterator(build, ec))
      if (e.is_regular_file() && e.path().filename() == "config.h") tree.has_config_h = true;
  }
  std::sort(tree.tus.begin(), tree.tus.end());
  bool shims = write_shims(root, tree);
  std::set<fs::path> generated = generated_header_dirs(root, build_inside ? build_rel : fs::path(), tree);
  // Hubs: the dirs most #include lines resolve to (php's Zend/ and main/), searched before the nearest
  // dirs, which in a tree with many sibling dirs (php's ext/*) would otherwise fill the 64 slots first.
  std::vector<fs::path> hubs;
  {
    std::vector<std::pair<int, fs::path>> ranked;
    for (const auto& [d, n] : tree.popularity)
      if (n >= kMinHubUses && !tree.shadow_dirs.count(d)) ranked.emplace_back(-n, d);
    std::sort(ranked.begin(), ranked.end());
    for (size_t i = 0; i < ranked.size() && i < kMaxHubs; ++i) hubs.push_back(ranked[i].second);
  }

  auto abs = [&](const fs::path& rel) { return (rel.empty() ? root : root / rel).string(); };
  std::vector<CompileJob> jobs;
  jobs.reserve(tree.tus.size());
  for (const auto& rel : tree.tus) {
    CompileJob job;
    job.source = root / rel;
    job.relpath = rel.generic_string();
    std::string ext = rel.extension().string();
    job.is_cxx = ext != ".c";
    fs::path dir = rel.parent_path();

    // Own dir; dirs of generated config headers; build dir and root; the hubs; the rest nearest first.
    // A dir in the build dir counts as where its source-tree twin is, and wins a tie with it.
    std::vector<fs::path> ordered;
    std::set<fs::path> used;
    auto take = [&](const fs::path& d) {
      if (used.insert(d).second) ordered.push_back(d);
    };
    auto nearest_first = [&](const std::set<fs::path>& dirs) {
      std::vector<std::tuple<int, bool, fs::path>> keyed;
      for (const auto& d : dirs)
        if (!used.count(d)) {
          bool in_build = build_inside && is_under(d, build_rel);
          keyed.emplace_back(tree_distance(dir, in_build ? d.lexically_relative(build_rel) : d), !in_build, d);
        }
      std::sort(keyed.begin(), keyed.end());
      for (auto& [dist, not_build, d] : keyed) take(d);
    };
    take(dir);
    nearest_first(generated);
    if (build_inside) take(build_rel);
    take(fs::path());
    for (const auto& d : hubs) take(d);
    nearest_first(tree.include_dirs);

    int n_inc = 0, n_after = 0;
    std::vector<std::string> after;
    if (build_outside) {
      job.clang_args.push_back("-I" + build.string());
      ++n_inc;
    }
    for (const auto& d : ordered) {
      if (tree.shadow_dirs.count(d)) {
        // Still reachable, after the system headers (gnulib's lib/ has config.h and regex.h side by side).
        if (n_after < kMaxAfterDirs) after.push_back("-idirafter" + abs(d)), ++n_after;
      } else if (n_inc < kMaxIncludeDirs) {
        job.clang_args.push_back("-I" + abs(d));
        ++n_inc;
      }
    }
    job.clang_args.insert(job.clang_args.end(), after.begin(), after.end());
    if (shims) job.clang_args.push_back("-idirafter" + (root / kShimDirName).string());
    if (tree.has_config_h) job.clang_args.push_back("-DHAVE_CONFIG_H");
    job.clang_args.push_back(job.is_cxx ? "-std=gnu++17" : "-std=gnu11");
    // gcc-12 (what Debian builds with) only warns about these; clang-19 makes them errors.
    for (const char* w : {"implicit-function-declaration", "implicit-int", "int-conversion",
                          "incompatible-pointer-types", "incompatible-function-pointer-types"})
      if (!job.is_cxx) job.clang_args.push_back(std::string("-Wno-error=") + w);
    job.clang_args.push_back("-w");
    job.clang_args.push_back("-ferror-limit=1");
    jobs.push_back(std::move(job));
  }
  return jobs;
}

// ---- prepare ---------------------------------------------------------------------------------------------

namespace {

Status download(const DebianPackage& pkg, const fs::path& downloads, const fs::path& dsc, const PrepareOptions& opts,
                std::string& log) {
  if (download_complete(downloads, dsc)) {
    log += "download: cached\n";
    return ok_status();
  }
  // --only-source: without it apt maps a name that is also a binary package through the binary's
  // versions and can fetch another source version than the one asked for (brotli=1.0.9-2 gave +deb12u1).
  auto r = run_in(downloads,
                  {"apt-get", "source", "--download-only", "--only-source", "-qq", pkg.name + "=" + pkg.version},
                  opts.fetch_timeout);
  auto what = fmt::format("{}={}", pkg.name, pkg.version);
  if (r.timed_out)
    return make_error(ErrorKind::timeout,
                      fmt::format("{}: apt-get source timed out after {} s", what, opts.fetch_timeout.count()));
  if (!r.success() || !download_complete(downloads, dsc)) {
    std::string reason = failure_reason(r);
    // apt's first "E:" names the file and the HTTP status; its last one only says something failed.
    std::istringstream lines(r.err);
    for (std::string line; std::getline(lines, line);)
      if (line.rfind("E: ", 0) == 0) {
        reason = fmt::format("exit {}: {}", r.exit_code, trim(line));
        break;
      }
    bool unknown = r.err.find("deb-src") != std::string::npos || r.err.find("find version") != std::string::npos ||
                   r.err.find("find a source package") != std::string::npos || r.spawn_failed;
    if (r.success()) reason = "no complete " + dsc.filename().string() + " after download";
    return make_error(unknown ? ErrorKind::not_found : ErrorKind::io,
                      fmt::format("{}: apt-get source failed: {}", what, reason));
  }
  log += "download: ok\n";
  return ok_status();
}

// The last "--disable-X" / "--without-X" that the end of a failed configure's output suggests.
std::string advised_flag(const std::string& output) {
  std::vector<std::string> lines;
  std::istringstream in(output);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  size_t from = lines.size() > 20 ? lines.size() - 20 : 0;
  std::string found;
  for (size_t i = from; i < lines.size(); ++i) {
    for (const char* prefix : {"--disable-", "--without-"}) {
      for (size_t pos = 0; (pos = lines[i].find(prefix, pos)) != std::string::npos;) {
        size_t end = pos + std::string_view(prefix).size();
        while (end < lines[i].size() && (std::isalnum(static_cast<unsigned char>(lines[i][end])) ||
                                         lines[i][end] == '-' || lines[i][end] == '_'))
          ++end;
        while (end > pos && lines[i][end - 1] == '-') --end;
        if (end > pos + std::string_view(prefix).size()) found = lines[i].substr(pos, end - pos);
        pos = end;
      }
    }
  }
  return found;
}

// The Makefiles that configure generated, at most two levels down.
std::vector<fs::path> generated_makefiles(const fs::path& tree) {
  std::vector<fs::path> found;
  std::error_code ec;
  fs::recursive_directory_iterator it(tree, fs::directory_options::skip_permission_denied, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    if (it->is_directory(ec)) {
      if (it.depth() >= 2 || excluded_dir(it->path().filename().string())) it.disable_recursion_pending();
    } else if (it->path().filename() == "Makefile" && fs::exists(it->path().parent_path() / "Makefile.in", ec)) {
      found.push_back(it->path());
    }
  }
  return found;
}

// gnulib's configmake.h (install dirs as strings) is written by a make rule, not by configure, yet
// many TUs of gnulib packages include it; write what that rule writes for prefix=/usr.
std::string configmake_text() {
  static const char* const kDirs[][2] = {
      {"PREFIX", "/usr"}, {"EXEC_PREFIX", "/usr"}, {"BINDIR", "/usr/bin"}, {"SBINDIR", "/usr/sbin"},
      {"LIBEXECDIR", "/usr/libexec"}, {"DATAROOTDIR", "/usr/share"}, {"DATADIR", "/usr/share"},
      {"SYSCONFDIR", "/etc"}, {"SHAREDSTATEDIR", "/usr/com"}, {"LOCALSTATEDIR", "/var"}, {"RUNSTATEDIR", "/run"},
      {"INCLUDEDIR", "/usr/include"}, {"OLDINCLUDEDIR", "/usr/include"}, {"DOCDIR", "/usr/share/doc"},
      {"INFODIR", "/usr/share/info"}, {"HTMLDIR", "/usr/share/doc"}, {"DVIDIR", "/usr/share/doc"},
      {"PDFDIR", "/usr/share/doc"}, {"PSDIR", "/usr/share/doc"}, {"LIBDIR", "/usr/lib"},
      {"LOCALEDIR", "/usr/share/locale"}, {"MANDIR", "/usr/share/man"}, {"PKGDATADIR", "/usr/share"},
      {"PKGINCLUDEDIR", "/usr/include"}, {"PKGLIBDIR", "/usr/lib"}, {"PKGLIBEXECDIR", "/usr/libexec"}};
  std::string text = "/* written by compiler-r1 in place of the gnulib make rule */\n";
  for (const auto& [name, value] : kDirs) text += fmt::format("#define {} \"{}\"\n", name, value);
  return text;
}

// What a rule "TARGET: Makefile" writes when its recipe only prints fixed text into the target
// (automake's version.c/version.h: `printf 'char const *Version = "$(PACKAGE_VERSION)";\n' >> $@t`).
// Returns nullopt for any recipe line it does not understand.
std::optional<std::string> printed_text(const std::vector<std::string>& recipe,
                                        const std::map<std::string, std::string>& vars) {
  std::string text;
  for (std::string line : recipe) {
    line = trim(line);
    for (const char* prefix : {"$(AM_V_GEN)", "$(AM_V_at)", "$(gl_V_at)", "@"})
      if (line.rfind(prefix, 0) == 0) line = trim(line.substr(std::string_view(prefix).size()));
    if (line.rfind("rm -f ", 0) == 0 || line.rfind("chmod ", 0) == 0 || line.rfind("mv $@", 0) == 0 ||
        line.rfind("$(MKDIR_P)", 0) == 0 || line.rfind("${MKDIR_P}", 0) == 0)
      continue;
    bool printf = line.rfind("printf '", 0) == 0, echo = line.rfind("echo '", 0) == 0;
    if (!printf && !echo) return std::nullopt;
    size_t open = line.find('\''), close = line.find('\'', open + 1);
    std::string redirect = close == std::string::npos ? "" : trim(line.substr(close + 1));
    if (redirect != "> $@t" && redirect != ">> $@t" && redirect != "> $@-t" && redirect != ">> $@-t")
      return std::nullopt;
    // One level of $(VAR): a value that needs more (or is continued over lines) is not understood.
    std::string raw;
    std::string_view quoted = std::string_view(line).substr(open + 1, close - open - 1);
    for (size_t at = 0; at < quoted.size();) {
      size_t var_at = quoted.find("$(", at);
      raw += quoted.substr(at, var_at - at);
      if (var_at == std::string_view::npos) break;
      size_t end = quoted.find(')', var_at);
      if (end == std::string_view::npos) return std::nullopt;
      auto var = vars.find(std::string(quoted.substr(var_at + 2, end - var_at - 2)));
      if (var != vars.end()) {
        if (var->second.find_first_of("$\\") != std::string::npos) return std::nullopt;
        raw += var->second;
      }
      at = end + 1;
    }
    for (size_t at = 0; printf && (at = raw.find("\\n", at)) != std::string::npos;) raw.replace(at, 2, "\n");
    text += raw + (echo ? "\n" : "");
  }
  return text;
}

// Writes the small files that make would print into place and that many TUs include: gnulib's
// configmake.h and rules like version.c/version.h above. Returns how many were written.
int write_printed_files(const fs::path& tree) {
  int written = 0;
  std::error_code ec;
  for (const auto& makefile : generated_makefiles(tree)) {
    auto text = read_file(makefile);
    if (!text) continue;
    std::map<std::string, std::string> vars;
    std::istringstream lines(*text);
    std::string line, target;
    std::vector<std::string> recipe;
    auto flush = [&] {
      if (target.empty()) return;
      fs::path rel = fs::path(target).lexically_normal();
      fs::path out = makefile.parent_path() / rel;
      std::optional<std::string> content;
      if (rel.filename() == "configmake.h") content = configmake_text();
      else if (!recipe.empty()) content = printed_text(recipe, vars);
      if (content && !rel.is_absolute() && !fs::exists(out, ec) && write_file_atomically(out, *content)) ++written;
      target.clear();
      recipe.clear();
    };
    while (std::getline(lines, line)) {
      if (!line.empty() && line[0] == '\t') {
        if (!target.empty()) recipe.push_back(line);
        continue;
      }
      flush();
      size_t colon = line.find(':'), eq = line.find('=');
      if (eq != std::string::npos && (colon == std::string::npos || eq < colon)) {
        vars[trim(line.substr(0, eq))] = trim(line.substr(eq + 1));
      } else if (colon != std::string::npos && line.find('$') > colon && !line.empty() && line[0] != '#' &&
                 trim(line.substr(colon + 1)) == "Makefile") {
        std::string t = trim(line.substr(0, colon));
        if (t.find(' ') == std::string::npos && t.find("..") == std::string::npos) target = t;
      }
    }
    flush();
  }
  return written;
}

// Generates config headers, never builds. Failures only go to the log.
// The -D/-U flags of autoconf's @DEFS@ in a generated Makefile: where the results go when the package
// has no config header (wavpack's DEFS, tcl's AC_FLAGS). Found as the assignment whose value starts
// with -DPACKAGE_NAME=, which AC_INIT always defines first; words are split the way the shell would.
std::vector<std::string> makefile_defs(const fs::path& makefile) {
  std::vector<std::string> defs;
  auto text = read_file(makefile);
  if (!text) return defs;
  std::string_view line;
  std::istringstream lines(*text);
  for (std::string l; line.empty() && std::getline(lines, l);) {
    size_t eq = l.find('=');
    if (eq == std::string::npos || l.empty() || std::isspace(static_cast<unsigned char>(l[0]))) continue;
    size_t value = l.find_first_not_of(" \t", eq + 1);
    if (value != std::string::npos && l.compare(value, 15, "-DPACKAGE_NAME=") == 0) {
      size_t at = text->find(l);
      line = std::string_view(*text).substr(at + value, l.size() - value);
    }
  }
  if (line.empty()) return defs;
  std::string word;
  bool in_word = false;
  char quote = 0;
  auto flush = [&] {
    bool flag = (word.rfind("-D", 0) == 0 || word.rfind("-U", 0) == 0) && word.size() > 2;
    if (flag && word != "-DHAVE_CONFIG_H") defs.push_back(word);
    word.clear();
    in_word = false;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < line.size()) word += line[++i];
      else word += c;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i], in_word = true;
    } else if (c == '\'' || c == '"') {
      quote = c, in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) flush();
    } else {
      word += c, in_word = true;
    }
  }
  if (in_word) flush();
  return defs;
}

// Runs the configure step (see prepare_package) and returns the defines that must go on the command
// line because no config header holds them.
std::vector<std::string> configure(const fs::path& tree, const PrepareOptions& opts, std::string& log) {
  if (!opts.run_configure) {
    log += "configure: skipped (disabled)\n";
    return {};
  }
  std::error_code ec;
  fs::path cdir = tree;
  for (const char* sub : kConfigureDirs)
    if (fs::path dir = *sub ? tree / sub : tree; fs::is_regular_file(dir / "configure", ec)) {
      cdir = dir;
      break;
    }
  if (cdir != tree && fs::is_regular_file(tree / "CMakeLists.txt", ec)) cdir = tree;  // cmake at the root wins
  auto script = cdir / "configure";
  if (fs::is_regular_file(script, ec)) {
    // Debian patches to configure.ac leave it newer than the shipped configure, which some scripts
    // refuse (openssh: "run autoreconf"); the shipped one is what we want to run.
    for (const char* generated : {"aclocal.m4", "configure", "config.h.in"})
      if (fs::exists(cdir / generated, ec)) fs::last_write_time(cdir / generated, fs::file_time_type::clock::now(), ec);
    auto text = read_file(script);
    bool autoconf = text && text->find("Generated by GNU Autoconf") != std::string::npos;
    // gcc-12, which the packages' configure scripts were tuned for, only warns where clang-19 errors.
    std::string cflags =
        "-O0 -Wno-error=implicit-function-declaration -Wno-error=implicit-int -Wno-error=int-conversion "
        "-Wno-error=incompatible-pointer-types -Wno-error=incompatible-function-pointer-types";
    // FORCE_UNSAFE_CONFIGURE: gnulib's configure refuses root otherwise, and corpora are built as root.
    std::vector<std::string> argv = {"env", "CC=clang-19", "CXX=clang++-19", "FORCE_UNSAFE_CONFIGURE=1", "sh",
                                     "./configure"};
    if (autoconf) {
      argv.insert(argv.begin() + 3, "CFLAGS=" + cflags);
      for (const char* a : {"--disable-dependency-tracking", "--disable-nls", "--disable-maintainer-mode",
                            "--prefix=/usr"})
        argv.push_back(a);
    } else if (text && text->find("--cc=") != std::string::npos) {
      // Hand-written scripts (ffmpeg) take the compiler as a flag and ignore CC.
      argv.push_back("--cc=clang-19");
      if (text->find("--cxx=") != std::string::npos) argv.push_back("--cxx=clang++-19");
    }
    // A script that stops on a missing dependency often names the flag that does without it (curl:
    // "--without-ssl", ffmpeg: "--disable-x86asm"); take the advice a few times, within one time limit.
    auto deadline = std::chrono::steady_clock::now() + opts.configure_timeout;
    SubprocessResult r;
    std::vector<std::string> advice_taken;
    for (int attempt = 0;; ++attempt) {
      auto left = std::chrono::duration_cast<std::chrono::seconds>(deadline - std::chrono::steady_clock::now());
      r = run_in(cdir, argv, std::max(left, std::chrono::seconds(1)));
      if (r.success() || r.timed_out || attempt == 3) break;
      auto flag = advised_flag(r.out + r.err);
      if (flag.empty() || std::find(argv.begin(), argv.end(), flag) != argv.end()) break;
      argv.push_back(flag);
      advice_taken.push_back(flag);
    }
    std::string advice = advice_taken.empty() ? "" : " with";
    for (const auto& a : advice_taken) advice += " " + a;
    std::string where = cdir == tree ? "" : " in " + cdir.lexically_relative(tree).string() + "/";
    log += fmt::format("configure: {}{} {}{}\n", autoconf ? "autoconf" : "script", where,
                       r.success() ? "ok" : "failed (" + failure_reason(r) + ")", advice);
    if (!r.success() || !autoconf) return {};
    if (int n = write_printed_files(cdir)) log += fmt::format("make-printed files: {} written\n", n);
    auto defs = makefile_defs(cdir / "Makefile");
    if (!defs.empty()) log += fmt::format("configure defines on the command line: {}\n", defs.size());
    return defs;
  }
  if (fs::is_regular_file(tree / "CMakeLists.txt", ec)) {
    auto r = run_in(tree,
                    {"cmake", "-S", ".", "-B", kBuildDirName, "-Wno-dev", "-DCMAKE_BUILD_TYPE=Release",
                     "-DCMAKE_C_COMPILER=clang-19", "-DCMAKE_CXX_COMPILER=clang++-19"},
                    opts.configure_timeout);
    log += fmt::format("configure: cmake {}\n", r.success() ? "ok" : "failed (" + failure_reason(r) + ")");
    return {};
  }
  log += "configure: skipped (no configure script or CMakeLists.txt)\n";
  return {};
}

nlohmann::json to_json(const PreparedPackage& p) {
  nlohmann::json jobs = nlohmann::json::array();
  for (const auto& j : p.jobs)
    jobs.push_back({{"relpath", j.relpath}, {"clang_args", j.clang_args}, {"is_cxx", j.is_cxx}});
  return {{"name", p.package.name},
          {"version", p.package.version},
          {"source_dir", p.source_dir.string()},
          {"log", p.log},
          {"times", p.times},
          {"jobs", std::move(jobs)}};
}

std::optional<PreparedPackage> from_json(const std::string& text, const DebianPackage& pkg, const fs::path& tree) {
  try {
    auto j = nlohmann::json::parse(text);
    if (j.at("name") != pkg.name || j.at("version") != pkg.version || j.at("source_dir") != tree.string())
      return std::nullopt;
    PreparedPackage p{pkg, tree, {}, j.at("log").get<std::string>(), {}, false};
    if (j.contains("times")) p.times = j.at("times").get<StageTimes>();
    for (const auto& job : j.at("jobs")) {
      CompileJob c;
      c.relpath = job.at("relpath").get<std::string>();
      c.source = tree / c.relpath;
      c.clang_args = job.at("clang_args").get<std::vector<std::string>>();
      c.is_cxx = job.at("is_cxx").get<bool>();
      p.jobs.push_back(std::move(c));
    }
    return p;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;  // a damaged record is redone, not reported
  }
}

}  // namespace

namespace {

// Where prepare_package keeps a package's files under the cache dir.
struct PackagePaths {
  fs::path downloads, srcs, tree, record, dsc, lock;
  PackagePaths(const DebianPackage& pkg, const fs::path& cache_dir) {
    fs::path cache = fs::absolute(cache_dir).lexically_normal();
    downloads = cache / "downloads";
    srcs = cache / "src";
    tree = srcs / (pkg.name + "-" + without_epoch(pkg.version));
    record = srcs / (tree.filename().string() + ".cr1.json");
    dsc = downloads / (pkg.name + "_" + without_epoch(pkg.version) + ".dsc");
    lock = srcs / ("." + tree.filename().string() + ".lock");
  }
};

}  // namespace

Status fetch_package(const DebianPackage& pkg, const fs::path& cache_dir, const PrepareOptions& opts) {
  auto what = fmt::format("{}={}", pkg.name, pkg.version);
  PackagePaths at(pkg, cache_dir);
  std::error_code ec;
  if (fs::exists(at.record, ec) && fs::is_directory(at.tree, ec)) return ok_status();
  fs::create_directories(at.downloads, ec);
  if (!ec) fs::create_directories(at.srcs, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: cannot create {}: {}", what, at.srcs.string(), ec.message()));
  int lock_fd = ::open(at.lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX) != 0) {
    if (lock_fd >= 0) ::close(lock_fd);
    return make_error(ErrorKind::io, fmt::format("{}: cannot lock {}: {}", what, at.lock.string(), std::strerror(errno)));
  }
  std::string log;
  auto st = download(pkg, at.downloads, at.dsc, opts, log);
  ::close(lock_fd);  // drops the flock
  return st;
}

Expected<PreparedPackage> prepare_package(const DebianPackage& pkg, const fs::path& cache_dir,
                                          const PrepareOptions& opts) {
  auto what = fmt::format("{}={}", pkg.name, pkg.version);
  std::string stem = pkg.name + "_" + without_epoch(pkg.version);
  fs::path cache = fs::absolute(cache_dir).lexically_normal();
  fs::path downloads = cache / "downloads";
  fs::path srcs = cache / "src";
  fs::path tree = srcs / (pkg.name + "-" + without_epoch(pkg.version));
  fs::path record = srcs / (tree.filename().string() + ".cr1.json");

  // The record holds the jobs without the package's extra args, so editing those needs no new preparation.
  auto with_extras = [&](PreparedPackage p) {
    for (auto& job : p.jobs) job.clang_args.insert(job.clang_args.end(), pkg.extra_args.begin(), pkg.extra_args.end());
    return p;
  };

  // A finished preparation: nothing to do.
  auto finished = [&]() -> std::optional<PreparedPackage> {
    if (auto text = read_file(record))
      if (auto p = from_json(*text, pkg, tree); p && fs::is_directory(tree)) {
        p->cached = true;
        return with_extras(std::move(*p));
      }
    return std::nullopt;
  };
  if (auto p = finished()) return std::move(*p);

  std::error_code ec;
  fs::create_directories(downloads, ec);
  if (!ec) fs::create_directories(srcs, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: cannot create {}: {}", what, srcs.string(), ec.message()));

  // Two processes preparing the same package (a corpus build and a test) would extract into the same
  // temporary tree; the second waits for the first and then reads its record.
  fs::path lock_path = srcs / ("." + tree.filename().string() + ".lock");
  int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd < 0 || ::flock(lock_fd, LOCK_EX) != 0) {
    if (lock_fd >= 0) ::close(lock_fd);
    return make_error(ErrorKind::io, fmt::format("{}: cannot lock {}: {}", what, lock_path.string(), std::strerror(errno)));
  }
  struct Unlock {
    int fd;
    ~Unlock() { ::close(fd); }  // closing drops the flock
  } unlock{lock_fd};
  if (auto p = finished()) return std::move(*p);

  PreparedPackage out{pkg, tree, {}, {}, {}, false};
  fs::path dsc = downloads / (stem + ".dsc");
  CpuSample t = cpu_now();
  if (auto s = download(pkg, downloads, dsc, opts, out.log); !s) return s.take_error();
  t = out.times.lap("download", t);

  // A tree without a record was left half-configured by an interrupted run: extract afresh, into a
  // temporary name first so that a tree under the final name is always complete.
  fs::path tmp = srcs / (".tmp-" + tree.filename().string());
  fs::remove_all(tmp, ec);
  fs::remove_all(tree, ec);
  auto x = run_in(srcs, {"dpkg-source", "--no-check", "--no-copy", "-x", dsc.string(), tmp.string()}, opts.fetch_timeout);
  if (!x.success()) {
    fs::remove_all(tmp, ec);
    return make_error(x.timed_out ? ErrorKind::timeout : ErrorKind::io,
                      fmt::format("{}: dpkg-source -x failed: {}", what, failure_reason(x)));
  }
  fs::rename(tmp, tree, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: cannot rename into {}: {}", what, tree.string(), ec.message()));
  out.log += "extract: ok\n";
  t = out.times.lap("extract", t);

  auto defs = configure(tree, opts, out.log);
  t = out.times.lap("configure", t);
  fs::path build = fs::is_directory(tree / kBuildDirName) ? tree / kBuildDirName : tree;
  out.jobs = enumerate_jobs(tree, build);
  out.times.lap("enumerate", t);
  for (auto& job : out.jobs) job.clang_args.insert(job.clang_args.end(), defs.begin(), defs.end());
  out.log += fmt::format("jobs: {}\n", out.jobs.size());
  if (out.jobs.empty()) return make_error(ErrorKind::invalid_input, fmt::format("{}: no C/C++ files found", what));

  if (auto s = write_file_atomically(record, to_json(out).dump()); !s)
    return make_error(ErrorKind::io, fmt::format("{}: cannot record the preparation: {}", what, s.error().message));
  return with_extras(std::move(out));
}

// ---- whole programs --------------------------------------------------------------------------------------

namespace {

bool under_support_dir(const fs::path& rel) {
  static const std::unordered_set<std::string> names = {"test",  "tests",  "testsuite", "testing", "t",
                                                        "examples", "example", "contrib", "demo", "demos",
                                                        "bench", "benchmarks", "fuzz", "fuzzing", "samples"};
  for (const auto& part : rel.parent_path())
    if (names.count(lower(part.string()))) return true;
  return false;
}

// The linker-visible symbols of one TU.
struct TuSymbols {
  std::map<std::string, bool> defined;  // external definitions -> strong (not weak/linkonce/common)
  std::vector<std::string> undefined;   // referenced, defined elsewhere
  bool has_main = false;
};

Expected<TuSymbols> read_symbols(const fs::path& bc) {
  auto bytes = read_file(bc);
  if (!bytes) return bytes.take_error();
  llvm::LLVMContext ctx;  // one per file: nothing is kept, and memory is returned at once
  auto module = ir::parse_ir(*bytes, bc.string(), ctx);
  if (!module) return module.take_error();
  TuSymbols syms;
  for (const llvm::GlobalValue& gv : (*module)->global_values()) {
    if (gv.hasLocalLinkage() || !gv.hasName() || gv.getName().starts_with("llvm.")) continue;
    std::string name = gv.getName().str();
    if (gv.isDeclarationForLinker()) {
      syms.undefined.push_back(name);
    } else {
      bool weak = gv.hasWeakLinkage() || gv.hasLinkOnceLinkage() || gv.hasCommonLinkage() ||
                  gv.hasExternalWeakLinkage();
      syms.defined[name] = !weak;
    }
  }
  const llvm::Function* main = (*module)->getFunction("main");
  syms.has_main = main && !main->isDeclaration() && !main->hasLocalLinkage();
  return syms;
}

}  // namespace

Expected<std::vector<ProgramGroup>> whole_program_groups(const std::map<std::string, fs::path>& tu_bitcode) {
  std::vector<std::string> rels;
  std::vector<TuSymbols> tus;
  std::unordered_map<std::string, std::vector<size_t>> definers;  // symbol -> TUs without main defining it
  for (const auto& [relpath, bc] : tu_bitcode) {
    auto syms = read_symbols(bc);
    if (!syms) return syms.take_error();
    if (!syms->has_main)
      for (const auto& [name, strong] : syms->defined) definers[name].push_back(tus.size());
    rels.push_back(relpath);
    tus.push_back(std::move(*syms));
  }

  std::vector<ProgramGroup> groups;
  for (size_t m = 0; m < tus.size(); ++m) {
    if (!tus[m].has_main) continue;
    fs::path mdir = fs::path(rels[m]).parent_path();
    // Breadth first from main's undefined symbols: each is resolved by the best TU defining it, and
    // that TU's own undefined symbols are resolved in turn. What no TU defines comes from libraries.
    auto better = [&](size_t a, size_t b, const std::string& sym) {
      auto key = [&](size_t i) {
        fs::path rel(rels[i]);
        bool support = under_support_dir(rel) && rel.parent_path() != mdir;
        return std::make_tuple(!tus[i].defined.at(sym), support, tree_distance(mdir, rel.parent_path()));
      };
      auto ka = key(a), kb = key(b);
      return ka != kb ? ka < kb : rels[a] < rels[b];
    };
    std::vector<size_t> members = {m};
    std::unordered_set<size_t> in_group = {m};
    std::unordered_set<std::string> defined;
    for (const auto& [name, strong] : tus[m].defined) defined.insert(name);
    for (size_t next = 0; next < members.size(); ++next) {
      for (const auto& sym : tus[members[next]].undefined) {
        if (defined.count(sym)) continue;
        auto found = definers.find(sym);
        if (found == definers.end()) continue;
        size_t best = found->second.front();
        for (size_t c : found->second)
          if (better(c, best, sym)) best = c;
        defined.insert(sym);
        if (!in_group.insert(best).second) continue;
        members.push_back(best);
        for (const auto& [name, strong] : tus[best].defined) defined.insert(name);
      }
    }
    ProgramGroup g;
    fs::path mrel(rels[m]);
    g.name = (mrel.parent_path() / mrel.stem()).generic_string();
    for (size_t i : members) g.relpaths.push_back(rels[i]);
    groups.push_back(std::move(g));
  }
  return groups;
}

}  // namespace cr1::data
