// Normalize, Compatibilities and RequiresAttributes.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/support/status_matchers.h"
#include "tests/taskdef/base_definition.h"

namespace gantry::taskdef {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using testing::App;
using testing::BaseRequest;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::Not;
using testing::Request;
using testing::Sidecar;

std::vector<std::string> AttributeNames(const gantry::v1::TaskDefinition& definition) {
  std::vector<std::string> names;
  for (const gantry::v1::Attribute& attribute : RequiresAttributes(definition)) {
    names.push_back(attribute.name());
  }
  return names;
}

TEST(Normalize, FillsDefaultsAndCanonicalSizes) {
  Request request = BaseRequest();
  request.set_cpu("0.5 vCPU");
  request.set_memory("1 GB");
  App(request)->clear_essential();
  request.add_tags()->set_key("team");
  auto* udp = Sidecar(request)->add_port_mappings();
  udp->set_container_port(53);
  udp->set_protocol("udp");
  Sidecar(request)->add_port_mappings()->set_container_port_range("9000-9010");

  absl::StatusOr<gantry::v1::TaskDefinition> got = Normalize(request);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->cpu(), "512");
  EXPECT_EQ(got->memory(), "1024");
  EXPECT_EQ(got->family(), "web");
  EXPECT_EQ(got->network_mode(), "awsvpc");
  EXPECT_EQ(got->execution_role_arn(), request.execution_role_arn());
  EXPECT_THAT(got->requires_compatibilities(), ElementsAre("FARGATE"));
  EXPECT_FALSE(got->has_ephemeral_storage());
  EXPECT_FALSE(got->has_task_definition_arn());
  EXPECT_FALSE(got->has_revision());

  const auto& app = got->container_definitions(0);
  EXPECT_TRUE(app.has_cpu());
  EXPECT_EQ(app.cpu(), 0);
  EXPECT_TRUE(app.has_essential());
  EXPECT_TRUE(app.essential());
  EXPECT_EQ(app.port_mappings(0).host_port(), 80);
  EXPECT_EQ(app.port_mappings(0).protocol(), "tcp");
  EXPECT_EQ(app.log_configuration().options().at("awslogs-stream-prefix"), "web");

  const auto& sidecar = got->container_definitions(1);
  EXPECT_EQ(sidecar.cpu(), 128);
  EXPECT_FALSE(sidecar.essential());
  EXPECT_EQ(sidecar.port_mappings(0).host_port(), 53);
  EXPECT_EQ(sidecar.port_mappings(0).protocol(), "udp");
  EXPECT_FALSE(sidecar.port_mappings(1).has_host_port());
  EXPECT_EQ(sidecar.port_mappings(1).protocol(), "tcp");
  EXPECT_EQ(sidecar.port_mappings(1).container_port_range(), "9000-9010");

  // Tags (field 50) must not leak into the stored revision as unknown fields.
  EXPECT_TRUE(got->GetReflection()->GetUnknownFields(*got).empty());
}

TEST(Normalize, KeepsEphemeralStorageAsGiven) {
  Request request = BaseRequest();
  request.mutable_ephemeral_storage()->set_size_in_gib(50);
  absl::StatusOr<gantry::v1::TaskDefinition> got = Normalize(request);
  ASSERT_THAT(got, IsOk());
  EXPECT_EQ(got->ephemeral_storage().size_in_gib(), 50);
}

TEST(Normalize, InvalidRequest_ReturnsValidationError) {
  Request request = BaseRequest();
  request.set_network_mode("bridge");
  EXPECT_THAT(Normalize(request), StatusIs(absl::StatusCode::kInvalidArgument,
                                           "networkMode: must be \"awsvpc\" on Fargate"));
}

TEST(Compatibilities, AlwaysEc2AndFargate) {
  absl::StatusOr<gantry::v1::TaskDefinition> got = Normalize(BaseRequest());
  ASSERT_THAT(got, IsOk());
  EXPECT_THAT(Compatibilities(*got), ElementsAre("EC2", "FARGATE"));
}

TEST(RequiresAttributes, BaseDefinition) {
  absl::StatusOr<gantry::v1::TaskDefinition> got = Normalize(BaseRequest());
  ASSERT_THAT(got, IsOk());
  const std::vector<std::string> names = AttributeNames(*got);
  EXPECT_THAT(names, Contains("ecs.capability.task-eni"));
  EXPECT_THAT(names, Contains("com.amazonaws.ecs.capability.logging-driver.awslogs"));
  EXPECT_THAT(names, Contains("ecs.capability.execution-role-awslogs"));
  EXPECT_THAT(names, Contains("ecs.capability.container-health-check"));
  EXPECT_THAT(names, Contains("com.amazonaws.ecs.capability.docker-remote-api.1.18"));
  EXPECT_THAT(names, Contains("com.amazonaws.ecs.capability.task-iam-role"));
  EXPECT_THAT(names, Not(Contains("ecs.capability.efs")));
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
}

TEST(RequiresAttributes, FeaturesAddTheirAttributes) {
  Request request = BaseRequest();
  auto* firelens = Sidecar(request)->mutable_firelens_configuration();
  firelens->set_type("fluentbit");
  App(request)->add_depends_on()->set_container_name("sidecar");
  App(request)->mutable_depends_on(0)->set_condition("START");
  auto* secret = Sidecar(request)->add_secrets();
  secret->set_name("TOKEN");
  secret->set_value_from("arn:aws:secretsmanager:eu-west-1:123456789012:secret:token");
  auto* volume = request.add_volumes();
  volume->set_name("efs");
  auto* efs = volume->mutable_efs_volume_configuration();
  efs->set_file_system_id("fs-12ab");
  efs->set_transit_encryption("ENABLED");
  absl::StatusOr<gantry::v1::TaskDefinition> got = Normalize(request);
  ASSERT_THAT(got, IsOk());
  const std::vector<std::string> names = AttributeNames(*got);
  EXPECT_THAT(names, Contains("ecs.capability.firelens.fluentbit"));
  EXPECT_THAT(names, Contains("ecs.capability.container-ordering"));
  EXPECT_THAT(names, Contains("ecs.capability.secrets.asm.environment-variables"));
  EXPECT_THAT(names, Contains("ecs.capability.efs"));
  EXPECT_THAT(names, Contains("ecs.capability.efsAuth"));
}

}  // namespace
}  // namespace gantry::taskdef
