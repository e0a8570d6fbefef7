#include "agent/episode.h"

#include <chrono>

#include <fmt/format.h>

#include "agent/chat.h"

namespace cr1::agent {
namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

Expected<PolicyReply> ask(Policy& policy, const EpisodeState& state) {
  try {
    return policy.act(state);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::internal, fmt::format("policy {} threw: {}", policy.name(), e.what()));
  }
}

nlohmann::json call_tool(const ToolSet& tools, const ToolCall& call) {
  if (!tools.call) return {{"status", "error"}, {"error", "no tools in this episode"}};
  try {
    auto r = tools.call(call.name, call.arguments);
    if (!r.is_object() || !r.contains("status")) return {{"status", "error"}, {"error", "the tool returned no status"}};
    return r;
  } catch (const std::exception& e) {
    return {{"status", "error"}, {"error", fmt::format("tool {} failed: {}", call.name, e.what())}};
  }
}

// Verifies the answer from scratch and fills the counts and OverOz: -Oz itself and an answer that
// fails in the fresh worker score 0. An answer other than -Oz is scored by one fresh worker that runs
// -Oz and the answer (Session::verify_with_oz); no answer or -Oz needs the -Oz count only.
void verify_answer(EpisodeRecord& r, const std::optional<ir::PassSequence>& answer, env::Session& verifier) {
  auto t0 = Clock::now();
  r.base_count = verifier.base_count();
  const bool is_oz = !answer || answer->pipeline() == ir::baseline_pipeline(ir::OptLevel::Oz);
  env::Session::Verification v;
  if (is_oz) {
    auto oz = verifier.oz_count();
    v.oz = oz ? env::EvalResult{.status = env::EvalStatus::ok, .instruction_count = *oz} : env::EvalResult{};
  } else {
    v = verifier.verify_with_oz(*answer);
  }
  if (!v.oz.ok()) {
    r.verified_status = "oz-failed";
    r.verify_seconds = since(t0);
    return;
  }
  r.oz_count = v.oz.instruction_count;
  if (is_oz) {
    r.verified_status = answer ? "oz" : "none";
    r.answer_count = r.oz_count;
    r.over_oz = 0;
  } else {
    r.verified_status = env::eval_status_name(v.answer.status);
    if (v.answer.ok()) {
      r.answer_count = v.answer.instruction_count;
      r.over_oz = env::over_oz_fraction(r.oz_count, r.answer_count);
    }
  }
  r.verify_seconds = since(t0);
}

}  // namespace

Status use_exact_token_counts(EpisodeOptions& options, const Policy& policy, const std::filesystem::path& tokenizer_json) {
  if (auto own = policy.exact_token_counter()) {
    options.count_tokens = std::move(own);
    options.exact_token_counts = true;
  } else if (!tokenizer_json.empty()) {
    auto c = tokenizer_token_counter(tokenizer_json);
    if (!c) return c.take_error();
    options.count_tokens = std::move(*c);
    options.exact_token_counts = true;
  }
  return ok_status();
}

EpisodeRecord run_episode(const ProgramInfo& program, Policy& policy, const ToolSet& tools, env::Session& verifier,
                          const EpisodeOptions& o) {
  auto t0 = Clock::now();
  const TokenCounter count = o.count_tokens ? o.count_tokens : approximate_token_counter();
  EpisodeRecord r;
  r.program = program.uri;
  r.filename = program.filename;
  r.policy = policy.name();
  r.tools = tools.schemas;
  r.exact_token_counts = o.exact_token_counts;
  r.messages = initial_messages(program, o.prompt);
  r.prompt_tokens = count(render_chatml(r.messages, tools.schemas, true));

  const ProtocolOptions po{o.require_think, tools.schemas};
  const EpisodeLimits& lim = o.limits;
  std::vector<EpisodeStep> steps;
  std::vector<TurnShape> shapes;
  std::map<std::string, size_t> calls_made;
  std::optional<ir::PassSequence> answer;

  auto used = [&] { return r.response_tokens + r.tool_tokens; };
  for (;;) {
    if (steps.size() >= lim.max_turns) {
      r.end_reason = "max_turns";
      break;
    }
    if (lim.max_tokens_per_episode && used() >= lim.max_tokens_per_episode) {
      r.end_reason = "max_tokens";
      break;
    }
    size_t budget = lim.max_tokens_per_turn;
    if (lim.max_tokens_per_episode) {
      size_t left = lim.max_tokens_per_episode - used();
      budget = budget ? std::min(budget, left) : left;
    }
    EpisodeState state{program, r.messages, tools.schemas, steps, budget};
    auto tp = Clock::now();
    auto reply = ask(policy, state);
    r.policy_seconds += since(tp);
    if (!reply) {
      r.end_reason = "policy_error";
      r.policy_error = reply.error().message;
      break;
    }

    EpisodeStep step;
    step.text = std::string(strip_end_of_turn(reply->text));
    TurnRecord tr;
    tr.note = reply->note;
    tr.tokens = reply->tokens.value_or(count(step.text));
    r.response_tokens += tr.tokens;
    r.messages.push_back({"assistant", step.text});
    step.parsed = parse_turn(step.text, po);
    ParsedTurn& pt = step.parsed;
    if (pt.well_formed() && lim.max_tokens_per_turn && tr.tokens > lim.max_tokens_per_turn)
      pt.error = ProtocolError{ProtocolErrorKind::turn_too_long,
                               fmt::format("the turn has {} tokens, more than the {} allowed", tr.tokens, lim.max_tokens_per_turn)};
    if (pt.well_formed() && pt.tool_call) {
      auto it = lim.max_calls.find(pt.tool_call->name);
      if (it != lim.max_calls.end() && calls_made[pt.tool_call->name] >= it->second)
        pt.error = ProtocolError{ProtocolErrorKind::tool_limit,
                                 fmt::format("{} may be called at most {} times per episode; answer now",
                                             pt.tool_call->name, it->second)};
    }
    tr.well_formed = pt.well_formed();
    shapes.push_back({pt.well_formed(), pt.is_answer()});

    if (!pt.well_formed()) {
      tr.error_kind = protocol_error_name(pt.error->kind);
      tr.error = pt.error->message;
      r.turns.push_back(std::move(tr));
      if (o.on_protocol_error == OnProtocolError::end) {
        steps.push_back(std::move(step));
        r.end_reason = "protocol_error";
        break;
      }
      step.tool_result = protocol_error_response(*pt.error);
      std::string content = python_json(step.tool_result);
      r.tool_tokens += count(content);
      r.messages.push_back({"tool", std::move(content)});
      steps.push_back(std::move(step));
      continue;
    }
    if (pt.is_answer()) {
      tr.action = "answer";
      r.turns.push_back(std::move(tr));
      answer = pt.answer_sequence;
      r.answer = *pt.answer;
      steps.push_back(std::move(step));
      r.end_reason = "answer";
      break;
    }
    tr.action = "tool_call";
    r.turns.push_back(std::move(tr));
    ToolCallRecord call{r.turns.size() - 1, pt.tool_call->name, pt.tool_call->arguments, nullptr, 0};
    auto tt = Clock::now();
    call.result = call_tool(tools, *pt.tool_call);
    call.seconds = since(tt);
    r.tool_seconds += call.seconds;
    ++calls_made[call.name];
    step.tool_result = call.result;
    std::string content = python_json(call.result);
    r.tool_tokens += count(content);
    r.messages.push_back({"tool", std::move(content)});
    r.tool_calls.push_back(std::move(call));
    steps.push_back(std::move(step));
  }

  r.answered = answer.has_value();
  r.fell_back_to_oz = !r.answered;
  if (!r.answered) r.answer = {"-Oz"};
  r.answer_pipeline = answer ? answer->pipeline() : ir::baseline_pipeline(ir::OptLevel::Oz);
  verify_answer(r, answer, verifier);
  r.path = classify_path(r.tool_calls, r.answer, r.answered);
  r.format = format_score(shapes, o.reward);
  r.reward = compute_reward(r.format, r.over_oz, r.tool_calls.size(), o.reward);
  r.seconds = since(t0);
  return r;
}

}  // namespace cr1::agent
