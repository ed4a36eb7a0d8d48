// Wording of Unplaced decisions: reasons and the sentences that name the deciding constraint.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "placement/placement.h"

namespace gantry::placement::internal {

inline constexpr char kReasonCpu[] = "RESOURCE:CPU";
inline constexpr char kReasonMemory[] = "RESOURCE:MEMORY";
inline constexpr char kReasonStorage[] = "RESOURCE:EPHEMERAL_STORAGE";
inline constexpr char kReasonEni[] = "RESOURCE:ENI";
inline constexpr char kReasonMissing[] = "MISSING";

// The four dimensions in the order rule 5 checks them.
enum class Dimension { kCpu, kMemory, kStorage, kEnis };
inline constexpr std::array<Dimension, 4> kDimensions = {Dimension::kCpu, Dimension::kMemory,
                                                         Dimension::kStorage, Dimension::kEnis};

int64_t Get(const Resources& resources, Dimension dimension);
const char* ReasonFor(Dimension dimension);
// "4096 CPU units", "8192 MiB of memory", "20 GiB of ephemeral storage", "1 ENI slot".
std::string Quantity(Dimension dimension, int64_t value);
// "us-east-1a", "us-east-1a or us-east-1b", "us-east-1a, us-east-1b or us-east-1c".
std::string JoinOr(absl::Span<const absl::string_view> names);

// "no host in <zones> has 4096 CPU units free" ("... has a free ENI slot" for one slot).
std::string NoFreeSentence(absl::string_view zones, Dimension dimension, int64_t needed);
// "no host in <zones> has 4096 CPU units, 8192 MiB of memory and 1 ENI slot free at once",
// naming every nonzero need.
std::string NoFreeTogetherSentence(absl::string_view zones, const Resources& needs);
// "the task needs 16384 CPU units; the largest host in <zones> has 8192 CPU units".
std::string NeverSentence(absl::string_view zones, Dimension dimension, int64_t needed,
                          int64_t largest);
// "the task needs 4096 CPU units and 65536 MiB of memory together; no host in <zones> has that
// much even when empty".
std::string NeverTogetherSentence(absl::string_view zones, const Resources& needs);

}  // namespace gantry::placement::internal
