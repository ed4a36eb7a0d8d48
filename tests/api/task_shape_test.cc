// The tasks a RunTask creates (BuildTasks) and the ECS Task shape of a stored task
// (ToTask).
#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/internal/tasks.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/task_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::internal::task_test {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// ---- BuildTasks ------------------------------------------------------------------

// web:3, Fargate 256/512, two containers: app (cpu 128, memory 256) and sidecar
// (memoryReservation 64), one definition tag.
storage::TaskDefinitionRow WebDefinition() {
  storage::TaskDefinitionRow row;
  row.account_id = "000000000000";
  row.family = "web";
  row.revision = 3;
  row.status = "ACTIVE";
  row.body.set_family("web");
  row.body.set_network_mode("awsvpc");
  row.body.set_cpu("256");
  row.body.set_memory("512");
  row.body.add_requires_compatibilities("FARGATE");
  v1::ContainerDefinition* app = row.body.add_container_definitions();
  app->set_name("app");
  app->set_image("public.ecr.aws/nginx/nginx:1.27");
  app->set_cpu(128);
  app->set_memory(256);
  v1::ContainerDefinition* sidecar = row.body.add_container_definitions();
  sidecar->set_name("sidecar");
  sidecar->set_image("busybox:1.36");
  sidecar->set_memory_reservation(64);
  v1::Tag& tag = row.tags.emplace_back();
  tag.set_key("owner");
  tag.set_value("platform");
  return row;
}

RunTaskPlan PlanFor(const v1::RunTaskRequest& request) {
  absl::StatusOr<RunTaskPlan> plan = ParseRunTask(Config{}, request);
  EXPECT_THAT(plan, IsOk());
  return plan.ok() ? *plan : RunTaskPlan{};
}

absl::StatusOr<std::vector<storage::NewTask>> Build(
    const v1::RunTaskRequest& request,
    const storage::TaskDefinitionRow& definition = WebDefinition()) {
  return BuildTasks(Config{}, "000000000000", PlanFor(request), definition, {kGroupA});
}

// The tags as "key=value" strings, in order.
std::vector<std::string> TagStrings(const std::vector<v1::Tag>& tags) {
  std::vector<std::string> out;
  for (const v1::Tag& tag : tags) out.push_back(tag.key() + "=" + tag.value());
  return out;
}

TEST(BuildTasks, Baseline_OneTaskPerCountWithDefinitionSize) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_count(2);
  request.set_task_definition("web:3");
  Vpc(request)->add_subnets(kSubnetB);
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  ASSERT_EQ(tasks->size(), 2u);
  EXPECT_NE((*tasks)[0].task_id, (*tasks)[1].task_id);
  for (const storage::NewTask& task : *tasks) {
    SCOPED_TRACE(task.task_id);
    EXPECT_EQ(task.task_id.size(), 32u);
    EXPECT_TRUE(IsLowerHex(task.task_id));
    EXPECT_EQ(task.account_id, "000000000000");
    EXPECT_EQ(task.cluster, "default");
    EXPECT_EQ(task.family, "web");
    EXPECT_EQ(task.revision, 3);
    EXPECT_EQ(task.group, "family:web");
    EXPECT_EQ(task.started_by, std::nullopt);
    EXPECT_EQ(task.cpu_units, 256);
    EXPECT_EQ(task.memory_mib, 512);
    EXPECT_EQ(task.ephemeral_storage_gib, 20);
    EXPECT_THAT(task.subnet_ids, ElementsAre(kSubnetA, kSubnetB));
    EXPECT_THAT(task.security_group_ids, ElementsAre(kGroupA));
    EXPECT_FALSE(task.assign_public_ip);
    EXPECT_FALSE(task.enable_execute_command);
    EXPECT_THAT(task.tags, IsEmpty());
    ASSERT_EQ(task.containers.size(), 2u);
    const std::string arn_prefix = Arn("container/default/" + task.task_id + "/");
    const v1::Container& app = task.containers[0];
    EXPECT_EQ(app.container_arn().substr(0, arn_prefix.size()), arn_prefix);
    EXPECT_EQ(app.container_arn().size(), arn_prefix.size() + 36) << app.container_arn();
    EXPECT_EQ(app.task_arn(), Arn("task/default/" + task.task_id));
    EXPECT_EQ(app.name(), "app");
    EXPECT_EQ(app.image(), "public.ecr.aws/nginx/nginx:1.27");
    EXPECT_EQ(app.last_status(), "PENDING");
    EXPECT_EQ(app.health_status(), "UNKNOWN");
    EXPECT_EQ(app.cpu(), "128");
    EXPECT_EQ(app.memory(), "256");
    EXPECT_FALSE(app.has_memory_reservation());
    const v1::Container& sidecar = task.containers[1];
    EXPECT_EQ(sidecar.name(), "sidecar");
    EXPECT_EQ(sidecar.image(), "busybox:1.36");
    EXPECT_EQ(sidecar.cpu(), "0");
    EXPECT_FALSE(sidecar.has_memory());
    EXPECT_EQ(sidecar.memory_reservation(), "64");
    EXPECT_NE(app.container_arn(), sidecar.container_arn());
  }
}

TEST(BuildTasks, RequestMembers_CarriedIntoEveryTask) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_cluster("prod");
  request.set_group("batch");
  request.set_started_by("nightly");
  Vpc(request)->set_assign_public_ip("ENABLED");
  v1::ContainerOverride* app = request.mutable_overrides()->add_container_overrides();
  app->set_name("app");
  app->add_command("serve");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  ASSERT_EQ(tasks->size(), 1u);
  const storage::NewTask& task = (*tasks)[0];
  EXPECT_EQ(task.cluster, "prod");
  EXPECT_EQ(task.group, "batch");
  EXPECT_EQ(task.started_by, "nightly");
  EXPECT_TRUE(task.assign_public_ip);
  ASSERT_EQ(task.overrides.container_overrides_size(), 1);
  EXPECT_THAT(task.overrides.container_overrides(0).command(), ElementsAre("serve"));
  ASSERT_EQ(task.containers.size(), 2u);
  EXPECT_EQ(task.containers[0].task_arn(), Arn("task/prod/" + task.task_id));
  EXPECT_EQ(task.containers[0].container_arn().rfind(Arn("container/prod/" + task.task_id), 0), 0u);
}

TEST(BuildTasks, SizeAndStorage_FromOverridesAndDefinition) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    std::optional<int> definition_storage;
    int cpu, memory, storage;
  };
  const std::vector<Case> cases = {
      {"definition size", [](v1::RunTaskRequest&) {}, std::nullopt, 256, 512, 20},
      {"cpu and memory overridden",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->set_cpu("1024");
         r.mutable_overrides()->set_memory("4096");
       },
       std::nullopt, 1024, 4096, 20},
      {"vCPU and GB units",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->set_cpu("0.5 vCPU");
         r.mutable_overrides()->set_memory("1 GB");
       },
       std::nullopt, 512, 1024, 20},
      {"memory only", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_memory("2048"); },
       std::nullopt, 256, 2048, 20},
      {"definition storage", [](v1::RunTaskRequest&) {}, 50, 256, 512, 50},
      {"definition storage 0 means default", [](v1::RunTaskRequest&) {}, 0, 256, 512, 20},
      {"storage overridden",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(100);
       },
       std::nullopt, 256, 512, 100},
      {"storage override beats definition",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->mutable_ephemeral_storage()->set_size_in_gib(30);
       },
       150, 256, 512, 30},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    storage::TaskDefinitionRow definition = WebDefinition();
    if (c.definition_storage.has_value()) {
      definition.body.mutable_ephemeral_storage()->set_size_in_gib(*c.definition_storage);
    }
    absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request, definition);
    ASSERT_THAT(tasks, IsOk());
    ASSERT_EQ(tasks->size(), 1u);
    EXPECT_EQ((*tasks)[0].cpu_units, c.cpu);
    EXPECT_EQ((*tasks)[0].memory_mib, c.memory);
    EXPECT_EQ((*tasks)[0].ephemeral_storage_gib, c.storage);
  }
}

TEST(BuildTasks, CpuOverrideOnly_KeepsDefinitionMemory) {
  v1::RunTaskRequest request = ValidRunTask();
  request.mutable_overrides()->set_cpu("512");
  storage::TaskDefinitionRow definition = WebDefinition();
  definition.body.set_memory("1024");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request, definition);
  ASSERT_THAT(tasks, IsOk());
  EXPECT_EQ((*tasks)[0].cpu_units, 512);
  EXPECT_EQ((*tasks)[0].memory_mib, 1024);
}

TEST(BuildTasks, OverridesThatDoNotFit_Refused) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"memory too big for cpu",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_memory("4096"); },
       "overrides: memory: 4096 MiB is not valid with cpu 256"},
      {"memory too small for cpu",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("4096"); },
       "overrides: memory: 512 MiB is not valid with cpu 4096"},
      {"not a Fargate cpu", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("300"); },
       "overrides: cpu: 300 CPU units is not a Fargate task size"},
      {"cpu not a number", [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_cpu("lots"); },
       "overrides.cpu: \"lots\" is not a task cpu value"},
      {"memory not a number",
       [](v1::RunTaskRequest& r) { r.mutable_overrides()->set_memory("big"); },
       "overrides.memory: \"big\" is not a task memory value"},
      {"unknown container",
       [](v1::RunTaskRequest& r) {
         r.mutable_overrides()->add_container_overrides()->set_name("app");
         r.mutable_overrides()->add_container_overrides()->set_name("db");
       },
       "overrides.containerOverrides[1].name: \"db\" is not a container of web"},
      {"execute command without task role",
       [](v1::RunTaskRequest& r) { r.set_enable_execute_command(true); },
       "enableExecuteCommand: needs a task role"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    c.mutate(request);
    EXPECT_THAT(Build(request), StatusIs(kInvalid, c.message));
  }
}

TEST(BuildTasks, ExecuteCommand_AllowedWithTaskRoleFromDefinitionOrOverride) {
  v1::RunTaskRequest request = ValidRunTask();
  request.set_enable_execute_command(true);
  storage::TaskDefinitionRow with_role = WebDefinition();
  with_role.body.set_task_role_arn("arn:aws:iam::000000000000:role/app");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request, with_role);
  ASSERT_THAT(tasks, IsOk());
  EXPECT_TRUE((*tasks)[0].enable_execute_command);

  request.mutable_overrides()->set_task_role_arn("arn:aws:iam::000000000000:role/other");
  tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  EXPECT_TRUE((*tasks)[0].enable_execute_command);
}

TEST(BuildTasks, ContainerOverrides_SetContainerCpuAndMemory) {
  v1::RunTaskRequest request = ValidRunTask();
  v1::ContainerOverride* sidecar = request.mutable_overrides()->add_container_overrides();
  sidecar->set_name("sidecar");
  sidecar->set_cpu(64);
  sidecar->set_memory(128);
  sidecar->set_memory_reservation(96);
  v1::ContainerOverride* app = request.mutable_overrides()->add_container_overrides();
  app->set_name("app");
  app->add_command("only-command");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  const std::vector<v1::Container>& containers = (*tasks)[0].containers;
  ASSERT_EQ(containers.size(), 2u);
  EXPECT_EQ(containers[0].name(), "app");
  EXPECT_EQ(containers[0].cpu(), "128");
  EXPECT_EQ(containers[0].memory(), "256");
  EXPECT_FALSE(containers[0].has_memory_reservation());
  EXPECT_EQ(containers[1].name(), "sidecar");
  EXPECT_EQ(containers[1].cpu(), "64");
  EXPECT_EQ(containers[1].memory(), "128");
  EXPECT_EQ(containers[1].memory_reservation(), "96");
}

TEST(BuildTasks, Tags_RequestPropagatedAndManaged) {
  struct Case {
    std::string name;
    std::function<void(v1::RunTaskRequest&)> mutate;
    std::vector<std::string> want;
  };
  const std::vector<Case> cases = {
      {"none", [](v1::RunTaskRequest&) {}, {}},
      {"request tags",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         AddTag(r.mutable_tags(), "env", "");
       },
       {"team=core", "env="}},
      {"propagate NONE",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         r.set_propagate_tags("NONE");
       },
       {"team=core"}},
      {"propagate TASK_DEFINITION",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         r.set_propagate_tags("TASK_DEFINITION");
       },
       {"team=core", "owner=platform"}},
      {"managed tags",
       [](v1::RunTaskRequest& r) {
         r.set_cluster("prod");
         r.set_enable_ecs_managed_tags(true);
       },
       {"aws:ecs:clusterName=prod"}},
      {"all",
       [](v1::RunTaskRequest& r) {
         AddTag(r.mutable_tags(), "team", "core");
         r.set_propagate_tags("TASK_DEFINITION");
         r.set_enable_ecs_managed_tags(true);
       },
       {"team=core", "owner=platform", "aws:ecs:clusterName=default"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    v1::RunTaskRequest request = ValidRunTask();
    request.set_count(2);
    c.mutate(request);
    absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
    ASSERT_THAT(tasks, IsOk());
    for (const storage::NewTask& task : *tasks) {
      EXPECT_EQ(TagStrings(task.tags), c.want);
    }
  }
}

// Tag keys are unique on any resource (contract 1.x tag rules, shared by every
// resource's tags).
TEST(BuildTasks, PropagatedTagWithRequestKey_KeyAppearsOnce) {
  v1::RunTaskRequest request = ValidRunTask();
  AddTag(request.mutable_tags(), "owner", "me");
  request.set_propagate_tags("TASK_DEFINITION");
  absl::StatusOr<std::vector<storage::NewTask>> tasks = Build(request);
  ASSERT_THAT(tasks, IsOk());
  const std::vector<v1::Tag>& tags = (*tasks)[0].tags;
  EXPECT_EQ(std::count_if(tags.begin(), tags.end(),
                          [](const v1::Tag& tag) { return tag.key() == "owner"; }),
            1)
      << ::testing::PrintToString(TagStrings(tags));
}

// ---- ToTask ----------------------------------------------------------------------

const absl::Time kCreated = absl::FromUnixMillis(1718000000118);

// A stored task of cluster demo, web:7 (512/1024), containers app and sidecar, tagged;
// not placed, PROVISIONING.
storage::TaskRow WaitingRow() {
  storage::TaskRow row;
  storage::NewTask& spec = row.spec;
  spec.task_id = kTaskId;
  spec.account_id = "000000000000";
  spec.cluster = "demo";
  spec.family = "web";
  spec.revision = 7;
  spec.group = "family:web";
  spec.started_by = "nightly-batch";
  spec.cpu_units = 512;
  spec.memory_mib = 1024;
  spec.ephemeral_storage_gib = 20;
  spec.subnet_ids = {kSubnetA};
  spec.security_group_ids = {kGroupA};
  for (const char* name : {"app", "sidecar"}) {
    v1::Container& container = spec.containers.emplace_back();
    container.set_container_arn(Arn(absl::StrCat("container/demo/", kTaskId, "/uuid-", name)));
    container.set_task_arn(Arn(absl::StrCat("task/demo/", kTaskId)));
    container.set_name(name);
    container.set_image("public.ecr.aws/nginx/nginx:1.27");
    container.set_last_status("PENDING");
    container.set_health_status("UNKNOWN");
    container.set_cpu("0");
    container.set_memory("512");
  }
  v1::Tag& tag = spec.tags.emplace_back();
  tag.set_key("team");
  tag.set_value("core");
  row.holds_resources = false;
  row.last_status = "PROVISIONING";
  row.desired_status = "RUNNING";
  row.created_at = kCreated;
  row.version = 1;
  return row;
}

storage::TaskPlacement Placement() {
  storage::TaskPlacement placement;
  placement.host_id = 4;
  placement.instance_id = kInstanceId;
  placement.availability_zone = "us-east-1b";
  placement.subnet_id = kSubnetA;
  placement.eni_id = "eni-0fedcba9876543210";
  placement.attachment_id = "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10";
  placement.private_ipv4 = "10.0.1.23";
  placement.mac_address = "0a:1b:2c:3d:4e:5f";
  placement.private_dns_name = "ip-10-0-1-23.ec2.internal";
  return placement;
}

storage::TaskRow PlacedRow(const std::string& last_status) {
  storage::TaskRow row = WaitingRow();
  row.placement = Placement();
  row.holds_resources = true;
  row.last_status = last_status;
  row.placed_at = kCreated + absl::Milliseconds(5);
  row.version = 2;
  return row;
}

std::vector<std::string> Details(const v1::Attachment& attachment) {
  std::vector<std::string> out;
  for (const v1::KeyValuePair& pair : attachment.details()) {
    out.push_back(pair.name() + "=" + pair.value());
  }
  return out;
}

// The members every task has, whatever its state.
void ExpectCommonShape(const v1::Task& task) {
  const std::string task_arn = Arn(std::string("task/demo/") + kTaskId);
  EXPECT_EQ(task.task_arn(), task_arn);
  EXPECT_EQ(task.cluster_arn(), Arn("cluster/demo"));
  EXPECT_EQ(task.task_definition_arn(), Arn("task-definition/web:7"));
  EXPECT_EQ(task.launch_type(), "FARGATE");
  EXPECT_EQ(task.platform_version(), "1.4.0");
  EXPECT_EQ(task.platform_family(), "Linux");
  EXPECT_EQ(task.cpu(), "512");
  EXPECT_EQ(task.memory(), "1024");
  EXPECT_EQ(task.ephemeral_storage().size_in_gib(), 20);
  EXPECT_EQ(task.fargate_ephemeral_storage().size_in_gib(), 20);
  EXPECT_FALSE(task.fargate_ephemeral_storage().has_kms_key_id());
  EXPECT_EQ(task.group(), "family:web");
  EXPECT_EQ(task.started_by(), "nightly-batch");
  EXPECT_EQ(task.health_status(), "UNKNOWN");
  EXPECT_TRUE(task.has_enable_execute_command());
  EXPECT_FALSE(task.enable_execute_command());
  ASSERT_EQ(task.attributes_size(), 1);
  EXPECT_EQ(task.attributes(0).name(), "ecs.cpu-architecture");
  EXPECT_EQ(task.attributes(0).value(), "x86_64");
  ASSERT_TRUE(task.has_overrides());
  ASSERT_EQ(task.overrides().container_overrides_size(), 2);
  EXPECT_EQ(task.overrides().container_overrides(0).name(), "app");
  EXPECT_EQ(task.overrides().container_overrides(1).name(), "sidecar");
  EXPECT_EQ(task.overrides().inference_accelerator_overrides_size(), 0);
  EXPECT_DOUBLE_EQ(task.created_at(), 1718000000.118);
  ASSERT_EQ(task.containers_size(), 2);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.task_arn(), task_arn);
    EXPECT_EQ(container.container_arn(),
              Arn(absl::StrCat("container/demo/", kTaskId, "/uuid-", container.name())));
    EXPECT_EQ(container.image(), "public.ecr.aws/nginx/nginx:1.27");
    EXPECT_EQ(container.cpu(), "0");
    EXPECT_EQ(container.memory(), "512");
    EXPECT_EQ(container.health_status(), "UNKNOWN");
  }
  EXPECT_EQ(task.containers(0).name(), "app");
  EXPECT_EQ(task.containers(1).name(), "sidecar");
}

TEST(ToTask, Waiting_NoPlacementMembers) {
  v1::Task task = ToTask(Config{}, WaitingRow(), /*with_tags=*/false);
  ExpectCommonShape(task);
  EXPECT_EQ(task.last_status(), "PROVISIONING");
  EXPECT_EQ(task.desired_status(), "RUNNING");
  EXPECT_FALSE(task.has_availability_zone());
  EXPECT_FALSE(task.has_container_instance_arn());
  EXPECT_EQ(task.attachments_size(), 0);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "PENDING");
    EXPECT_EQ(container.network_interfaces_size(), 0);
  }
  EXPECT_EQ(task.version(), 1);
  EXPECT_EQ(task.tags_size(), 0);
  EXPECT_FALSE(task.has_started_at());
  EXPECT_FALSE(task.has_pull_started_at());
  EXPECT_FALSE(task.has_pull_stopped_at());
  EXPECT_FALSE(task.has_stopping_at());
  EXPECT_FALSE(task.has_execution_stopped_at());
  EXPECT_FALSE(task.has_stopped_at());
  EXPECT_FALSE(task.has_stop_code());
  EXPECT_FALSE(task.has_stopped_reason());
}

TEST(ToTask, Placed_HasZoneInstanceAndEniAttachment) {
  struct Case {
    std::string last_status;
    std::string attachment_status;
    std::string container_status;
  };
  const std::vector<Case> cases = {
      {"PROVISIONING", "PRECREATED", "PENDING"},
      {"PENDING", "ATTACHED", "PENDING"},
      {"RUNNING", "ATTACHED", "RUNNING"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.last_status);
    v1::Task task = ToTask(Config{}, PlacedRow(c.last_status), /*with_tags=*/false);
    ExpectCommonShape(task);
    EXPECT_EQ(task.last_status(), c.last_status);
    EXPECT_EQ(task.desired_status(), "RUNNING");
    EXPECT_EQ(task.availability_zone(), "us-east-1b");
    EXPECT_EQ(task.container_instance_arn(), Arn(std::string("container-instance/") + kInstanceId));
    ASSERT_EQ(task.attachments_size(), 1);
    const v1::Attachment& eni = task.attachments(0);
    EXPECT_EQ(eni.id(), "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10");
    EXPECT_EQ(eni.type(), "ElasticNetworkInterface");
    EXPECT_EQ(eni.status(), c.attachment_status);
    EXPECT_THAT(
        Details(eni),
        ElementsAre("subnetId=subnet-0123456789abcdef0", "networkInterfaceId=eni-0fedcba9876543210",
                    "macAddress=0a:1b:2c:3d:4e:5f", "privateDnsName=ip-10-0-1-23.ec2.internal",
                    "privateIPv4Address=10.0.1.23"));
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.last_status(), c.container_status);
      ASSERT_EQ(container.network_interfaces_size(), 1);
      EXPECT_EQ(container.network_interfaces(0).attachment_id(),
                "2f1c9a7e-5b1d-4c0e-9a55-0d7b3c6e9f10");
      EXPECT_EQ(container.network_interfaces(0).private_ipv4_address(), "10.0.1.23");
      EXPECT_FALSE(container.network_interfaces(0).has_ipv6_address());
    }
    EXPECT_EQ(task.version(), 2);
    EXPECT_FALSE(task.has_stopped_at());
  }
}

TEST(ToTask, Running_TimestampsAsEpochSeconds) {
  storage::TaskRow row = PlacedRow("RUNNING");
  row.pull_started_at = absl::FromUnixMillis(1718000009770);
  row.pull_stopped_at = absl::FromUnixMillis(1718000014050);
  row.started_at = absl::FromUnixMillis(1718000016930);
  row.version = 3;
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  EXPECT_DOUBLE_EQ(task.created_at(), 1718000000.118);
  EXPECT_DOUBLE_EQ(task.pull_started_at(), 1718000009.77);
  EXPECT_DOUBLE_EQ(task.pull_stopped_at(), 1718000014.05);
  EXPECT_DOUBLE_EQ(task.started_at(), 1718000016.93);
  EXPECT_FALSE(task.has_stopping_at());
  EXPECT_EQ(task.version(), 3);
}

TEST(ToTask, Stopped_AttachmentDeletedAndStopMembers) {
  storage::TaskRow row = PlacedRow("STOPPED");
  row.holds_resources = false;
  row.desired_status = "STOPPED";
  row.stopping_at = absl::FromUnixMillis(1718000100000);
  row.execution_stopped_at = absl::FromUnixMillis(1718000100250);
  row.stopped_at = absl::FromUnixMillis(1718000100500);
  row.stop_code = "UserInitiated";
  row.stopped_reason = "Task stopped by user";
  row.version = 4;
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  ExpectCommonShape(task);
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.desired_status(), "STOPPED");
  EXPECT_EQ(task.availability_zone(), "us-east-1b");
  ASSERT_EQ(task.attachments_size(), 1);
  EXPECT_EQ(task.attachments(0).status(), "DELETED");
  EXPECT_EQ(task.attachments(0).details_size(), 5);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "STOPPED");
  }
  EXPECT_DOUBLE_EQ(task.stopping_at(), 1718000100.0);
  EXPECT_DOUBLE_EQ(task.execution_stopped_at(), 1718000100.25);
  EXPECT_DOUBLE_EQ(task.stopped_at(), 1718000100.5);
  EXPECT_EQ(task.stop_code(), "UserInitiated");
  EXPECT_EQ(task.stopped_reason(), "Task stopped by user");
  EXPECT_EQ(task.version(), 4);
}

TEST(ToTask, StoppedWithoutPlacement_NoAttachment) {
  storage::TaskRow row = WaitingRow();
  row.last_status = "STOPPED";
  row.desired_status = "STOPPED";
  row.stopped_at = kCreated + absl::Seconds(1);
  row.stop_code = "TaskFailedToStart";
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  EXPECT_EQ(task.attachments_size(), 0);
  EXPECT_FALSE(task.has_availability_zone());
  EXPECT_EQ(task.stop_code(), "TaskFailedToStart");
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "STOPPED");
    EXPECT_EQ(container.network_interfaces_size(), 0);
  }
}

TEST(ToTask, Tags_OnlyWhenAsked) {
  storage::TaskRow row = PlacedRow("PENDING");
  EXPECT_EQ(ToTask(Config{}, row, /*with_tags=*/false).tags_size(), 0);
  v1::Task with = ToTask(Config{}, row, /*with_tags=*/true);
  ASSERT_EQ(with.tags_size(), 1);
  EXPECT_EQ(with.tags(0).key(), "team");
  EXPECT_EQ(with.tags(0).value(), "core");
}

TEST(ToTask, Overrides_ListEveryContainerOnce) {
  storage::TaskRow row = WaitingRow();
  v1::ContainerOverride* sidecar = row.spec.overrides.add_container_overrides();
  sidecar->set_name("sidecar");
  sidecar->add_command("sleep");
  row.spec.overrides.set_cpu("512");
  row.spec.overrides.set_task_role_arn("arn:aws:iam::000000000000:role/r");
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  ASSERT_EQ(task.overrides().container_overrides_size(), 2);
  EXPECT_EQ(task.overrides().container_overrides(0).name(), "sidecar");
  EXPECT_THAT(task.overrides().container_overrides(0).command(), ElementsAre("sleep"));
  EXPECT_EQ(task.overrides().container_overrides(1).name(), "app");
  EXPECT_EQ(task.overrides().container_overrides(1).command_size(), 0);
  EXPECT_EQ(task.overrides().cpu(), "512");
  EXPECT_EQ(task.overrides().task_role_arn(), "arn:aws:iam::000000000000:role/r");
}

TEST(ToTask, ExecuteCommandAndStorage_FromSpec) {
  storage::TaskRow row = WaitingRow();
  row.spec.enable_execute_command = true;
  row.spec.ephemeral_storage_gib = 120;
  row.spec.started_by.reset();
  v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
  EXPECT_TRUE(task.enable_execute_command());
  EXPECT_EQ(task.ephemeral_storage().size_in_gib(), 120);
  EXPECT_EQ(task.fargate_ephemeral_storage().size_in_gib(), 120);
  EXPECT_FALSE(task.has_started_by());
}

TEST(ToTask, OtherConfig_ArnsUseItsRegionAndAccount) {
  Config config{"eu-west-1", "123456789012"};
  v1::Task task = ToTask(config, PlacedRow("PENDING"), /*with_tags=*/false);
  const std::string prefix = "arn:aws:ecs:eu-west-1:123456789012:";
  EXPECT_EQ(task.task_arn(), prefix + "task/demo/" + kTaskId);
  EXPECT_EQ(task.cluster_arn(), prefix + "cluster/demo");
  EXPECT_EQ(task.task_definition_arn(), prefix + "task-definition/web:7");
  EXPECT_EQ(task.container_instance_arn(), prefix + "container-instance/" + kInstanceId);
}

// Contract 3.1: lastStatus only walks forward, and a container's lastStatus is PENDING,
// RUNNING or STOPPED. Once a task has started (startedAt set), its containers are
// RUNNING while it deactivates or stops, and STOPPED once it deprovisions.
TEST(ToTask, StartedTaskStopping_ContainersDoNotGoBackToPending) {
  struct Case {
    std::string last_status;
    std::string container_status;
  };
  const std::vector<Case> cases = {
      {"DEACTIVATING", "RUNNING"},
      {"STOPPING", "RUNNING"},
      {"DEPROVISIONING", "STOPPED"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.last_status);
    storage::TaskRow row = PlacedRow(c.last_status);
    row.started_at = kCreated + absl::Seconds(10);
    row.desired_status = "STOPPED";
    row.stopping_at = kCreated + absl::Seconds(20);
    v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
    for (const v1::Container& container : task.containers()) {
      EXPECT_EQ(container.last_status(), c.container_status);
    }
  }
}

// Containers show what their agent reported while the task lives (a non-essential
// container that exited stays STOPPED in a RUNNING task; one never reported follows
// the task), and every container is STOPPED once the task deprovisions.
TEST(ToTask, ReportedContainers_ShowTheReportUntilTheTaskDeprovisions) {
  struct Case {
    std::string name;
    std::string task_status;
    std::string app_status;  // as reported (with runtime id) or "" for no report
    std::string want_app;
    std::string want_sidecar;  // never reported
  };
  const std::vector<Case> cases = {
      {"running task, app exited", "RUNNING", "STOPPED", "STOPPED", "RUNNING"},
      {"pending task, app started", "PENDING", "RUNNING", "RUNNING", "PENDING"},
      {"running task, app reported pending", "RUNNING", "PENDING", "PENDING", "RUNNING"},
      {"running task, nothing reported", "RUNNING", "", "RUNNING", "RUNNING"},
      {"deprovisioning task", "DEPROVISIONING", "RUNNING", "STOPPED", "STOPPED"},
      {"stopped task", "STOPPED", "RUNNING", "STOPPED", "STOPPED"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    storage::TaskRow row = PlacedRow(c.task_status);
    row.started_at = kCreated + absl::Seconds(10);
    v1::Container& app = row.spec.containers[0];
    if (!c.app_status.empty()) {
      app.set_last_status(c.app_status);
      app.set_runtime_id("c0ffee");
      if (c.app_status == "STOPPED") {
        app.set_exit_code(137);
        app.set_reason("OOMKilled");
      }
    }
    v1::Task task = ToTask(Config{}, row, /*with_tags=*/false);
    ASSERT_EQ(task.containers_size(), 2);
    EXPECT_EQ(task.containers(0).last_status(), c.want_app);
    EXPECT_EQ(task.containers(1).last_status(), c.want_sidecar);
    if (!c.app_status.empty()) {
      EXPECT_EQ(task.containers(0).runtime_id(), "c0ffee");
    }
    if (c.app_status == "STOPPED") {
      EXPECT_EQ(task.containers(0).exit_code(), 137);
      EXPECT_EQ(task.containers(0).reason(), "OOMKilled");
    }
    EXPECT_FALSE(task.containers(1).has_exit_code());
  }
}

}  // namespace
}  // namespace gantry::api::internal::task_test
