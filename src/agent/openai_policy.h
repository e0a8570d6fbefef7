// A policy behind any OpenAI-compatible chat endpoint (POST {base_url}/chat/completions): vLLM,
// llama.cpp's server, our own `serve`, or a hosted API. The conversation goes out as it is; the
// reply comes back as the raw assistant turn. Servers that parse tool calls themselves (vLLM's
// --tool-call-parser hermes, llama.cpp --jinja) return `tool_calls` and `reasoning_content`; those
// are written back into the inline Qwen2.5 form (<think>…</think> + <tool_call>…</tool_call>), so
// records and rewards see the same text whichever server produced it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "agent/policy.h"

namespace cr1::agent {

enum class MessageStyle {
  // Assistant turns as raw text; tool results as user turns holding <tool_response>…</tool_response>.
  // A Qwen2.5 template renders this exactly as it renders the recorded conversation.
  text,
  // OpenAI's structured form: assistant `tool_calls` with ids and `tool` messages answering them.
  openai,
};

struct OpenAiOptions {
  std::string base_url;  // "http://127.0.0.1:8000/v1"; a URL without a path gets /v1
  std::string model;
  std::string api_key;   // sent as a Bearer token when set
  double temperature = 0.7;  // the paper's inference settings
  double top_p = 0.8;
  std::optional<uint64_t> seed;
  double timeout_seconds = 300;
  int retries = 2;            // on connection errors and 5xx answers
  bool send_tools = true;     // pass the schemas as `tools`
  MessageStyle style = MessageStyle::text;
};

class OpenAiPolicy final : public Policy {
 public:
  explicit OpenAiPolicy(OpenAiOptions options);
  std::string name() const override;
  Expected<PolicyReply> act(const EpisodeState& state) override;

  // The request body for a state (exposed for tests).
  nlohmann::json request_body(const EpisodeState& state) const;

 private:
  OpenAiOptions o_;
};

// The assistant turn in inline form from one `choices[i].message` of a response.
std::string assistant_text_from_message(const nlohmann::json& message);

}  // namespace cr1::agent
