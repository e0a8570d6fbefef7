#include "model/safetensors_checkpoint.h"

#include <regex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"

namespace cr1::model {

namespace fs = std::filesystem;

Expected<SafetensorsCheckpoint> SafetensorsCheckpoint::open(const fs::path& dir) {
  SafetensorsCheckpoint c;
  const fs::path index_path = dir / kWeightsIndexFile;
  std::error_code ec;
  if (!fs::exists(index_path, ec)) {
    auto f = SafetensorsFile::open(dir / kSingleWeightsFile);
    if (!f) {
      if (f.error().kind == ErrorKind::not_found)
        return make_error(ErrorKind::not_found, fmt::format("{}: no {} and no {}", dir.string(), kSingleWeightsFile,
                                                            kWeightsIndexFile));
      return f.error();
    }
    c.files_.push_back(std::move(*f));
  } else {
    auto text = read_file(index_path);
    if (!text) return text.error();
    auto j = nlohmann::json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object())
      return make_error(ErrorKind::parse, index_path.string() + ": needs a JSON object with a 'weight_map' object");
    std::map<std::string, size_t> file_index;
    std::vector<std::pair<std::string, std::string>> wanted;  // tensor, shard
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it->is_string())
        return make_error(ErrorKind::parse, fmt::format("{}: weight_map.{} is not a file name", index_path.string(),
                                                        it.key()));
      std::string shard = it->get<std::string>();
      if (shard.find('/') != std::string::npos || shard == "..")
        return make_error(ErrorKind::parse, fmt::format("{}: shard '{}' is not a plain file name", index_path.string(),
                                                        shard));
      if (!file_index.count(shard)) {
        auto f = SafetensorsFile::open(dir / shard);
        if (!f) return make_error(f.error().kind, f.error().message + " (listed in " + index_path.string() + ")");
        file_index[shard] = c.files_.size();
        c.files_.push_back(std::move(*f));
      }
      wanted.emplace_back(it.key(), shard);
    }
    for (const auto& [name, shard] : wanted) {
      const TensorView* v = c.files_[file_index[shard]].find(name);
      if (!v)
        return make_error(ErrorKind::parse, fmt::format("{}: tensor '{}' is not in {} where the index puts it",
                                                        index_path.string(), name, shard));
      c.by_name_[name] = v;
    }
    return c;
  }
  for (const auto& t : c.files_[0].tensors()) c.by_name_[t.name] = &t;
  return c;
}

const TensorView* SafetensorsCheckpoint::find(const std::string& name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::string> SafetensorsCheckpoint::names() const {
  std::vector<std::string> out;
  for (const auto& [n, v] : by_name_) out.push_back(n);
  return out;
}

Status write_safetensors_checkpoint(const fs::path& dir, std::span<const TensorBytes> tensors,
                                    size_t max_shard_bytes) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(ErrorKind::io, fmt::format("{}: cannot create: {}", dir.string(), ec.message()));

  // Split into shards.
  std::vector<std::pair<size_t, size_t>> shards;  // [begin, end) into tensors
  size_t begin = 0, bytes = 0, total = 0;
  for (size_t i = 0; i < tensors.size(); ++i) {
    size_t n = tensors[i].bytes.size();
    total += n;
    if (max_shard_bytes && i > begin && bytes + n > max_shard_bytes) {
      shards.emplace_back(begin, i);
      begin = i;
      bytes = 0;
    }
    bytes += n;
  }
  shards.emplace_back(begin, tensors.size());

  std::vector<std::string> written;
  if (shards.size() == 1) {
    if (auto st = write_safetensors(dir / kSingleWeightsFile, tensors); !st) return st;
    written.push_back(kSingleWeightsFile);
  } else {
    nlohmann::json weight_map = nlohmann::json::object();
    for (size_t s = 0; s < shards.size(); ++s) {
      std::string file = fmt::format("model-{:05d}-of-{:05d}.safetensors", s + 1, shards.size());
      auto part = tensors.subspan(shards[s].first, shards[s].second - shards[s].first);
      if (auto st = write_safetensors(dir / file, part); !st) return st;
      for (const auto& t : part) weight_map[t.name] = file;
      written.push_back(file);
    }
    nlohmann::json index = {{"metadata", {{"total_size", total}}}, {"weight_map", weight_map}};
    if (auto st = write_file_atomically(dir / kWeightsIndexFile, index.dump(2) + "\n"); !st) return st;
    written.push_back(kWeightsIndexFile);
  }
  // Remove weight files a previous save left that the new layout does not use.
  static const std::regex kWeightFile(R"(model(-\d{5}-of-\d{5})?\.safetensors(\.index\.json)?)");
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (std::regex_match(name, kWeightFile) && std::find(written.begin(), written.end(), name) == written.end())
      fs::remove(entry.path(), ec);
  }
  return ok_status();
}

}  // namespace cr1::model
