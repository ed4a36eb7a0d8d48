#include "common/ipv4.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace gantry::ipv4 {
namespace {

// A strict unsigned decimal of at most `max_digits` digits: no sign, no leading zero
// (except "0" itself). Returns a reason on failure.
std::optional<std::string> ParseDecimal(std::string_view text, int max_digits, int64_t max_value,
                                        int64_t* value) {
  if (text.empty()) return "is empty";
  for (char c : text) {
    if (c < '0' || c > '9') return "is not a decimal number";
  }
  if (text.size() > 1 && text[0] == '0') return "has a leading zero";
  if (static_cast<int>(text.size()) > max_digits) return absl::StrCat("is above ", max_value);
  int64_t number = 0;
  for (char c : text) number = number * 10 + (c - '0');
  if (number > max_value) return absl::StrCat("is above ", max_value);
  *value = number;
  return std::nullopt;
}

// Parses the dotted quad; on failure returns the reason without the input.
std::optional<std::string> ParseQuad(std::string_view text, uint32_t* address) {
  uint32_t result = 0;
  int part = 0;
  size_t start = 0;
  while (true) {
    size_t dot = text.find('.', start);
    std::string_view piece =
        text.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    ++part;
    if (part > 4) break;
    int64_t octet = 0;
    if (std::optional<std::string> reason = ParseDecimal(piece, 3, 255, &octet)) {
      return absl::StrCat("part ", part, " (\"", std::string(piece), "\") ", *reason);
    }
    result = (result << 8) | static_cast<uint32_t>(octet);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  if (part != 4) {
    int parts = 1;
    for (char c : text) parts += c == '.' ? 1 : 0;
    return absl::StrCat("has ", parts, " parts; use four numbers 0-255 separated by dots");
  }
  *address = result;
  return std::nullopt;
}

}  // namespace

absl::StatusOr<uint32_t> ParseAddress(std::string_view text) {
  uint32_t address = 0;
  if (std::optional<std::string> reason = ParseQuad(text, &address)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\" is not an IPv4 address: ", *reason));
  }
  return address;
}

std::string FormatAddress(uint32_t address) {
  return absl::StrCat(address >> 24, ".", (address >> 16) & 0xff, ".", (address >> 8) & 0xff, ".",
                      address & 0xff);
}

uint32_t Cidr::Mask() const {
  // Shifting a 32-bit value by 32 is undefined: /0 has no network bits.
  return prefix <= 0 ? 0 : prefix >= 32 ? 0xffffffffu : ~((uint32_t{1} << (32 - prefix)) - 1);
}

Cidr Cidr::Canonical() const { return Cidr{base & Mask(), prefix}; }

int64_t Cidr::Size() const { return int64_t{1} << (32 - prefix); }

uint32_t Cidr::Last() const { return First() | ~Mask(); }

bool Cidr::Contains(const Cidr& other) const {
  return First() <= other.First() && other.Last() <= Last();
}

bool Cidr::Overlaps(const Cidr& other) const {
  return First() <= other.Last() && other.First() <= Last();
}

absl::StatusOr<uint32_t> Cidr::AddressAt(int64_t offset) const {
  if (offset < 0 || offset >= Size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("offset ", offset, " is outside ", ToString(), "; use 0 to ", Size() - 1));
  }
  return First() + static_cast<uint32_t>(offset);
}

std::string Cidr::ToString() const { return absl::StrCat(FormatAddress(base), "/", prefix); }

absl::StatusOr<Cidr> ParseCidr(std::string_view text) {
  auto invalid = [text](std::string_view reason) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text), "\" is not a CIDR block: ", std::string(reason)));
  };
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) return invalid("missing \"/prefix\"; use a.b.c.d/n");
  Cidr cidr;
  if (std::optional<std::string> reason = ParseQuad(text.substr(0, slash), &cidr.base)) {
    return invalid(absl::StrCat("address ", *reason));
  }
  std::string_view prefix = text.substr(slash + 1);
  int64_t length = 0;
  if (std::optional<std::string> reason = ParseDecimal(prefix, 2, 32, &length)) {
    return invalid(
        absl::StrCat("prefix \"", std::string(prefix), "\" ", *reason, "; use a number 0-32"));
  }
  cidr.prefix = static_cast<int>(length);
  return cidr;
}

}  // namespace gantry::ipv4
