// Task cpu/memory strings and the Fargate task-size table (contract 1.2).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/taskdef.h"

namespace gantry::taskdef {
namespace {

using internal::IsDigits;
using internal::Quote;

// Rows of table 1.2 that are arithmetic ranges. The 256 row is an explicit list.
struct SizeRange {
  int32_t cpu;
  int32_t min_memory;
  int32_t max_memory;
  int32_t step;
};
constexpr SizeRange kRanges[] = {
    {512, 1024, 4096, 1024},   {1024, 2048, 8192, 1024},   {2048, 4096, 16384, 1024},
    {4096, 8192, 30720, 1024}, {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192},
};
constexpr int32_t kQuarterVcpu = 256;
constexpr int32_t kQuarterVcpuMemory[] = {512, 1024, 2048};

// Keeps the arithmetic below far from int64 overflow; no real value is this long.
constexpr size_t kMaxDigits = 9;

// `number * scale` for a decimal number text ("2", "0.25", "1.5"), when that is a
// whole number that fits int32; nullopt otherwise.
std::optional<int32_t> ScaleDecimal(absl::string_view number, int64_t scale) {
  const size_t dot = number.find('.');
  const absl::string_view whole = number.substr(0, dot);
  const absl::string_view fraction =
      dot == absl::string_view::npos ? absl::string_view() : number.substr(dot + 1);
  if (!IsDigits(whole) || whole.size() > kMaxDigits || fraction.size() > kMaxDigits ||
      (dot != absl::string_view::npos && !IsDigits(fraction))) {
    return std::nullopt;
  }
  int64_t value = 0;
  for (char c : whole) {
    value = value * 10 + (c - '0');
  }
  int64_t numerator = 0;
  int64_t denominator = 1;
  for (char c : fraction) {
    numerator = numerator * 10 + (c - '0');
    denominator *= 10;
  }
  if ((numerator * scale) % denominator != 0) {
    return std::nullopt;
  }
  const int64_t scaled = value * scale + numerator * scale / denominator;
  if (scaled > INT32_MAX) {
    return std::nullopt;
  }
  return static_cast<int32_t>(scaled);
}

// Plain integer text, or a decimal number followed by `unit` (any case, optional
// spaces between), scaled by `scale`.
std::optional<int32_t> ParseSize(absl::string_view value, absl::string_view unit, int64_t scale) {
  if (IsDigits(value)) {
    return ScaleDecimal(value, 1);
  }
  if (value.size() <= unit.size() || !absl::EndsWithIgnoreCase(value, unit)) {
    return std::nullopt;
  }
  absl::string_view number = value.substr(0, value.size() - unit.size());
  while (!number.empty() && number.back() == ' ') {
    number.remove_suffix(1);
  }
  return ScaleDecimal(number, scale);
}

std::string AllowedMemory(int32_t cpu) {
  if (cpu == kQuarterVcpu) {
    return absl::StrCat("with ", cpu, " CPU units use 512, 1024 or 2048 MiB");
  }
  for (const SizeRange& row : kRanges) {
    if (row.cpu == cpu) {
      return absl::StrCat("with ", cpu, " CPU units use ", row.min_memory, " to ", row.max_memory,
                          " MiB in steps of ", row.step);
    }
  }
  return "";
}

bool IsAllowedPair(int32_t cpu, int32_t memory) {
  if (cpu == kQuarterVcpu) {
    for (int32_t allowed : kQuarterVcpuMemory) {
      if (memory == allowed) {
        return true;
      }
    }
    return false;
  }
  for (const SizeRange& row : kRanges) {
    if (row.cpu == cpu) {
      return memory >= row.min_memory && memory <= row.max_memory &&
             (memory - row.min_memory) % row.step == 0;
    }
  }
  return false;
}

bool IsFargateCpu(int32_t cpu) {
  if (cpu == kQuarterVcpu) {
    return true;
  }
  for (const SizeRange& row : kRanges) {
    if (row.cpu == cpu) {
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<int32_t> ParseTaskCpu(std::string_view value, std::string_view field) {
  std::optional<int32_t> units = ParseSize(internal::AsAbsl(value), "vcpu", 1024);
  if (!units) {
    return absl::InvalidArgumentError(
        absl::StrCat(internal::AsAbsl(field), ": ", Quote(internal::AsAbsl(value)),
                     " is not a task cpu value; use whole CPU units (\"1024\") or vCPUs "
                     "(\"1 vCPU\", \"0.25 vCPU\")"));
  }
  return *units;
}

absl::StatusOr<int32_t> ParseTaskMemory(std::string_view value, std::string_view field) {
  std::optional<int32_t> mib = ParseSize(internal::AsAbsl(value), "gb", 1024);
  if (!mib) {
    return absl::InvalidArgumentError(
        absl::StrCat(internal::AsAbsl(field), ": ", Quote(internal::AsAbsl(value)),
                     " is not a task memory value; use whole MiB (\"2048\") or GB (\"2GB\", "
                     "\"2 GB\", \"0.5 GB\")"));
  }
  return *mib;
}

absl::Status CheckFargateTaskSize(int32_t cpu_units, int32_t memory_mib) {
  if (!IsFargateCpu(cpu_units)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cpu: ", cpu_units,
                     " CPU units is not a Fargate task size; use 256, 512, 1024, 2048, 4096, "
                     "8192 or 16384 (0.25 to 16 vCPU)"));
  }
  if (!IsAllowedPair(cpu_units, memory_mib)) {
    return absl::InvalidArgumentError(absl::StrCat("memory: ", memory_mib,
                                                   " MiB is not valid with cpu ", cpu_units, "; ",
                                                   AllowedMemory(cpu_units)));
  }
  return absl::OkStatus();
}

}  // namespace gantry::taskdef
