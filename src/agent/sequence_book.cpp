#include "agent/sequence_book.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"

namespace cr1::agent {
namespace fs = std::filesystem;

namespace {

size_t total_insts_index() {
  auto names = ir::autophase_feature_names();
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i] == "TotalInsts") return i;
  return 51;
}

}  // namespace

void to_json(nlohmann::json& j, const KnownSequence& k) {
  j = {{"uri", k.uri}, {"autophase", k.features}, {"flags", k.flags}, {"over_oz", k.over_oz},
       {"oz_count", k.oz_count}, {"source", k.source}};
}

void from_json(const nlohmann::json& j, KnownSequence& k) {
  k.uri = j.at("uri").get<std::string>();
  k.features = j.at("autophase").get<ir::AutophaseFeatures>();
  k.flags = j.at("flags").get<std::vector<std::string>>();
  k.over_oz = j.at("over_oz").get<double>();
  k.oz_count = j.value("oz_count", uint64_t{0});
  k.source = j.value("source", "");
}

Expected<SequenceBook> SequenceBook::read(const fs::path& path) {
  SequenceBook book;
  std::error_code ec;
  if (!fs::exists(path, ec)) return book;
  std::ifstream in(path);
  if (!in) return make_error(ErrorKind::io, fmt::format("{}: cannot read", path.string()));
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (line.empty()) continue;
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      if (in.peek() == EOF) break;  // a torn last line from a killed run
      return make_error(ErrorKind::parse, fmt::format("{}:{}: not JSON", path.string(), n));
    }
    try {
      book.add(j.get<KnownSequence>());
    } catch (const std::exception& e) {
      return make_error(ErrorKind::parse, fmt::format("{}:{}: not a known-sequence entry ({})", path.string(), n, e.what()));
    }
  }
  return book;
}

Expected<SequenceBook> SequenceBook::from_eval_run(const fs::path& run_dir, const data::Manifest& manifest) {
  fs::path records = run_dir / "records.jsonl";
  std::ifstream in(records);
  if (!in) return make_error(ErrorKind::not_found, fmt::format("{}: no records (is it an eval run dir?)", records.string()));
  std::unordered_map<std::string, const data::ProgramRecord*> by_uri;
  for (const auto& r : manifest.records())
    if (r.status == data::RecordStatus::ok) by_uri[r.uri] = &r;
  SequenceBook book;
  std::string line;
  while (std::getline(in, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object()) continue;  // torn lines: the harness redoes them
    try {
      auto it = by_uri.find(j.at("program").get<std::string>());
      if (it == by_uri.end()) continue;
      const auto& answer = j.at("answer");
      if (answer.value("verified_status", "") != "ok") continue;
      KnownSequence k;
      k.uri = it->first;
      k.features = it->second->autophase;
      k.flags = answer.at("flags").get<std::vector<std::string>>();
      k.over_oz = j.at("over_oz").get<double>();
      k.oz_count = j.value("oz_count", uint64_t{0});
      k.source = fmt::format("eval:{} {} seed {}", run_dir.filename().string(),
                             j.at("method").value("name", "?"), j.value("seed", uint64_t{0}));
      book.add(std::move(k));
    } catch (const std::exception&) {
      continue;
    }
  }
  return book;
}

void SequenceBook::add(KnownSequence entry) {
  stale_ = true;
  auto it = by_uri_.find(entry.uri);
  if (it == by_uri_.end()) {
    by_uri_[entry.uri] = entries_.size();
    entries_.push_back(std::move(entry));
    return;
  }
  KnownSequence& old = entries_[it->second];
  // Better OverOz wins; on a tie the shorter sequence.
  if (entry.over_oz > old.over_oz || (entry.over_oz == old.over_oz && entry.flags.size() < old.flags.size()))
    old = std::move(entry);
}

void SequenceBook::merge(const SequenceBook& other) {
  for (const auto& e : other.entries_) add(e);
}

const KnownSequence* SequenceBook::find(const std::string& uri) const {
  auto it = by_uri_.find(uri);
  return it == by_uri_.end() ? nullptr : &entries_[it->second];
}

SequenceBook::Vec SequenceBook::normalize(const ir::AutophaseFeatures& f) {
  static const size_t total = total_insts_index();
  double n = std::max<double>(1.0, static_cast<double>(f[total]));
  Vec v{};
  for (size_t i = 0; i < f.size(); ++i) v[i] = i == total ? std::log1p(static_cast<double>(f[i])) : static_cast<double>(f[i]) / n;
  return v;
}

void SequenceBook::refresh_scale() const {
  std::lock_guard lock(*scale_mutex_);
  if (!stale_) return;
  normalized_.clear();
  for (const auto& e : entries_) normalized_.push_back(normalize(e.features));
  mean_.fill(0);
  scale_.fill(1);
  if (!normalized_.empty()) {
    for (const auto& v : normalized_)
      for (size_t i = 0; i < v.size(); ++i) mean_[i] += v[i];
    for (auto& m : mean_) m /= static_cast<double>(normalized_.size());
    Vec var{};
    for (const auto& v : normalized_)
      for (size_t i = 0; i < v.size(); ++i) var[i] += (v[i] - mean_[i]) * (v[i] - mean_[i]);
    for (size_t i = 0; i < var.size(); ++i) {
      double sd = std::sqrt(var[i] / static_cast<double>(normalized_.size()));
      scale_[i] = sd > 1e-12 ? sd : 1.0;  // a constant feature does not matter
    }
  }
  stale_ = false;
}

std::vector<Neighbour> SequenceBook::nearest(const ir::AutophaseFeatures& features, size_t k, const std::string& exclude_uri,
                                             double min_over_oz, bool exclude_identical) const {
  refresh_scale();
  Vec q = normalize(features);
  std::vector<Neighbour> all;
  for (size_t e = 0; e < entries_.size(); ++e) {
    const auto& entry = entries_[e];
    if (entry.uri == exclude_uri || !(entry.over_oz > min_over_oz) || entry.flags.empty()) continue;
    if (exclude_identical && entry.features == features) continue;
    double d = 0;
    for (size_t i = 0; i < q.size(); ++i) {
      double x = (q[i] - normalized_[e][i]) / scale_[i];
      d += x * x;
    }
    all.push_back({&entry, std::sqrt(d)});
  }
  size_t n = std::min(k, all.size());
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                    [](const Neighbour& a, const Neighbour& b) {
                      return a.distance != b.distance ? a.distance < b.distance : a.entry->uri < b.entry->uri;
                    });
  all.resize(n);
  return all;
}

Status append_to_book(const fs::path& path, const KnownSequence& entry) {
  nlohmann::json j = entry;
  std::string line = j.dump() + "\n";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return make_error(ErrorKind::io, fmt::format("{}: cannot open for appending", path.string()));
  ssize_t w = ::write(fd, line.data(), line.size());
  ::close(fd);
  if (w != static_cast<ssize_t>(line.size())) return make_error(ErrorKind::io, fmt::format("{}: short write", path.string()));
  return ok_status();
}

}  // namespace cr1::agent
