// The record of one episode: one JSONL line with the conversation in HF `messages` form (plus the
// tool schemas, so that apply_chat_template(messages, tools=tools) renders it as the model saw it),
// each turn's protocol check, the tool calls, the answer, its verified OverOz, the reward, token
// counts and timings. SFT data (make-sft) and RL rollouts are these records.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/chat.h"
#include "agent/reward.h"

namespace cr1::agent {

struct TurnRecord {
  size_t tokens = 0;
  bool well_formed = false;
  std::string action;            // "tool_call", "answer" or "" (broken turn)
  std::string error_kind, error;  // when not well-formed
  nlohmann::json note;           // the policy's note, if any
};

struct ToolCallRecord {
  size_t turn = 0;
  std::string name;
  nlohmann::json arguments;
  nlohmann::json result;
  double seconds = 0;
};

struct EpisodeRecord {
  std::string program, filename, policy;
  std::vector<ChatMessage> messages;
  nlohmann::json tools = nlohmann::json::array();
  std::vector<TurnRecord> turns;
  std::vector<ToolCallRecord> tool_calls;
  // "answer", "max_turns", "max_tokens", "protocol_error", "policy_error"
  std::string end_reason;
  std::string policy_error;  // when end_reason is policy_error

  std::vector<std::string> answer;  // as the model wrote it; ["-Oz"] when it gave none
  std::string answer_pipeline;
  bool answered = false;            // a valid answer from the policy (not the fallback)
  bool fell_back_to_oz = false;     // no valid answer: -Oz stands in
  // How the answer came about, from the tool calls: "A" (the first instrcount candidate), "A2", "A3", …
  // (a later candidate), "B" (find_best_pass_sequence's sequence), "oz" (answered -Oz: the decision
  // tree's fallback), "none" (no valid answer; -Oz stands in), "other" (a sequence no tool measured).
  std::string path;

  uint64_t base_count = 0, oz_count = 0, answer_count = 0;
  std::string verified_status;  // env::eval_status_name of the fresh-worker run, "oz" for -Oz, "none"
  double over_oz = 0;           // verified, fraction; 0 for -Oz, an invalid answer or none
  FormatScore format;
  Reward reward;

  size_t prompt_tokens = 0, response_tokens = 0, tool_tokens = 0;
  bool exact_token_counts = false;  // counted by a tokenizer, not estimated
  double seconds = 0, policy_seconds = 0, tool_seconds = 0, verify_seconds = 0;
};

void to_json(nlohmann::json& j, const EpisodeRecord& r);
// One line (no trailing newline); invalid UTF-8 from a model is replaced, never thrown on.
std::string record_line(const EpisodeRecord& r);

// The path label from the tool calls and the answer (see EpisodeRecord::path).
std::string classify_path(const std::vector<ToolCallRecord>& calls, const std::vector<std::string>& answer,
                          bool answered);

}  // namespace cr1::agent
