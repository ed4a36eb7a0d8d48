// IPv4 addresses and CIDR blocks as plain values: parsing the dotted-quad and
// "a.b.c.d/n" text forms strictly, formatting them back, and the range arithmetic
// (containment, overlap, the address at an offset) that VPC and subnet rules are
// built from. No business rules (which prefixes a subnet may have lives with the
// caller), no I/O; safe to call from any thread. Parse errors are INVALID_ARGUMENT
// with a short reason that quotes the input; the caller prefixes the field name.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace gantry::ipv4 {

// "a.b.c.d": exactly four decimal numbers 0-255 separated by dots, with no sign, no
// whitespace, no empty part and no leading zero (so "010" is never read as octal).
absl::StatusOr<uint32_t> ParseAddress(std::string_view text);

// "a.b.c.d" for `address` (host byte order, a the most significant byte).
std::string FormatAddress(uint32_t address);

// An IPv4 CIDR block. `base` may have host bits set until Canonical() clears them.
struct Cidr {
  uint32_t base = 0;
  int prefix = 0;  // 0..32

  // The network mask of `prefix`, e.g. 0xffffff00 for /24.
  uint32_t Mask() const;
  // Host bits cleared: 100.68.0.18/18 -> 100.68.0.0/18 (as EC2 stores it).
  Cidr Canonical() const;
  bool IsCanonical() const { return base == Canonical().base; }
  // Number of addresses, 2^(32 - prefix).
  int64_t Size() const;
  // The lowest and highest address of the (canonical) range.
  uint32_t First() const { return Canonical().base; }
  uint32_t Last() const;
  // True when every address of `other` is in this block.
  bool Contains(const Cidr& other) const;
  // True when the two blocks share at least one address.
  bool Overlaps(const Cidr& other) const;
  // The address `offset` places after the first one. INVALID_ARGUMENT unless
  // 0 <= offset < Size().
  absl::StatusOr<uint32_t> AddressAt(int64_t offset) const;
  // "a.b.c.d/n", with `base` as it is (call Canonical() first for the stored form).
  std::string ToString() const;

  friend bool operator==(const Cidr&, const Cidr&) = default;
};

// "a.b.c.d/n" with n a decimal 0..32 (no sign, no leading zero). Host bits are kept;
// see Cidr::Canonical().
absl::StatusOr<Cidr> ParseCidr(std::string_view text);

}  // namespace gantry::ipv4
