// tokenizer_throughput: encode and decode speed of the byte-level BPE tokenizer, in MB of text per
// second, against the O(n^2) merge loop (rescan every pair after each merge) on the same text, in the
// same run. Prints Markdown to stdout; progress goes to stderr.
//
// Text: --text FILE... (each file one encode call; JSONL files are rendered to ChatML like the
// trainer's input), else the repository's own sources (src/, tests/, bench/ .cpp/.h/.md) and then
// Python's standard library (/usr/lib/python3*/ *.py), file by file in name order, up to --mb MB.
// Tokenizer: --tokenizer DIR|tokenizer.json, else one trained here on the first half of the text
// (--vocab-size, default 8192; its training time is reported too).
//
// Rows, each the median of --repeats runs over all the text:
//   split only       normalization + the pre-tokenizer regex, no BPE (the floor under any BPE)
//   encode, cached   the normal path: the word cache cleared before the run (so it is built in the run)
//   encode, warm     the same again with the cache already filled
//   encode, uncached the normal path without the cache (short words rescanned in place, long ones
//                    through the heap)
//   encode, heap     HF's heap merge for every word, no cache
//   encode, naive    the O(n^2) loop into a fresh vector for every word, no cache: the baseline
//   decode           ids -> text for each file
//   stream decode    StreamDecoder, one id at a time
// and the time to load the tokenizer from its tokenizer.json text (parse + tables).
// Then the same encoders on long words (--long-mb MB of random lowercase words of 64..1024 letters,
// seeded: the shape of hashes, base64 or mangled names in tool output), where the O(n^2) loop is slow.
// All four encoders must give the same ids on every file; the run says so (and exits 1 if not), and
// decode(encode(text)) must give the text back.
//
// usage: tokenizer_throughput [--text FILE]... [--mb 4] [--tokenizer PATH] [--vocab-size 8192] [--repeats 3]
//          [--long-mb 0.25]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "model/bpe_trainer.h"
#include "model/bpe_trainer_corpus.h"
#include "model/bpe_trainer_output.h"
#include "model/tokenizer.h"
#include "model/tokenizer_split_regex.h"
#include "model/tokenizer_stream_decoder.h"
#include "model/unicode_normalizer.h"
#include "util/atomic_file.h"
#include "bench_util.h"

#ifndef CR1_SOURCE_DIR
#define CR1_SOURCE_DIR "."
#endif

namespace fs = std::filesystem;
using namespace cr1;
using namespace cr1::model;
using Clock = std::chrono::steady_clock;

using cr1::bench::median;

namespace {

struct Options {
  std::vector<std::string> texts;
  double mb = 4;
  std::string tokenizer;
  size_t vocab_size = 8192;
  int repeats = 3;
  double long_mb = 0.25;
};

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "tokenizer_throughput: error: %s\n", msg.c_str());
  std::exit(2);
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage_error(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--text") o.texts.push_back(value());
      else if (a == "--mb") o.mb = std::stod(value());
      else if (a == "--tokenizer") o.tokenizer = value();
      else if (a == "--vocab-size") o.vocab_size = std::stoul(value());
      else if (a == "--repeats") o.repeats = std::max(1, std::stoi(value()));
      else if (a == "--long-mb") o.long_mb = std::stod(value());
      else usage_error("unknown flag " + a);
    } catch (const std::logic_error&) {
      usage_error("bad value for " + a);
    }
  }
  return o;
}

std::vector<fs::path> default_files() {
  std::vector<fs::path> repo, py;
  for (const char* dir : {"src", "tests", "bench"}) {
    fs::path root = fs::path(CR1_SOURCE_DIR) / dir;
    if (!fs::is_directory(root)) continue;
    for (const auto& e : fs::recursive_directory_iterator(root)) {
      auto ext = e.path().extension();
      if (e.is_regular_file() && (ext == ".cpp" || ext == ".h" || ext == ".md")) repo.push_back(e.path());
    }
  }
  for (const auto& e : fs::directory_iterator("/usr/lib")) {
    if (e.path().filename().string().rfind("python3", 0) != 0 || !fs::is_directory(e.path())) continue;
    for (const auto& f : fs::directory_iterator(e.path()))
      if (f.is_regular_file() && f.path().extension() == ".py") py.push_back(f.path());
  }
  std::sort(repo.begin(), repo.end());
  std::sort(py.begin(), py.end());
  repo.insert(repo.end(), py.begin(), py.end());
  return repo;
}

std::vector<std::string> load_texts(const Options& o, std::string& source) {
  std::vector<std::string> texts;
  size_t limit = static_cast<size_t>(o.mb * 1e6), total = 0;
  std::vector<fs::path> files(o.texts.begin(), o.texts.end());
  source = o.texts.empty() ? "repository sources + Python stdlib" : fmt::format("{} file(s)", o.texts.size());
  if (files.empty()) files = default_files();
  for (const auto& f : files) {
    if (total >= limit) break;
    auto st = read_training_texts(f, CorpusFormat::automatic, [&](std::string_view t) {
      if (total < limit && !t.empty()) {
        texts.emplace_back(t);
        total += t.size();
      }
      return ok_status();
    });
    if (!st) usage_error(st.error().message);
  }
  if (texts.empty()) usage_error("no text found");
  return texts;
}

template <class F>
double time_runs(int repeats, F&& f) {
  std::vector<double> t;
  for (int r = 0; r < repeats; ++r) {
    auto t0 = Clock::now();
    f();
    t.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
  }
  return median(t);
}

double load_average() {
  double l[1] = {0};
  return getloadavg(l, 1) == 1 ? l[0] : -1;
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  std::string source;
  auto texts = load_texts(o, source);
  size_t bytes = 0;
  for (const auto& t : texts) bytes += t.size();
  double mb = bytes / 1e6;
  double load0 = load_average();

  std::string tokenizer_note, tokenizer_text;
  double train_seconds = 0;
  fs::path tmp;
  Tokenizer tok = [&] {
    if (!o.tokenizer.empty()) {
      auto t = Tokenizer::load(o.tokenizer);
      if (!t) usage_error(t.error().message);
      auto file = fs::is_directory(o.tokenizer) ? fs::path(o.tokenizer) / "tokenizer.json" : fs::path(o.tokenizer);
      tokenizer_text = *read_file(file);
      tokenizer_note = o.tokenizer;
      return std::move(*t);
    }
    std::fprintf(stderr, "training a %zu-token vocabulary on the first half of the text...\n", o.vocab_size);
    auto t0 = Clock::now();
    BpeTrainerOptions to;
    to.vocab_size = o.vocab_size;
    auto trainer = BpeTrainer::create(to);
    if (!trainer) usage_error(trainer.error().message);
    for (size_t i = 0, used = 0; i < texts.size() && used < bytes / 2; used += texts[i++].size())
      if (auto st = trainer->add_text(texts[i]); !st) usage_error(st.error().message);
    auto vocab = trainer->train();
    if (!vocab) usage_error(vocab.error().message);
    train_seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    tokenizer_text = tokenizer_json(*vocab);
    auto t = Tokenizer::from_json(tokenizer_text, "trained");
    if (!t) usage_error(t.error().message);
    tokenizer_note = fmt::format("trained here: {} tokens, {} merges, on {:.2f} MB in {:.2f} s (counting {:.2f} s, merging {:.2f} s)",
                                 vocab->size(), vocab->merges.size(), trainer->stats().bytes / 1e6, train_seconds,
                                 trainer->stats().count_seconds, trainer->stats().merge_seconds);
    return std::move(*t);
  }();

  // Correctness first, outside the timed runs: all encoders agree and decoding gives the text back.
  std::fprintf(stderr, "checking that the encoders agree...\n");
  size_t ids_total = 0, mismatches = 0, round_trip_failures = 0;
  std::vector<std::vector<int32_t>> encoded;
  for (const auto& t : texts) {
    auto a = tok.encode(t, {}, BpeAlgorithm::cached);
    if (a != tok.encode(t, {}, BpeAlgorithm::uncached) || a != tok.encode(t, {}, BpeAlgorithm::heap) ||
        a != tok.encode(t, {}, BpeAlgorithm::naive))
      ++mismatches;
    if (tok.decode(a) != t) ++round_trip_failures;
    ids_total += a.size();
    encoded.push_back(std::move(a));
  }

  std::fprintf(stderr, "timing...\n");
  SplitRegex split = *SplitRegex::compile(tok.split_patterns().empty() ? std::string(kQwen2SplitPattern) : tok.split_patterns()[0]);
  size_t sink = 0;
  std::vector<std::pair<size_t, size_t>> pieces;
  double t_split = time_runs(o.repeats, [&] {
    for (const auto& t : texts) {
      pieces.clear();
      std::string n = normalize(t, tok.normal_form());
      (void)split.split(n, pieces);
      sink += pieces.size();
    }
  });
  double t_cold = time_runs(o.repeats, [&] {
    tok.clear_cache();
    for (const auto& t : texts) sink += tok.encode(t).size();
  });
  double t_warm = time_runs(o.repeats, [&] {
    for (const auto& t : texts) sink += tok.encode(t).size();
  });
  double t_uncached = time_runs(o.repeats, [&] {
    for (const auto& t : texts) sink += tok.encode(t, {}, BpeAlgorithm::uncached).size();
  });
  double t_heap = time_runs(o.repeats, [&] {
    for (const auto& t : texts) sink += tok.encode(t, {}, BpeAlgorithm::heap).size();
  });
  double t_naive = time_runs(o.repeats, [&] {
    for (const auto& t : texts) sink += tok.encode(t, {}, BpeAlgorithm::naive).size();
  });
  double t_decode = time_runs(o.repeats, [&] {
    for (const auto& ids : encoded) sink += tok.decode(ids).size();
  });
  double t_stream = time_runs(o.repeats, [&] {
    for (const auto& ids : encoded) {
      StreamDecoder d(tok);
      for (int32_t id : ids) sink += d.push(id).size();
      sink += d.finish().size();
    }
  });

  // Long words.
  std::vector<std::string> long_texts;
  size_t long_bytes = 0;
  std::mt19937 rng(1);
  while (long_bytes < o.long_mb * 1e6) {
    std::string t;
    for (int w = 0; w < 16; ++w) {
      size_t len = 64 + rng() % 961;
      t += ' ';
      for (size_t i = 0; i < len; ++i) t += static_cast<char>('a' + rng() % 26);
    }
    long_bytes += t.size();
    long_texts.push_back(std::move(t));
  }
  size_t long_mismatches = 0;
  for (const auto& t : long_texts) {
    auto a = tok.encode(t);
    if (a != tok.encode(t, {}, BpeAlgorithm::heap) || a != tok.encode(t, {}, BpeAlgorithm::naive)) ++long_mismatches;
  }
  auto time_long = [&](BpeAlgorithm algo) {
    return time_runs(o.repeats, [&] {
      for (const auto& t : long_texts) sink += tok.encode(t, {}, algo).size();
    });
  };
  double l_cached = time_long(BpeAlgorithm::cached), l_heap = time_long(BpeAlgorithm::heap),
         l_naive = time_long(BpeAlgorithm::naive);
  double t_load = time_runs(o.repeats, [&] {
    auto t = Tokenizer::from_json(tokenizer_text, "bench");
    sink += t ? static_cast<size_t>(t->vocab_size()) : 0;
  });
  double load1 = load_average();

  fmt::print("# tokenizer_throughput\n\n");
  fmt::print("- text: {:.2f} MB in {} pieces ({}); {} ids, {:.2f} bytes per id\n", mb, texts.size(), source, ids_total,
             static_cast<double>(bytes) / static_cast<double>(ids_total));
  fmt::print("- tokenizer: {}\n", tokenizer_note);
  fmt::print("- median of {} runs each; load average {:.2f} at start, {:.2f} at end (other processes slow every row)\n\n",
             o.repeats, load0, load1);
  fmt::print("| mode | seconds | MB/s | × naive |\n|---|---:|---:|---:|\n");
  auto row = [&](const char* name, double t, bool ratio) {
    fmt::print("| {} | {:.3f} | {:.1f} | {} |\n", name, t, mb / t, ratio ? fmt::format("{:.2f}", t_naive / t) : "");
  };
  row("split only (NFC + regex)", t_split, false);
  row("encode, cached (cold cache)", t_cold, true);
  row("encode, cached (warm cache)", t_warm, true);
  row("encode, uncached", t_uncached, true);
  row("encode, heap (HF's algorithm, no cache)", t_heap, true);
  row("encode, naive O(n^2) (baseline)", t_naive, true);
  row("decode", t_decode, false);
  row("stream decode (one id at a time)", t_stream, false);
  fmt::print("\n- loading the tokenizer ({} ids, {:.2f} MB of tokenizer.json): {:.1f} ms\n", tok.vocab_size(),
             tokenizer_text.size() / 1e6, t_load * 1e3);
  fmt::print("- encoders agree on {}/{} pieces; decode(encode(text)) == text on {}/{}\n", texts.size() - mismatches,
             texts.size(), texts.size() - round_trip_failures, texts.size());
  double lmb = long_bytes / 1e6;
  fmt::print("\n## long words ({:.2f} MB of random lowercase words, 64..1024 letters)\n\n", lmb);
  fmt::print("| mode | seconds | MB/s | × naive |\n|---|---:|---:|---:|\n");
  fmt::print("| encode, cached | {:.3f} | {:.1f} | {:.2f} |\n", l_cached, lmb / l_cached, l_naive / l_cached);
  fmt::print("| encode, heap | {:.3f} | {:.1f} | {:.2f} |\n", l_heap, lmb / l_heap, l_naive / l_heap);
  fmt::print("| encode, naive O(n^2) (baseline) | {:.3f} | {:.1f} | 1.00 |\n", l_naive, lmb / l_naive);
  fmt::print("\n- encoders agree on {}/{} long-word pieces\n", long_texts.size() - long_mismatches, long_texts.size());
  mismatches += long_mismatches;
  std::fprintf(stderr, "(%zu)\n", sink % 10);
  return mismatches == 0 && round_trip_failures == 0 ? 0 : 1;
}
