// Table rendering of the task, container-instance and network commands.
#include <string>

#include "cli/cli.h"
#include "ecsjson/ecsjson.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kTaskArn[] =
    "arn:aws:ecs:us-east-1:000000000000:task/default/0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f";
constexpr char kHostArn[] =
    "arn:aws:ecs:us-east-1:000000000000:container-instance/4f5e6d7c8b9a0f1e2d3c4b5a69788796";

v1::Task RunningTask() {
  v1::Task t;
  t.set_task_arn(kTaskArn);
  t.set_task_definition_arn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3");
  t.set_last_status("RUNNING");
  t.set_desired_status("RUNNING");
  t.set_availability_zone("us-east-1a");
  t.set_container_instance_arn(kHostArn);
  t.set_cpu("256");
  t.set_memory("512");
  v1::Attachment* eni = t.add_attachments();
  eni->set_type("ElasticNetworkInterface");
  v1::KeyValuePair* subnet = eni->add_details();
  subnet->set_name("subnetId");
  subnet->set_value("subnet-a");
  v1::KeyValuePair* ip = eni->add_details();
  ip->set_name("privateIPv4Address");
  ip->set_value("10.0.1.17");
  return t;
}

// A task the scheduler has not placed yet: no host, zone or address.
v1::Task ProvisioningTask() {
  v1::Task t;
  t.set_task_arn("arn:aws:ecs:us-east-1:000000000000:task/default/ffff");
  t.set_task_definition_arn("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3");
  t.set_last_status("PROVISIONING");
  t.set_desired_status("RUNNING");
  t.set_cpu("256");
  t.set_memory("512");
  return t;
}

TEST(FormatTable, DescribeTasks_OneRowPerTaskThenFailures) {
  v1::DescribeTasksResponse response;
  *response.add_tasks() = RunningTask();
  *response.add_tasks() = ProvisioningTask();
  v1::Failure* failure = response.add_failures();
  failure->set_arn("arn:aws:ecs:us-east-1:000000000000:task/default/dead");
  failure->set_reason("MISSING");
  EXPECT_EQ(FormatTable(response),
            "TASK                              DEFINITION  LAST STATUS   DESIRED  ZONE        "
            "IP         HOST                              CPU  MEMORY\n"
            "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f  web:3       RUNNING       RUNNING  us-east-1a  "
            "10.0.1.17  4f5e6d7c8b9a0f1e2d3c4b5a69788796  256  512\n"
            "ffff                              web:3       PROVISIONING  RUNNING  -           "
            "-          -                                 256  512\n"
            "\n"
            "Failures:\n"
            "ARN                                                   REASON   DETAIL\n"
            "arn:aws:ecs:us-east-1:000000000000:task/default/dead  MISSING  -\n");
}

TEST(FormatTable, RunTask_TasksThenFailures) {
  v1::RunTaskResponse response;
  *response.add_tasks() = RunningTask();
  v1::Failure* failure = response.add_failures();
  failure->set_reason("RESOURCE:MEMORY");
  failure->set_detail("no host in us-east-1b has 512 MiB free");
  std::string table = FormatTable(response);
  EXPECT_THAT(table, HasSubstr("0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f  web:3"));
  EXPECT_THAT(table, HasSubstr("10.0.1.17"));
  EXPECT_THAT(table, HasSubstr("\n\nFailures:\n"
                               "REASON           DETAIL                                  ARN\n"
                               "RESOURCE:MEMORY  no host in us-east-1b has 512 MiB free\n"));
}

TEST(FormatTable, RunTask_OnlyFailures_NoEmptyTaskTable) {
  v1::RunTaskResponse response;
  v1::Failure* failure = response.add_failures();
  failure->set_reason("RESOURCE:ENI");
  EXPECT_EQ(FormatTable(response),
            "Failures:\n"
            "REASON        DETAIL  ARN\n"
            "RESOURCE:ENI  -\n");
}

TEST(FormatTable, RunTask_NoFailures_OnlyTasks) {
  v1::RunTaskResponse response;
  *response.add_tasks() = ProvisioningTask();
  std::string table = FormatTable(response);
  EXPECT_THAT(table, HasSubstr("ffff  web:3       PROVISIONING"));
  EXPECT_THAT(table, Not(HasSubstr("Failures")));
}

TEST(FormatTable, StopTask_TheStoppedTask) {
  v1::StopTaskResponse response;
  *response.mutable_task() = RunningTask();
  response.mutable_task()->set_desired_status("STOPPED");
  EXPECT_THAT(FormatTable(response), HasSubstr("RUNNING      STOPPED  us-east-1a"));
}

TEST(FormatTable, ListTasksAndInstances_OneArnPerRow) {
  v1::ListTasksResponse tasks;
  tasks.add_task_arns("arn:t/1");
  tasks.add_task_arns("arn:t/2");
  EXPECT_EQ(FormatTable(tasks), "TASK ARN\narn:t/1\narn:t/2\n");

  v1::ListContainerInstancesResponse instances;
  instances.add_container_instance_arns(kHostArn);
  EXPECT_EQ(FormatTable(instances), std::string("CONTAINER INSTANCE ARN\n") + kHostArn + "\n");

  v1::RegisterHostResponse registered;
  registered.set_host_id("4f5e6d7c8b9a0f1e2d3c4b5a69788796");
  registered.set_container_instance_arn(kHostArn);
  EXPECT_EQ(FormatTable(registered), std::string("CONTAINER INSTANCE ARN\n") + kHostArn + "\n");
}

void AddResource(google::protobuf::RepeatedPtrField<v1::Resource>* resources,
                 const std::string& name, int32_t value) {
  v1::Resource* r = resources->Add();
  r->set_name(name);
  r->set_type("INTEGER");
  r->set_integer_value(value);
}

TEST(FormatTable, UpdateContainerInstancesState_StatusAgentAndFailures) {
  v1::UpdateContainerInstancesStateResponse response;
  v1::ContainerInstance* drained = response.add_container_instances();
  drained->set_container_instance_arn(kHostArn);
  drained->set_status("DRAINING");
  drained->set_agent_connected(true);
  v1::ContainerInstance* lost = response.add_container_instances();
  lost->set_container_instance_arn("arn:aws:ecs:us-east-1:000000000000:container-instance/beef");
  lost->set_status("DRAINING");
  lost->set_agent_connected(false);
  v1::Failure* failure = response.add_failures();
  failure->set_arn("arn:aws:ecs:us-east-1:000000000000:container-instance/nope");
  failure->set_reason("MISSING");
  EXPECT_EQ(FormatTable(response),
            "ID                                STATUS    AGENT CONNECTED\n"
            "4f5e6d7c8b9a0f1e2d3c4b5a69788796  DRAINING  true\n"
            "beef                              DRAINING  false\n"
            "\n"
            "Failures:\n"
            "REASON   ARN                                                         DETAIL\n"
            "MISSING  arn:aws:ecs:us-east-1:000000000000:container-instance/nope\n");
}

TEST(FormatTable, DescribeContainerInstances_CapacityAndFailures) {
  v1::DescribeContainerInstancesResponse response;
  v1::ContainerInstance* c = response.add_container_instances();
  c->set_container_instance_arn(kHostArn);
  c->set_status("ACTIVE");
  c->set_running_tasks_count(3);
  c->set_pending_tasks_count(1);
  AddResource(c->mutable_registered_resources(), "CPU", 4096);
  AddResource(c->mutable_registered_resources(), "MEMORY", 16384);
  AddResource(c->mutable_remaining_resources(), "CPU", 3072);
  AddResource(c->mutable_remaining_resources(), "MEMORY", 14336);
  v1::Attribute* os = c->add_attributes();
  os->set_name("ecs.os-type");
  os->set_value("linux");
  v1::Attribute* zone = c->add_attributes();
  zone->set_name("ecs.availability-zone");
  zone->set_value("us-east-1b");
  v1::ContainerInstance* bare = response.add_container_instances();
  bare->set_container_instance_arn("arn:aws:ecs:us-east-1:000000000000:container-instance/beef");
  v1::Failure* failure = response.add_failures();
  failure->set_arn("arn:aws:ecs:us-east-1:000000000000:container-instance/nope");
  failure->set_reason("MISSING");
  EXPECT_EQ(FormatTable(response),
            "ID                                ZONE        STATUS  CPU FREE/TOTAL  "
            "MEMORY FREE/TOTAL  TASKS RUNNING/PENDING\n"
            "4f5e6d7c8b9a0f1e2d3c4b5a69788796  us-east-1b  ACTIVE  3072/4096       "
            "14336/16384        3/1\n"
            "beef                              -           -       ?/?             "
            "?/?                -/-\n"
            "\n"
            "Failures:\n"
            "REASON   ARN                                                         DETAIL\n"
            "MISSING  arn:aws:ecs:us-east-1:000000000000:container-instance/nope\n");
}

TEST(FormatTable, Subnets_OneRowEach) {
  v1::DescribeSubnetsResponse response;
  v1::Subnet* a = response.add_subnets();
  a->set_subnet_id("subnet-0a1b2c3d");
  a->set_vpc_id("vpc-1");
  a->set_cidr_block("10.0.1.0/24");
  a->set_availability_zone("us-east-1a");
  a->set_available_ip_address_count(251);
  v1::Subnet* b = response.add_subnets();
  b->set_subnet_id("subnet-2");
  EXPECT_EQ(FormatTable(response),
            "SUBNET ID        VPC ID  CIDR         ZONE        FREE IPS\n"
            "subnet-0a1b2c3d  vpc-1   10.0.1.0/24  us-east-1a  251\n"
            "subnet-2         -       -            -           -\n");

  v1::CreateSubnetResponse created;
  *created.mutable_subnet() = *a;
  EXPECT_THAT(FormatTable(created), HasSubstr("subnet-0a1b2c3d  vpc-1   10.0.1.0/24"));
  EXPECT_EQ(FormatTable(v1::DeleteSubnetResponse()), "");
}

TEST(FormatTable, VpcsAndSecurityGroups) {
  v1::CreateVpcResponse vpc;
  vpc.mutable_vpc()->set_vpc_id("vpc-0a1b2c3d");
  vpc.mutable_vpc()->set_cidr_block("10.0.0.0/16");
  vpc.mutable_vpc()->set_state("available");
  EXPECT_EQ(FormatTable(vpc),
            "ID            CIDR         STATE\n"
            "vpc-0a1b2c3d  10.0.0.0/16  available\n");
  EXPECT_EQ(FormatTable(v1::DescribeVpcsResponse()), "ID  CIDR  STATE\n");

  v1::DescribeSecurityGroupsResponse groups;
  v1::SecurityGroup* g = groups.add_security_groups();
  g->set_group_id("sg-1");
  g->set_group_name("web");
  g->set_vpc_id("vpc-0a1b2c3d");
  g->set_description("web servers");
  EXPECT_EQ(FormatTable(groups),
            "ID    NAME  VPC           DESCRIPTION\n"
            "sg-1  web   vpc-0a1b2c3d  web servers\n");

  v1::CreateSecurityGroupResponse created;
  created.set_group_id("sg-1");
  EXPECT_EQ(FormatTable(created), "ID    ARN\nsg-1  -\n");
}

TEST(FormatTable, ZonesAndNetworkInterfaces) {
  v1::DescribeAvailabilityZonesResponse zones;
  v1::AvailabilityZone* a = zones.add_availability_zones();
  a->set_zone_name("us-east-1a");
  a->set_state("available");
  zones.add_availability_zones()->set_zone_name("us-east-1b");
  EXPECT_EQ(FormatTable(zones),
            "ZONE        STATE\n"
            "us-east-1a  available\n"
            "us-east-1b  -\n");
  EXPECT_EQ(FormatTable(v1::DescribeAvailabilityZonesResponse()), "ZONE  STATE\n");

  v1::DescribeNetworkInterfacesResponse enis;
  v1::Ec2NetworkInterface* eni = enis.add_network_interfaces();
  eni->set_network_interface_id("eni-0a1b2c3d4e5f60718");
  eni->set_subnet_id("subnet-0a1b2c3d");
  eni->set_availability_zone("us-east-1a");
  eni->set_private_ip_address("10.0.1.23");
  eni->set_mac_address("0a:1b:2c:3d:4e:5f");
  eni->set_status("in-use");
  enis.add_network_interfaces()->set_network_interface_id("eni-2");
  EXPECT_EQ(FormatTable(enis),
            "ENI ID                 SUBNET           ZONE        PRIVATE IP  MAC                "
            "STATUS\n"
            "eni-0a1b2c3d4e5f60718  subnet-0a1b2c3d  us-east-1a  10.0.1.23   0a:1b:2c:3d:4e:5f  "
            "in-use\n"
            "eni-2                  -                -           -           -                  "
            "-\n");
}

// --output json prints the response with ecsjson::ToJson; the protos' JSON names make
// that the AWS CLI's shape: EC2's PascalCase, ECS's lowerCamelCase.
TEST(JsonOutput, ResponsesUseAwsMemberNames) {
  v1::DescribeSubnetsResponse subnets;
  subnets.add_subnets()->set_subnet_id("subnet-1");
  EXPECT_EQ(ecsjson::ToJson(subnets), R"({"Subnets":[{"SubnetId":"subnet-1"}]})");

  v1::ListContainerInstancesResponse instances;
  instances.add_container_instance_arns("arn:ci/1");
  EXPECT_EQ(ecsjson::ToJson(instances), R"({"containerInstanceArns":["arn:ci/1"]})");

  v1::ListTasksResponse tasks;
  tasks.add_task_arns("arn:t/1");
  EXPECT_EQ(ecsjson::ToJson(tasks), R"({"taskArns":["arn:t/1"]})");

  v1::DescribeNetworkInterfacesResponse enis;
  v1::Ec2NetworkInterface* eni = enis.add_network_interfaces();
  eni->set_network_interface_id("eni-1");
  eni->set_requester_managed(true);
  eni->add_groups()->set_group_id("sg-1");
  EXPECT_EQ(ecsjson::ToJson(enis),
            R"({"NetworkInterfaces":[{"NetworkInterfaceId":"eni-1","RequesterManaged":true,)"
            R"("Groups":[{"GroupId":"sg-1"}]}]})");

  v1::DescribeAvailabilityZonesResponse zones;
  zones.add_availability_zones()->set_zone_name("us-east-1a");
  EXPECT_EQ(ecsjson::ToJson(zones), R"({"AvailabilityZones":[{"ZoneName":"us-east-1a"}]})");

  v1::RunTaskResponse run;
  run.add_failures()->set_reason("RESOURCE:CPU");
  EXPECT_EQ(ecsjson::ToJson(run), R"({"failures":[{"reason":"RESOURCE:CPU"}]})");
}

}  // namespace
}  // namespace gantry::cli
