#include "common/ids.h"

#include <cstdint>
#include <random>

#include "absl/strings/ascii.h"

namespace gantry::ids {
namespace {

std::mt19937_64& Generator() {
  thread_local std::mt19937_64 generator([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  return generator;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::string RandomHex(int digits) {
  std::string out;
  out.reserve(digits);
  uint64_t bits = 0;
  for (int i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = Generator()();
    out.push_back(kHex[bits & 0xf]);
    bits >>= 4;
  }
  return out;
}

std::string NewAccountId() {
  std::string out;
  out.push_back(static_cast<char>('1' + Generator()() % 9));
  while (out.size() < 12) {
    out.push_back(static_cast<char>('0' + Generator()() % 10));
  }
  return out;
}

std::string NewEc2Id(std::string_view prefix) { return std::string(prefix) + "-" + RandomHex(17); }

std::string NewUuid() {
  std::string hex = RandomHex(32);
  hex[12] = '4';                              // version 4
  hex[16] = kHex[8 + (Generator()() & 0x3)];  // variant 10xx
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

bool IsEc2Id(std::string_view prefix, std::string_view id) {
  if (id.size() <= prefix.size() + 1 || id.substr(0, prefix.size()) != prefix ||
      id[prefix.size()] != '-') {
    return false;
  }
  std::string_view hex = id.substr(prefix.size() + 1);
  if (hex.size() != 8 && hex.size() != 17) return false;
  for (char c : hex) {
    if (!absl::ascii_isxdigit(c) || absl::ascii_isupper(c)) return false;
  }
  return true;
}

}  // namespace gantry::ids
