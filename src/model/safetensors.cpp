#include "model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "util/atomic_file.h"

namespace cr1::model {

namespace {

struct DTypeInfo {
  StDType dtype;
  const char* name;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {StDType::f64, "F64", 8}, {StDType::f32, "F32", 4}, {StDType::f16, "F16", 2},
    {StDType::bf16, "BF16", 2}, {StDType::i64, "I64", 8}, {StDType::i32, "I32", 4},
    {StDType::i16, "I16", 2}, {StDType::i8, "I8", 1}, {StDType::u8, "U8", 1},
    {StDType::boolean, "BOOL", 1},
};

// Headers larger than this are refused (the reference implementation uses 100 MB too).
constexpr uint64_t kMaxHeaderBytes = 100u << 20;

}  // namespace

const char* st_dtype_name(StDType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i.name;
  return "?";
}

size_t st_dtype_size(StDType d) {
  for (const auto& i : kDTypes)
    if (i.dtype == d) return i.size;
  return 0;
}

Expected<StDType> parse_st_dtype(std::string_view name) {
  for (const auto& i : kDTypes)
    if (name == i.name) return i.dtype;
  return make_error(ErrorKind::parse, fmt::format("unsupported safetensors dtype '{}'", name));
}

int64_t TensorView::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

Expected<std::shared_ptr<const FileMapping>> FileMapping::map(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return make_error(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io,
                      fmt::format("{}: cannot open: {}", path.string(), std::strerror(errno)));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return make_error(ErrorKind::io, fmt::format("{}: cannot stat: {}", path.string(), std::strerror(e)));
  }
  size_t size = static_cast<size_t>(st.st_size);
  void* p = nullptr;
  if (size > 0) {
    p = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return make_error(ErrorKind::io, fmt::format("{}: cannot mmap: {}", path.string(), std::strerror(e)));
    }
  }
  ::close(fd);  // the mapping stays valid
  return std::shared_ptr<const FileMapping>(new FileMapping(static_cast<const std::byte*>(p), size));
}

FileMapping::~FileMapping() {
  if (data_ && size_) ::munmap(const_cast<std::byte*>(data_), size_);
}

Expected<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  auto mapping = FileMapping::map(path);
  if (!mapping) return mapping.error();
  const auto& m = **mapping;
  auto bad = [&](const std::string& why) -> Expected<SafetensorsFile> {
    return make_error(ErrorKind::parse, fmt::format("{}: not a valid safetensors file: {}", path.string(), why));
  };
  if (m.size() < 8) return bad("shorter than the 8-byte header length");
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | std::to_integer<uint64_t>(m.data()[i]);
  if (header_len > kMaxHeaderBytes || header_len > m.size() - 8)
    return bad(fmt::format("header length {} exceeds the file ({} bytes)", header_len, m.size()));
  std::string_view header(reinterpret_cast<const char*>(m.data() + 8), header_len);
  nlohmann::json j = nlohmann::json::parse(header, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return bad("the header is not a JSON object");

  SafetensorsFile f;
  f.path_ = path;
  const std::byte* base = m.data() + 8 + header_len;
  const size_t data_size = m.size() - 8 - header_len;
  std::vector<std::pair<size_t, size_t>> ranges;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) return bad("__metadata__ is not an object");
      for (auto mt = it->begin(); mt != it->end(); ++mt) {
        if (!mt->is_string()) return bad(fmt::format("__metadata__.{} is not a string", mt.key()));
        f.metadata_[mt.key()] = mt->get<std::string>();
      }
      continue;
    }
    const auto& e = it.value();
    if (!e.is_object() || !e.contains("dtype") || !e.contains("shape") || !e.contains("data_offsets") ||
        !e["dtype"].is_string() || !e["shape"].is_array() || !e["data_offsets"].is_array() ||
        e["data_offsets"].size() != 2)
      return bad(fmt::format("tensor '{}': needs dtype, shape and data_offsets [begin, end]", it.key()));
    auto dt = parse_st_dtype(e["dtype"].get<std::string>());
    if (!dt) return bad(fmt::format("tensor '{}': {}", it.key(), dt.error().message));
    TensorView v;
    v.name = it.key();
    v.dtype = *dt;
    for (const auto& d : e["shape"]) {
      if (!d.is_number_unsigned()) return bad(fmt::format("tensor '{}': shape entries must be >= 0", it.key()));
      v.shape.push_back(d.get<int64_t>());
    }
    const auto& off = e["data_offsets"];
    if (!off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      return bad(fmt::format("tensor '{}': data_offsets must be non-negative integers", it.key()));
    size_t begin = off[0].get<size_t>(), end = off[1].get<size_t>();
    if (begin > end || end > data_size)
      return bad(fmt::format("tensor '{}': data_offsets [{}, {}] outside the {} data bytes", it.key(), begin, end,
                             data_size));
    size_t expect = static_cast<size_t>(v.numel()) * st_dtype_size(v.dtype);
    if (end - begin != expect)
      return bad(fmt::format("tensor '{}': {} bytes for shape {} of {} (expected {})", it.key(), end - begin,
                             e["shape"].dump(), st_dtype_name(v.dtype), expect));
    v.data = base + begin;
    v.nbytes = end - begin;
    v.owner = *mapping;
    ranges.emplace_back(begin, end);
    f.tensors_.push_back(std::move(v));
  }
  std::sort(ranges.begin(), ranges.end());
  for (size_t i = 1; i < ranges.size(); ++i)
    if (ranges[i].first < ranges[i - 1].second) return bad("two tensors' data ranges overlap");
  std::sort(f.tensors_.begin(), f.tensors_.end(),
            [](const TensorView& a, const TensorView& b) { return a.data < b.data; });
  return f;
}

const TensorView* SafetensorsFile::find(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Status write_safetensors(const std::filesystem::path& path, std::span<const TensorBytes> tensors,
                         const std::map<std::string, std::string>& metadata) {
  nlohmann::json header = nlohmann::json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::set<std::string> names;
  size_t offset = 0;
  for (const auto& t : tensors) {
    if (!names.insert(t.name).second)
      return make_error(ErrorKind::invalid_input, fmt::format("{}: tensor '{}' given twice", path.string(), t.name));
    int64_t numel = 1;
    for (int64_t d : t.shape) numel *= d;
    if (static_cast<size_t>(numel) * st_dtype_size(t.dtype) != t.bytes.size())
      return make_error(ErrorKind::invalid_input,
                        fmt::format("{}: tensor '{}': {} bytes do not match its shape", path.string(), t.name,
                                    t.bytes.size()));
    header[t.name] = {{"dtype", st_dtype_name(t.dtype)},
                      {"shape", t.shape},
                      {"data_offsets", {offset, offset + t.bytes.size()}}};
    offset += t.bytes.size();
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // keeps the data 8-byte aligned
  auto file = AtomicFile::create(path);
  if (!file) return file.error();
  {
    std::ofstream out(file->temp_path(), std::ios::binary | std::ios::trunc);
    char len[8];
    uint64_t n = h.size();
    for (int i = 0; i < 8; ++i) len[i] = static_cast<char>((n >> (8 * i)) & 0xff);
    out.write(len, 8);
    out.write(h.data(), static_cast<std::streamsize>(h.size()));
    for (const auto& t : tensors)
      out.write(reinterpret_cast<const char*>(t.bytes.data()), static_cast<std::streamsize>(t.bytes.size()));
    out.flush();
    if (!out)
      return make_error(ErrorKind::io, fmt::format("{}: write failed: {}", path.string(), std::strerror(errno)));
  }
  return file->commit();
}

}  // namespace cr1::model
