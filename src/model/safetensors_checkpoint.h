// The weights of an HF model directory: one model.safetensors, or shards listed by
// model.safetensors.index.json ({"metadata": {"total_size": N}, "weight_map": {tensor: shard file}}).
// Torch-free, like safetensors.h.
#pragma once

#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "model/safetensors.h"

namespace cr1::model {

class SafetensorsCheckpoint {
 public:
  // Opens model.safetensors.index.json and its shards if the index exists, else model.safetensors.
  // Every tensor of the weight map must be found in the shard that the map names.
  static Expected<SafetensorsCheckpoint> open(const std::filesystem::path& dir);

  const TensorView* find(const std::string& name) const;
  std::vector<std::string> names() const;  // sorted
  size_t num_files() const { return files_.size(); }

 private:
  std::vector<SafetensorsFile> files_;
  std::map<std::string, const TensorView*> by_name_;
};

// Writes `tensors` into `dir` as model.safetensors when they fit in `max_shard_bytes` (0: no limit),
// else as model-0000i-of-0000n.safetensors shards (tensors in the given order, a shard closed when the
// next tensor would overflow it) plus model.safetensors.index.json. Each file is written atomically,
// the index last; weight files of an earlier save that the new layout does not use are removed.
Status write_safetensors_checkpoint(const std::filesystem::path& dir, std::span<const TensorBytes> tensors,
                                    size_t max_shard_bytes = 0);

inline constexpr const char* kSingleWeightsFile = "model.safetensors";
inline constexpr const char* kWeightsIndexFile = "model.safetensors.index.json";

}  // namespace cr1::model
