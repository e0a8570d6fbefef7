// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian header
// length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {str: str}}, then the raw
// little-endian tensor bytes. Reading memory-maps the file; views point into the mapping and keep it
// alive. Torch-free: the model turns views into tensors (model/checkpoint.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "util/expected.h"

namespace cr1::model {

enum class StDType { f64, f32, f16, bf16, i64, i32, i16, i8, u8, boolean };

const char* st_dtype_name(StDType d);  // the header spelling: "F32", "BF16", ...
Expected<StDType> parse_st_dtype(std::string_view name);
size_t st_dtype_size(StDType d);

// A read-only mapping of one file; shared by the views into it.
class FileMapping {
 public:
  static Expected<std::shared_ptr<const FileMapping>> map(const std::filesystem::path& path);
  ~FileMapping();
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  FileMapping(const std::byte* data, size_t size) : data_(data), size_(size) {}
  const std::byte* data_;
  size_t size_;
};

struct TensorView {
  std::string name;
  StDType dtype = StDType::f32;
  std::vector<int64_t> shape;
  const std::byte* data = nullptr;  // 8-byte aligned in files we and HF write
  size_t nbytes = 0;
  std::shared_ptr<const FileMapping> owner;  // keeps `data` valid

  int64_t numel() const;
};

class SafetensorsFile {
 public:
  // Maps the file and checks the header: every offset in range, no overlaps, sizes that match the
  // shapes. Errors name the file and the tensor.
  static Expected<SafetensorsFile> open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return path_; }
  const std::vector<TensorView>& tensors() const { return tensors_; }  // in file order
  const TensorView* find(std::string_view name) const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  std::filesystem::path path_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

// One tensor to write: bytes in `dtype`, row-major, little-endian.
struct TensorBytes {
  std::string name;
  StDType dtype = StDType::f32;
  std::vector<int64_t> shape;
  std::span<const std::byte> bytes;
};

// Writes a safetensors file atomically (temp file + rename). Names must be unique.
Status write_safetensors(const std::filesystem::path& path, std::span<const TensorBytes> tensors,
                         const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace cr1::model
