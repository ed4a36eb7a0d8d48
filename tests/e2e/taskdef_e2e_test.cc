// Task-definition calls end to end: gantryctl -> gantryd -> embedded PostgreSQL.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gantry/v1/ecs.pb.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/substitute.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "taskdef/taskdef.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::StartsWith;

constexpr char kArnPrefix[] = "arn:aws:ecs:us-east-1:000000000000:task-definition/";

// A small valid Fargate definition.
std::string MinimalDefinition(const std::string& family, const std::string& image = "nginx:1.25") {
  return absl::Substitute(R"json({
    "family": "$0",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [
      {"name": "app", "image": "$1", "essential": true, "portMappings": [{"containerPort": 80}]}
    ]
  })json",
                          family, image);
}

bool IsIntegerString(const std::string& text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), absl::ascii_isdigit);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

class TaskDefinitionE2E : public SharedGantrydTest {
 protected:
  // Registers `json` (literal text) and returns the new revision number (0 on failure).
  static int Register(const std::string& json) {
    auto response = RunJson<v1::RegisterTaskDefinitionResponse>(
        {"register-task-definition", "--cli-input-json", json});
    return response.task_definition().revision();
  }

  // Follows nextToken with --max-results 1 and returns every item in order.
  template <typename Response, typename Items>
  static std::vector<std::string> WalkPages(std::vector<std::string> args, Items items) {
    std::vector<std::string> all;
    std::string token;
    for (int page = 0; page < 100; ++page) {
      std::vector<std::string> page_args = args;
      page_args.insert(page_args.end(), {"--max-results", "1"});
      if (!token.empty()) {
        page_args.insert(page_args.end(), {"--next-token", token});
      }
      Response response = RunJson<Response>(page_args);
      const auto& page_items = items(response);
      EXPECT_LE(page_items.size(), 1);
      all.insert(all.end(), page_items.begin(), page_items.end());
      if (!response.has_next_token() || response.next_token().empty()) {
        return all;
      }
      token = response.next_token();
    }
    ADD_FAILURE() << "more than 100 pages";
    return all;
  }
};

TEST_F(TaskDefinitionE2E, Examples_RegisterAndDescribeBack) {
  std::filesystem::path examples = GANTRY_SOURCE_DIR "/examples";
  for (const char* required : {"web-service.json", "firelens-sidecar.json", "efs-volume.json"}) {
    EXPECT_TRUE(std::filesystem::exists(examples / required)) << required;
  }
  std::map<std::string, int> revisions;  // per family, examples may share one
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(examples)) {
    if (entry.path().extension() == ".json") {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  for (const std::filesystem::path& file : files) {
    SCOPED_TRACE(file.filename().string());
    absl::StatusOr<v1::RegisterTaskDefinitionRequest> request =
        taskdef::ParseRegisterRequestJson(ReadFile(file));
    ASSERT_TRUE(request.ok()) << request.status();
    const std::string family = request->family();
    int want_revision = ++revisions[family];
    std::string want_arn = absl::StrCat(kArnPrefix, family, ":", want_revision);

    auto registered = RunJson<v1::RegisterTaskDefinitionResponse>(
        {"register-task-definition", "--cli-input-json", "file://" + file.string()});
    EXPECT_EQ(registered.task_definition().task_definition_arn(), want_arn);

    auto described = RunJson<v1::DescribeTaskDefinitionResponse>(
        {"describe-task-definition", "--task-definition", family});
    const v1::TaskDefinition& d = described.task_definition();
    EXPECT_EQ(d.task_definition_arn(), want_arn);
    EXPECT_EQ(d.family(), family);
    EXPECT_EQ(d.revision(), want_revision);
    EXPECT_EQ(d.status(), "ACTIVE");
    EXPECT_TRUE(IsIntegerString(d.cpu())) << "cpu \"" << d.cpu() << "\"";
    EXPECT_TRUE(IsIntegerString(d.memory())) << "memory \"" << d.memory() << "\"";
    EXPECT_GT(d.registered_at(), 0);
    ASSERT_EQ(d.container_definitions_size(), request->container_definitions_size());
    for (int i = 0; i < d.container_definitions_size(); ++i) {
      EXPECT_EQ(d.container_definitions(i).name(), request->container_definitions(i).name());
      EXPECT_EQ(d.container_definitions(i).image(), request->container_definitions(i).image());
    }
    EXPECT_EQ(d.volumes_size(), request->volumes_size());
  }
}

TEST_F(TaskDefinitionE2E, RegisterFromStdin_ThenTableDescribe) {
  CommandResult r =
      RunCtl({"register-task-definition", "--cli-input-json", "-"}, MinimalDefinition("e2e-stdin"));
  ASSERT_EQ(r.exit_code, 0) << Describe(r);
  EXPECT_THAT(r.out, HasSubstr(absl::StrCat(kArnPrefix, "e2e-stdin:1")));

  CommandResult table = RunCtl({"describe-task-definition", "--task-definition", "e2e-stdin:1"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_THAT(table.out, HasSubstr("Family           e2e-stdin\n"));
  EXPECT_THAT(table.out, HasSubstr("Status           ACTIVE\n"));
  EXPECT_THAT(table.out, HasSubstr("NAME  IMAGE       CPU  MEMORY  ESSENTIAL  PORTS\n"));
  EXPECT_THAT(table.out, HasSubstr("app   nginx:1.25  0    -       true       80/tcp\n"));
}

TEST_F(TaskDefinitionE2E, InvalidDefinition_ExitsNonZeroNamingTheField) {
  std::string json = R"json({
    "family": "e2e-invalid",
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "256",
    "memory": "512",
    "containerDefinitions": [{
      "name": "app", "image": "nginx:1.25", "essential": true,
      "linuxParameters": {"capabilities": {"add": ["SYS_ADMIN"]}}
    }]
  })json";
  CommandResult r = RunCtl({"register-task-definition", "--cli-input-json", json});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.out, IsEmpty());
  EXPECT_THAT(r.err, StartsWith("error: INVALID_ARGUMENT: "));
  EXPECT_THAT(r.err, HasSubstr("containerDefinitions[0].linuxParameters.capabilities.add[0]"));
  EXPECT_THAT(r.err, HasSubstr("SYS_ADMIN"));

  CommandResult missing = RunCtl({"describe-task-definition", "--task-definition", "e2e-invalid"});
  EXPECT_EQ(missing.exit_code, 1) << Describe(missing);
  EXPECT_THAT(missing.err, StartsWith("error: NOT_FOUND: "));
}

TEST_F(TaskDefinitionE2E, LocalParseError_ExitsOneWithoutRegistering) {
  CommandResult r = RunCtl({"register-task-definition", "--cli-input-json",
                            R"({"family": "e2e-typo", "containerDefinitionz": []})"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, HasSubstr("containerDefinitionz"));
  CommandResult missing = RunCtl({"describe-task-definition", "--task-definition", "e2e-typo"});
  EXPECT_THAT(missing.err, StartsWith("error: NOT_FOUND: "));
}

TEST_F(TaskDefinitionE2E, Deregister_InactiveAndFamilyDescribeFails) {
  ASSERT_EQ(Register(MinimalDefinition("e2e-dereg")), 1);
  auto deregistered = RunJson<v1::DeregisterTaskDefinitionResponse>(
      {"deregister-task-definition", "--task-definition", "e2e-dereg:1"});
  EXPECT_EQ(deregistered.task_definition().status(), "INACTIVE");
  EXPECT_EQ(deregistered.task_definition().task_definition_arn(),
            absl::StrCat(kArnPrefix, "e2e-dereg:1"));
  EXPECT_GT(deregistered.task_definition().deregistered_at(), 0);

  CommandResult family = RunCtl({"describe-task-definition", "--task-definition", "e2e-dereg"});
  EXPECT_EQ(family.exit_code, 1) << Describe(family);
  EXPECT_THAT(family.err, StartsWith("error: NOT_FOUND: "));

  auto revision = RunJson<v1::DescribeTaskDefinitionResponse>(
      {"describe-task-definition", "--task-definition", "e2e-dereg:1"});
  EXPECT_EQ(revision.task_definition().status(), "INACTIVE");
  EXPECT_EQ(revision.task_definition().revision(), 1);

  // Revision numbers are never reused.
  EXPECT_EQ(Register(MinimalDefinition("e2e-dereg")), 2);
}

TEST_F(TaskDefinitionE2E, ListTaskDefinitions_WalksPagesInBothOrders) {
  for (int i = 1; i <= 3; ++i) {
    ASSERT_EQ(Register(MinimalDefinition("e2e-list", absl::StrCat("nginx:1.", i))), i);
  }
  std::vector<std::string> want = {absl::StrCat(kArnPrefix, "e2e-list:1"),
                                   absl::StrCat(kArnPrefix, "e2e-list:2"),
                                   absl::StrCat(kArnPrefix, "e2e-list:3")};
  auto items = [](const v1::ListTaskDefinitionsResponse& r) -> const auto& {
    return r.task_definition_arns();
  };
  EXPECT_THAT(WalkPages<v1::ListTaskDefinitionsResponse>(
                  {"list-task-definitions", "--family-prefix", "e2e-list"}, items),
              ElementsAreArray(want));
  std::reverse(want.begin(), want.end());
  EXPECT_THAT(
      WalkPages<v1::ListTaskDefinitionsResponse>(
          {"list-task-definitions", "--family-prefix", "e2e-list", "--sort", "DESC"}, items),
      ElementsAreArray(want));

  CommandResult table = RunCtl({"list-task-definitions", "--family-prefix", "e2e-list"});
  ASSERT_EQ(table.exit_code, 0) << Describe(table);
  EXPECT_EQ(table.out,
            absl::StrCat("TASK DEFINITION ARN\n", want[2], "\n", want[1], "\n", want[0], "\n"));
}

TEST_F(TaskDefinitionE2E, ListFamilies_WalksPagesAndFiltersByStatus) {
  for (const char* family : {"e2e-fam-a", "e2e-fam-b", "e2e-fam-c"}) {
    ASSERT_EQ(Register(MinimalDefinition(family)), 1) << family;
  }
  RunJson<v1::DeregisterTaskDefinitionResponse>(
      {"deregister-task-definition", "--task-definition", "e2e-fam-c:1"});
  using Response = v1::ListTaskDefinitionFamiliesResponse;
  auto items = [](const Response& r) -> const auto& { return r.families(); };
  EXPECT_THAT(
      WalkPages<Response>({"list-task-definition-families", "--family-prefix", "e2e-fam-"}, items),
      ElementsAre("e2e-fam-a", "e2e-fam-b", "e2e-fam-c"));
  EXPECT_THAT(WalkPages<Response>({"list-task-definition-families", "--family-prefix", "e2e-fam-",
                                   "--status", "ACTIVE"},
                                  items),
              ElementsAre("e2e-fam-a", "e2e-fam-b"));
  EXPECT_THAT(WalkPages<Response>({"list-task-definition-families", "--family-prefix", "e2e-fam-",
                                   "--status", "INACTIVE"},
                                  items),
              ElementsAre("e2e-fam-c"));
}

TEST_F(TaskDefinitionE2E, BadMaxResults_IsServerInvalidArgument) {
  CommandResult r = RunCtl({"list-task-definitions", "--max-results", "101"});
  EXPECT_EQ(r.exit_code, 1) << Describe(r);
  EXPECT_THAT(r.err, StartsWith("error: INVALID_ARGUMENT: "));
}

TEST_F(TaskDefinitionE2E, EightConcurrentRegistrations_GetRevisionsOneToEight) {
  constexpr int kProcesses = 8;
  std::vector<CommandResult> results(kProcesses);
  std::vector<std::thread> threads;
  for (int i = 0; i < kProcesses; ++i) {
    threads.emplace_back([&results, i] {
      results[i] = Ctl(endpoint(), {"--output", "json", "register-task-definition",
                                    "--cli-input-json", MinimalDefinition("e2e-concurrent")});
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  std::set<int> revisions;
  for (const CommandResult& r : results) {
    ASSERT_EQ(r.exit_code, 0) << Describe(r);
    revisions.insert(
        ParseJsonOutput<v1::RegisterTaskDefinitionResponse>(r).task_definition().revision());
  }
  EXPECT_EQ(revisions, (std::set<int>{1, 2, 3, 4, 5, 6, 7, 8}));
  auto listed = RunJson<v1::ListTaskDefinitionsResponse>(
      {"list-task-definitions", "--family-prefix", "e2e-concurrent"});
  EXPECT_EQ(listed.task_definition_arns_size(), kProcesses);
}

}  // namespace
}  // namespace gantry::testing
