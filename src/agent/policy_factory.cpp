#include "agent/policy_factory.h"

#include <fmt/format.h>

#include "agent/decision_tree_policy.h"
#include "data/manifest.h"

namespace cr1::agent {

std::vector<std::string> policy_names() { return {"decision-tree", "multi-candidate", "knn", "openai", "model"}; }

Expected<std::shared_ptr<SequenceBook>> load_book(const PolicySpec& spec) {
  auto book = std::make_shared<SequenceBook>();
  for (const auto& path : spec.books) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec))
      return make_error(ErrorKind::not_found, fmt::format("{}: no such sequence book", path.string()));
    auto b = SequenceBook::read(path);
    if (!b) return b.take_error();
    book->merge(*b);
  }
  if (!spec.eval_runs.empty()) {
    if (spec.manifest_corpus.empty())
      return make_error(ErrorKind::invalid_input, "known sequences from eval runs need the corpus (--corpus) for features");
    auto manifest = data::Manifest::read(spec.manifest_corpus);
    if (!manifest) return manifest.take_error();
    for (const auto& run : spec.eval_runs) {
      auto b = SequenceBook::from_eval_run(run, *manifest);
      if (!b) return b.take_error();
      book->merge(*b);
    }
  }
  return book;
}

Expected<std::unique_ptr<Policy>> make_policy(const PolicySpec& spec) {
  if (spec.name == "openai") {
    if (spec.openai.base_url.empty())
      return make_error(ErrorKind::invalid_input, "policy openai needs --base-url (e.g. http://127.0.0.1:8000/v1)");
    if (spec.openai.model.empty()) return make_error(ErrorKind::invalid_input, "policy openai needs --model");
    return std::unique_ptr<Policy>(std::make_unique<OpenAiPolicy>(spec.openai));
  }
  if (spec.name == "model") {
    auto p = ModelPolicy::open(spec.model);
    if (!p) return p.take_error();
    return std::unique_ptr<Policy>(std::move(*p));
  }
  DecisionTreeOptions o;
  if (spec.name == "decision-tree") o = paper_tree_options(spec.threshold_percent);
  else if (spec.name == "multi-candidate") o = multi_candidate_options(spec.k, spec.threshold_percent);
  else if (spec.name == "knn") o = knn_options(spec.k, spec.knn_fbps, spec.threshold_percent);
  else
    return make_error(ErrorKind::invalid_input,
                      fmt::format("unknown policy '{}'; the policies are: {}", spec.name, fmt::join(policy_names(), ", ")));
  if (spec.k == 0) return make_error(ErrorKind::invalid_input, "-k must be at least 1");
  auto book = load_book(spec);
  if (!book) return book.take_error();
  if (spec.name == "knn" && (*book)->size() == 0)
    return make_error(ErrorKind::invalid_input, "policy knn needs known sequences: --book FILE or --known RUN_DIR");
  return std::unique_ptr<Policy>(std::make_unique<DecisionTreePolicy>(*book, o));
}

}  // namespace cr1::agent
