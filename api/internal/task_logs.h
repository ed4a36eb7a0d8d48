// GetTaskLogs and SubmitLogs, the pure parts: request validation and turning log bytes
// into the valid UTF-8 a proto3 string must hold. Safe from any thread. Validation
// errors are INVALID_ARGUMENT starting with the member's name.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gantry/v1/agent.pb.h"
#include "gantry/v1/ecs.pb.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/internal/tasks.h"

namespace gantry::api::internal {

inline constexpr int32_t kDefaultLogBytes = 64 * 1024;
inline constexpr int32_t kMaxLogBytes = 1024 * 1024;
inline constexpr int32_t kMaxLogWaitSeconds = 20;
// How much longer than its own wait a call waits for the agent's answer.
inline constexpr absl::Duration kLogAnswerSlack = absl::Seconds(15);

struct LogsPlan {
  std::string cluster = "default";
  TaskRef task;
  std::optional<std::string> container;
  int64_t start_offset = -1;  // -1: the tail
  int32_t max_bytes = kDefaultLogBytes;
  int32_t wait_seconds = 0;
};
absl::StatusOr<LogsPlan> ParseGetTaskLogs(const Config& config,
                                          const v1::GetTaskLogsRequest& request);

// The container a call reads: the named one, or the task's only one. NOT_FOUND for a
// name the task does not have, INVALID_ARGUMENT when none is named and the task has
// several; both list the task's containers.
absl::StatusOr<std::string> ChooseContainer(const std::optional<std::string>& named,
                                            const std::vector<std::string>& containers);

// An agent's answer, checked: hostId, requestId, at most kMaxLogBytes of data, a
// next offset of at least 0.
absl::Status ValidateSubmitLogs(const v1::SubmitLogsRequest& request);

}  // namespace gantry::api::internal
