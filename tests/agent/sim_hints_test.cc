// agent/sim_hints: GANTRY_SIM_* environment hints, override precedence, errors.
#include "agent/sim_hints.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/launch_builder.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent {
namespace {

using ::gantry::agent::testing::LaunchBuilder;
using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

TEST(PlanContainers, Hints_ReadWithOverridePrecedence) {
  struct Case {
    const char* name;
    v1::LaunchTask launch;
    bool want_essential;
    std::optional<std::string> want_fail_start;
    std::optional<absl::Duration> want_exit_after;
    int32_t want_exit_code;
  };
  const Case cases[] = {
      {"no hints", LaunchBuilder("t").Container("app").Build(), true, std::nullopt, std::nullopt,
       0},
      {"not essential", LaunchBuilder("t").Container("app", {}, false).Build(), false, std::nullopt,
       std::nullopt, 0},
      {"essential explicitly", LaunchBuilder("t").Container("app", {}, true).Build(), true,
       std::nullopt, std::nullopt, 0},
      {"fail start", LaunchBuilder("t").Container("app", {{kSimFailStart, "boom"}}).Build(), true,
       "boom", std::nullopt, 0},
      {"exit after with code",
       LaunchBuilder("t").Container("app", {{kSimExitAfter, "1m30s"}, {kSimExitCode, "3"}}).Build(),
       true, std::nullopt, absl::Seconds(90), 3},
      {"exit code alone is kept but unused",
       LaunchBuilder("t").Container("app", {{kSimExitCode, "7"}}).Build(), true, std::nullopt,
       std::nullopt, 7},
      {"override wins",
       LaunchBuilder("t")
           .Container("app", {{kSimExitAfter, "5s"}, {kSimExitCode, "1"}})
           .Override("app", {{kSimExitAfter, "500ms"}})
           .Build(),
       true, std::nullopt, absl::Milliseconds(500), 1},
      {"override of another container ignored",
       LaunchBuilder("t")
           .Container("app", {{kSimExitAfter, "5s"}})
           .Override("sidecar", {{kSimExitAfter, "1s"}, {kSimFailStart, "x"}})
           .Build(),
       true, std::nullopt, absl::Seconds(5), 0},
      {"override adds a hint",
       LaunchBuilder("t").Container("app").Override("app", {{kSimFailStart, "late"}}).Build(), true,
       "late", std::nullopt, 0},
      {"unrelated variables ignored",
       LaunchBuilder("t").Container("app", {{"GANTRY_SIM_OTHER", "x"}, {"PATH", "/bin"}}).Build(),
       true, std::nullopt, std::nullopt, 0},
      {"later entry wins",
       LaunchBuilder("t").Container("app", {{kSimExitCode, "1"}, {kSimExitCode, "2"}}).Build(),
       true, std::nullopt, std::nullopt, 2},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::vector<ContainerPlan>> plans = PlanContainers(c.launch);
    ASSERT_THAT(plans, IsOk());
    ASSERT_EQ(plans->size(), 1u);
    const ContainerPlan& plan = (*plans)[0];
    EXPECT_EQ(plan.name, "app");
    EXPECT_EQ(plan.essential, c.want_essential);
    EXPECT_EQ(plan.fail_start, c.want_fail_start);
    EXPECT_EQ(plan.exit_after, c.want_exit_after);
    EXPECT_EQ(plan.exit_code, c.want_exit_code);
  }
}

TEST(PlanContainers, SeveralContainers_OnePlanEachInOrder) {
  absl::StatusOr<std::vector<ContainerPlan>> plans =
      PlanContainers(LaunchBuilder("t")
                         .Container("app", {{kSimExitAfter, "2s"}})
                         .Container("sidecar", {}, false)
                         .Override("sidecar", {{kSimExitAfter, "1s"}})
                         .Build());
  ASSERT_THAT(plans, IsOk());
  ASSERT_EQ(plans->size(), 2u);
  EXPECT_EQ((*plans)[0].name, "app");
  EXPECT_EQ((*plans)[0].exit_after, absl::Seconds(2));
  EXPECT_EQ((*plans)[1].name, "sidecar");
  EXPECT_FALSE((*plans)[1].essential);
  EXPECT_EQ((*plans)[1].exit_after, absl::Seconds(1));
}

TEST(PlanContainers, MalformedHint_IsInvalidArgumentNamingWhere) {
  struct Case {
    const char* name;
    v1::LaunchTask launch;
    const char* want;
  };
  const Case cases[] = {
      {"not a duration", LaunchBuilder("t").Container("app", {{kSimExitAfter, "soon"}}).Build(),
       "containerDefinitions[0].environment: GANTRY_SIM_EXIT_AFTER \"soon\" is not a duration"},
      {"negative duration", LaunchBuilder("t").Container("app", {{kSimExitAfter, "-1s"}}).Build(),
       "GANTRY_SIM_EXIT_AFTER \"-1s\" is not a duration"},
      {"infinite duration", LaunchBuilder("t").Container("app", {{kSimExitAfter, "inf"}}).Build(),
       "GANTRY_SIM_EXIT_AFTER \"inf\" is not a duration"},
      {"exit code not a number",
       LaunchBuilder("t").Container("app", {{kSimExitCode, "one"}}).Build(),
       "GANTRY_SIM_EXIT_CODE \"one\" is not an exit code; use 0 to 255"},
      {"exit code too big", LaunchBuilder("t").Container("app", {{kSimExitCode, "256"}}).Build(),
       "GANTRY_SIM_EXIT_CODE \"256\" is not an exit code"},
      {"error in the override names the override",
       LaunchBuilder("t")
           .Container("web")
           .Container("app", {{kSimExitAfter, "1s"}})
           .Override("web", {})
           .Override("app", {{kSimExitAfter, "later"}})
           .Build(),
       "overrides.containerOverrides[1].environment: GANTRY_SIM_EXIT_AFTER \"later\""},
      {"second container",
       LaunchBuilder("t").Container("a").Container("b", {{kSimExitCode, "x"}}).Build(),
       "containerDefinitions[1].environment: GANTRY_SIM_EXIT_CODE"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(PlanContainers(c.launch), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

}  // namespace
}  // namespace gantry::agent
