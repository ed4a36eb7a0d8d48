// The real aws CLI (Debian's awscli) against gantryd's AWS-compatible endpoint: ECS over
// AWS JSON 1.1 and EC2's Query protocol, signed with SigV4 by the admin key gantryd wrote
// into its data dir. The
// answers must parse and agree with what gantryctl reports over gRPC; bad keys, bad
// signatures and unsigned requests are refused with AWS's error names.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gantry/v1/admin.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "ecsjson/ecsjson.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAreArray;

constexpr char kDefinition[] = R"json({
  "family": "web", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "cpu": "256", "memory": "512",
  "containerDefinitions": [{"name": "app", "image": "nginx:1.27", "essential": true,
                            "healthCheck": {"command": ["CMD-SHELL", "true"]}}]
})json";

// Debian's aws CLI; a developer's own install elsewhere on PATH may be another version.
fs::path AwsBinary() { return fs::exists("/usr/bin/aws") ? "/usr/bin/aws" : "aws"; }

const google::protobuf::Value& Member(const google::protobuf::Value& object,
                                      const std::string& name) {
  static const google::protobuf::Value kNull;
  const auto& fields = object.struct_value().fields();
  auto it = fields.find(name);
  return it == fields.end() ? kNull : it->second;
}

std::string Text(const google::protobuf::Value& object, const std::string& name) {
  return Member(object, name).string_value();
}

// The value of detail `name` of a task's first attachment.
std::string AttachmentDetail(const google::protobuf::Value& task, const std::string& name) {
  const auto& attachments = Member(task, "attachments").list_value().values();
  if (attachments.empty()) {
    return "";
  }
  for (const google::protobuf::Value& detail :
       Member(attachments[0], "details").list_value().values()) {
    if (Text(detail, "name") == name) {
      return Text(detail, "value");
    }
  }
  return "";
}

// The id of a task's first attachment (its ENI attachment).
std::string AttachmentId(const google::protobuf::Value& task) {
  const auto& attachments = Member(task, "attachments").list_value().values();
  return attachments.empty() ? "" : Text(attachments[0], "id");
}

const google::protobuf::RepeatedPtrField<google::protobuf::Value>& Items(
    const google::protobuf::Value& object, const std::string& name) {
  return Member(object, name).list_value().values();
}

class AwsCliE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(AwsBinary()) || AwsBinary() == "aws")
        << "the aws CLI is missing; scripts/install-deps installs Debian's awscli";
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-aws");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<TempDir>(*std::move(dir));
    GantrydOptions options;
    options.data_dir = dir_->path() / "data";
    options.extra_args = {"--host-timeout", "1h"};
    absl::StatusOr<std::unique_ptr<Gantryd>> gantryd = Gantryd::Start(options);
    ASSERT_TRUE(gantryd.ok()) << gantryd.status();
    gantryd_ = *std::move(gantryd);
    ASSERT_FALSE(gantryd_->aws_endpoint().empty());
    credentials_ = options.data_dir / "admin-credentials";
    ASSERT_TRUE(fs::exists(credentials_));
    EXPECT_EQ(fs::status(credentials_).permissions() & fs::perms::all,
              fs::perms::owner_read | fs::perms::owner_write);
  }

  void TearDown() override {
    agent_.reset();
    if (gantryd_ != nullptr && HasFailure()) {
      std::cerr << "--- gantryd log (tail) ---\n" << gantryd_->LogTail(8000) << "\n";
    }
  }

  // Runs `aws --endpoint-url ... <args>` with only `credentials_file` to sign with.
  CommandResult Aws(const std::vector<std::string>& args,
                    std::optional<fs::path> credentials_file = std::nullopt) {
    ProcessOptions options;
    options.argv = {AwsBinary().string(),
                    "--endpoint-url",
                    absl::StrCat("http://", gantryd_->aws_endpoint()),
                    "--region",
                    "us-east-1",
                    "--output",
                    "json"};
    options.argv.insert(options.argv.end(), args.begin(), args.end());
    options.env = {
        {"AWS_SHARED_CREDENTIALS_FILE", credentials_file.value_or(credentials_).string()},
        {"AWS_CONFIG_FILE", (dir_->path() / "no-config").string()},
        {"HOME", dir_->path().string()},
        {"AWS_ACCESS_KEY_ID", std::nullopt},
        {"AWS_SECRET_ACCESS_KEY", std::nullopt},
        {"AWS_SESSION_TOKEN", std::nullopt},
        {"AWS_PROFILE", std::nullopt},
        {"AWS_DEFAULT_PROFILE", std::nullopt},
        {"AWS_PAGER", ""},
        {"AWS_EC2_METADATA_DISABLED", "true"},
        {"AWS_MAX_ATTEMPTS", "1"}};
    absl::StatusOr<CommandResult> result = RunCommand(options, "", absl::Seconds(90));
    if (!result.ok()) {
      ADD_FAILURE() << "aws " << absl::StrJoin(args, " ") << ": " << result.status();
      return CommandResult{};
    }
    return *std::move(result);
  }

  // Runs, expects success, parses stdout as JSON.
  google::protobuf::Value AwsJson(const std::vector<std::string>& args,
                                  std::optional<fs::path> credentials_file = std::nullopt) {
    CommandResult r = Aws(args, std::move(credentials_file));
    EXPECT_EQ(r.exit_code, 0) << "aws " << absl::StrJoin(args, " ") << "\n" << Describe(r);
    absl::StatusOr<google::protobuf::Value> parsed = ecsjson::ParseJson(r.out);
    EXPECT_TRUE(parsed.ok()) << parsed.status() << "\n" << Describe(r);
    return parsed.ok() ? *parsed : google::protobuf::Value();
  }

  template <typename M>
  M CtlJson(std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = Ctl(gantryd_->endpoint(), args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << Describe(r);
    return ParseJsonOutput<M>(r);
  }

  // A VPC, a subnet in us-east-1a and a security group, made with `aws ec2` (EC2's Query
  // protocol), checked against gantryctl; then two simulated hosts in that zone.
  std::string MakeNetworkAndHosts() {
    google::protobuf::Value vpc = AwsJson({"ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"});
    const std::string vpc_id = Text(Member(vpc, "Vpc"), "VpcId");
    EXPECT_EQ(Text(Member(vpc, "Vpc"), "CidrBlock"), "10.0.0.0/16");
    google::protobuf::Value subnet =
        AwsJson({"ec2", "create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.1.0/24",
                 "--availability-zone", "us-east-1a"});
    const std::string subnet_id = Text(Member(subnet, "Subnet"), "SubnetId");
    EXPECT_EQ(Text(Member(subnet, "Subnet"), "AvailabilityZone"), "us-east-1a");
    google::protobuf::Value group = AwsJson({"ec2", "create-security-group", "--group-name", "web",
                                             "--description", "web tasks", "--vpc-id", vpc_id});
    EXPECT_THAT(Text(group, "GroupId"), ::testing::StartsWith("sg-"));

    google::protobuf::Value described =
        AwsJson({"ec2", "describe-subnets", "--subnet-ids", subnet_id});
    auto ctl = CtlJson<v1::DescribeSubnetsResponse>({"describe-subnets"});
    EXPECT_EQ(ctl.subnets_size(), 1);
    const auto& listed = Member(described, "Subnets").list_value().values();
    EXPECT_EQ(listed.size(), 1);
    if (ctl.subnets_size() == 1 && listed.size() == 1) {
      EXPECT_EQ(Text(listed[0], "SubnetId"), ctl.subnets(0).subnet_id());
      EXPECT_EQ(Text(listed[0], "VpcId"), vpc_id);
      EXPECT_EQ(Text(listed[0], "CidrBlock"), ctl.subnets(0).cidr_block());
      EXPECT_EQ(Member(listed[0], "AvailableIpAddressCount").number_value(),
                ctl.subnets(0).available_ip_address_count());
    }
    CommandResult duplicate = Aws({"ec2", "create-security-group", "--group-name", "web",
                                   "--description", "again", "--vpc-id", vpc_id});
    EXPECT_NE(duplicate.exit_code, 0) << Describe(duplicate);
    EXPECT_THAT(duplicate.err, HasSubstr("InvalidGroup.Duplicate")) << Describe(duplicate);

    AgentOptions options;
    options.endpoint = gantryd_->endpoint();
    options.state_dir = dir_->path() / "agent";
    options.args = {"--runtime", "sim", "--hosts", "2", "--availability-zone", "us-east-1a"};
    options.args.insert(options.args.end(), {"--cpu", "4096", "--memory", "8192", "--launch-delay",
                                             "20ms", "--stop-delay", "20ms"});
    absl::StatusOr<std::unique_ptr<GantryAgent>> agent = GantryAgent::Start(options);
    EXPECT_TRUE(agent.ok()) << agent.status();
    if (agent.ok()) {
      agent_ = *std::move(agent);
    }
    return subnet_id;
  }

  // describe-tasks through the aws CLI until every task has `status` (30 s at most).
  std::vector<google::protobuf::Value> AwaitStatus(const std::vector<std::string>& arns,
                                                   const std::string& status) {
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (true) {
      std::vector<std::string> args = {"ecs", "describe-tasks", "--tasks"};
      args.insert(args.end(), arns.begin(), arns.end());
      google::protobuf::Value answer = AwsJson(args);
      std::vector<google::protobuf::Value> tasks;
      bool all = true;
      for (const google::protobuf::Value& task : Member(answer, "tasks").list_value().values()) {
        tasks.push_back(task);
        all = all && Text(task, "lastStatus") == status;
      }
      if ((all && tasks.size() == arns.size()) || absl::Now() > deadline) {
        return tasks;
      }
      absl::SleepFor(absl::Milliseconds(200));
    }
  }

  // `aws ec2 describe-network-interfaces` lists exactly the ENIs of the RUNNING `tasks`
  // (describe-tasks' attachment details), in EC2's shape, as gantryctl does.
  void ExpectEnisOf(const std::vector<google::protobuf::Value>& tasks, const std::string& subnet) {
    std::map<std::string, std::string> want;  // networkInterfaceId -> privateIPv4Address
    std::map<std::string, std::string> attachment_of;
    for (const google::protobuf::Value& task : tasks) {
      const std::string eni = AttachmentDetail(task, "networkInterfaceId");
      want[eni] = AttachmentDetail(task, "privateIPv4Address");
      attachment_of[eni] = AttachmentId(task);
    }
    google::protobuf::Value described = AwsJson({"ec2", "describe-network-interfaces"});
    std::map<std::string, std::string> got;
    for (const google::protobuf::Value& eni : Items(described, "NetworkInterfaces")) {
      const std::string id = Text(eni, "NetworkInterfaceId");
      got[id] = Text(eni, "PrivateIpAddress");
      EXPECT_EQ(Text(eni, "SubnetId"), subnet);
      EXPECT_EQ(Text(eni, "AvailabilityZone"), "us-east-1a");
      EXPECT_EQ(Text(eni, "Status"), "in-use");
      EXPECT_EQ(Text(eni, "InterfaceType"), "interface");
      EXPECT_TRUE(Member(eni, "RequesterManaged").bool_value());
      EXPECT_EQ(Text(eni, "Description"),
                "arn:aws:ecs:us-east-1:000000000000:attachment/" + attachment_of[id]);
      ASSERT_EQ(Items(eni, "PrivateIpAddresses").size(), 1);
      EXPECT_TRUE(Member(Items(eni, "PrivateIpAddresses")[0], "Primary").bool_value());
      EXPECT_EQ(Text(Items(eni, "PrivateIpAddresses")[0], "PrivateIpAddress"), got[id]);
      ASSERT_EQ(Items(eni, "Groups").size(), 1);
      EXPECT_EQ(Text(Items(eni, "Groups")[0], "GroupName"), "default");
    }
    EXPECT_EQ(got, want);
    auto ctl = CtlJson<v1::DescribeNetworkInterfacesResponse>({"describe-network-interfaces"});
    std::map<std::string, std::string> from_ctl;
    for (const v1::Ec2NetworkInterface& eni : ctl.network_interfaces()) {
      from_ctl[eni.network_interface_id()] = eni.private_ip_address();
    }
    EXPECT_EQ(from_ctl, want);

    const std::string first = want.empty() ? "" : want.begin()->first;
    google::protobuf::Value one =
        AwsJson({"ec2", "describe-network-interfaces", "--network-interface-ids", first});
    ASSERT_EQ(Items(one, "NetworkInterfaces").size(), 1);
    EXPECT_EQ(Text(Items(one, "NetworkInterfaces")[0], "NetworkInterfaceId"), first);
    CommandResult unknown = Aws(
        {"ec2", "describe-network-interfaces", "--network-interface-ids", "eni-0123456789abcdef0"});
    EXPECT_NE(unknown.exit_code, 0) << Describe(unknown);
    EXPECT_THAT(unknown.err, HasSubstr("InvalidNetworkInterfaceID.NotFound")) << Describe(unknown);
  }

  // `aws ec2 describe-availability-zones`: the hosts' and the subnet's one zone.
  void ExpectZones() {
    google::protobuf::Value zones = AwsJson({"ec2", "describe-availability-zones"});
    ASSERT_EQ(Items(zones, "AvailabilityZones").size(), 1);
    const google::protobuf::Value& zone = Items(zones, "AvailabilityZones")[0];
    EXPECT_EQ(Text(zone, "ZoneName"), "us-east-1a");
    EXPECT_EQ(Text(zone, "State"), "available");
    EXPECT_EQ(Text(zone, "RegionName"), "us-east-1");
    EXPECT_EQ(Text(zone, "ZoneType"), "availability-zone");
    EXPECT_TRUE(Member(zone, "Messages").has_list_value());
    auto ctl = CtlJson<v1::DescribeAvailabilityZonesResponse>(
        {"describe-availability-zones", "--zone-names", "us-east-1a"});
    ASSERT_EQ(ctl.availability_zones_size(), 1);
    EXPECT_EQ(ctl.availability_zones(0).zone_name(), "us-east-1a");
    CommandResult unknown =
        Aws({"ec2", "describe-availability-zones", "--zone-names", "us-east-1z"});
    EXPECT_NE(unknown.exit_code, 0) << Describe(unknown);
    EXPECT_THAT(unknown.err, HasSubstr("InvalidParameterValue")) << Describe(unknown);
  }

  // Registers the `web` definition and runs `count` tasks of it in `subnet`, with the
  // aws CLI (as `credentials_file`, default the admin key); their ARNs.
  std::vector<std::string> RegisterAndRun(const std::string& subnet, int count) {
    const fs::path definition = WriteFile("web.json", kDefinition);
    google::protobuf::Value registered = AwsJson(
        {"ecs", "register-task-definition", "--cli-input-json", "file://" + definition.string()});
    const google::protobuf::Value& td = Member(registered, "taskDefinition");
    EXPECT_EQ(Text(td, "family"), "web");
    EXPECT_EQ(Member(td, "revision").number_value(), 1);
    EXPECT_EQ(Text(td, "cpu"), "256");
    EXPECT_THAT(Text(td, "taskDefinitionArn"), HasSubstr(":task-definition/web:1"));
    google::protobuf::Value run = AwsJson(
        {"ecs", "run-task", "--task-definition", "web", "--count", absl::StrCat(count),
         "--network-configuration", absl::StrCat("awsvpcConfiguration={subnets=[", subnet, "]}")});
    EXPECT_TRUE(Member(run, "failures").list_value().values().empty());
    std::vector<std::string> arns;
    for (const google::protobuf::Value& task : Member(run, "tasks").list_value().values()) {
      arns.push_back(Text(task, "taskArn"));
    }
    return arns;
  }

  // A new account made by the admin with gantryctl, and a credentials file with a key
  // of it (from create-access-key's JSON, which has `aws iam create-access-key`'s shape).
  std::pair<std::string, fs::path> NewAccount(const std::string& name) {
    auto account = CtlJson<v1::CreateAccountResponse>({"create-account", "--name", name});
    EXPECT_THAT(account.account().id(), ::testing::MatchesRegex("[0-9]{12}"));
    auto key = CtlJson<v1::CreateAccessKeyResponse>(
        {"create-access-key", "--account", account.account().id()});
    EXPECT_EQ(key.access_key().status(), "Active");
    EXPECT_EQ(key.access_key().secret_access_key().size(), 40u);
    fs::path file = WriteFile(
        name + "-credentials",
        absl::StrCat("[default]\naws_access_key_id = ", key.access_key().access_key_id(),
                     "\naws_secret_access_key = ", key.access_key().secret_access_key(), "\n"));
    return {account.account().id(), file};
  }

  fs::path WriteFile(const std::string& name, const std::string& text) {
    fs::path path = dir_->path() / name;
    std::ofstream(path) << text;
    return path;
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Gantryd> gantryd_;
  std::unique_ptr<GantryAgent> agent_;
  fs::path credentials_;
};

TEST_F(AwsCliE2E, RegisterRunDescribeListStop_AgreesWithGantryctl) {
  const std::string subnet = MakeNetworkAndHosts();
  ASSERT_NE(agent_, nullptr);

  std::vector<std::string> arns = RegisterAndRun(subnet, 2);
  ASSERT_EQ(arns.size(), 2u);

  std::vector<google::protobuf::Value> running = AwaitStatus(arns, "RUNNING");
  ASSERT_EQ(running.size(), 2u);
  std::vector<std::string> args = {"describe-tasks", "--tasks"};
  args.insert(args.end(), arns.begin(), arns.end());
  v1::DescribeTasksResponse ctl = CtlJson<v1::DescribeTasksResponse>(args);
  ASSERT_EQ(ctl.tasks_size(), 2);
  for (const v1::Task& expected : ctl.tasks()) {
    auto it = std::find_if(running.begin(), running.end(), [&](const google::protobuf::Value& t) {
      return Text(t, "taskArn") == expected.task_arn();
    });
    ASSERT_NE(it, running.end()) << expected.task_arn();
    EXPECT_EQ(Text(*it, "lastStatus"), expected.last_status());
    EXPECT_EQ(Text(*it, "availabilityZone"), expected.availability_zone());
    EXPECT_EQ(Text(*it, "containerInstanceArn"), expected.container_instance_arn());
    EXPECT_EQ(Text(*it, "cpu"), "256");
    // The simulated agent reports a checked container HEALTHY once it runs; the task's
    // only essential container is that one.
    EXPECT_EQ(Text(*it, "healthStatus"), expected.health_status());
    EXPECT_EQ(expected.health_status(), "HEALTHY") << expected.DebugString();
    EXPECT_EQ(

        AttachmentDetail(*it, "privateIPv4Address"),
        expected.attachments(0).details().empty() ? "" : [&] {
          for (const auto& detail : expected.attachments(0).details()) {
            if (detail.name() == "privateIPv4Address") return detail.value();
          }
          return std::string();
        }());
    // botocore turns epoch seconds into ISO 8601 text when it prints.
    EXPECT_FALSE(Text(*it, "createdAt").empty());
  }
  ExpectEnisOf(running, subnet);
  ExpectZones();

  google::protobuf::Value listed = AwsJson({"ecs", "list-tasks", "--cluster", "default"});
  std::vector<std::string> listed_arns;
  for (const google::protobuf::Value& arn : Member(listed, "taskArns").list_value().values()) {
    listed_arns.push_back(arn.string_value());
  }
  EXPECT_THAT(listed_arns, UnorderedElementsAreArray(arns));
  // An empty answer still has its list, as ECS sends it (SDK code indexes it).
  google::protobuf::Value none = AwsJson({"ecs", "list-tasks", "--family", "no-such-family"});
  EXPECT_TRUE(Member(none, "taskArns").has_list_value()) << "taskArns left out";
  EXPECT_TRUE(Member(none, "taskArns").list_value().values().empty());

  google::protobuf::Value stopped =
      AwsJson({"ecs", "stop-task", "--task", arns[0], "--reason", "done with it"});
  EXPECT_EQ(Text(Member(stopped, "task"), "desiredStatus"), "STOPPED");
  std::vector<google::protobuf::Value> after = AwaitStatus({arns[0]}, "STOPPED");
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(Text(after[0], "stoppedReason"), "done with it");
  EXPECT_EQ(Text(after[0], "stopCode"), "UserInitiated");
}

// `aws ec2 describe-* --filters` narrow as EC2's filters do (values OR'ed, filters AND'ed,
// wildcards), gantryctl's --filters agree, and refused requests carry EC2's own codes.
TEST_F(AwsCliE2E, Ec2Filters_AndEc2ErrorCodes) {
  auto vpc = [&](const std::string& cidr) {
    return Text(Member(AwsJson({"ec2", "create-vpc", "--cidr-block", cidr}), "Vpc"), "VpcId");
  };
  auto subnet = [&](const std::string& vpc_id, const std::string& cidr, const std::string& zone) {
    return Text(Member(AwsJson({"ec2", "create-subnet", "--vpc-id", vpc_id, "--cidr-block", cidr,
                                "--availability-zone", zone}),
                       "Subnet"),
                "SubnetId");
  };
  const std::string first = vpc("10.0.0.0/16");
  const std::string second = vpc("10.1.0.0/16");
  const std::string a = subnet(first, "10.0.1.0/24", "us-east-1a");
  const std::string b = subnet(first, "10.0.2.0/24", "us-east-1b");
  const std::string c = subnet(second, "10.1.1.0/24", "us-east-1a");
  AwsJson({"ec2", "create-security-group", "--group-name", "web", "--description", "web tasks",
           "--vpc-id", first});
  AwsJson({"ec2", "create-security-group", "--group-name", "web", "--description", "web tasks",
           "--vpc-id", second});

  // The ids of `list` in the answer to `args`, sorted.
  auto ids = [&](const std::vector<std::string>& args, const std::string& list,
                 const std::string& id) {
    std::vector<std::string> found;
    // Items refers into the answer: keep it alive through the loop.
    const google::protobuf::Value answer = AwsJson(args);
    for (const google::protobuf::Value& item : Items(answer, list)) {
      found.push_back(Text(item, id));
    }
    std::sort(found.begin(), found.end());
    return found;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ids({"ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + first}, "Subnets",
                "SubnetId"),
            sorted({a, b}));
  EXPECT_EQ(ids({"ec2", "describe-subnets", "--filters", "Name=vpc-id,Values=" + first,
                 "Name=availability-zone,Values=us-east-1b"},
                "Subnets", "SubnetId"),
            std::vector<std::string>{b});
  EXPECT_EQ(ids({"ec2", "describe-subnets", "--filters", "Name=subnet-id,Values=" + a + "," + c},
                "Subnets", "SubnetId"),
            sorted({a, c}));
  EXPECT_EQ(ids({"ec2", "describe-subnets", "--filters", "Name=cidr-block,Values=10.1.*"},
                "Subnets", "SubnetId"),
            std::vector<std::string>{c});
  EXPECT_EQ(ids({"ec2", "describe-subnets", "--subnet-ids", a, "--filters",
                 "Name=vpc-id,Values=" + second},
                "Subnets", "SubnetId"),
            std::vector<std::string>{});
  EXPECT_EQ(ids({"ec2", "describe-vpcs", "--filters", "Name=cidr,Values=10.1.0.0/16",
                 "Name=is-default,Values=false", "Name=state,Values=available"},
                "Vpcs", "VpcId"),
            std::vector<std::string>{second});
  EXPECT_EQ(ids({"ec2", "describe-security-groups", "--filters", "Name=vpc-id,Values=" + second,
                 "Name=group-name,Values=w?b"},
                "SecurityGroups", "VpcId"),
            std::vector<std::string>{second});
  EXPECT_EQ(ids({"ec2", "describe-availability-zones", "--filters",
                 "Name=zone-name,Values=us-east-1?", "Name=region-name,Values=us-east-1"},
                "AvailabilityZones", "ZoneName"),
            (std::vector<std::string>{"us-east-1a", "us-east-1b"}));
  EXPECT_EQ(ids({"ec2", "describe-availability-zones", "--filters", "Name=zone-id,Values=*b"},
                "AvailabilityZones", "ZoneName"),
            std::vector<std::string>{"us-east-1b"});
  EXPECT_EQ(ids({"ec2", "describe-network-interfaces", "--filters", "Name=vpc-id,Values=" + first},
                "NetworkInterfaces", "NetworkInterfaceId"),
            std::vector<std::string>{});

  auto ctl = CtlJson<v1::DescribeSubnetsResponse>(
      {"describe-subnets", "--filters", "Name=vpc-id,Values=" + first});
  std::vector<std::string> from_ctl;
  for (const v1::Subnet& s : ctl.subnets()) {
    from_ctl.push_back(s.subnet_id());
  }
  EXPECT_EQ(sorted(from_ctl), sorted({a, b}));

  struct Refused {
    std::vector<std::string> args;
    std::string code;
    std::string message;
  };
  const std::vector<Refused> refused = {
      {{"ec2", "describe-subnets", "--filters", "Name=tag:Name,Values=web"},
       "InvalidParameterValue",
       "\"tag:Name\" is not a filter of DescribeSubnets; use one of availability-zone"},
      {{"ec2", "describe-subnets", "--subnet-ids", "subnet-0123456789abcdef0", "--filters",
        "Name=vpc-id,Values=" + first},
       "InvalidSubnetID.NotFound",
       "subnet-0123456789abcdef0"},
      {{"ec2", "create-subnet", "--vpc-id", first, "--cidr-block", "10.0.9.0/24",
        "--availability-zone", "mars-1a"},
       "InvalidParameterValue",
       "Value (mars-1a) for parameter availabilityZone is invalid. Subnets can currently only be "
       "created in the following availability zones: us-east-1a, us-east-1b"},
      {{"ec2", "create-vpc", "--cidr-block", "10.0.0.0/8"}, "InvalidVpc.Range", "/8"},
      {{"ec2", "create-vpc", "--cidr-block", "10.0.0.0/29"}, "InvalidVpc.Range", "/29"},
      {{"ec2", "create-subnet", "--vpc-id", first, "--cidr-block", "10.0.9.0/29",
        "--availability-zone", "us-east-1a"},
       "InvalidSubnet.Range",
       "/29"},
      {{"ec2", "describe-vpcs", "--vpc-ids", "junk"}, "InvalidVpcID.Malformed", "junk"},
      {{"ec2", "describe-subnets", "--subnet-ids", "junk"}, "InvalidSubnetID.Malformed", "junk"},
      {{"ec2", "describe-network-interfaces", "--network-interface-ids", "junk"},
       "InvalidNetworkInterfaceID.Malformed",
       "junk"},
      {{"ec2", "describe-security-groups", "--group-ids", "junk"},
       "InvalidGroupId.Malformed",
       "junk"},
  };
  for (const Refused& r : refused) {
    SCOPED_TRACE(absl::StrJoin(r.args, " "));
    CommandResult answer = Aws(r.args);
    EXPECT_NE(answer.exit_code, 0) << Describe(answer);
    EXPECT_THAT(answer.err, HasSubstr("(" + r.code + ")")) << Describe(answer);
    EXPECT_THAT(answer.err, HasSubstr(r.message)) << Describe(answer);
  }

  // gRPC callers get INVALID_ARGUMENT with the same message.
  CommandResult ctl_zone =
      Ctl(gantryd_->endpoint(), {"create-subnet", "--vpc-id", first, "--cidr-block", "10.0.9.0/24",
                                 "--availability-zone", "mars-1a"});
  EXPECT_NE(ctl_zone.exit_code, 0) << Describe(ctl_zone);
  EXPECT_THAT(ctl_zone.err, HasSubstr("Value (mars-1a) for parameter availabilityZone is invalid"))
      << Describe(ctl_zone);
}

// Account B, with a key of its own, neither sees nor changes account A's (here: the
// admin's) task, subnet or cluster: every answer is "not found" or empty, and the task
// runs on. B's key does not reach the provider's fleet either.
TEST_F(AwsCliE2E, AnotherAccount_CannotSeeOrStopTheTask) {
  const std::string subnet = MakeNetworkAndHosts();
  ASSERT_NE(agent_, nullptr);
  std::vector<std::string> arns = RegisterAndRun(subnet, 1);
  ASSERT_EQ(arns.size(), 1u);
  const std::vector<google::protobuf::Value> running = AwaitStatus(arns, "RUNNING");
  ASSERT_EQ(running.size(), 1u);
  const std::string task_id = arns[0].substr(arns[0].rfind('/') + 1);
  const auto [account_b, b] = NewAccount("team-b");

  // By ARN or by id, A's task is MISSING for B, as any task that does not exist.
  for (const std::string& ref : {arns[0], task_id}) {
    CommandResult described = Aws({"ecs", "describe-tasks", "--tasks", ref}, b);
    EXPECT_EQ(described.exit_code, 0) << Describe(described);
    EXPECT_THAT(described.out, HasSubstr("MISSING")) << Describe(described);
    EXPECT_THAT(described.out, Not(HasSubstr("RUNNING"))) << Describe(described);
  }
  // As ECS answers a task it cannot find.
  for (const std::string& ref : {arns[0], task_id}) {
    CommandResult stop = Aws({"ecs", "stop-task", "--task", ref}, b);
    EXPECT_NE(stop.exit_code, 0) << Describe(stop);
    EXPECT_THAT(stop.err, HasSubstr("InvalidParameterException")) << Describe(stop);
    EXPECT_THAT(stop.err, HasSubstr("does not exist")) << Describe(stop);
  }
  CommandResult listed = Aws({"ecs", "list-tasks"}, b);
  EXPECT_EQ(listed.exit_code, 0) << Describe(listed);
  EXPECT_THAT(listed.out, Not(HasSubstr(task_id))) << Describe(listed);
  CommandResult subnets = Aws({"ec2", "describe-subnets", "--subnet-ids", subnet}, b);
  EXPECT_NE(subnets.exit_code, 0) << Describe(subnets);
  EXPECT_THAT(subnets.err, HasSubstr("InvalidSubnetID.NotFound")) << Describe(subnets);
  const std::string eni = AttachmentDetail(running[0], "networkInterfaceId");
  google::protobuf::Value b_enis = AwsJson({"ec2", "describe-network-interfaces"}, b);
  EXPECT_TRUE(Items(b_enis, "NetworkInterfaces").empty()) << eni;
  CommandResult a_eni =
      Aws({"ec2", "describe-network-interfaces", "--network-interface-ids", eni}, b);
  EXPECT_NE(a_eni.exit_code, 0) << Describe(a_eni);
  EXPECT_THAT(a_eni.err, HasSubstr("InvalidNetworkInterfaceID.NotFound")) << Describe(a_eni);
  CommandResult definitions =
      Aws({"ecs", "describe-task-definition", "--task-definition", "web"}, b);
  EXPECT_NE(definitions.exit_code, 0) << Describe(definitions);
  // B's ARNs carry B's account.
  google::protobuf::Value clusters = AwsJson({"ecs", "list-clusters"}, b);
  EXPECT_THAT(Member(clusters, "clusterArns").list_value().values(0).string_value(),
              HasSubstr(absl::StrCat(":", account_b, ":cluster/default")));

  // A's task is untouched.
  std::vector<google::protobuf::Value> still = AwaitStatus(arns, "RUNNING");
  ASSERT_EQ(still.size(), 1u);
  EXPECT_EQ(Text(still[0], "desiredStatus"), "RUNNING");

  // The fleet is the provider's: B's key is refused there, through gRPC too.
  CommandResult capacity =
      Ctl(gantryd_->endpoint(), {"--credentials-file", b.string(), "capacity"});
  EXPECT_EQ(capacity.exit_code, 1) << Describe(capacity);
  EXPECT_THAT(capacity.err, HasSubstr("PERMISSION_DENIED")) << Describe(capacity);
  CommandResult instances = Aws({"ecs", "list-container-instances"}, b);
  EXPECT_NE(instances.exit_code, 0) << Describe(instances);
  EXPECT_THAT(instances.err, HasSubstr("AccessDeniedException")) << Describe(instances);
}

TEST_F(AwsCliE2E, WrongSecret_InvalidSignature) {
  std::ifstream in(credentials_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t secret = text.find("aws_secret_access_key = ");
  ASSERT_NE(secret, std::string::npos);
  const size_t at = secret + std::string("aws_secret_access_key = ").size();
  text[at] = text[at] == 'A' ? 'B' : 'A';
  CommandResult r = Aws({"ecs", "list-clusters"}, WriteFile("wrong-secret", text));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("InvalidSignatureException")) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("signature")) << Describe(r);
}

TEST_F(AwsCliE2E, UnknownKey_UnrecognizedClient) {
  CommandResult r = Aws({"ecs", "list-clusters"},
                        WriteFile("stranger",
                                  "[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                                  "aws_secret_access_key = "
                                  "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"));
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("UnrecognizedClientException")) << Describe(r);
}

TEST_F(AwsCliE2E, UnsignedRequest_MissingAuthenticationToken) {
  CommandResult r = Aws({"--no-sign-request", "ecs", "list-clusters"});
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("MissingAuthenticationTokenException")) << Describe(r);
}

TEST_F(AwsCliE2E, ListClustersAndUnimplementedOperation) {
  google::protobuf::Value clusters = AwsJson({"ecs", "list-clusters"});
  ASSERT_EQ(Member(clusters, "clusterArns").list_value().values_size(), 1);
  EXPECT_THAT(Member(clusters, "clusterArns").list_value().values(0).string_value(),
              HasSubstr(":cluster/default"));
  CommandResult r = Aws({"ecs", "list-services", "--cluster", "default"});
  EXPECT_NE(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("UnknownOperationException")) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("ListServices")) << Describe(r);
}

}  // namespace
}  // namespace gantry::testing
