// Table rendering of gantryctl.
#include <string>
#include <vector>

#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(RenderTable, AlignsColumnsWithoutTrailingBlanks) {
  std::string table = RenderTable({"NAME", "STATUS", "ARN"},
                                  {{"default", "ACTIVE", "arn:1"}, {"x", "INACTIVE", "arn:22"}});
  EXPECT_EQ(table,
            "NAME     STATUS    ARN\n"
            "default  ACTIVE    arn:1\n"
            "x        INACTIVE  arn:22\n");
}

TEST(RenderTable, EmptyLastCell_NoTrailingBlanks) {
  EXPECT_EQ(RenderTable({"A", "B"}, {{"long-value", ""}}),
            "A           B\n"
            "long-value\n");
}

TEST(RenderTable, NoRows_HeaderOnly) { EXPECT_EQ(RenderTable({"FAMILY"}, {}), "FAMILY\n"); }

TEST(FormatEpochSeconds, IsoUtcWithMilliseconds) {
  struct Case {
    double seconds;
    std::string want;
  };
  const Case cases[] = {
      {0, "1970-01-01T00:00:00.000Z"},
      {1718000000.123, "2024-06-10T06:13:20.123Z"},
      {1718000000.9996, "2024-06-10T06:13:21.000Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    EXPECT_EQ(FormatEpochSeconds(c.seconds), c.want);
  }
}

TEST(FormatPorts, EachMappingShape) {
  v1::ContainerDefinition container;
  EXPECT_EQ(FormatPorts(container), "-");
  v1::PortMapping* plain = container.add_port_mappings();
  plain->set_container_port(80);
  plain->set_host_port(80);
  plain->set_protocol("tcp");
  v1::PortMapping* remapped = container.add_port_mappings();
  remapped->set_container_port(53);
  remapped->set_host_port(5353);
  remapped->set_protocol("udp");
  v1::PortMapping* range = container.add_port_mappings();
  range->set_container_port_range("7000-7010");
  v1::PortMapping* no_protocol = container.add_port_mappings();
  no_protocol->set_container_port(9000);
  EXPECT_EQ(FormatPorts(container), "80/tcp, 5353:53/udp, 7000-7010/tcp, 9000/tcp");
}

v1::TaskDefinition WebDefinition() {
  v1::TaskDefinition d;
  d.set_task_definition_arn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:2");
  d.set_family("web");
  d.set_revision(2);
  d.set_status("ACTIVE");
  d.set_cpu("256");
  d.set_memory("512");
  d.set_network_mode("awsvpc");
  d.set_registered_at(1718000000.5);
  d.add_compatibilities("EC2");
  d.add_compatibilities("FARGATE");
  v1::ContainerDefinition* app = d.add_container_definitions();
  app->set_name("app");
  app->set_image("nginx:1.25");
  app->set_cpu(128);
  app->set_memory(256);
  app->set_essential(true);
  v1::PortMapping* port = app->add_port_mappings();
  port->set_container_port(80);
  port->set_host_port(80);
  port->set_protocol("tcp");
  v1::ContainerDefinition* log = d.add_container_definitions();
  log->set_name("log_router");
  log->set_image("amazon/aws-for-fluent-bit:stable");
  log->set_memory_reservation(50);
  log->set_essential(false);
  v1::Volume* volume = d.add_volumes();
  volume->set_name("data");
  volume->mutable_efs_volume_configuration()->set_file_system_id("fs-1234");
  return d;
}

TEST(FormatTaskDefinition, SummaryThenContainersThenVolumes) {
  v1::DescribeTaskDefinitionResponse response;
  *response.mutable_task_definition() = WebDefinition();
  v1::Tag* tag = response.add_tags();
  tag->set_key("team");
  tag->set_value("core");
  EXPECT_EQ(FormatTable(response),
            "Task definition  arn:aws:ecs:us-east-1:000000000000:task-definition/web:2\n"
            "Family           web\n"
            "Revision         2\n"
            "Status           ACTIVE\n"
            "CPU              256\n"
            "Memory           512\n"
            "Network mode     awsvpc\n"
            "Registered at    2024-06-10T06:13:20.500Z\n"
            "Compatibilities  EC2, FARGATE\n"
            "Tags             team=core\n"
            "\n"
            "NAME        IMAGE                             CPU  MEMORY     ESSENTIAL  PORTS\n"
            "app         nginx:1.25                        128  256        true       80/tcp\n"
            "log_router  amazon/aws-for-fluent-bit:stable  -    50 (soft)  false      -\n"
            "\n"
            "VOLUME  TYPE\n"
            "data    efs fs-1234\n");
}

TEST(FormatTaskDefinition, Deregistered_ShowsDeregisteredAt) {
  v1::DeregisterTaskDefinitionResponse response;
  *response.mutable_task_definition() = WebDefinition();
  response.mutable_task_definition()->set_status("INACTIVE");
  response.mutable_task_definition()->set_deregistered_at(1718000100);
  std::string table = FormatTable(response);
  EXPECT_THAT(table, HasSubstr("Status           INACTIVE\n"));
  EXPECT_THAT(table, HasSubstr("Deregistered at  2024-06-10T06:15:00.000Z\n"));
  EXPECT_THAT(table, Not(HasSubstr("Tags")));
}

TEST(FormatTable, DescribeClusters_ClustersThenFailures) {
  v1::DescribeClustersResponse response;
  v1::Cluster* cluster = response.add_clusters();
  cluster->set_cluster_name("default");
  cluster->set_cluster_arn("arn:aws:ecs:us-east-1:000000000000:cluster/default");
  cluster->set_status("ACTIVE");
  cluster->set_running_tasks_count(3);
  cluster->set_pending_tasks_count(0);
  v1::Failure* failure = response.add_failures();
  failure->set_arn("arn:aws:ecs:us-east-1:000000000000:cluster/nope");
  failure->set_reason("MISSING");
  EXPECT_EQ(
      FormatTable(response),
      "NAME     STATUS  RUNNING  PENDING  ARN\n"
      "default  ACTIVE  3        0        arn:aws:ecs:us-east-1:000000000000:cluster/default\n"
      "\n"
      "Failures:\n"
      "ARN                                              REASON   DETAIL\n"
      "arn:aws:ecs:us-east-1:000000000000:cluster/nope  MISSING  -\n");
}

TEST(FormatTable, Lists_OneItemPerRowAndNextToken) {
  v1::ListTaskDefinitionsResponse definitions;
  definitions.add_task_definition_arns("arn:a:1");
  definitions.add_task_definition_arns("arn:a:2");
  definitions.set_next_token("tok");
  EXPECT_EQ(FormatTable(definitions), "TASK DEFINITION ARN\narn:a:1\narn:a:2\n\nNext token: tok\n");

  v1::ListTaskDefinitionFamiliesResponse families;
  families.add_families("web");
  EXPECT_EQ(FormatTable(families), "FAMILY\nweb\n");

  v1::ListClustersResponse clusters;
  EXPECT_EQ(FormatTable(clusters), "CLUSTER ARN\n");
}

TEST(FormatTable, CreateCluster_OneRow) {
  v1::CreateClusterResponse response;
  response.mutable_cluster()->set_cluster_name("prod");
  response.mutable_cluster()->set_status("ACTIVE");
  response.mutable_cluster()->set_cluster_arn("arn:c/prod");
  EXPECT_EQ(FormatTable(response),
            "NAME  STATUS  RUNNING  PENDING  ARN\n"
            "prod  ACTIVE  -        -        arn:c/prod\n");
}

TEST(FormatRpcError, CodeNameAndEveryLine) {
  grpc::Status status(grpc::StatusCode::INVALID_ARGUMENT,
                      "containerDefinitions[0].memory: too small\ncpu: \"3\" is not valid\n");
  EXPECT_EQ(FormatRpcError(status, "h:1", /*reached_server=*/true),
            "error: INVALID_ARGUMENT: containerDefinitions[0].memory: too small\n"
            "  cpu: \"3\" is not valid\n");
  EXPECT_EQ(FormatRpcError(grpc::Status(grpc::StatusCode::NOT_FOUND, "web: no ACTIVE revision"),
                           "h:1", true),
            "error: NOT_FOUND: web: no ACTIVE revision\n");
}

TEST(FormatRpcError, NeverConnected_SaysEndpointUnreachable) {
  grpc::Status refused(grpc::StatusCode::UNAVAILABLE, "failed to connect to all addresses");
  std::string text = FormatRpcError(refused, "127.0.0.1:1", /*reached_server=*/false);
  EXPECT_THAT(text, HasSubstr("could not reach gantryd at 127.0.0.1:1"));
  EXPECT_THAT(text, HasSubstr("failed to connect to all addresses"));
  // A server that answered UNAVAILABLE itself (database down) is not "unreachable".
  EXPECT_EQ(FormatRpcError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "database down"),
                           "127.0.0.1:1", true),
            "error: UNAVAILABLE: database down\n");
}

}  // namespace
}  // namespace gantry::cli
