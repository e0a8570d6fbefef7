// Helpers for the model layer's tests, free of LLVM so that they also build in the model-only
// configuration (CR1_MODEL_ONLY, the GPU machine).
#pragma once

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>

#include <filesystem>
#include <string>

#include "model/model_config.h"

namespace cr1::model::test {

inline std::filesystem::path fixture_dir(const std::string& name) {
  return std::filesystem::path(CR1_SOURCE_DIR) / "tests" / "fixtures" / name;
}

struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cr1-model-test-XXXXXX").string();
    path = ::mkdtemp(tmpl.data());
  }
  // Not std::filesystem::remove_all: linked with pip's torch 2.11 (GPU machine) it calls through a null
  // pointer (torch's libraries carry their own copy of parts of libstdc++). nftw is plain libc.
  ~ScratchDir() {
    ::nftw(path.c_str(), [](const char* p, const struct stat*, int, struct FTW*) { return ::remove(p); }, 16,
           FTW_DEPTH | FTW_PHYS);
  }
};

// A small config for tests: 2 layers, hidden 32, 4 heads over 2 KV heads.
inline ModelConfig tiny_config(bool tied = false) {
  ModelConfig c;
  c.vocab_size = 50;
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.max_position_embeddings = 128;
  c.rope_theta = 10000.0;
  c.tie_word_embeddings = tied;
  return c;
}

}  // namespace cr1::model::test
