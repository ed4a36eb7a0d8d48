// The example definitions in examples/ parse, validate and normalise.
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/support/status_matchers.h"

namespace gantry::taskdef {
namespace {

using ::gantry::testing::IsOk;
using ::testing::Contains;

std::string ReadExample(const std::string& name) {
  std::ifstream in(std::string(GANTRY_SOURCE_DIR) + "/examples/" + name);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(Examples, AllParseValidateAndNormalize) {
  for (const char* name : {"web-service.json", "firelens-sidecar.json", "efs-volume.json"}) {
    SCOPED_TRACE(name);
    const std::string json = ReadExample(name);
    ASSERT_FALSE(json.empty());
    absl::StatusOr<gantry::v1::RegisterTaskDefinitionRequest> request =
        ParseRegisterRequestJson(json);
    ASSERT_THAT(request, IsOk());
    EXPECT_THAT(Validate(*request), IsOk());
    absl::StatusOr<gantry::v1::TaskDefinition> definition = Normalize(*request);
    ASSERT_THAT(definition, IsOk());
    EXPECT_EQ(definition->network_mode(), "awsvpc");
    for (const auto& container : definition->container_definitions()) {
      EXPECT_TRUE(container.has_cpu());
      EXPECT_TRUE(container.has_essential());
    }
  }
}

TEST(Examples, EfsVolume_NormalisesVcpuAndGb) {
  absl::StatusOr<gantry::v1::RegisterTaskDefinitionRequest> request =
      ParseRegisterRequestJson(ReadExample("efs-volume.json"));
  ASSERT_THAT(request, IsOk());
  absl::StatusOr<gantry::v1::TaskDefinition> definition = Normalize(*request);
  ASSERT_THAT(definition, IsOk());
  EXPECT_EQ(definition->cpu(), "1024");
  EXPECT_EQ(definition->memory(), "2048");
  EXPECT_EQ(definition->container_definitions(0).port_mappings(0).host_port(), 3000);
  std::vector<std::string> names;
  for (const auto& attribute : RequiresAttributes(*definition)) {
    names.push_back(attribute.name());
  }
  EXPECT_THAT(names, Contains("ecs.capability.efsAuth"));
}

TEST(Examples, Firelens_HasRouterAttributes) {
  absl::StatusOr<gantry::v1::RegisterTaskDefinitionRequest> request =
      ParseRegisterRequestJson(ReadExample("firelens-sidecar.json"));
  ASSERT_THAT(request, IsOk());
  absl::StatusOr<gantry::v1::TaskDefinition> definition = Normalize(*request);
  ASSERT_THAT(definition, IsOk());
  std::vector<std::string> names;
  for (const auto& attribute : RequiresAttributes(*definition)) {
    names.push_back(attribute.name());
  }
  EXPECT_THAT(names, Contains("ecs.capability.firelens.fluentbit"));
  EXPECT_THAT(names, Contains("com.amazonaws.ecs.capability.logging-driver.awsfirelens"));
}

}  // namespace
}  // namespace gantry::taskdef
