// Deterministic train/valid/test splits by group (a Debian package, a block
// of generator seeds, a folder), never by file: no test program shares a
// package with training.
#pragma once

#include <cstdint>
#include <string>

#include "data/program_record.h"

namespace cr1::data {

// 80% train, 10% valid, 10% test of groups, by a stable hash of the group name.
Split split_of_group(const std::string& group);

// Generator seeds are split in blocks, so neighbouring seeds stay together.
inline constexpr uint64_t kSeedBlock = 100;
std::string seed_group(const std::string& generator, uint64_t seed);

}  // namespace cr1::data
