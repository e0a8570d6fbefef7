#include "model/safetensors.h"

#include <cstring>
#include <fstream>

#include <gtest/gtest.h>

#include "model/safetensors_checkpoint.h"
#include "model_test_helpers.h"
#include "util/atomic_file.h"

namespace cr1::model {
namespace {

std::span<const std::byte> bytes_of(const std::vector<float>& v) { return std::as_bytes(std::span(v)); }

TEST(Safetensors, RoundTripsTensorsAndMetadata) {
  test::ScratchDir dir;
  std::vector<float> a = {1, 2, 3, 4, 5, 6};
  std::vector<uint16_t> b = {0x3f80, 0xc000, 0x0000};  // bf16 1, -2, 0
  std::vector<int64_t> c = {7, -8};
  std::vector<TensorBytes> ts = {
      {"layer.a", StDType::f32, {2, 3}, bytes_of(a)},
      {"b", StDType::bf16, {3}, std::as_bytes(std::span(b))},
      {"c", StDType::i64, {1, 2}, std::as_bytes(std::span(c))},
  };
  auto path = dir.path / "t.safetensors";
  ASSERT_TRUE(write_safetensors(path, ts, {{"format", "pt"}, {"note", "x"}}));
  auto f = SafetensorsFile::open(path);
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->metadata().at("note"), "x");
  ASSERT_EQ(f->tensors().size(), 3u);
  const TensorView* va = f->find("layer.a");
  ASSERT_NE(va, nullptr);
  EXPECT_EQ(va->dtype, StDType::f32);
  EXPECT_EQ(va->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(va->data) % 8, 0u);  // aligned for from_blob
  EXPECT_EQ(std::memcmp(va->data, a.data(), 24), 0);
  const TensorView* vb = f->find("b");
  ASSERT_NE(vb, nullptr);
  EXPECT_EQ(vb->dtype, StDType::bf16);
  EXPECT_EQ(std::memcmp(vb->data, b.data(), 6), 0);
  EXPECT_EQ(f->find("c")->numel(), 2);
  EXPECT_EQ(f->find("nope"), nullptr);
}

TEST(Safetensors, ViewsOutliveTheFileObject) {
  test::ScratchDir dir;
  std::vector<float> a = {3.5f};
  std::vector<TensorBytes> ts = {{"a", StDType::f32, {1}, bytes_of(a)}};
  ASSERT_TRUE(write_safetensors(dir.path / "t.safetensors", ts));
  TensorView kept;
  {
    auto f = SafetensorsFile::open(dir.path / "t.safetensors");
    ASSERT_TRUE(f);
    kept = f->tensors()[0];
  }
  float x;
  std::memcpy(&x, kept.data, 4);
  EXPECT_EQ(x, 3.5f);
}

TEST(Safetensors, ReadsHuggingFaceFiles) {
  auto f = SafetensorsFile::open(test::fixture_dir("qwen2-tiny-tied") / "model.safetensors");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->metadata().at("format"), "pt");
  const TensorView* e = f->find("model.embed_tokens.weight");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->dtype, StDType::bf16);
  EXPECT_EQ(e->shape, (std::vector<int64_t>{978, 64}));
}

TEST(Safetensors, RejectsCorruptFiles) {
  test::ScratchDir dir;
  auto write = [&](const std::string& name, const std::string& content) {
    EXPECT_TRUE(write_file_atomically(dir.path / name, content));
    auto f = SafetensorsFile::open(dir.path / name);
    return f ? std::string() : f.error().message;
  };
  auto with_header = [](const std::string& h, const std::string& data) {
    std::string s(8, '\0');
    uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    return s + h + data;
  };
  EXPECT_NE(write("short", "abc").find("shorter than"), std::string::npos);
  EXPECT_NE(write("len", std::string("\xff\xff\xff\xff\0\0\0\0", 8) + "{}").find("header length"), std::string::npos);
  EXPECT_NE(write("json", with_header("[1,2]", "")).find("not a JSON object"), std::string::npos);
  EXPECT_NE(write("range", with_header(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"))
                .find("outside"),
            std::string::npos);
  EXPECT_NE(write("size", with_header(R"({"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", "12345678"))
                .find("expected 12"),
            std::string::npos);
  EXPECT_NE(write("dtype", with_header(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", "1"))
                .find("'Q4'"),
            std::string::npos);
  EXPECT_NE(write("overlap", with_header(R"({"a":{"dtype":"U8","shape":[2],"data_offsets":[0,2]},)"
                                         R"("b":{"dtype":"U8","shape":[2],"data_offsets":[1,3]}})",
                                         "123"))
                .find("overlap"),
            std::string::npos);
  auto missing = SafetensorsFile::open(dir.path / "absent.safetensors");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::not_found);
}

TEST(SafetensorsCheckpoint, ShardsAndIndexRoundTrip) {
  test::ScratchDir dir;
  std::vector<std::vector<float>> data;
  for (int i = 0; i < 5; ++i) data.push_back(std::vector<float>(100, static_cast<float>(i)));
  std::vector<TensorBytes> ts;
  for (int i = 0; i < 5; ++i) ts.push_back({"t" + std::to_string(i), StDType::f32, {10, 10}, bytes_of(data[i])});
  // 400 bytes each, 1000 per shard: shards of 2, 2 and 1.
  ASSERT_TRUE(write_safetensors_checkpoint(dir.path, ts, 1000));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "model-00001-of-00003.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / "model-00003-of-00003.safetensors"));
  EXPECT_TRUE(std::filesystem::exists(dir.path / kWeightsIndexFile));
  EXPECT_FALSE(std::filesystem::exists(dir.path / kSingleWeightsFile));
  auto c = SafetensorsCheckpoint::open(dir.path);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->num_files(), 3u);
  EXPECT_EQ(c->names().size(), 5u);
  for (int i = 0; i < 5; ++i) {
    const TensorView* v = c->find("t" + std::to_string(i));
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(std::memcmp(v->data, data[i].data(), 400), 0);
  }
  // Saving again unsharded removes the shards and the index.
  ASSERT_TRUE(write_safetensors_checkpoint(dir.path, ts, 0));
  EXPECT_TRUE(std::filesystem::exists(dir.path / kSingleWeightsFile));
  EXPECT_FALSE(std::filesystem::exists(dir.path / kWeightsIndexFile));
  EXPECT_FALSE(std::filesystem::exists(dir.path / "model-00001-of-00003.safetensors"));
  auto single = SafetensorsCheckpoint::open(dir.path);
  ASSERT_TRUE(single);
  EXPECT_EQ(single->num_files(), 1u);
}

TEST(SafetensorsCheckpoint, ReadsHuggingFaceShards) {
  auto c = SafetensorsCheckpoint::open(test::fixture_dir("qwen2-tiny-sharded"));
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->num_files(), 6u);
  EXPECT_EQ(c->names().size(), 27u);
  EXPECT_NE(c->find("lm_head.weight"), nullptr);
}

TEST(SafetensorsCheckpoint, IndexErrorsNameTheProblem) {
  test::ScratchDir dir;
  auto none = SafetensorsCheckpoint::open(dir.path);
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no model.safetensors"), std::string::npos);
  ASSERT_TRUE(write_file_atomically(dir.path / kWeightsIndexFile,
                                    R"({"weight_map": {"a": "model-00001-of-00002.safetensors"}})"));
  auto missing_shard = SafetensorsCheckpoint::open(dir.path);
  ASSERT_FALSE(missing_shard);
  EXPECT_NE(missing_shard.error().message.find("model-00001-of-00002.safetensors"), std::string::npos);
  std::vector<float> x = {1};
  std::vector<TensorBytes> ts = {{"b", StDType::f32, {1}, bytes_of(x)}};
  ASSERT_TRUE(write_safetensors(dir.path / "model-00001-of-00002.safetensors", ts));
  auto wrong = SafetensorsCheckpoint::open(dir.path);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("tensor 'a' is not in"), std::string::npos);
}

}  // namespace
}  // namespace cr1::model
