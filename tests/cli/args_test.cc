// Argument parsing and request building of gantryctl.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::cli {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct UsageErrorCase {
  std::string name;
  std::vector<std::string> args;
  std::string want;  // substring of the message
};

TEST(ParseArgs, UsageErrors_NameTheProblem) {
  const UsageErrorCase cases[] = {
      {"no arguments", {}, "missing command"},
      {"only global flags", {"--output", "json"}, "missing command"},
      {"unknown command", {"list-cluster"}, "unknown command \"list-cluster\""},
      {"unknown flag", {"list-clusters", "--bogus", "1"}, "unknown flag --bogus for list-clusters"},
      {"command flag before command",
       {"--cluster-name", "x", "create-cluster"},
       "unknown flag --cluster-name"},
      {"flag of another command",
       {"list-clusters", "--clusters", "a"},
       "unknown flag --clusters for list-clusters"},
      {"missing required flag",
       {"describe-task-definition"},
       "missing required flag --task-definition for describe-task-definition"},
      {"missing required register input",
       {"register-task-definition"},
       "missing required flag --cli-input-json"},
      {"flag without value at end",
       {"list-clusters", "--max-results"},
       "--max-results needs a value"},
      {"flag followed by flag",
       {"list-clusters", "--next-token", "--max-results", "1"},
       "--next-token needs a value"},
      {"list flag without values",
       {"describe-clusters", "--clusters"},
       "--clusters needs at least one value"},
      {"repeated single flag",
       {"create-cluster", "--cluster-name", "a", "--cluster-name", "b"},
       "--cluster-name given more than once"},
      {"stray positional",
       {"list-clusters", "extra"},
       "unexpected argument \"extra\" for list-clusters"},
      {"bad output", {"--output", "yaml", "list-clusters"}, "--output: \"yaml\""},
      {"repeated endpoint",
       {"--endpoint", "a:1", "list-clusters", "--endpoint", "b:2"},
       "--endpoint given more than once"},
      {"endpoint without value", {"list-clusters", "--endpoint"}, "--endpoint needs a value"},
      {"help for unknown command", {"help", "nope"}, "unknown command \"nope\""},
  };
  for (const UsageErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseArgs(c.args, ""), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(ParseArgs, GlobalFlags_BeforeOrAfterCommand) {
  absl::StatusOr<Invocation> before =
      ParseArgs({"--endpoint", "h:1", "--output", "json", "list-clusters"}, "");
  ASSERT_THAT(before, IsOk());
  EXPECT_EQ(before->endpoint, "h:1");
  EXPECT_EQ(before->output, OutputFormat::kJson);
  EXPECT_EQ(before->command, "list-clusters");

  absl::StatusOr<Invocation> after =
      ParseArgs({"list-clusters", "--max-results", "5", "--output=json", "--endpoint=h:2"}, "");
  ASSERT_THAT(after, IsOk());
  EXPECT_EQ(after->endpoint, "h:2");
  EXPECT_EQ(after->output, OutputFormat::kJson);
  EXPECT_EQ(after->Value("max-results"), "5");
}

TEST(ParseArgs, Endpoint_DefaultsToEnvironmentThenLoopback) {
  absl::StatusOr<Invocation> from_env = ParseArgs({"list-clusters"}, "env-host:7");
  ASSERT_THAT(from_env, IsOk());
  EXPECT_EQ(from_env->endpoint, "env-host:7");
  EXPECT_EQ(from_env->output, OutputFormat::kTable);

  absl::StatusOr<Invocation> fallback = ParseArgs({"list-clusters"}, "");
  ASSERT_THAT(fallback, IsOk());
  EXPECT_EQ(fallback->endpoint, "127.0.0.1:50051");

  absl::StatusOr<Invocation> flag_wins = ParseArgs({"list-clusters", "--endpoint", "f:1"}, "e:2");
  ASSERT_THAT(flag_wins, IsOk());
  EXPECT_EQ(flag_wins->endpoint, "f:1");
}

TEST(ParseArgs, ListFlags_CollectValuesUntilNextFlag) {
  absl::StatusOr<Invocation> inv = ParseArgs(
      {"describe-clusters", "--clusters", "a", "b", "c", "--include", "TAGS", "--clusters", "d"},
      "");
  ASSERT_THAT(inv, IsOk());
  EXPECT_THAT(inv->Values("clusters"), ElementsAre("a", "b", "c", "d"));
  EXPECT_THAT(inv->Values("include"), ElementsAre("TAGS"));
  EXPECT_FALSE(inv->Has("tags"));
  EXPECT_THAT(inv->Values("tags"), ElementsAre());
}

TEST(ParseArgs, StdinMarker_IsAValue) {
  absl::StatusOr<Invocation> inv =
      ParseArgs({"register-task-definition", "--cli-input-json", "-"}, "");
  ASSERT_THAT(inv, IsOk());
  EXPECT_EQ(inv->Value("cli-input-json"), "-");
}

TEST(ParseArgs, Help_SkipsRequiredFlags) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want_command;
  };
  const Case cases[] = {
      {"help word", {"help"}, ""},
      {"help command", {"help", "describe-task-definition"}, "describe-task-definition"},
      {"--help after command", {"describe-task-definition", "--help"}, "describe-task-definition"},
      {"-h alone", {"-h"}, ""},
      {"--help before command", {"--help", "register-task-definition"}, "register-task-definition"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Invocation> inv = ParseArgs(c.args, "");
    ASSERT_THAT(inv, IsOk());
    EXPECT_TRUE(inv->help);
    EXPECT_EQ(inv->command, c.want_command);
  }
}

TEST(Help, EveryCommandListsItsFlagsWithExamples) {
  std::string general = GeneralHelp();
  for (const CommandSpec& command : Commands()) {
    SCOPED_TRACE(std::string(command.name));
    EXPECT_THAT(general, HasSubstr(std::string(command.name)));
    std::string help = CommandHelp(command);
    EXPECT_THAT(help, HasSubstr("Example:\n  gantryctl " + std::string(command.name)));
    for (const FlagSpec& flag : command.flags) {
      EXPECT_THAT(help, HasSubstr("--" + std::string(flag.name)));
      EXPECT_THAT(help, HasSubstr("Example: " + std::string(flag.example)));
    }
  }
}

TEST(BuildRequests, ListTaskDefinitions_CopiesEveryFlag) {
  absl::StatusOr<Invocation> inv =
      ParseArgs({"list-task-definitions", "--family-prefix", "web", "--status", "INACTIVE",
                 "--sort", "DESC", "--max-results", "3", "--next-token", "tok"},
                "");
  ASSERT_THAT(inv, IsOk());
  absl::StatusOr<v1::ListTaskDefinitionsRequest> request = BuildListTaskDefinitionsRequest(*inv);
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->family_prefix(), "web");
  EXPECT_EQ(request->status(), "INACTIVE");
  EXPECT_EQ(request->sort(), "DESC");
  EXPECT_EQ(request->max_results(), 3);
  EXPECT_EQ(request->next_token(), "tok");
}

TEST(BuildRequests, AbsentFlags_LeaveFieldsUnset) {
  absl::StatusOr<Invocation> inv = ParseArgs({"list-task-definition-families"}, "");
  ASSERT_THAT(inv, IsOk());
  absl::StatusOr<v1::ListTaskDefinitionFamiliesRequest> request =
      BuildListTaskDefinitionFamiliesRequest(*inv);
  ASSERT_THAT(request, IsOk());
  EXPECT_FALSE(request->has_family_prefix());
  EXPECT_FALSE(request->has_status());
  EXPECT_FALSE(request->has_max_results());
  EXPECT_FALSE(request->has_next_token());

  absl::StatusOr<Invocation> create = ParseArgs({"create-cluster"}, "");
  ASSERT_THAT(create, IsOk());
  absl::StatusOr<v1::CreateClusterRequest> create_request = BuildCreateClusterRequest(*create);
  ASSERT_THAT(create_request, IsOk());
  EXPECT_FALSE(create_request->has_cluster_name());
  EXPECT_EQ(create_request->tags_size(), 0);
}

TEST(BuildRequests, MaxResultsNotInteger_IsUsageError) {
  for (std::string value : {"ten", "1.5", "", "99999999999"}) {
    SCOPED_TRACE(value);
    absl::StatusOr<Invocation> inv = ParseArgs({"list-clusters", "--max-results=" + value}, "");
    ASSERT_THAT(inv, IsOk());
    EXPECT_THAT(BuildListClustersRequest(*inv),
                StatusIs(absl::StatusCode::kInvalidArgument, "--max-results: \"" + value + "\""));
  }
}

TEST(BuildRequests, CreateCluster_NameAndTags) {
  absl::StatusOr<Invocation> inv = ParseArgs({"create-cluster", "--cluster-name", "prod", "--tags",
                                              "key=team,value=core", "Key=env,Value="},
                                             "");
  ASSERT_THAT(inv, IsOk());
  absl::StatusOr<v1::CreateClusterRequest> request = BuildCreateClusterRequest(*inv);
  ASSERT_THAT(request, IsOk());
  EXPECT_EQ(request->cluster_name(), "prod");
  ASSERT_EQ(request->tags_size(), 2);
  EXPECT_EQ(request->tags(0).key(), "team");
  EXPECT_EQ(request->tags(0).value(), "core");
  EXPECT_EQ(request->tags(1).key(), "env");
  EXPECT_TRUE(request->tags(1).has_value());
  EXPECT_EQ(request->tags(1).value(), "");
}

TEST(ParseTags, Malformed_NamesTheTag) {
  struct Case {
    std::string name;
    std::string tag;
    std::string want;
  };
  const Case cases[] = {
      {"no equals", "team", "--tags: \"team\" is not a tag"},
      {"unknown member", "name=a,value=b", "--tags: \"name=a,value=b\" is not a tag"},
      {"no key", "value=b", "--tags: \"value=b\" has no key"},
      {"key twice", "key=a,key=b",
       "--tags: \"key=a,key=b\" is not a tag: \"key\" is given more than once"},
      {"key twice in another case", "key=a,KEY=b", "gives key more than once"},
      {"empty", "", "is not a tag"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseTags({c.tag}), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

TEST(ClassifyCliInputJson, FileStdinOrLiteral) {
  EXPECT_EQ(ClassifyCliInputJson("file://td.json").kind, JsonSource::Kind::kFile);
  EXPECT_EQ(ClassifyCliInputJson("file://td.json").value, "td.json");
  EXPECT_EQ(ClassifyCliInputJson("file:///abs/td.json").value, "/abs/td.json");
  EXPECT_EQ(ClassifyCliInputJson("-").kind, JsonSource::Kind::kStdin);
  JsonSource literal = ClassifyCliInputJson("{\"family\":\"x\"}");
  EXPECT_EQ(literal.kind, JsonSource::Kind::kLiteral);
  EXPECT_EQ(literal.value, "{\"family\":\"x\"}");
}

TEST(ParseArgs, QueryAndTextOutput) {
  struct Case {
    std::string name;
    std::vector<std::string> args;
    std::string want_error;  // empty: parses
    OutputFormat want_output;
    std::string want_query;
  };
  const Case cases[] = {
      {"text", {"--output", "text", "list-clusters"}, "", OutputFormat::kText, ""},
      {"query implies json",
       {"describe-vpcs", "--query", "Vpcs[0]"},
       "",
       OutputFormat::kJson,
       "Vpcs[0]"},
      {"query with text",
       {"create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.VpcId", "--output", "text"},
       "",
       OutputFormat::kText,
       "Vpc.VpcId"},
      {"inline query",
       {"--query=Subnets[*].SubnetId", "describe-subnets", "--output=text"},
       "",
       OutputFormat::kText,
       "Subnets[*].SubnetId"},
      {"query with json",
       {"--output", "json", "--query", "a", "list-clusters"},
       "",
       OutputFormat::kJson,
       "a"},
      {"query with table",
       {"list-clusters", "--output", "table", "--query", "clusterArns"},
       "--query needs --output json or text",
       OutputFormat::kTable,
       ""},
      {"malformed query",
       {"describe-subnets", "--query", "Subnets[*"},
       "--query: expected \"]\", got the end",
       OutputFormat::kTable,
       ""},
      {"query twice",
       {"describe-subnets", "--query", "a", "--query", "b"},
       "--query given more than once",
       OutputFormat::kTable,
       ""},
      {"query without value",
       {"describe-subnets", "--query"},
       "--query needs a value",
       OutputFormat::kTable,
       ""},
      {"bad output",
       {"--output", "yaml", "list-clusters"},
       "--output: \"yaml\" is not an output format; use table, json or text",
       OutputFormat::kTable,
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<Invocation> inv = ParseArgs(c.args, "");
    if (!c.want_error.empty()) {
      EXPECT_THAT(inv, StatusIs(absl::StatusCode::kInvalidArgument, c.want_error));
      continue;
    }
    ASSERT_THAT(inv, IsOk());
    EXPECT_EQ(inv->output, c.want_output);
    EXPECT_EQ(inv->query, c.want_query);
  }
}

}  // namespace
}  // namespace gantry::cli
