// gantryctl's Run() on paths that end before any RPC: help, usage errors and local
// --cli-input-json errors. Paths that talk to gantryd are covered by tests/e2e.
#include <sstream>
#include <string>
#include <vector>

#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::cli {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

struct Result {
  int exit_code;
  std::string out;
  std::string err;
};

Result RunWith(const std::vector<std::string>& args, const std::string& stdin_text = "") {
  std::istringstream in(stdin_text);
  std::ostringstream out;
  std::ostringstream err;
  int exit_code = Run(args, "", in, out, err);
  return {exit_code, out.str(), err.str()};
}

TEST(Run, Help_PrintsToStdoutAndExitsZero) {
  struct Case {
    std::vector<std::string> args;
    std::string want;
  };
  const Case cases[] = {
      {{"help"}, "Usage: gantryctl [--endpoint HOST:PORT]"},
      {{"--help"}, "Commands:"},
      {{"help", "list-task-definitions"}, "Usage: gantryctl list-task-definitions"},
      {{"deregister-task-definition", "--help"}, "--task-definition FAMILY:REVISION"},
      {{"register-task-definition", "-h"}, "--cli-input-json JSON"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want);
    Result r = RunWith(c.args);
    EXPECT_EQ(r.exit_code, kExitOk);
    EXPECT_THAT(r.out, HasSubstr(c.want));
    EXPECT_THAT(r.err, IsEmpty());
  }
}

TEST(Run, UsageError_ExitsTwoNamingTheProblem) {
  struct Case {
    std::vector<std::string> args;
    std::string want_err;
    std::string want_hint;
  };
  const Case cases[] = {
      {{}, "gantryctl: missing command\n", "Run 'gantryctl help'"},
      {{"frobnicate"}, "gantryctl: unknown command \"frobnicate\"\n", "Run 'gantryctl help'"},
      {{"list-clusters", "--colour", "red"},
       "unknown flag --colour for list-clusters",
       "Run 'gantryctl list-clusters --help'"},
      {{"deregister-task-definition"},
       "missing required flag --task-definition",
       "Run 'gantryctl deregister-task-definition --help'"},
      {{"list-clusters", "--max-results", "lots"},
       "--max-results: \"lots\" is not an integer",
       "Run 'gantryctl list-clusters --help'"},
      {{"create-cluster", "--tags", "team=core"},
       "--tags: \"team=core\" is not a tag",
       "Run 'gantryctl create-cluster --help'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want_err);
    Result r = RunWith(c.args);
    EXPECT_EQ(r.exit_code, kExitUsage);
    EXPECT_THAT(r.out, IsEmpty());
    EXPECT_THAT(r.err, HasSubstr(c.want_err));
    EXPECT_THAT(r.err, HasSubstr(c.want_hint));
  }
}

TEST(Run, NewCommands_UsageErrorsBeforeAnyRpc) {
  struct Case {
    std::vector<std::string> args;
    std::string want_err;
    std::string want_hint;
  };
  const std::string net = "awsvpcConfiguration={subnets=[subnet-a]}";
  const Case cases[] = {
      {{"run-task", "--task-definition", "web", "--network-configuration",
        "awsvpcConfiguration={subnets=[subnet-a}"},
       "gantryctl: --network-configuration: unexpected \"}\"",
       "Run 'gantryctl run-task --help'"},
      {{"run-task", "--task-definition", "web", "--network-configuration", net, "--overrides",
        "{\"cpu\": 256}"},
       "gantryctl: --overrides: cpu",
       "Run 'gantryctl run-task --help'"},
      {{"run-task", "--task-definition", "web", "--network-configuration", net, "--count", "x"},
       "--count: \"x\" is not an integer",
       "Run 'gantryctl run-task --help'"},
      {{"register-container-instance", "--availability-zone", "a", "--cpu", "1k", "--memory", "1"},
       "--cpu: \"1k\" is not an integer",
       "Run 'gantryctl register-container-instance --help'"},
      {{"create-subnet", "--vpc-id", "vpc-1"},
       "missing required flag --cidr-block for create-subnet",
       "Run 'gantryctl create-subnet --help'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want_err);
    Result r = RunWith(c.args);
    EXPECT_EQ(r.exit_code, kExitUsage);
    EXPECT_THAT(r.out, IsEmpty());
    EXPECT_THAT(r.err, HasSubstr(c.want_err));
    EXPECT_THAT(r.err, HasSubstr(c.want_hint));
  }
}

TEST(Run, NewCommands_Help) {
  Result r = RunWith({"help"});
  for (const std::string command :
       {"run-task", "stop-task", "describe-tasks", "list-tasks", "register-container-instance",
        "list-container-instances", "describe-container-instances", "create-vpc", "describe-vpcs",
        "create-subnet", "describe-subnets", "delete-subnet", "create-security-group",
        "describe-security-groups"}) {
    EXPECT_THAT(r.out, HasSubstr("\n  " + command + " ")) << command;
  }
  EXPECT_THAT(r.out, HasSubstr("gantry.v1.Network"));
  Result run_task = RunWith({"run-task", "--help"});
  EXPECT_EQ(run_task.exit_code, kExitOk);
  EXPECT_THAT(run_task.out, HasSubstr("--network-configuration CONFIG  (required)"));
}

TEST(Run, CliInputJsonLocalParseError_ExitsOneNamingTheField) {
  Result r = RunWith({"register-task-definition", "--cli-input-json",
                      R"({"family": "web", "containerDefinitionz": []})"});
  EXPECT_EQ(r.exit_code, kExitError);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, StartsWith("error: INVALID_ARGUMENT: "));
  EXPECT_THAT(r.err, HasSubstr("containerDefinitionz"));
}

TEST(Run, CliInputJsonFromStdin_IsParsedLocallyFirst) {
  Result r = RunWith({"register-task-definition", "--cli-input-json", "-"},
                     R"({"family": "web", "bogusMember": 1})");
  EXPECT_EQ(r.exit_code, kExitError);
  EXPECT_THAT(r.err, HasSubstr("bogusMember"));
}

TEST(Run, CliInputJsonMissingFile_ExitsOneNamingThePath) {
  Result r = RunWith(
      {"register-task-definition", "--cli-input-json", "file:///nonexistent/gantry/td.json"});
  EXPECT_EQ(r.exit_code, kExitError);
  EXPECT_THAT(r.err, HasSubstr("cannot read \"/nonexistent/gantry/td.json\""));
}

TEST(Run, CliInputJsonPathWithoutScheme_HintsAtFileScheme) {
  Result r = RunWith({"register-task-definition", "--cli-input-json", "td.json"});
  EXPECT_EQ(r.exit_code, kExitError);
  EXPECT_THAT(r.err, HasSubstr("file://PATH"));
}

TEST(Run, WaitAndQueryHelp) {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::string> want;
  };
  const Case cases[] = {
      {{"help"},
       {"\n  wait tasks-running ", "\n  wait tasks-stopped ", "--output table|json|text",
        "--query EXPR", "--query Vpc.VpcId --output text",
        "--query 'Subnets[*].SubnetId' --output text"}},
      {{"wait", "--help"},
       {"Usage: gantryctl wait SUB-COMMAND [flags]", "\n  tasks-running  ", "\n  tasks-stopped  ",
        "gantryctl wait tasks-running --cluster prod --tasks"}},
      {{"help", "wait"}, {"Sub-commands:"}},
      {{"wait", "tasks-running", "--help"},
       {"Usage: gantryctl wait tasks-running [--cluster CLUSTER] --tasks TASK ... "
        "[--timeout DURATION]",
        "--timeout DURATION\n", "Example: --timeout 5m",
        "Global flags: --endpoint HOST:PORT, --output table|json|text, --query EXPR"}},
      {{"help", "wait", "tasks-stopped"}, {"Usage: gantryctl wait tasks-stopped"}},
      {{"run-task", "--help"},
       {"[--wait]", "[--timeout DURATION]", "\n  --wait\n", "Example: --wait --timeout 5m",
        "containerOverrides=[{name=app,command=[sleep,60]", R"(--tags '[{"key":"team")"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.args.back());
    Result r = RunWith(c.args);
    EXPECT_EQ(r.exit_code, kExitOk);
    EXPECT_THAT(r.err, IsEmpty());
    for (const std::string& want : c.want) {
      EXPECT_THAT(r.out, HasSubstr(want));
    }
  }
}

TEST(Run, WaitAndQueryUsageErrors_ExitTwoBeforeAnyRpc) {
  struct Case {
    std::vector<std::string> args;
    std::string want_err;
    std::string want_hint;
  };
  const std::string net = "awsvpcConfiguration={subnets=[subnet-a]}";
  const Case cases[] = {
      {{"wait"}, "gantryctl: wait needs a sub-command", "Run 'gantryctl wait --help'"},
      {{"wait", "tasks-runing", "--tasks", "a"},
       "unknown command \"wait tasks-runing\"",
       "Run 'gantryctl wait --help'"},
      {{"wait", "tasks-running"},
       "missing required flag --tasks",
       "Run 'gantryctl wait tasks-running --help'"},
      {{"wait", "--tasks", "x"},
       "gantryctl: wait needs a sub-command before --tasks: tasks-running or tasks-stopped\n",
       "Run 'gantryctl wait --help'"},
      {{"run-task", "--task-definition", "web", "--network-configuration", net, "--tags",
        "key=a,value=x,y"},
       "gantryctl: --tags: \"key=a,value=x,y\": the value must be one string",
       "Run 'gantryctl run-task --help'"},
      {{"wait", "tasks-stopped", "--tasks", "a", "--timeout", "soon"},
       "gantryctl: --timeout: \"soon\" is not a duration",
       "Run 'gantryctl wait tasks-stopped --help'"},
      {{"run-task", "--task-definition", "web", "--network-configuration", net, "--timeout", "1m"},
       "gantryctl: --timeout needs --wait",
       "Run 'gantryctl run-task --help'"},
      {{"run-task", "--task-definition", "web", "--network-configuration", net, "--wait",
        "--overrides", "containerOverrides=[{name=app,cpu=lots}]"},
       "gantryctl: --overrides: containerOverrides[0].cpu: expected an integer",
       "Run 'gantryctl run-task --help'"},
      {{"describe-subnets", "--query", "Subnets[?State=='available']", "--output", "text"},
       "gantryctl: --query: filter expressions [?...] (at character 8) are not supported",
       "Run 'gantryctl describe-subnets --help'"},
      {{"create-vpc", "--cidr-block", "10.0.0.0/16", "--query", "Vpc.", "--output", "text"},
       "gantryctl: --query: expected a name after \".\", got the end",
       "Run 'gantryctl create-vpc --help'"},
      {{"list-clusters", "--query", "clusterArns", "--output", "table"},
       "--query needs --output json or text",
       "Run 'gantryctl list-clusters --help'"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.want_err);
    Result r = RunWith(c.args);
    EXPECT_EQ(r.exit_code, kExitUsage);
    EXPECT_THAT(r.out, IsEmpty());
    EXPECT_THAT(r.err, HasSubstr(c.want_err));
    EXPECT_THAT(r.err, HasSubstr(c.want_hint));
  }
}

}  // namespace
}  // namespace gantry::cli
