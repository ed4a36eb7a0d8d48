// Task cpu/memory strings and the Fargate task-size table (contract 1.2).
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/support/status_matchers.h"

namespace gantry::taskdef {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

struct StringCase {
  std::string text;
  int32_t want;  // -1: refused
};

TEST(ParseTaskCpu, StringForms_ParseToCpuUnits) {
  const std::vector<StringCase> cases = {
      {"256", 256},       {"1024", 1024},    {"16384", 16384},   {"0.25 vCPU", 256},
      {"0.25 vcpu", 256}, {"0.5 vCPU", 512}, {"1 vCPU", 1024},   {"1 vcpu", 1024},
      {"1vCPU", 1024},    {"2 VCPU", 2048},  {"16 vCPU", 16384}, {"0", 0},
      {"", -1},           {"abc", -1},       {"-256", -1},       {"256 ", -1},
      {" 256", -1},       {"1.5", -1},       {"0.3 vCPU", -1},   {"vCPU", -1},
      {".5 vCPU", -1},    {"1. vCPU", -1},   {"1 GB", -1},       {"99999999999", -1},
      {"1e3", -1},        {"1 vCPUs", -1},   {"2147483648", -1}, {"0.001953125 vCPU", 2},
  };
  for (const StringCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<int32_t> got = ParseTaskCpu(c.text);
    if (c.want < 0) {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument, "cpu: \"" + c.text + "\""));
    } else {
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(ParseTaskMemory, StringForms_ParseToMiB) {
  const std::vector<StringCase> cases = {
      {"512", 512},    {"2048", 2048}, {"2GB", 2048}, {"2 GB", 2048},     {"2 gb", 2048},
      {"0.5 GB", 512}, {"0.5GB", 512}, {"1GB", 1024}, {"120 GB", 122880}, {"", -1},
      {"2 MiB", -1},   {"2G", -1},     {"GB", -1},    {"-1", -1},         {"2 GiB", -1},
      {"0.1 GB", -1},  {"2 GB ", -1},
  };
  for (const StringCase& c : cases) {
    SCOPED_TRACE(c.text);
    absl::StatusOr<int32_t> got = ParseTaskMemory(c.text);
    if (c.want < 0) {
      EXPECT_THAT(got, StatusIs(absl::StatusCode::kInvalidArgument, "memory: \"" + c.text + "\""));
    } else {
      ASSERT_THAT(got, IsOk());
      EXPECT_EQ(*got, c.want);
    }
  }
}

TEST(ParseTaskCpu, FieldName_AppearsInMessage) {
  EXPECT_THAT(ParseTaskCpu("x", "overrides.cpu"),
              StatusIs(absl::StatusCode::kInvalidArgument, "overrides.cpu: \"x\""));
  EXPECT_THAT(ParseTaskMemory("x", "overrides.memory"),
              StatusIs(absl::StatusCode::kInvalidArgument, "overrides.memory: \"x\""));
}

struct Row {
  int32_t cpu;
  int32_t min;
  int32_t max;
  int32_t step;
};

// Table 1.2 except the 256 row: both ends valid, one step outside each end
// refused, and a value off the step refused.
TEST(CheckFargateTaskSize, RangeRows_BoundariesAndSteps) {
  const std::vector<Row> rows = {
      {512, 1024, 4096, 1024},   {1024, 2048, 8192, 1024},   {2048, 4096, 16384, 1024},
      {4096, 8192, 30720, 1024}, {8192, 16384, 61440, 4096}, {16384, 32768, 122880, 8192},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.cpu);
    const std::string allowed = absl::StrCat("with ", row.cpu, " CPU units use ", row.min, " to ",
                                             row.max, " MiB in steps of ", row.step);
    int count = 0;
    for (int32_t memory = row.min; memory <= row.max; memory += row.step) {
      EXPECT_THAT(CheckFargateTaskSize(row.cpu, memory), IsOk()) << memory;
      ++count;
    }
    EXPECT_GT(count, 3);
    for (int32_t memory : {row.min - row.step, row.max + row.step, row.min + 1, row.max - 512}) {
      EXPECT_THAT(CheckFargateTaskSize(row.cpu, memory),
                  StatusIs(absl::StatusCode::kInvalidArgument,
                           absl::StrCat("memory: ", memory, " MiB is not valid with cpu ", row.cpu,
                                        "; ", allowed)))
          << memory;
    }
  }
}

TEST(CheckFargateTaskSize, RowCounts_MatchTheContract) {
  const std::vector<std::pair<int32_t, int>> counts = {
      {256, 3}, {512, 4}, {1024, 7}, {2048, 13}, {4096, 23}, {8192, 12}, {16384, 12}};
  for (const auto& [cpu, want] : counts) {
    int got = 0;
    // Every Fargate memory size is a multiple of 512 MiB; 256 also catches half steps.
    for (int32_t memory = 256; memory <= 131072; memory += 256) {
      got += CheckFargateTaskSize(cpu, memory).ok() ? 1 : 0;
    }
    EXPECT_EQ(got, want) << cpu;
  }
}

TEST(CheckFargateTaskSize, QuarterVcpu_IsAnExplicitList) {
  for (int32_t memory : {512, 1024, 2048}) {
    EXPECT_THAT(CheckFargateTaskSize(256, memory), IsOk()) << memory;
  }
  for (int32_t memory : {256, 1536, 3072, 4096}) {
    EXPECT_THAT(CheckFargateTaskSize(256, memory),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("memory: ", memory,
                                      " MiB is not valid with cpu 256; with 256 CPU units use "
                                      "512, 1024 or 2048 MiB")))
        << memory;
  }
}

TEST(CheckFargateTaskSize, UnknownCpu_ListsFargateCpus) {
  for (int32_t cpu : {0, 128, 300, 768, 3072, 32768}) {
    EXPECT_THAT(CheckFargateTaskSize(cpu, 2048),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         absl::StrCat("cpu: ", cpu,
                                      " CPU units is not a Fargate task size; use "
                                      "256, 512, 1024, 2048, 4096, 8192 or 16384")))
        << cpu;
  }
}

}  // namespace
}  // namespace gantry::taskdef
