#include "util/atomic_file.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace cr1 {
namespace {

TEST(AtomicFile, WritesAndReplaces) {
  test::TempDir dir;
  auto target = dir.path / "out.txt";
  ASSERT_TRUE(write_file_atomically(target, "one").ok());
  ASSERT_TRUE(write_file_atomically(target, "two").ok());
  EXPECT_EQ(*read_file(target), "two");
  // No temporary is left behind.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir.path)) files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(AtomicFile, UncommittedLeavesNothing) {
  test::TempDir dir;
  auto target = dir.path / "out.txt";
  {
    auto f = AtomicFile::create(target);
    ASSERT_TRUE(f.ok());
    std::ofstream(f->temp_path()) << "partial";
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path));
}

TEST(AtomicFile, MissingDirectoryIsAnError) {
  auto st = write_file_atomically("/nonexistent-dir-cr1/x.txt", "x");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::io);
  EXPECT_NE(st.error().message.find("/nonexistent-dir-cr1"), std::string::npos);
}

TEST(ReadFile, MissingFileIsNotFound) {
  auto r = read_file("/nonexistent-cr1.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::not_found);
}

}  // namespace
}  // namespace cr1
