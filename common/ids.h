// Random identifiers in the shapes AWS uses: ECS task ids (32 hex digits), EC2
// resource ids ("vpc-" + 17 hex digits), UUIDs. Thread-safe (one generator per
// thread, seeded from std::random_device); not for secrets.
#pragma once

#include <string>
#include <string_view>

namespace gantry::ids {

// `digits` lowercase hex digits.
std::string RandomHex(int digits);

// A new account id: 12 decimal digits, the first not 0 (so it never collides with the
// all-zero default provider account).
std::string NewAccountId();

// `prefix` + "-" + 17 lowercase hex digits, e.g. NewEc2Id("subnet") = "subnet-0a1b...".
std::string NewEc2Id(std::string_view prefix);

// A random (version 4) UUID in its 8-4-4-4-12 lowercase form.
std::string NewUuid();

// True when `id` is `prefix` + "-" + 8 or 17 lowercase hex digits (EC2 accepts both).
bool IsEc2Id(std::string_view prefix, std::string_view id);

}  // namespace gantry::ids
