// Scripted policies: the decision tree of Compiler-R1's SFT data (paper §3.2) and nearest neighbours.
//
//   propose a candidate -> instrcount -> accept if OverOz > threshold
//   else (multi-candidate) propose a different candidate informed by the results so far, up to K
//   else find_best_pass_sequence -> accept if OverOz > threshold
//   else answer the best sequence seen if it beats -Oz at all, otherwise ["-Oz"]
//
// Candidates, in order: the program's own entry in the sequence book (the best sequence a search
// found for it: an oracle, used to write SFT data), the best sequences of the nearest training
// programs in normalized AutoPhase space, and an edit of the best candidate so far (-Oz first, then
// that candidate: it starts from the -Oz result). The threshold is a parameter because reviewers
// asked how thresholds other than 0 behave. Think blocks state the evidence: the measured numbers.
//
// Stateless: every turn is derived from the episode's steps, so one policy serves many episodes at
// once.
#pragma once

#include <memory>
#include <string>

#include "agent/policy.h"
#include "agent/sequence_book.h"

namespace cr1::agent {

struct DecisionTreeOptions {
  double threshold_percent = 0;  // accept a result strictly above this OverOz (percent)
  size_t max_candidates = 1;     // K: instrcount candidates before find_best_pass_sequence
  bool own_sequence = true;      // propose the program's own book entry first
  size_t neighbours = 0;         // candidates from the nearest training programs
  bool oz_prefix_edit = false;   // offer "-Oz, then the best candidate so far" as the last candidate
  bool use_fbps = true;          // call find_best_pass_sequence when no candidate is accepted
  std::string label = "decision-tree";  // the policy's name before its configuration
};

class DecisionTreePolicy final : public Policy {
 public:
  DecisionTreePolicy(std::shared_ptr<const SequenceBook> book, DecisionTreeOptions options);
  std::string name() const override;
  Expected<PolicyReply> act(const EpisodeState& state) override;

 private:
  std::shared_ptr<const SequenceBook> book_;
  DecisionTreeOptions o_;
};

// The paper's SFT tree (one proposal: the program's own best sequence).
DecisionTreeOptions paper_tree_options(double threshold_percent = 0);
// The multi-candidate variant: own best, then the nearest neighbour's, then the -Oz-prefixed edit.
DecisionTreeOptions multi_candidate_options(size_t k = 3, double threshold_percent = 0);
// Nearest neighbours: the best sequences of the k closest training programs, then FBPS if asked.
DecisionTreeOptions knn_options(size_t k = 3, bool use_fbps = false, double threshold_percent = 0);

}  // namespace cr1::agent
