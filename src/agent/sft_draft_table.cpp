#include "agent/sft_draft_table.h"

#include <fstream>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "model/tokenizer.h"

namespace cr1::agent {

Expected<SftDraftTable> build_sft_draft_table(const std::vector<std::filesystem::path>& files,
                                              const model::Tokenizer& tokenizer, const SftDraftTableOptions& o) {
  SftDraftTable out;
  std::vector<std::vector<model::TokenId>> turns;
  for (const auto& file : files) {
    std::ifstream in(file);
    if (!in) return make_error(ErrorKind::not_found, fmt::format("{}: cannot open", file.string()));
    std::string line;
    for (size_t number = 1; std::getline(in, line); ++number) {
      if (line.empty()) continue;
      if (o.max_trajectories && out.trajectories == o.max_trajectories) break;
      auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (!record.is_object() || !record.contains("messages") || !record["messages"].is_array())
        return make_error(ErrorKind::invalid_input,
                          fmt::format("{}:{}: not an episode record (a JSON object with \"messages\")", file.string(), number));
      for (const auto& m : record["messages"]) {
        if (!m.is_object() || m.value("role", "") != "assistant" || !m.contains("content") || !m["content"].is_string())
          continue;
        // The turn as generated after "<|im_start|>assistant\n": its special tokens are tokens.
        turns.push_back(tokenizer.encode(m["content"].get<std::string>()));
        out.tokens += turns.back().size();
      }
      ++out.trajectories;
    }
  }
  out.turns = turns.size();
  out.drafter = model::NgramDrafter::build(turns, o.ngrams);
  return out;
}

}  // namespace cr1::agent
