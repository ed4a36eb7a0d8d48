// The pure parts of the containerd runtime: start order, task network names and the
// root file system overlay.
#include <string>
#include <vector>

#include "agent/containerd/health.h"
#include "agent/containerd/start_order.h"
#include "agent/containerd/task_cgroup.h"
#include "agent/containerd/task_network.h"
#include "agent/containerd/task_storage.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent::containerd {
namespace {

using ::gantry::testing::StatusIs;
using ::testing::ElementsAreArray;

struct Dependency {
  std::string container;
  std::string on;
};

v1::TaskDefinition Definition(const std::vector<std::string>& names,
                              const std::vector<Dependency>& dependencies) {
  v1::TaskDefinition definition;
  for (const std::string& name : names) {
    definition.add_container_definitions()->set_name(name);
  }
  for (const Dependency& dependency : dependencies) {
    for (v1::ContainerDefinition& container : *definition.mutable_container_definitions()) {
      if (container.name() == dependency.container) {
        v1::ContainerDependency* entry = container.add_depends_on();
        entry->set_container_name(dependency.on);
        entry->set_condition("START");
      }
    }
  }
  return definition;
}

TEST(StartOrder, DependenciesFirst_OtherwiseDefinitionOrder) {
  struct Case {
    std::string name;
    std::vector<std::string> containers;
    std::vector<Dependency> dependencies;
    std::vector<int> want;
  };
  const std::vector<Case> cases = {
      {"no dependencies", {"a", "b", "c"}, {}, {0, 1, 2}},
      {"first depends on last", {"app", "db", "cache"}, {{"app", "cache"}}, {1, 2, 0}},
      {"chain", {"a", "b", "c"}, {{"a", "b"}, {"b", "c"}}, {2, 1, 0}},
      {"diamond",
       {"a", "b", "c", "d"},
       {{"a", "b"}, {"a", "c"}, {"b", "d"}, {"c", "d"}},
       {3, 1, 2, 0}},
      {"one container", {"solo"}, {}, {0}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::vector<int>> order = StartOrder(Definition(c.containers, c.dependencies));
    ASSERT_TRUE(order.ok()) << order.status();
    EXPECT_THAT(*order, ElementsAreArray(c.want));
  }
}

TEST(StartOrder, CycleOrUnknownContainer_IsInvalidArgument) {
  EXPECT_THAT(StartOrder(Definition({"a", "b"}, {{"a", "b"}, {"b", "a"}})),
              StatusIs(absl::StatusCode::kInvalidArgument, "form a cycle"));
  EXPECT_THAT(
      StartOrder(Definition({"a"}, {{"a", "ghost"}})),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "containerDefinitions[0].dependsOn: container \"ghost\" is not in the task"));
}

TEST(TaskNetworkNames, DerivedFromIds_WithinTheKernelsFifteenCharacters) {
  v1::TaskNetworkInterface eni;
  eni.set_eni_id("eni-0123456789abcdef0");
  eni.set_subnet_id("subnet-fedcba98765432101");
  const TaskNetworkNames names = NamesOf("0f1e2d3c4b5a69788796a5b4c3d2e1f0", eni);
  EXPECT_EQ(names.netns, "gantry-0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  EXPECT_EQ(names.netns_path, "/run/netns/gantry-0f1e2d3c4b5a69788796a5b4c3d2e1f0");
  EXPECT_EQ(names.host_veth, "gtv-6789abcdef0");
  EXPECT_EQ(names.staging_veth, "gts-6789abcdef0");
  EXPECT_EQ(names.bridge, "gtb-98765432101");
  for (const std::string& name : {names.host_veth, names.staging_veth, names.bridge}) {
    EXPECT_LE(name.size(), 15u) << name;
  }
}

::containerd::types::Mount MountOf(const std::string& type, const std::string& source,
                                   const std::vector<std::string>& options) {
  ::containerd::types::Mount mount;
  mount.set_type(type);
  mount.set_source(source);
  for (const std::string& option : options) {
    mount.add_options(option);
  }
  return mount;
}

TEST(OverlayRootfs, ImageViewUnderTheWritableLayer) {
  const WritableLayer layer{"/task/ephemeral/containers/c/upper",
                            "/task/ephemeral/containers/c/work"};
  struct Case {
    std::string name;
    ::containerd::types::Mount view;
    std::vector<std::string> want_options;
  };
  const std::vector<Case> cases = {
      {"one layer: a read-only bind of it",
       MountOf("bind", "/snapshots/1/fs", {"ro", "rbind"}),
       {"lowerdir=/snapshots/1/fs", "upperdir=/task/ephemeral/containers/c/upper",
        "workdir=/task/ephemeral/containers/c/work"}},
      {"layers: an overlay whose other options are kept",
       MountOf("overlay", "overlay", {"index=off", "lowerdir=/snapshots/2/fs:/snapshots/1/fs"}),
       {"index=off", "lowerdir=/snapshots/2/fs:/snapshots/1/fs",
        "upperdir=/task/ephemeral/containers/c/upper",
        "workdir=/task/ephemeral/containers/c/work"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<::containerd::types::Mount> rootfs = OverlayRootfs({c.view}, layer);
    ASSERT_TRUE(rootfs.ok()) << rootfs.status();
    EXPECT_EQ(rootfs->type(), "overlay");
    EXPECT_THAT(std::vector<std::string>(rootfs->options().begin(), rootfs->options().end()),
                ElementsAreArray(c.want_options));
  }
}

TEST(OverlayRootfs, ViewOfAnotherShape_IsInvalidArgument) {
  const WritableLayer layer{"/u", "/w"};
  EXPECT_THAT(OverlayRootfs({}, layer), StatusIs(absl::StatusCode::kInvalidArgument, "0 mounts"));
  EXPECT_THAT(OverlayRootfs({MountOf("tmpfs", "tmpfs", {})}, layer),
              StatusIs(absl::StatusCode::kInvalidArgument, "\"tmpfs\"; expected bind or overlay"));
  EXPECT_THAT(OverlayRootfs({MountOf("overlay", "overlay", {"index=off"})}, layer),
              StatusIs(absl::StatusCode::kInvalidArgument, "no lower directory"));
}

TEST(CpuQuotaUs, TaskCpuUnitsAsCfsQuotaPer100Ms) {
  EXPECT_EQ(CpuQuotaUs(256), 25000);    // a quarter vCPU
  EXPECT_EQ(CpuQuotaUs(1024), 100000);  // one vCPU
  EXPECT_EQ(CpuQuotaUs(4096), 400000);  // four: quota above the period
}

TEST(PlanHealthCheck, ShellAndExecForms_EcsDefaults) {
  v1::HealthCheck shell;
  shell.add_command("CMD-SHELL");
  shell.add_command("curl -f http://localhost/ || exit 1");
  absl::StatusOr<std::optional<HealthCheckPlan>> plan = PlanHealthCheck(shell);
  ASSERT_TRUE(plan.ok() && plan->has_value()) << plan.status();
  EXPECT_THAT((*plan)->args,
              ElementsAreArray({"/bin/sh", "-c", "curl -f http://localhost/ || exit 1"}));
  EXPECT_EQ((*plan)->interval, absl::Seconds(30));
  EXPECT_EQ((*plan)->timeout, absl::Seconds(5));
  EXPECT_EQ((*plan)->retries, 3);
  EXPECT_EQ((*plan)->start_period, absl::ZeroDuration());

  v1::HealthCheck exec;
  exec.add_command("CMD");
  exec.add_command("/bin/check");
  exec.add_command("--fast");
  exec.set_interval(5);
  exec.set_timeout(2);
  exec.set_retries(1);
  exec.set_start_period(10);
  plan = PlanHealthCheck(exec);
  ASSERT_TRUE(plan.ok() && plan->has_value()) << plan.status();
  EXPECT_THAT((*plan)->args, ElementsAreArray({"/bin/check", "--fast"}));
  EXPECT_EQ((*plan)->interval, absl::Seconds(5));
  EXPECT_EQ((*plan)->start_period, absl::Seconds(10));

  v1::HealthCheck none;
  none.add_command("NONE");
  plan = PlanHealthCheck(none);
  ASSERT_TRUE(plan.ok());
  EXPECT_FALSE(plan->has_value());

  v1::HealthCheck bare;
  bare.add_command("curl localhost");
  EXPECT_THAT(PlanHealthCheck(bare), StatusIs(absl::StatusCode::kInvalidArgument, "CMD-SHELL"));
}

TEST(HealthTracker, HealthyOnASuccess_UnhealthyAfterRetriesFailures_StartPeriodForgiven) {
  const absl::Time start = absl::FromUnixSeconds(1000);
  struct Step {
    int at_seconds;
    bool passed;
    std::string want;
    bool want_changed;
  };
  struct Case {
    std::string name;
    int retries;
    int start_period_seconds;
    std::vector<Step> steps;
  };
  const std::vector<Case> cases = {
      {"first success", 3, 0, {{30, true, "HEALTHY", true}, {60, true, "HEALTHY", false}}},
      {"three failures in a row",
       3,
       0,
       {{30, false, "UNKNOWN", false},
        {60, false, "UNKNOWN", false},
        {90, false, "UNHEALTHY", true}}},
      {"a success resets the count",
       2,
       0,
       {{30, false, "UNKNOWN", false},
        {60, true, "HEALTHY", true},
        {90, false, "HEALTHY", false},
        {120, false, "UNHEALTHY", true},
        {150, true, "HEALTHY", true}}},
      {"failures in the start period do not count",
       1,
       60,
       {{30, false, "UNKNOWN", false},
        {59, false, "UNKNOWN", false},
        {60, false, "UNHEALTHY", true}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    HealthTracker tracker(c.retries, absl::Seconds(c.start_period_seconds), start);
    EXPECT_EQ(tracker.status(), "UNKNOWN");
    for (const Step& step : c.steps) {
      SCOPED_TRACE(step.at_seconds);
      EXPECT_EQ(tracker.Record(step.passed, start + absl::Seconds(step.at_seconds)),
                step.want_changed);
      EXPECT_EQ(tracker.status(), step.want);
    }
  }
}

}  // namespace
}  // namespace gantry::agent::containerd
