// Training text for the BPE trainer, from our corpora: JSONL records in HF `messages` form (agent
// trajectories, with an optional `tools` list), or plain text. A conversation is rendered as the model
// will see it, in Qwen2.5's ChatML (tokenizer_chat_template.h), so that the vocabulary fits the
// role headers, tool schemas and tool responses too.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "util/expected.h"

namespace cr1::model {

enum class CorpusFormat {
  automatic,  // .jsonl / .json -> jsonl, anything else -> text
  jsonl,      // one JSON object per line: {"messages": [...], "tools": [...]} or {"text": "..."}
  text,       // the file as it is
};

Expected<CorpusFormat> parse_corpus_format(std::string_view name);

// ChatML of one record's messages (and tools), as the chat template renders it.
Expected<std::string> render_training_conversation(const nlohmann::ordered_json& record);

// Calls `sink` with each text of `file`: one per JSONL record, or the plain file in pieces of about a
// megabyte that end at a line break. A malformed record is an error naming file and line.
Status read_training_texts(const std::filesystem::path& file, CorpusFormat format,
                           const std::function<Status(std::string_view)>& sink);

}  // namespace cr1::model
