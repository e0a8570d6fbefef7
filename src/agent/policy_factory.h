// Policies by name, for the CLI: decision-tree, multi-candidate, knn, openai and model (the built-in
// model, model_policy.h).
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "agent/model_policy.h"
#include "agent/openai_policy.h"
#include "agent/policy.h"
#include "agent/sequence_book.h"

namespace cr1::agent {

struct PolicySpec {
  std::string name = "decision-tree";  // decision-tree | multi-candidate | knn | openai | model
  double threshold_percent = 0;
  size_t k = 3;                         // candidates (multi-candidate) or neighbours (knn)
  bool knn_fbps = false;                // knn: call FBPS when no neighbour's sequence is accepted
  // Known sequences: book files and eval run dirs (with the manifest of their corpus for features).
  std::vector<std::filesystem::path> books;
  std::vector<std::filesystem::path> eval_runs;
  std::filesystem::path manifest_corpus;
  OpenAiOptions openai;
  ModelPolicyOptions model;
};

std::vector<std::string> policy_names();

// The sequence book of the spec (books merged with eval runs); empty when none is given.
Expected<std::shared_ptr<SequenceBook>> load_book(const PolicySpec& spec);

// An invalid_input error names the known policies or the missing option (e.g. --base-url); policy
// model loads the model here (a bad folder is a not_found / invalid_input error naming it).
Expected<std::unique_ptr<Policy>> make_policy(const PolicySpec& spec);

}  // namespace cr1::agent
