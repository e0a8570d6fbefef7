// Generation throughput of our libtorch Qwen2 (model::LanguageModel) against the PyTorch-Python eager
// reference of the same model with the same weights (bench/model_generate_reference.py), on the same
// machine in the same run. See bench/README.md ("model_generate").
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/language_model.h"
#include "util/subprocess.h"
#include "bench_util.h"

using namespace cr1;
using namespace cr1::model;

using cr1::bench::load_average;
using cr1::bench::process_cpu_seconds;
using cr1::bench::median;

namespace {

struct Mode {
  std::string name;
  SamplingOptions sampling;
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Qwen2 generation: tokens/s of the C++ model vs the PyTorch-Python eager reference"};
  int layers = 8, hidden = 256, heads = 4, kv_heads = 2, intermediate = 704, vocab = 4096;
  int prompt_len = 32, new_tokens = 64, runs = 3, threads = 1;
  std::vector<int> batches = {1, 8};
  std::string device = "cpu", dtype = "f32", checkpoint_dtype = "f32", python = "/usr/bin/python3", modes_arg = "greedy,sample";
  std::string reference = std::string(CR1_SOURCE_DIR) + "/bench/model_generate_reference.py";
  std::string work = "/tmp/cr1-model-generate-bench";
  bool no_reference = false, no_onednn = false;
  app.add_option("--layers", layers);
  app.add_option("--hidden", hidden);
  app.add_option("--heads", heads);
  app.add_option("--kv-heads", kv_heads);
  app.add_option("--intermediate", intermediate);
  app.add_option("--vocab", vocab);
  app.add_option("--batch", batches, "batch sizes")->delimiter(',');
  app.add_option("--prompt-len", prompt_len);
  app.add_option("--new-tokens", new_tokens);
  app.add_option("--runs", runs, "timed runs per case (median reported), after one warm-up");
  app.add_option("--threads", threads, "torch intra-op threads on both sides");
  app.add_option("--device", device, "cpu or cuda (passed to the reference too)");
  app.add_option("--dtype", dtype, "f32, bf16 or f16");
  app.add_option("--checkpoint-dtype", checkpoint_dtype,
                 "f32 or bf16: the dtype the weights are saved in and loaded back from (bf16: a bf16 checkpoint "
                 "computed in --dtype)");
  app.add_option("--modes", modes_arg, "greedy and/or sample (T 0.7, top-p 0.9, top-k 50, rep. penalty 1.05)");
  app.add_option("--python", python, "python3 with torch for the reference");
  app.add_option("--reference", reference);
  app.add_option("--work-dir", work, "where the shared checkpoint is written");
  app.add_flag("--no-reference", no_reference, "time the C++ side only");
  app.add_flag("--no-onednn", no_onednn, "C++ matrix products through at::linear (the system BLAS), as the reference");
  CLI11_PARSE(app, argc, argv);

  auto wd = parse_weight_dtype(dtype);
  auto cd = parse_weight_dtype(checkpoint_dtype);
  if (!wd || !cd) {
    fmt::print(stderr, "error: {}\n", (!wd ? wd : cd).error().message);
    return 2;
  }
  ModelConfig config;
  config.vocab_size = vocab;
  config.hidden_size = hidden;
  config.intermediate_size = intermediate;
  config.num_hidden_layers = layers;
  config.num_attention_heads = heads;
  config.num_key_value_heads = kv_heads;
  config.max_position_embeddings = std::max(2048, prompt_len + new_tokens);
  config.rope_theta = 1000000.0;
  auto lm = LanguageModel::create(config, /*seed=*/1, {.device = device, .dtype = *wd, .num_threads = threads, .cpu_onednn = !no_onednn});
  if (!lm) {
    fmt::print(stderr, "error: {}\n", lm.error().message);
    return 2;
  }
  // The reference reads the same weights (--checkpoint-dtype on disk; the CPU reference computes in f32).
  if (auto st = lm->save(work, {.dtype = *cd}); !st) {
    fmt::print(stderr, "error: {}\n", st.error().message);
    return 1;
  }
  if (*cd != WeightDType::f32) {  // our side runs the saved weights too, as a user loading that checkpoint
    lm = LanguageModel::load(work, {.device = device, .dtype = *wd, .num_threads = threads, .cpu_onednn = !no_onednn});
    if (!lm) {
      fmt::print(stderr, "error: {}\n", lm.error().message);
      return 1;
    }
  }

  std::vector<Mode> modes;
  for (const auto& m : {std::string("greedy"), std::string("sample")}) {
    if (modes_arg.find(m) == std::string::npos) continue;
    Mode mode{m, {}};
    if (m == "greedy") mode.sampling.greedy = true;
    else mode.sampling = {.temperature = 0.7, .top_k = 50, .top_p = 0.9, .repetition_penalty = 1.05};
    modes.push_back(mode);
  }

  fmt::print("# model_generate\n\n");
  fmt::print("Model: {} layers, hidden {}, {} heads / {} KV heads, intermediate {}, vocab {} ({:.1f} M parameters), "
             "random weights (seed 1) saved as a {} checkpoint, {} on {}; C++ CPU matrix products via {}.\n",
             layers, hidden, heads, kv_heads, intermediate, vocab, config.num_parameters() / 1e6, checkpoint_dtype, dtype, device,
             no_onednn ? "at::linear (system BLAS)" : "oneDNN-packed weights");
  fmt::print("Prompts of {} tokens, exactly {} new tokens (no stop), {} thread(s), median of {} runs after a "
             "warm-up; tokens/s = batch x new tokens / wall time of the whole generate call (prefill included); "
             "tok/CPU-s uses the process's CPU time instead (less disturbed by other load on the machine).\n",
             prompt_len, new_tokens, threads, runs);
  fmt::print("Load average at start: {}\n\n", load_average());
  fmt::print("| batch | mode | C++ tok/s | Python tok/s | C++ / Python | C++ tok/CPU-s | Python tok/CPU-s | C++ / Python "
             "(CPU time) | greedy ids identical |\n");
  fmt::print("|---:|---|---:|---:|---:|---:|---:|---:|---|\n");

  bool all_same = true;
  for (int batch : batches) {
    std::mt19937 rng(1000 + batch);
    std::uniform_int_distribution<TokenId> pick(0, vocab - 1);
    std::vector<std::vector<TokenId>> prompts(batch, std::vector<TokenId>(prompt_len));
    for (auto& p : prompts)
      for (auto& t : p) t = pick(rng);
    const std::string prompts_file = work + fmt::format("/prompts-{}.json", batch);
    std::ofstream(prompts_file) << nlohmann::json(prompts).dump();

    for (const auto& mode : modes) {
      GenerationOptions o;
      o.max_new_tokens = new_tokens;
      o.sampling = mode.sampling;
      o.seed = 7;
      std::vector<double> times, cpu_times;
      std::vector<GenerationResult> out;
      for (int r = 0; r <= runs; ++r) {  // run 0 warms up
        auto t0 = std::chrono::steady_clock::now();
        const double c0 = process_cpu_seconds();
        auto res = lm->generate(prompts, o);
        double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        double c = process_cpu_seconds() - c0;
        if (!res) {
          fmt::print(stderr, "error: {}\n", res.error().message);
          return 1;
        }
        for (const auto& g : *res)
          if (g.tokens.size() != static_cast<size_t>(new_tokens)) {
            fmt::print(stderr, "error: a sequence stopped after {} tokens\n", g.tokens.size());
            return 1;
          }
        if (r > 0) {
          times.push_back(s);
          cpu_times.push_back(c);
        }
        out = std::move(*res);
      }
      const double cpp_tps = batch * new_tokens / median(times);
      const double cpp_cpu_tps = batch * new_tokens / median(cpu_times);

      std::string py_cell = "-", ratio_cell = "-", same_cell = "-", py_cpu_cell = "-", cpu_ratio_cell = "-";
      if (!no_reference) {
        std::vector<std::string> cmd = {python, reference, "--model", work, "--prompts", prompts_file,
                                        "--new-tokens", std::to_string(new_tokens), "--runs", std::to_string(runs),
                                        "--threads", std::to_string(threads), "--seed", "7", "--device", device,
                                        "--dtype", dtype};
        if (mode.sampling.greedy) cmd.push_back("--greedy");
        else
          for (auto& a : {std::vector<std::string>{"--temperature", "0.7"}, {"--top-k", "50"}, {"--top-p", "0.9"},
                          {"--repetition-penalty", "1.05"}})
            cmd.insert(cmd.end(), a.begin(), a.end());
        auto r = run_subprocess(cmd);
        if (!r.success()) {
          fmt::print(stderr, "error: the Python reference failed (exit {}): {}\n", r.exit_code, tail_lines(r.err));
          return 1;
        }
        auto j = nlohmann::json::parse(r.out, nullptr, false);
        if (j.is_discarded() || !j.contains("tokens_per_s")) {
          fmt::print(stderr, "error: unexpected output of the Python reference: {}\n", tail_lines(r.out));
          return 1;
        }
        const double py_tps = j["tokens_per_s"].get<double>();
        py_cell = fmt::format("{:.0f}", py_tps);
        ratio_cell = fmt::format("**{:.2f}x**", cpp_tps / py_tps);
        if (j.contains("cpu_tokens_per_s")) {
          const double py_cpu = j["cpu_tokens_per_s"].get<double>();
          py_cpu_cell = fmt::format("{:.0f}", py_cpu);
          cpu_ratio_cell = fmt::format("{:.2f}x", cpp_cpu_tps / py_cpu);
        }
        if (mode.sampling.greedy) {
          // Same weights and greedy decoding: the ids agree unless rounding differences flip a near-tie
          // (expected with bf16 or other kernels, not with f32 on one CPU).
          auto ids = j["output_ids"].get<std::vector<std::vector<TokenId>>>();
          size_t same = 0, total = 0;
          for (size_t i = 0; i < std::min(ids.size(), out.size()); ++i)
            for (size_t t = 0; t < std::min(ids[i].size(), out[i].tokens.size()); ++t) {
              ++total;
              same += ids[i][t] == out[i].tokens[t];
            }
          total = std::max(total, static_cast<size_t>(batch * new_tokens));
          same_cell = same == total ? "yes" : fmt::format("NO ({:.1f}% of tokens)", 100.0 * same / total);
          all_same = all_same && same == total;
        }
      }
      fmt::print("| {} | {} | {:.0f} | {} | {} | {:.0f} | {} | {} | {} |\n", batch, mode.name, cpp_tps, py_cell,
                 ratio_cell, cpp_cpu_tps, py_cpu_cell, cpu_ratio_cell, same_cell);
      std::fflush(stdout);
    }
  }
  fmt::print("\nLoad average at end: {}\n", load_average());
  if (!all_same) fmt::print("Note: greedy outputs differ from the reference's somewhere (see the last column).\n");
  return 0;
}
