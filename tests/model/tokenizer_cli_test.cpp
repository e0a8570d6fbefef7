// End to end: `compiler-r1 tokenizer train|encode|decode` as a user runs them.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace cr1 {
namespace {

SubprocessResult cli(std::vector<std::string> args) {
  args.insert(args.begin(), CR1_CLI_PATH);
  return run_subprocess(args, std::chrono::seconds(120));
}

std::string fixture_dir() { return (test::source_dir() / "tests/fixtures/qwen2-tiny").string(); }

// A small trajectory-like corpus: JSONL with HF `messages`, and a plain-text file.
void write_corpus(const test::TempDir& dir) {
  std::string jsonl;
  for (int i = 0; i < 200; ++i) {
    nlohmann::json rec = {
        {"messages",
         {{{"role", "system"}, {"content", "You tune LLVM pass sequences."}},
          {{"role", "user"}, {"content", "Optimize program_" + std::to_string(i) + ".c for size."}},
          {{"role", "assistant"},
           {"content", "<think>Try instcombine first.</think>\n<tool_call>\n{\"name\": \"instrcount\", \"arguments\": "
                       "{\"filename\": \"program_" + std::to_string(i) + ".c\", \"optimization_flags\": [\"--instcombine\", \"--sroa\"]}}\n</tool_call>"}},
          {{"role", "tool"}, {"content", "{\"over_oz\": \"" + std::to_string(i % 7) + ".25%\"}"}},
          {{"role", "assistant"}, {"content", "<answer>[\"--instcombine\", \"--sroa\"]</answer>"}}}}};
    jsonl += rec.dump() + "\n";
  }
  dir.file("trajectories.jsonl", jsonl);
  // Plus pseudo-words from a fixed generator, so that there are enough distinct pairs to merge.
  std::string text;
  uint32_t x = 12345;
  for (int i = 0; i < 400; ++i) {
    text += "The pass manager runs simplifycfg, then instcombine, then gvn; count " + std::to_string(i) + ":";
    for (int w = 0; w < 8; ++w) {
      text += ' ';
      int len = 3 + static_cast<int>((x = x * 1103515245u + 12345u) >> 28) % 6;
      for (int k = 0; k < len; ++k) text += "etaoinshrdlucmfw"[(x = x * 1103515245u + 12345u) >> 28];
    }
    text += ".\n";
  }
  dir.file("notes.txt", text);
}

TEST(TokenizerCli, TrainEncodeDecodeRoundTrip) {
  test::TempDir dir;
  write_corpus(dir);
  auto out = dir.path / "tok";
  auto r = cli({"tokenizer", "train", "--input", (dir.path / "trajectories.jsonl").string(), (dir.path / "notes.txt").string(),
                "--vocab-size", "500", "--out", out.string(), "--json"});
  ASSERT_TRUE(r.success()) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["vocab_size"], 500);
  EXPECT_EQ(j["texts"].get<int>(), 200 + 1);
  EXPECT_GT(j["merges"].get<int>(), 200);
  for (const char* f : {"tokenizer.json", "tokenizer_config.json", "vocab.json", "merges.txt"})
    EXPECT_TRUE(std::filesystem::exists(out / f)) << f;

  std::string text = "<|im_start|>user\nOptimize program_7.c for size.<|im_end|>\n<think>ok</think>";
  auto enc = cli({"tokenizer", "encode", "--tokenizer", out.string(), text, "--json"});
  ASSERT_TRUE(enc.success()) << enc.err;
  auto e = nlohmann::json::parse(enc.out);
  auto ids = e["ids"].get<std::vector<int>>();
  EXPECT_LT(ids.size(), text.size() / 2) << "the trained vocabulary should compress its own kind of text";
  EXPECT_EQ(e["tokens"][0], "<|im_start|>");

  auto plain = cli({"tokenizer", "encode", "--tokenizer", out.string(), text});
  ASSERT_TRUE(plain.success()) << plain.err;
  std::vector<std::string> dec_args = {"tokenizer", "decode", "--tokenizer", out.string(), "--json"};
  for (int id : ids) dec_args.push_back(std::to_string(id));
  auto dec = cli(dec_args);
  ASSERT_TRUE(dec.success()) << dec.err;
  EXPECT_EQ(nlohmann::json::parse(dec.out)["text"], text);
  // The plain output is the same ids, space-separated, which decode also takes as one argument.
  std::string listed = plain.out.substr(0, plain.out.find('\n'));
  auto dec2 = cli({"tokenizer", "decode", "--tokenizer", (out / "tokenizer.json").string(), listed, "--skip-special-tokens"});
  ASSERT_TRUE(dec2.success()) << dec2.err;
  EXPECT_EQ(dec2.out, "user\nOptimize program_7.c for size.\n<think>ok</think>\n");
}

TEST(TokenizerCli, TrainingIsDeterministic) {
  test::TempDir dir;
  write_corpus(dir);
  std::string tj[2];
  for (int k = 0; k < 2; ++k) {
    auto out = dir.path / ("tok" + std::to_string(k));
    auto r = cli({"tokenizer", "train", "-i", (dir.path / "notes.txt").string(), (dir.path / "trajectories.jsonl").string(),
                  "-n", "420", "-o", out.string()});
    ASSERT_TRUE(r.success()) << r.err;
    EXPECT_NE(r.out.find("vocab      420 tokens"), std::string::npos) << r.out;
    tj[k] = *read_file(out / "tokenizer.json");
  }
  EXPECT_EQ(tj[0], tj[1]);
}

TEST(TokenizerCli, EncodesLikeHfWithTheFixtureTokenizer) {
  auto r = cli({"tokenizer", "encode", "--tokenizer", fixture_dir(), "Hello world"});
  ASSERT_TRUE(r.success()) << r.err;
  EXPECT_EQ(r.out, "39 68 75 305 220 86 363 495\n");  // HF's ids (tokenizer_cases.json)
  test::TempDir dir;
  auto f = dir.file("in.txt", "Hello world");
  auto r2 = cli({"tokenizer", "encode", "--tokenizer", fixture_dir(), "--file", f.string()});
  EXPECT_EQ(r2.out, r.out);
  auto d = cli({"tokenizer", "decode", "--tokenizer", fixture_dir(), "[39, 68, 75, 305, 220, 86, 363, 495]"});
  EXPECT_EQ(d.out, "Hello world\n");
}

TEST(TokenizerCli, BadInputIsAOneLineErrorWithExitCode2) {
  test::TempDir dir;
  auto expect_bad = [](const SubprocessResult& r, const std::string& needle) {
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  };
  expect_bad(cli({"tokenizer", "encode", "--tokenizer", (dir.path / "none").string(), "x"}), "no such file");
  expect_bad(cli({"tokenizer", "decode", "--tokenizer", fixture_dir(), "12", "99999"}), "'99999' is not a token id");
  expect_bad(cli({"tokenizer", "decode", "--tokenizer", fixture_dir(), "abc"}), "'abc' is not a token id");
  expect_bad(cli({"tokenizer", "train", "--input", (dir.path / "missing.txt").string(), "--out", (dir.path / "o").string()}),
             "missing.txt: no such file");
  auto txt = dir.file("a.txt", "some text\n");
  expect_bad(cli({"tokenizer", "train", "--input", txt.string(), "--vocab-size", "100", "--out", (dir.path / "o").string()}),
             "vocab size 100 is below");
  auto bad = dir.file("bad.jsonl", "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}\n{oops\n");
  expect_bad(cli({"tokenizer", "train", "--input", bad.string(), "--out", (dir.path / "o").string()}), "bad.jsonl:2: ");
  EXPECT_FALSE(std::filesystem::exists(dir.path / "o" / "tokenizer.json"));
  auto broken = dir.file("tokenizer.json", "{\"model\": {\"type\": \"Unigram\"}}");
  expect_bad(cli({"tokenizer", "encode", "--tokenizer", broken.string(), "x"}), "tokenizer.json: ");
}

}  // namespace
}  // namespace cr1
