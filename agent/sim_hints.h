// What the simulated runtime does with each container of a launch: its name, image,
// whether it is essential, and the GANTRY_SIM_* hints read from its environment.
// Pure: no I/O, no clock; safe from any thread.
//
// Hints (container environment variables; a containerOverrides[] entry with the same
// container name overrides the task definition's value variable by variable):
//   GANTRY_SIM_FAIL_START=<reason>  the launch fails: the task goes STOPPED with this
//                                   reason (empty: the runtime's --fail-reason).
//   GANTRY_SIM_EXIT_AFTER=<duration> the container exits this long after the task is
//                                   RUNNING (absl duration text: 500ms, 2s, 1m30s).
//   GANTRY_SIM_EXIT_CODE=<0..255>   its exit code (default 0); ignored without
//                                   GANTRY_SIM_EXIT_AFTER.
// A malformed hint is INVALID_ARGUMENT naming the variable and where it was set
// (`overrides.containerOverrides[0].environment: GANTRY_SIM_EXIT_AFTER "soon" is not a
// duration; use e.g. 500ms or 2s`); the runtime fails the launch with that message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gantry/v1/agent.pb.h"

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace gantry::agent {

inline constexpr char kSimFailStart[] = "GANTRY_SIM_FAIL_START";
inline constexpr char kSimExitAfter[] = "GANTRY_SIM_EXIT_AFTER";
inline constexpr char kSimExitCode[] = "GANTRY_SIM_EXIT_CODE";

struct ContainerPlan {
  std::string name;
  std::string image;
  bool essential = true;  // containerDefinitions[].essential, default true
  bool has_health_check = false;
  std::optional<std::string> fail_start;     // GANTRY_SIM_FAIL_START
  std::optional<absl::Duration> exit_after;  // GANTRY_SIM_EXIT_AFTER
  int32_t exit_code = 0;                     // GANTRY_SIM_EXIT_CODE
};

// One plan per container definition of `task`, in definition order.
absl::StatusOr<std::vector<ContainerPlan>> PlanContainers(const v1::LaunchTask& task);

}  // namespace gantry::agent
