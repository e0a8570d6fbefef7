// Debian source packages as program corpora: one compile job per translation unit (like CompilerGym's
// github/linux datasets) and whole-program groups of TUs (like cBench).
//
// This file knows Debian and source trees; it does not compile anything. The corpus builder compiles the
// jobs with clang-19 using its own recipe flags, filters, dedupes and writes the manifest.
//
// Needs deb-src entries (scripts/enable-deb-src.sh) and dpkg-dev. The pinned list is data/debian-packages.txt.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "data/stage_times.h"
#include "util/expected.h"

namespace cr1::data {

struct DebianPackage {
  std::string name;     // source package, e.g. "bzip2"
  std::string version;  // exact Debian version incl. epoch, e.g. "1:1.2.13.dfsg-1"
  // Added to every job of the package: what its Makefiles pass and no config header says, e.g.
  // ffmpeg's -DHAVE_AV_CONFIG_H. Only -D, -U and -std= are accepted.
  std::vector<std::string> extra_args;
};

// Reads "name=version [arg ...]" lines (args: see extra_args). '#' starts a comment (whole line or
// trailing); blank lines are skipped. A malformed line, a bad name/version/arg or a repeated name is an
// invalid_input error naming file:line.
Expected<std::vector<DebianPackage>> read_package_list(const std::filesystem::path& file);

struct CompileJob {
  std::filesystem::path source;         // absolute path of the TU
  std::string relpath;                  // path inside the package, e.g. "src/foo.c"
  std::vector<std::string> clang_args;  // -I/-idirafter/-D/-std=/-w...; NOT the recipe flags, NOT -c/-o;
                                        // ends with the package's extra_args
  bool is_cxx = false;                  // compile with clang++-19
};

struct PreparedPackage {
  DebianPackage package;
  std::filesystem::path source_dir;  // the extracted tree, Debian patches applied
  std::vector<CompileJob> jobs;      // sorted by relpath
  std::string log;                   // one line per step: "download ok", "configure failed: ...", ...
  StageTimes times;                  // download, extract, configure, enumerate (when it was prepared)
  bool cached = false;               // read back from an earlier preparation
};

struct PrepareOptions {
  std::chrono::seconds fetch_timeout{600};      // apt-get source + dpkg-source -x
  std::chrono::seconds configure_timeout{600};  // ./configure or cmake; gnulib ones take minutes
  bool run_configure = true;
};

// Makes `pkg` ready to compile under `cache_dir`:
//   downloads/   apt-get source --only-source --download-only name=version (skipped when the .dsc and
//                its files are there)
//   src/<name>-<version without epoch>/   dpkg-source -x (Debian patches applied)
//   src/<name>-<version without epoch>.cr1.json   the finished preparation: log and job list
// The configure step only generates headers, never builds (no make):
//   - a `configure` script runs in the tree with CC=clang-19 (autoconf ones also get --disable-nls etc.
//     and gcc-12's leniency in CFLAGS); when it stops and names a --disable-X/--without-X flag
//     (curl's --without-ssl, ffmpeg's --disable-x86asm) it is rerun with that flag, up to 3 times;
//   - after autoconf, the tiny files make would print into place (gnulib's configmake.h, automake's
//     version.c/version.h) are written the same way;
//   - else a CMakeLists.txt gets `cmake -S . -B .cr1-build` (clang-19).
// A failed or timed-out configure is logged, not an error, since many TUs compile without it. Calling
// it again reads the .json and does nothing else (a tree without one is extracted afresh).
// Errors (not_found for a name/version apt does not know, io/timeout otherwise) are one line naming the
// package; apt's first "E:" line is kept as the reason.
Expected<PreparedPackage> prepare_package(const DebianPackage& pkg, const std::filesystem::path& cache_dir,
                                          const PrepareOptions& opts = {});

// Just the download step of prepare_package (which then finds the files there), under the same lock;
// nothing to do for a package already prepared or downloaded. Downloads wait on the network, not the
// CPU, so a corpus build runs several at once before the CPU-bound preparation.
Status fetch_package(const DebianPackage& pkg, const std::filesystem::path& cache_dir, const PrepareOptions& opts = {});

// The compile jobs of an already extracted (and configured) tree; prepare_package uses it. `build_dir`
// may equal `root`. Per TU: -I for its own dir, the build dir, the root, then every dir holding headers
// or resolving a `#include <a/b.h>` seen in the tree, nearest first (at most 64); dirs holding a header
// named like a libc one (time.h, regex.h) come as -idirafter so they cannot hide the system's. An
// include that resolves nowhere but names a header found once in the tree gets a forwarding header in
// <root>/.cr1-shim (searched last; Makefiles often link such headers into place), and a quoted header
// found nowhere, not even in the system, an empty stub there (make would have generated it). Dirs of
// headers that configure wrote come right after the TU's own dir, and the 16 dirs that most #include
// lines resolve to ("hubs") before the rest. -DHAVE_CONFIG_H when the tree has a config.h or configure
// wrote a config header; -std=gnu11 / gnu++17, -w, -ferror-limit=1, and gcc-12's warnings that clang-19
// makes errors (implicit declarations, int/pointer conversions) kept warnings.
// Skipped: debian/, .pc/, VCS and CMake dirs, dirs for other systems (win32, vms, os2, mac, ...).
// Exposed for tests and for trees that do not come from Debian.
std::vector<CompileJob> enumerate_jobs(const std::filesystem::path& root, const std::filesystem::path& build_dir);

// A whole program, cBench style: the TU with `main` first, then the package's TUs it needs.
struct ProgramGroup {
  std::string name;                   // the main TU's relpath without extension, e.g. "src/ls"
  std::vector<std::string> relpaths;  // main TU first, then breadth first by reference
};

// Given the per-TU bitcode of one package (relpath -> .bc), makes one group per TU that defines an
// external `main`: that TU plus, transitively, a TU defining each symbol the group references and does
// not define itself. Where several TUs define a symbol, the choice is: a strong definition over a weak
// one, then not under a test/tests/examples/contrib/demo/bench/fuzz... directory (unless it is the main
// TU's own), then the nearest directory, then the first relpath. TUs with `main` are never pulled in;
// symbols no TU defines are left to the system libraries.
// Every member is needed, so link the group with plain llvm::Linker flags (LinkOnlyNeeded, linked in
// order, can drop a symbol that only a later member uses). Two members may still define the same
// symbol; such groups fail to link and are the caller's to drop. An unreadable file is an error naming it.
Expected<std::vector<ProgramGroup>> whole_program_groups(
    const std::map<std::string, std::filesystem::path>& tu_bitcode);

}  // namespace cr1::data
