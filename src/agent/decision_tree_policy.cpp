#include "agent/decision_tree_policy.h"

#include <optional>

#include <fmt/format.h>

#include "agent/chat.h"

namespace cr1::agent {
namespace {

constexpr std::string_view kInstrcount = "instrcount";
constexpr std::string_view kFbps = "find_best_pass_sequence";

struct Candidate {
  std::vector<std::string> flags;
  std::string kind;      // "own", "neighbour", "edit"
  std::string source;    // provenance, for the record
  std::string evidence;  // one sentence with the numbers, for the think block
};

// A measured sequence (an instrcount call or FBPS's answer).
struct Measured {
  std::vector<std::string> flags;
  bool ok = false;
  double percent = 0;          // improvement_over_oz
  uint64_t count = 0, oz = 0;  // instruction counts, when the tool gave them
  std::string error;
};

std::vector<std::string> flags_of(const nlohmann::json& v) {
  std::vector<std::string> out;
  if (v.is_array())
    for (const auto& e : v)
      if (e.is_string()) out.push_back(e.get<std::string>());
  if (v.is_string()) out.push_back(v.get<std::string>());
  return out;
}

Measured measured(std::vector<std::string> flags, const nlohmann::json& result) {
  Measured m;
  m.flags = std::move(flags);
  if (result.is_object() && result.value("status", "") == "success" && result.contains("improvement_over_oz") &&
      result["improvement_over_oz"].is_number()) {
    m.ok = true;
    m.percent = result["improvement_over_oz"].get<double>();
    m.count = result.value("instruction_count", uint64_t{0});
    m.oz = result.value("oz_instruction_count", uint64_t{0});
  } else {
    m.error = result.is_object() ? result.value("error", "no result") : "no result";
  }
  return m;
}

std::string pct(double p) { return fmt::format("{:+.2f}%", p); }

std::string describe(const Measured& m) {
  if (!m.ok) return fmt::format("failed ({})", m.error);
  if (m.count && m.oz) return fmt::format("{} ({} instructions vs {} for -Oz)", pct(m.percent), m.count, m.oz);
  return pct(m.percent);
}

bool same_flags(const std::vector<std::string>& a, const std::vector<std::string>& b) { return a == b; }

std::string first_turn_facts(const ProgramInfo& p) {
  const auto& f = p.features;
  return fmt::format(
      "The program has {} instructions in {} functions and {} basic blocks ({} loads, {} stores, {} calls, {} phis).",
      p.instruction_count, feature(f, "TotalFuncs"), feature(f, "TotalBlocks"), feature(f, "NumLoadInst"),
      feature(f, "NumStoreInst"), feature(f, "NumCallInst"), feature(f, "NumPHIInst"));
}

PolicyReply call_reply(std::string think, std::string_view tool, nlohmann::json args, nlohmann::json note) {
  PolicyReply r;
  r.text = fmt::format("<think>{}</think>\n{}", think, render_tool_call(tool, args));
  r.note = std::move(note);
  return r;
}

PolicyReply answer_reply(std::string think, const std::vector<std::string>& flags, nlohmann::json note) {
  PolicyReply r;
  r.text = fmt::format("<think>{}</think>\n<answer>{}</answer>", think, python_json(nlohmann::json(flags)));
  r.note = std::move(note);
  return r;
}

}  // namespace

DecisionTreeOptions paper_tree_options(double threshold_percent) {
  DecisionTreeOptions o;
  o.threshold_percent = threshold_percent;
  return o;
}

DecisionTreeOptions multi_candidate_options(size_t k, double threshold_percent) {
  DecisionTreeOptions o;
  o.threshold_percent = threshold_percent;
  o.max_candidates = k;
  o.neighbours = k > 1 ? k - 1 : 0;
  o.oz_prefix_edit = k > 1;
  o.label = "multi-candidate";
  return o;
}

DecisionTreeOptions knn_options(size_t k, bool use_fbps, double threshold_percent) {
  DecisionTreeOptions o;
  o.threshold_percent = threshold_percent;
  o.max_candidates = k;
  o.own_sequence = false;
  o.neighbours = k;
  o.use_fbps = use_fbps;
  o.label = "knn";
  return o;
}

DecisionTreePolicy::DecisionTreePolicy(std::shared_ptr<const SequenceBook> book, DecisionTreeOptions options)
    : book_(std::move(book)), o_(std::move(options)) {
  if (!book_) book_ = std::make_shared<SequenceBook>();
}

std::string DecisionTreePolicy::name() const {
  return fmt::format("{};threshold={:g},k={},own={},neighbours={},edit={},fbps={}", o_.label, o_.threshold_percent,
                     o_.max_candidates, o_.own_sequence ? 1 : 0, o_.neighbours, o_.oz_prefix_edit ? 1 : 0,
                     o_.use_fbps ? 1 : 0);
}

Expected<PolicyReply> DecisionTreePolicy::act(const EpisodeState& state) {
  const ProgramInfo& p = state.program;
  const double t = o_.threshold_percent;

  // What happened so far: the candidates measured, and FBPS's result.
  std::vector<Measured> tried;
  std::optional<Measured> fbps;
  for (const auto& s : state.steps) {
    if (!s.parsed.tool_call) continue;
    const auto& call = *s.parsed.tool_call;
    if (call.name == kInstrcount) tried.push_back(measured(flags_of(call.arguments.value("optimization_flags", nlohmann::json())), s.tool_result));
    else if (call.name == kFbps) fbps = measured(s.tool_result.is_object() ? flags_of(s.tool_result.value("best_pass_sequence", nlohmann::json())) : std::vector<std::string>{}, s.tool_result);
  }

  // The best result over 0 seen so far, for the last resort.
  const Measured* best = nullptr;
  for (const auto& m : tried)
    if (m.ok && (!best || m.percent > best->percent)) best = &m;
  if (fbps && fbps->ok && !fbps->flags.empty() && (!best || fbps->percent > best->percent)) best = &*fbps;

  // 1. The candidate just measured beats the threshold: answer it.
  if (!state.steps.empty() && state.steps.back().parsed.tool_call) {
    const auto& last_call = state.steps.back().parsed.tool_call->name;
    if (last_call == kInstrcount && tried.back().ok && tried.back().percent > t)
      return answer_reply(fmt::format("instrcount: candidate {} gives {}, above the {:g}% threshold. Answer with it.",
                                      tried.size(), describe(tried.back()), t),
                          tried.back().flags, {{"decision", "accept"}, {"candidate", tried.size()}});
    if (last_call == kFbps && fbps->ok && !fbps->flags.empty() && fbps->percent > t)
      return answer_reply(fmt::format("find_best_pass_sequence found {} passes at {}, above the {:g}% threshold. Answer "
                                      "with its sequence.",
                                      fbps->flags.size(), pct(fbps->percent), t),
                          fbps->flags, {{"decision", "accept_fbps"}});
  }

  // 2. Another candidate, informed by the results so far.
  std::string so_far;
  for (size_t i = 0; i < tried.size(); ++i)
    so_far += fmt::format("{}candidate {} gave {}", i ? "; " : "", i + 1, describe(tried[i]));
  if (!so_far.empty()) so_far = fmt::format("So far {}: not above {:g}%. ", so_far, t);

  if (!fbps && tried.size() < o_.max_candidates) {
    std::vector<Candidate> pool;
    auto fresh = [&](const std::vector<std::string>& f) {
      if (f.empty()) return false;
      for (const auto& m : tried)
        if (same_flags(m.flags, f)) return false;
      for (const auto& c : pool)
        if (same_flags(c.flags, f)) return false;
      return true;
    };
    if (o_.own_sequence)
      if (const KnownSequence* own = book_->find(p.uri); own && fresh(own->flags))
        pool.push_back({own->flags, "own", own->source,
                        fmt::format("Search on this program found a {}-pass sequence at {} over -Oz.", own->flags.size(),
                                    pct(own->over_oz * 100))});
    if (o_.neighbours > 0) {
      // More neighbours than slots, since some may repeat a sequence already tried.
      auto near = book_->nearest(p.features, o_.neighbours + o_.max_candidates, p.uri, 0.0, o_.own_sequence);
      size_t taken = 0, rank = 0;
      for (const auto& nb : near) {
        ++rank;
        if (taken >= o_.neighbours) break;
        if (!fresh(nb.entry->flags)) continue;
        ++taken;
        pool.push_back({nb.entry->flags, "neighbour", nb.entry->uri,
                        fmt::format("The {} closest training program in AutoPhase space (distance {:.2f}, {} instructions) "
                                    "gained {} over -Oz with a {}-pass sequence; try it here.",
                                    rank == 1 ? "1st" : rank == 2 ? "2nd" : rank == 3 ? "3rd" : fmt::format("{}th", rank),
                                    nb.distance, feature(nb.entry->features, "TotalInsts"), pct(nb.entry->over_oz * 100),
                                    nb.entry->flags.size())});
      }
    }
    // The edit takes the last slot, once there is a candidate to edit.
    std::optional<Candidate> edit;
    if (o_.oz_prefix_edit && best && !best->flags.empty() && best->flags.front() != "-Oz") {
      std::vector<std::string> f = {"-Oz"};
      f.insert(f.end(), best->flags.begin(), best->flags.end());
      if (fresh(f))
        edit = Candidate{f, "edit", "oz-prefix",
                         fmt::format("The best candidate so far gave {}; running -Oz first and then its {} passes starts "
                                     "from the -Oz result and may shrink it further.",
                                     pct(best->percent), best->flags.size())};
    }
    std::optional<Candidate> next;
    bool last_slot = tried.size() + 1 == o_.max_candidates;
    if (edit && (last_slot || pool.empty())) next = edit;
    else if (!pool.empty()) next = pool.front();
    if (next) {
      std::string think = tried.empty() ? first_turn_facts(p) + " " + next->evidence
                                        : so_far + next->evidence;
      think += " Measure it with instrcount.";
      return call_reply(think, kInstrcount, {{"filename", p.filename}, {"optimization_flags", next->flags}},
                        {{"candidate", tried.size() + 1}, {"kind", next->kind}, {"source", next->source}});
    }
  }

  // 3. The synergy-graph search.
  if (o_.use_fbps && !fbps) {
    std::string think = tried.empty() ? first_turn_facts(p) + " No candidate sequence is known for it. "
                                      : so_far;
    think += "Ask find_best_pass_sequence to search the synergy graph.";
    return call_reply(think, kFbps, {{"filename", p.filename}}, {{"decision", "fbps"}});
  }

  // 4. Last resort: the best sequence seen if it beats -Oz at all, else -Oz.
  std::string evidence = so_far;
  if (fbps) evidence += fmt::format("find_best_pass_sequence gave {}. ", describe(*fbps));
  if (best && best->percent > 0)
    return answer_reply(evidence + fmt::format("None passed the {:g}% threshold, but the best one ({}) still beats -Oz. "
                                               "Answer with it.",
                                               t, pct(best->percent)),
                        best->flags, {{"decision", "best_seen"}});
  return answer_reply(evidence + "Nothing beats -Oz. Keep -Oz.", {"-Oz"}, {{"decision", "oz"}});
}

}  // namespace cr1::agent
