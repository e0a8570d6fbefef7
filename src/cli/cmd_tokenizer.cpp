// `compiler-r1 tokenizer train|encode|decode`: trains a compact byte-level BPE vocabulary on our
// corpora and saves it in the HF layout; encodes text to ids and decodes ids to text with any HF
// byte-level tokenizer.json (ours, Qwen2's).
#include <chrono>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "cli/cli_common.h"
#include "cli/command_registry.h"
#include "model/bpe_trainer.h"
#include "model/bpe_trainer_corpus.h"
#include "model/bpe_trainer_output.h"
#include "model/tokenizer.h"
#include "util/atomic_file.h"
#include "util/progress.h"

namespace cr1::cli {
namespace {

namespace fs = std::filesystem;

struct TrainArgs {
  std::vector<std::string> inputs;
  size_t vocab_size = 4096;
  uint64_t min_frequency = 2;
  std::string format = "auto";
  std::string out;
  bool json = false;
};

struct CodecArgs {
  std::string tokenizer;
  std::vector<std::string> items;  // text (encode) or ids (decode)
  std::string file;
  bool split_special = false;
  bool skip_special = false;
  bool json = false;
};

model::Tokenizer load_tokenizer(const std::string& path) {
  return unwrap(model::Tokenizer::load(path));
}

void run_train(const TrainArgs& args) {
  auto t0 = std::chrono::steady_clock::now();
  auto format = unwrap(model::parse_corpus_format(args.format));
  for (const auto& f : args.inputs)
    if (!fs::is_regular_file(f)) throw CliError(fmt::format("{}: no such file", f));
  fs::path out = args.out;
  if (fs::exists(out) && !fs::is_directory(out)) throw CliError(fmt::format("{}: exists and is not a directory", args.out));

  model::BpeTrainerOptions options;
  options.vocab_size = args.vocab_size;
  options.min_frequency = args.min_frequency;
  auto trainer = unwrap(model::BpeTrainer::create(options));
  ProgressBar bar("counting words", args.inputs.size(), !args.json);
  for (size_t i = 0; i < args.inputs.size(); ++i) {
    auto st = model::read_training_texts(args.inputs[i], format, [&](std::string_view text) { return trainer.add_text(text); });
    if (!st) throw CliError(st.error().message);
    bar.update(i + 1);
  }
  bar.finish();
  const auto& s = trainer.stats();
  if (s.words == 0) throw CliError("no text to train on in the inputs");
  spdlog::info("{} texts, {:.1f} MB, {} words ({} distinct) counted in {:.2f} s", s.texts, s.bytes / 1e6, s.words,
               s.unique_words, s.count_seconds);
  auto vocab = unwrap(trainer.train(), kExitFailure);
  unwrap(model::save_tokenizer(vocab, out), kExitFailure);
  // What we wrote must load back as a tokenizer.
  unwrap(model::Tokenizer::load(out), kExitFailure);
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  nlohmann::json j = {{"out", out.string()},
                      {"vocab_size", vocab.size()},
                      {"merges", vocab.merges.size()},
                      {"added_tokens", vocab.added_tokens.size()},
                      {"requested_vocab_size", args.vocab_size},
                      {"texts", s.texts},
                      {"bytes", s.bytes},
                      {"words", s.words},
                      {"unique_words", s.unique_words},
                      {"last_merge_frequency", s.last_merge_frequency},
                      {"count_seconds", s.count_seconds},
                      {"merge_seconds", s.merge_seconds},
                      {"seconds", secs}};
  if (args.json) {
    print_json(j);
    return;
  }
  fmt::print("tokenizer  {}\n", (out / "tokenizer.json").string());
  fmt::print("vocab      {} tokens: 256 bytes + {} merged + {} added{}\n", vocab.size(), vocab.tokens.size() - 256,
             vocab.added_tokens.size(),
             vocab.size() < args.vocab_size ? fmt::format(" (stopped early: no pair seen {} times)", args.min_frequency) : "");
  fmt::print("corpus     {} texts, {:.2f} MB, {} words, {} distinct\n", s.texts, s.bytes / 1e6, s.words, s.unique_words);
  fmt::print("time       {:.2f} s (counting {:.2f} s, merging {:.2f} s)\n", secs, s.count_seconds, s.merge_seconds);
}

std::string input_text(const CodecArgs& args) {
  if (!args.file.empty()) {
    if (!args.items.empty()) throw CliError("give the text either as an argument or with --file, not both");
    if (args.file == "-") {
      std::ostringstream ss;
      ss << std::cin.rdbuf();
      return ss.str();
    }
    return unwrap(read_file(args.file));
  }
  if (args.items.size() != 1) throw CliError("encode takes one TEXT argument (quote it) or --file");
  return args.items[0];
}

void run_encode(const CodecArgs& args) {
  auto tok = load_tokenizer(args.tokenizer);
  std::string text = input_text(args);
  model::EncodeOptions o;
  o.split_special_tokens = args.split_special;
  auto ids = tok.encode(text, o);
  if (args.json) {
    nlohmann::json tokens = nlohmann::json::array();
    for (int32_t id : ids) tokens.push_back(tok.id_to_token(id).value_or(""));
    print_json({{"ids", ids}, {"tokens", tokens}, {"count", ids.size()}});
    return;
  }
  fmt::print("{}\n", fmt::join(ids, " "));
}

void run_decode(const CodecArgs& args) {
  auto tok = load_tokenizer(args.tokenizer);
  std::vector<std::string> items = args.items;
  if (!args.file.empty()) {
    std::istringstream ss(args.file == "-" ? std::string(std::istreambuf_iterator<char>(std::cin), {}) : unwrap(read_file(args.file)));
    for (std::string w; ss >> w;) items.push_back(w);
  }
  std::vector<int32_t> ids;
  for (const auto& item : items) {
    // Ids may come one per argument or as one list ("1 2 3", "1,2,3", "[1, 2, 3]").
    std::string cleaned = item;
    for (char& c : cleaned)
      if (c == ',' || c == '[' || c == ']') c = ' ';
    std::istringstream ss(cleaned);
    for (std::string w; ss >> w;) {
      size_t used = 0;
      long long v = -1;
      try {
        v = std::stoll(w, &used);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != w.size() || v < 0 || v >= tok.vocab_size())
        throw CliError(fmt::format("'{}' is not a token id (0..{})", w, tok.vocab_size() - 1));
      ids.push_back(static_cast<int32_t>(v));
    }
  }
  std::string text = tok.decode(ids, args.skip_special);
  if (args.json) {
    print_json({{"text", text}, {"count", ids.size()}});
    return;
  }
  std::cout << text << "\n";
}

void add_tokenizer_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("tokenizer", "Byte-level BPE tokenizer: train a vocabulary, encode, decode");
  cmd->require_subcommand(1);

  auto train = std::make_shared<TrainArgs>();
  auto* t = cmd->add_subcommand("train", "Train a byte-level BPE vocabulary and save it as an HF tokenizer (tokenizer.json, tokenizer_config.json)");
  t->add_option("-i,--input", train->inputs, "Corpus files: JSONL records with HF `messages` (or `text`), or plain text")
      ->required()
      ->expected(1, -1);
  t->add_option("-n,--vocab-size", train->vocab_size, "Vocabulary size, added tokens included");
  t->add_option("--min-frequency", train->min_frequency, "Merge only pairs seen at least this often")->check(CLI::PositiveNumber);
  t->add_option("--format", train->format, "Input format: auto (by extension: .jsonl/.json = jsonl), jsonl, text");
  t->add_option("-o,--out", train->out, "Output directory")->required();
  t->add_flag("--json", train->json, "Machine-readable output");
  t->callback([train] { run_train(*train); });

  auto enc = std::make_shared<CodecArgs>();
  auto* e = cmd->add_subcommand("encode", "Text to token ids");
  e->add_option("-t,--tokenizer", enc->tokenizer, "Tokenizer directory or tokenizer.json")->required();
  e->add_option("text", enc->items, "Text to encode");
  e->add_option("-f,--file", enc->file, "Read the text from a file ('-' = stdin)");
  e->add_flag("--split-special-tokens", enc->split_special, "Encode special tokens in the text as plain text");
  e->add_flag("--json", enc->json, "Machine-readable output (ids and tokens)");
  e->callback([enc] { run_encode(*enc); });

  auto dec = std::make_shared<CodecArgs>();
  auto* d = cmd->add_subcommand("decode", "Token ids to text");
  d->add_option("-t,--tokenizer", dec->tokenizer, "Tokenizer directory or tokenizer.json")->required();
  d->add_option("ids", dec->items, "Token ids (separate arguments or one list)");
  d->add_option("-f,--file", dec->file, "Read the ids from a file ('-' = stdin)");
  d->add_flag("--skip-special-tokens", dec->skip_special, "Leave special tokens out of the text");
  d->add_flag("--json", dec->json, "Machine-readable output");
  d->callback([dec] { run_decode(*dec); });
}

const CommandRegistration kRegistration{80, add_tokenizer_command};

}  // namespace
}  // namespace cr1::cli
