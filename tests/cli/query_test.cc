// --query (the JMESPath subset), the JSON tree of a response, and --output text.
#include "cli/internal/query.h"

#include <string>
#include <vector>

#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"
#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cli/cli.h"
#include "ecsjson/ecsjson.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::cli::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

// A tree from JSON text (object members come out sorted by name).
JsonNode Tree(const std::string& json) {
  absl::StatusOr<google::protobuf::Value> value = ecsjson::ParseJson(json);
  EXPECT_THAT(value, IsOk()) << json;
  return value.ok() ? JsonTreeOf(*value) : JsonNode{};
}

// The compact JSON of a tree, members in the tree's order, for comparing results.
std::string Compact(const JsonNode& node) {
  switch (node.kind) {
    case JsonNode::Kind::kNull:
      return "null";
    case JsonNode::Kind::kBool:
      return node.boolean ? "true" : "false";
    case JsonNode::Kind::kNumber:
      return node.text;
    case JsonNode::Kind::kString:
      return absl::StrCat("\"", node.text, "\"");
    case JsonNode::Kind::kArray:
      return absl::StrCat("[",
                          absl::StrJoin(node.elements, ",",
                                        [](std::string* out, const JsonNode& element) {
                                          out->append(Compact(element));
                                        }),
                          "]");
    case JsonNode::Kind::kObject:
      return absl::StrCat(
          "{",
          absl::StrJoin(node.members, ",",
                        [](std::string* out, const std::pair<std::string, JsonNode>& member) {
                          absl::StrAppend(out, "\"", member.first, "\":", Compact(member.second));
                        }),
          "}");
  }
  return "?";
}

constexpr char kDocument[] = R"json({
  "Subnets": [
    {"SubnetId": "subnet-a", "AvailableIpAddressCount": 251, "Tags": [{"Key": "k", "Value": "1"}]},
    {"SubnetId": "subnet-b", "AvailableIpAddressCount": 11, "Tags": []},
    {"AvailableIpAddressCount": 5}
  ],
  "tasks": [
    {"taskArn": "t1", "containers": [{"name": "app", "exitCode": 0}, {"name": "log"}]},
    {"taskArn": "t2", "containers": [{"name": "web"}]}
  ],
  "grid": [[1, 2], [3], 4],
  "Vpc": {"VpcId": "vpc-1", "State": "available", "IsDefault": false},
  "odd-name": "yes",
  "nothing": null
})json";

TEST(Query, Evaluate_FollowsJmespath) {
  struct Case {
    std::string expression;
    std::string want;  // compact JSON
  };
  const Case cases[] = {
      {"Vpc.VpcId", R"("vpc-1")"},
      {"Vpc", R"({"IsDefault":false,"State":"available","VpcId":"vpc-1"})"},
      {"Vpc.Missing", "null"},
      {"Vpc.VpcId.deeper", "null"},
      {"Missing.VpcId", "null"},
      {"Subnets[0].SubnetId", R"("subnet-a")"},
      {"Subnets[-1].AvailableIpAddressCount", "5"},
      {"Subnets[-3].SubnetId", R"("subnet-a")"},
      {"Subnets[3]", "null"},
      {"Subnets[-4]", "null"},
      {"Vpc[0]", "null"},
      {"Subnets[*].SubnetId", R"(["subnet-a","subnet-b"])"},
      {"Subnets[].SubnetId", R"(["subnet-a","subnet-b"])"},
      {"Subnets[*].AvailableIpAddressCount", "[251,11,5]"},
      {"Subnets[*].Tags[*].Key", R"([["k"],[]])"},
      {"Subnets[].Tags[].Key", R"(["k"])"},
      {"Subnets[*].Tags[].Key", R"(["k"])"},
      {"Subnets[*].Tags[0].Value", R"(["1"])"},
      {"tasks[*].containers[*].name", R"([["app","log"],["web"]])"},
      {"tasks[].containers[].name", R"(["app","log","web"])"},
      {"tasks[0].containers[-1].name", R"("log")"},
      {"tasks[*].containers[0]", R"([{"exitCode":0,"name":"app"},{"name":"web"}])"},
      {"tasks[*]", R"([{"containers":[{"exitCode":0,"name":"app"},{"name":"log"}],"taskArn":"t1"},)"
                   R"({"containers":[{"name":"web"}],"taskArn":"t2"}])"},
      {"grid[]", "[1,2,3,4]"},
      {"grid[*]", "[[1,2],[3],4]"},
      {"grid[][0]", "[]"},  // [] flattens first, then [0] applies to each number
      {"grid[*][0]", "[1,3]"},
      {"Vpc[*]", "null"},
      {"Vpc[]", "null"},
      {R"("odd-name")", R"("yes")"},
      {R"(Vpc."VpcId")", R"("vpc-1")"},
      {"nothing", "null"},
      {" Vpc . VpcId ", R"("vpc-1")"},
      {"[*]", "null"},
  };
  const JsonNode document = Tree(kDocument);
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expression);
    absl::StatusOr<Query> query = Query::Parse(c.expression);
    ASSERT_THAT(query, IsOk());
    EXPECT_EQ(Compact(query->Evaluate(document)), c.want);
  }
}

TEST(Query, RootList_IndexAndProjection) {
  const JsonNode list = Tree(R"([{"a": 1}, {"a": 2}, {"b": 3}])");
  absl::StatusOr<Query> first = Query::Parse("[0].a");
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(Compact(first->Evaluate(list)), "1");
  absl::StatusOr<Query> all = Query::Parse("[*].a");
  ASSERT_THAT(all, IsOk());
  EXPECT_EQ(Compact(all->Evaluate(list)), "[1,2]");
  absl::StatusOr<Query> flat = Query::Parse("[].a");
  ASSERT_THAT(flat, IsOk());
  EXPECT_EQ(Compact(flat->Evaluate(list)), "[1,2]");
}

TEST(Query, Malformed_UsageErrorsNameTheProblem) {
  struct Case {
    std::string expression;
    std::string want;
  };
  const Case cases[] = {
      {"", "--query: the expression is empty"},
      {"   ", "--query: the expression is empty"},
      {"a.", "--query: expected a name after \".\", got the end"},
      {"a..b", "--query: expected a name after \".\", got \".\" at character 3"},
      {".a", "--query: expected a name or \"[\", got \".\" at character 1"},
      {"a[", "--query: expected an index or \"*\" after \"[\", got the end"},
      {"a[0", "--query: expected \"]\", got the end"},
      {"a[x]", "--query: expected an index or \"*\" after \"[\", got name \"x\" at character 3"},
      {"a[*", "--query: expected \"]\", got the end"},
      {"a[-]", "--query: \"-\" is not an index at character 3"},
      {"a[99999999999999999999]", "is not an index at character 3"},
      {"a b", "--query: unexpected name \"b\" at character 3"},
      {"a]", "--query: unexpected \"]\" at character 2"},
      {"a.1", "--query: expected a name after \".\", got number 1 at character 3"},
      {"a[?b==`1`]",
       "--query: filter expressions [?...] (at character 2) are not supported; "
       "use a.b, a[0], a[-1], a[*].b or a[].b"},
      {"a | b", "pipes |"},
      {"a.{x: b}", "multi-select hashes"},
      {"a[0:2]", "slices"},
      {"length(a)", "functions"},
      {"a.*", "--query: object wildcards .* (at character 3) are not supported; use a.b"},
      {"a.[b]", "--query: multi-select lists .[a, b] (at character 3) are not supported"},
      {"a.[b, c]", "--query: multi-select lists [a, b] (at character 5) are not supported"},
      {"*", "--query: object wildcards * (at character 1) are not supported"},
      {"a.`1`", "literals"},
      {"@", "current-node references"},
      {"a == b", "comparisons"},
      {"\"abc", "--query: the quote opened at character 1 is not closed"},
      {R"("a\qb")", "--query: unsupported escape \"\\q\" at character 3"},
      {"a#", "--query: unexpected \"#\" at character 2"},
      {std::string(1001, 'a'), "--query: the expression is longer than 1000 characters"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.expression);
    EXPECT_THAT(Query::Parse(c.expression), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(FormatText, ScalarsListsObjects_AsTheAwsCli) {
  struct Case {
    std::string name;
    std::string json;
    std::string want;
  };
  const Case cases[] = {
      {"string", R"("vpc-1")", "vpc-1\n"},
      {"number", "251", "251\n"},
      {"big number", "1718000000.123", "1718000000.123\n"},
      {"booleans and null", "[true, false, null]", "True\tFalse\tNone\n"},
      {"null", "null", "None\n"},
      {"list of scalars", R"(["subnet-a", "subnet-b"])", "subnet-a\tsubnet-b\n"},
      {"empty list", "[]", ""},
      {"list of lists", R"([["a", "b"], ["c"], []])", "a\tb\nc\n"},
      {"object: scalars in name order", R"({"VpcId": "vpc-1", "CidrBlock": "10.0.0.0/16"})",
       "10.0.0.0/16\tvpc-1\n"},
      {"list of objects", R"([{"id": "a", "n": 1}, {"id": "b", "n": 2}])", "a\t1\nb\t2\n"},
      {"nested members labelled",
       R"({"Subnets": [{"SubnetId": "s-1", "Tags": [{"Key": "k", "Value": "v"}]},
                      {"SubnetId": "s-2"}]})",
       "SUBNETS\ts-1\nTAGS\tk\tv\nSUBNETS\ts-2\n"},
      {"scalars before nested", R"({"b": {"c": 1}, "a": "x"})", "x\nB\t1\n"},
      {"list member of scalars", R"({"name": "n", "command": ["sleep", "60"]})",
       "n\nCOMMAND\tsleep\t60\n"},
      {"mixed list", R"([1, [2, 3]])", "1\n2\t3\n"},
      {"empty object", "{}", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FormatText(Tree(c.json)), c.want);
  }
}

v1::DescribeTasksResponse SampleTasks() {
  v1::DescribeTasksResponse response;
  v1::Task* task = response.add_tasks();
  task->set_task_arn("arn:aws:ecs:us-east-1:000000000000:task/default/0c1d");
  task->set_last_status("RUNNING");
  task->set_cpu("256");
  task->set_created_at(1718000000.123);
  task->set_started_at(1718000001);
  task->set_version(3);
  task->set_enable_execute_command(false);
  task->set_stopped_reason("quote \" backslash \\ <tag> tab\t line\n\x01 caf\xc3\xa9 \xe2\x80\xa8");
  v1::Container* container = task->add_containers();
  container->set_name("app");
  container->set_exit_code(0);
  v1::Attachment* eni = task->add_attachments();
  eni->set_type("ElasticNetworkInterface");
  v1::KeyValuePair* ip = eni->add_details();
  ip->set_name("privateIPv4Address");
  ip->set_value("10.0.1.17");
  task->mutable_overrides();  // present but empty: {}
  v1::Failure* failure = response.add_failures();
  failure->set_arn("gone");
  failure->set_reason("MISSING");
  return response;
}

// The same JSON document, member order aside (protobuf's printer puts members
// without presence first; the tree keeps field-number order).
void ExpectSameJson(const std::string& actual, const std::string& expected) {
  absl::StatusOr<google::protobuf::Value> a = ecsjson::ParseJson(actual);
  absl::StatusOr<google::protobuf::Value> b = ecsjson::ParseJson(expected);
  ASSERT_THAT(a.status(), IsOk()) << actual;
  ASSERT_THAT(b.status(), IsOk()) << expected;
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(*a, *b)) << actual << "\nis not\n"
                                                                          << expected;
}

// The tree prints what --output json prints without a query, empty lists included.
TEST(JsonTreeOf, PrintsAsEcsjsonDoes) {
  v1::DescribeTasksResponse tasks = SampleTasks();
  const std::string printed = FormatJsonTree(JsonTreeOf(tasks));
  ExpectSameJson(printed, ecsjson::ToJson(tasks, /*pretty=*/true, ecsjson::EmptyLists::kPrint));
  EXPECT_THAT(printed, ::testing::HasSubstr("\"networkBindings\": []"));
  // Escaping as protobuf's printer does it.
  EXPECT_THAT(printed, ::testing::HasSubstr(
                           R"("quote \" backslash \\ \u003ctag\u003e tab\t line\n\u0001 caf)"));
  v1::ContainerInstance instance;
  instance.set_container_instance_arn("arn:ci/1");
  v1::Resource* resource = instance.add_remaining_resources();
  resource->set_name("MEMORY");
  resource->set_long_value(8589934592);  // int64: a string in proto3 JSON
  resource->set_double_value(0.1);
  resource->add_string_set_value("a");
  instance.set_agent_connected(true);
  ExpectSameJson(FormatJsonTree(JsonTreeOf(instance)),
                 ecsjson::ToJson(instance, true, ecsjson::EmptyLists::kPrint));
  EXPECT_EQ(FormatJsonTree(JsonTreeOf(v1::CreateVpcResponse())), "{}\n");
  EXPECT_EQ(Compact(JsonTreeOf(v1::ListTasksResponse())), R"({"taskArns":[]})");
}

TEST(JsonTreeOf, MapEntriesSortedByKey) {
  v1::ContainerDefinition definition;
  (*definition.mutable_docker_labels())["b"] = "2";
  (*definition.mutable_docker_labels())["a"] = "1";
  EXPECT_EQ(FormatText(JsonTreeOf(definition)), "DOCKERLABELS\t1\t2\n");
  EXPECT_THAT(Compact(JsonTreeOf(definition)),
              ::testing::HasSubstr(R"("dockerLabels":{"a":"1","b":"2"})"));
}

}  // namespace
}  // namespace gantry::cli::internal

namespace gantry::cli {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

v1::DescribeSubnetsResponse Subnets() {
  v1::DescribeSubnetsResponse response;
  for (const char* id : {"subnet-0a1b", "subnet-2c3d"}) {
    v1::Subnet* subnet = response.add_subnets();
    subnet->set_subnet_id(id);
    subnet->set_vpc_id("vpc-1");
    subnet->set_cidr_block("10.0.1.0/24");
    subnet->set_available_ip_address_count(251);
    subnet->set_default_for_az(false);
  }
  return response;
}

TEST(FormatOutput, JsonOrText_AfterTheQuery) {
  v1::CreateVpcResponse vpc;
  vpc.mutable_vpc()->set_vpc_id("vpc-0a1b2c3d");
  vpc.mutable_vpc()->set_cidr_block("10.0.0.0/16");
  vpc.mutable_vpc()->set_state("available");
  struct Case {
    std::string name;
    const google::protobuf::Message* response;
    OutputFormat output;
    std::string query;
    std::string want;
  };
  const v1::DescribeSubnetsResponse subnets = Subnets();
  const v1::DeleteSubnetResponse deleted;
  const Case cases[] = {
      {"bare id", &vpc, OutputFormat::kText, "Vpc.VpcId", "vpc-0a1b2c3d\n"},
      {"json of a string", &vpc, OutputFormat::kJson, "Vpc.VpcId", "\"vpc-0a1b2c3d\"\n"},
      {"json of an object", &vpc, OutputFormat::kJson, "Vpc",
       "{\n  \"VpcId\": \"vpc-0a1b2c3d\",\n  \"State\": \"available\",\n"
       "  \"CidrBlock\": \"10.0.0.0/16\"\n}\n"},
      {"ids on one line", &subnets, OutputFormat::kText, "Subnets[*].SubnetId",
       "subnet-0a1b\tsubnet-2c3d\n"},
      {"json list", &subnets, OutputFormat::kJson, "Subnets[].SubnetId",
       "[\n  \"subnet-0a1b\",\n  \"subnet-2c3d\"\n]\n"},
      {"whole response as text", &subnets, OutputFormat::kText, "",
       "SUBNETS\t251\t10.0.1.0/24\tFalse\tsubnet-0a1b\tvpc-1\n"
       "SUBNETS\t251\t10.0.1.0/24\tFalse\tsubnet-2c3d\tvpc-1\n"},
      {"null selection as text", &vpc, OutputFormat::kText, "Vpc.Nope", "None\n"},
      {"null selection as json", &vpc, OutputFormat::kJson, "Vpc.Nope", "null\n"},
      {"json without query", &vpc, OutputFormat::kJson, "",
       "{\n  \"Vpc\": {\n    \"VpcId\": \"vpc-0a1b2c3d\",\n    \"State\": \"available\",\n"
       "    \"CidrBlock\": \"10.0.0.0/16\"\n  }\n}\n"},
      {"memberless response prints nothing", &deleted, OutputFormat::kJson, "", ""},
      {"memberless response as text", &deleted, OutputFormat::kText, "", ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<std::string> got = FormatOutput(*c.response, c.output, c.query);
    ASSERT_THAT(got, IsOk());
    EXPECT_EQ(*got, c.want);
  }
  EXPECT_THAT(FormatOutput(vpc, OutputFormat::kText, "Vpc["),
              StatusIs(absl::StatusCode::kInvalidArgument, "--query:"));
  EXPECT_THAT(FormatOutput(vpc, OutputFormat::kTable, ""),
              StatusIs(absl::StatusCode::kInvalidArgument, "tables"));
}

}  // namespace
}  // namespace gantry::cli
