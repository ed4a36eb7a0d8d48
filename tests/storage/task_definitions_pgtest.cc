#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/fixtures.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::IsEmpty;

constexpr char kAccount[] = "000000000000";
constexpr char kOtherAccount[] = "111111111111";

using ::gantry::storage::testing::MinimalTaskDefinition;

// A definition using most of the shape: nested messages, maps, repeated members,
// non-ASCII and JSON-special text, and optional members present with zero, false or
// empty values (which must stay present).
gantry::v1::TaskDefinition RichBody(const std::string& family) {
  gantry::v1::TaskDefinition body = MinimalTaskDefinition(family);
  body.set_task_role_arn("arn:aws:iam::000000000000:role/app");
  body.set_execution_role_arn("arn:aws:iam::000000000000:role/exec");
  body.add_requires_compatibilities("FARGATE");
  body.set_pid_mode("task");
  body.set_enable_fault_injection(false);
  body.mutable_ephemeral_storage()->set_size_in_gib(21);
  body.mutable_runtime_platform()->set_cpu_architecture("ARM64");
  body.mutable_runtime_platform()->set_operating_system_family("LINUX");
  auto* constraint = body.add_placement_constraints();
  constraint->set_type("memberOf");
  constraint->set_expression("attribute:ecs.availability-zone in [us-east-1a]");

  auto* app = body.mutable_container_definitions(0);
  app->set_cpu(0);
  app->set_essential(true);
  app->set_privileged(false);
  app->set_hostname("");
  app->add_command("sh");
  app->add_command("-c");
  app->add_command("echo \"$GREETING\" \\ done");
  auto* port = app->add_port_mappings();
  port->set_container_port(8080);
  port->set_host_port(8080);
  port->set_protocol("tcp");
  port->set_name("http");
  auto* env = app->add_environment();
  env->set_name("GREETING");
  env->set_value("héllo wörld ✓ 日本語 \"quoted\" \\ back\nslash\ttab");
  auto* empty_env = app->add_environment();
  empty_env->set_name("EMPTY");
  empty_env->set_value("");
  (*app->mutable_docker_labels())["com.example/team"] = "platform";
  (*app->mutable_docker_labels())["empty"] = "";
  auto* log = app->mutable_log_configuration();
  log->set_log_driver("awslogs");
  (*log->mutable_options())["awslogs-group"] = "/ecs/app";
  (*log->mutable_options())["awslogs-stream-prefix"] = "ecs";
  auto* health = app->mutable_health_check();
  health->add_command("CMD-SHELL");
  health->add_command("curl -f http://localhost:8080/ || exit 1");
  health->set_interval(30);
  health->set_retries(0);
  auto* linux_params = app->mutable_linux_parameters();
  linux_params->mutable_capabilities()->add_add("NET_ADMIN");
  linux_params->set_init_process_enabled(true);
  auto* tmpfs = linux_params->add_tmpfs();
  tmpfs->set_container_path("/scratch");
  tmpfs->set_size(64);
  auto* restart = app->mutable_restart_policy();
  restart->set_enabled(true);
  restart->add_ignored_exit_codes(0);
  restart->add_ignored_exit_codes(137);
  auto* ulimit = app->add_ulimits();
  ulimit->set_name("nofile");
  ulimit->set_soft_limit(65536);
  ulimit->set_hard_limit(65536);
  auto* secret = app->add_secrets();
  secret->set_name("DB_PASSWORD");
  secret->set_value_from("arn:aws:ssm:us-east-1:000000000000:parameter/db");
  auto* mount = app->add_mount_points();
  mount->set_source_volume("data");
  mount->set_container_path("/data");
  mount->set_read_only(false);

  auto* sidecar = body.add_container_definitions();
  sidecar->set_name("sidecar");
  sidecar->set_image("busybox:latest");
  sidecar->set_memory(64);
  sidecar->set_essential(false);
  auto* dependency = sidecar->add_depends_on();
  dependency->set_container_name("app");
  dependency->set_condition("HEALTHY");

  auto* volume = body.add_volumes();
  volume->set_name("data");
  auto* efs = volume->mutable_efs_volume_configuration();
  efs->set_file_system_id("fs-12345678");
  efs->set_transit_encryption("ENABLED");
  efs->set_transit_encryption_port(2049);
  efs->mutable_authorization_config()->set_iam("ENABLED");
  auto* docker_volume = body.add_volumes();
  docker_volume->set_name("cache");
  docker_volume->mutable_docker_volume_configuration()->set_scope("task");
  docker_volume->mutable_docker_volume_configuration()->set_autoprovision(false);
  (*docker_volume->mutable_docker_volume_configuration()->mutable_labels())["a"] = "b";
  return body;
}

gantry::v1::Tag MakeTag(const std::string& key, std::optional<std::string> value) {
  gantry::v1::Tag tag;
  tag.set_key(key);
  if (value.has_value()) {
    tag.set_value(*value);
  }
  return tag;
}

// "" when equal, otherwise what differs.
std::string Diff(const google::protobuf::Message& want, const google::protobuf::Message& got) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(want, got)) {
    return "";
  }
  return report;
}

std::vector<std::string> Names(const std::vector<TaskDefinitionKey>& keys) {
  std::vector<std::string> names;
  for (const TaskDefinitionKey& key : keys) {
    names.push_back(key.family + ":" + std::to_string(key.revision));
  }
  return names;
}

class TaskDefinitionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = std::move(*connection);
  }

  // Registers `count` revisions of `family` and returns the last one's revision.
  int32_t RegisterN(const std::string& family, int count, const std::string& account = kAccount) {
    int32_t last = 0;
    for (int i = 0; i < count; ++i) {
      auto row = RegisterTaskDefinition(*connection_, account, MinimalTaskDefinition(family), {},
                                        "tester");
      EXPECT_THAT(row, IsOk());
      if (row.ok()) {
        last = row->revision;
      }
    }
    return last;
  }

  void Deregister(const std::string& family, int32_t revision) {
    EXPECT_THAT(DeregisterTaskDefinition(*connection_, kAccount, family, revision), IsOk());
  }

  // api:1-3 (2 INACTIVE), we:1, web:1-12 (1 and 5 INACTIVE), worker:1-2 (all INACTIVE).
  void RegisterListingFixture() {
    RegisterN("web", 12);
    RegisterN("api", 3);
    RegisterN("worker", 2);
    RegisterN("we", 1);
    Deregister("api", 2);
    Deregister("web", 1);
    Deregister("web", 5);
    Deregister("worker", 1);
    Deregister("worker", 2);
  }

  std::vector<std::string> List(ListTaskDefinitionsQuery query,
                                const std::string& account = kAccount) {
    auto keys = ListTaskDefinitions(*connection_, account, query);
    EXPECT_THAT(keys, IsOk());
    return keys.ok() ? Names(*keys) : std::vector<std::string>{};
  }

  // Follows the keyset cursor page by page until an empty page.
  std::vector<std::string> ListAllPages(ListTaskDefinitionsQuery query, int page_size) {
    query.limit = page_size;
    query.after.reset();
    std::vector<std::string> all;
    for (int page = 0; page < 1000; ++page) {
      auto keys = ListTaskDefinitions(*connection_, kAccount, query);
      EXPECT_THAT(keys, IsOk());
      if (!keys.ok() || keys->empty()) {
        break;
      }
      EXPECT_LE(keys->size(), static_cast<size_t>(page_size));
      for (const std::string& name : Names(*keys)) {
        all.push_back(name);
      }
      query.after = keys->back();
    }
    return all;
  }

  std::vector<std::string> Families(ListFamiliesQuery query,
                                    const std::string& account = kAccount) {
    auto families = ListTaskDefinitionFamilies(*connection_, account, query);
    EXPECT_THAT(families, IsOk());
    return families.ok() ? *families : std::vector<std::string>{};
  }

  std::vector<std::string> FamiliesAllPages(ListFamiliesQuery query, int page_size) {
    query.limit = page_size;
    query.after.clear();
    std::vector<std::string> all;
    for (int page = 0; page < 1000; ++page) {
      auto families = ListTaskDefinitionFamilies(*connection_, kAccount, query);
      EXPECT_THAT(families, IsOk());
      if (!families.ok() || families->empty()) {
        break;
      }
      EXPECT_LE(families->size(), static_cast<size_t>(page_size));
      all.insert(all.end(), families->begin(), families->end());
      query.after = families->back();
    }
    return all;
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(TaskDefinitionsTest, Register_RevisionsStartAtOneAndIncrease) {
  for (int want = 1; want <= 3; ++want) {
    auto row = RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("web"), {},
                                      "arn:aws:iam::0:root");
    ASSERT_THAT(row, IsOk());
    EXPECT_EQ(row->revision, want);
    EXPECT_EQ(row->status, "ACTIVE");
    EXPECT_EQ(row->body.container_definitions(0).image(), "nginx:1.27");
  }
  auto other =
      RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("api"), {}, "x");
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->revision, 1);
}

TEST_F(TaskDefinitionsTest, ConcurrentRegistrations_AreGapFree) {
  constexpr int kWriters = 8;
  std::vector<int32_t> revisions(kWriters);
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ASSERT_THAT(connection, IsOk());
      auto row =
          RegisterTaskDefinition(**connection, kAccount, MinimalTaskDefinition("busy"), {}, "x");
      ASSERT_THAT(row, IsOk());
      revisions[i] = row->revision;
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  std::set<int32_t> got(revisions.begin(), revisions.end());
  std::set<int32_t> want;
  for (int i = 1; i <= kWriters; ++i) {
    want.insert(i);
  }
  EXPECT_EQ(got, want);
}

TEST_F(TaskDefinitionsTest, Deregister_LatestActiveSkipsIt) {
  ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("web"), {}, "x"),
              IsOk());
  ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("web"), {}, "x"),
              IsOk());
  auto gone = DeregisterTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(gone, IsOk());
  EXPECT_EQ(gone->status, "INACTIVE");
  EXPECT_TRUE(gone->deregistered_at.has_value());
  auto latest = GetTaskDefinition(*connection_, kAccount, "web", std::nullopt);
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->revision, 1);
  auto inactive = GetTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(inactive, IsOk());
  EXPECT_EQ(inactive->status, "INACTIVE");
  ASSERT_THAT(DeregisterTaskDefinition(*connection_, kAccount, "web", 1), IsOk());
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "web", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound, "has no ACTIVE revision"));
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "web", 9),
              StatusIs(absl::StatusCode::kNotFound, "\"web:9\" does not exist"));
}

// ---- Register ------------------------------------------------------------------

TEST_F(TaskDefinitionsTest, Register_RevisionsPerFamilyAreIndependent) {
  struct Step {
    std::string family;
    int32_t want_revision;
  };
  const std::vector<Step> steps = {{"a", 1}, {"b", 1}, {"a", 2}, {"c", 1},
                                   {"b", 2}, {"a", 3}, {"c", 2}, {"a", 4}};
  for (const Step& step : steps) {
    SCOPED_TRACE(step.family);
    auto row =
        RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition(step.family), {}, "x");
    ASSERT_THAT(row, IsOk());
    EXPECT_EQ(row->family, step.family);
    EXPECT_EQ(row->revision, step.want_revision);
  }
}

TEST_F(TaskDefinitionsTest, SixteenConcurrentRegistrations_GetRevisionsOneToSixteen) {
  constexpr int kWriters = 16;
  // Open every connection first, then release all writers at once.
  std::latch ready(kWriters);
  std::vector<absl::StatusOr<TaskDefinitionRow>> rows(kWriters, absl::UnknownError("did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ready.arrive_and_wait();
      if (!connection.ok()) {
        rows[i] = connection.status();
        return;
      }
      gantry::v1::TaskDefinition body = MinimalTaskDefinition("crowded");
      body.mutable_container_definitions(0)->set_image("writer-" + std::to_string(i));
      rows[i] = RegisterTaskDefinition(**connection, kAccount, body, {}, "writer");
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }

  std::multiset<int32_t> revisions;
  for (int i = 0; i < kWriters; ++i) {
    ASSERT_THAT(rows[i], IsOk()) << "writer " << i;
    revisions.insert(rows[i]->revision);
    // Each revision stores its own writer's body.
    auto stored = GetTaskDefinition(*connection_, kAccount, "crowded", rows[i]->revision);
    ASSERT_THAT(stored, IsOk());
    EXPECT_EQ(stored->body.container_definitions(0).image(), "writer-" + std::to_string(i));
  }
  std::vector<int32_t> want;
  for (int32_t r = 1; r <= kWriters; ++r) {
    want.push_back(r);
  }
  EXPECT_THAT(revisions, ElementsAreArray(want));

  ListTaskDefinitionsQuery query;
  query.family = "crowded";
  EXPECT_EQ(List(query).size(), static_cast<size_t>(kWriters));
  auto next =
      RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("crowded"), {}, "x");
  ASSERT_THAT(next, IsOk());
  EXPECT_EQ(next->revision, kWriters + 1);
}

TEST_F(TaskDefinitionsTest, Register_BodyRoundTrips) {
  const gantry::v1::TaskDefinition body = RichBody("rich");
  auto registered = RegisterTaskDefinition(*connection_, kAccount, body, {}, "x");
  ASSERT_THAT(registered, IsOk());
  EXPECT_EQ(Diff(body, registered->body), "");

  auto read = GetTaskDefinition(*connection_, kAccount, "rich", 1);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(Diff(body, read->body), "");
  // Presence of zero/false/empty optionals is part of the contract.
  EXPECT_TRUE(read->body.has_enable_fault_injection());
  EXPECT_TRUE(read->body.container_definitions(0).has_cpu());
  EXPECT_TRUE(read->body.container_definitions(0).has_hostname());
  EXPECT_FALSE(read->body.container_definitions(0).has_memory());
}

TEST_F(TaskDefinitionsTest, Register_TagsRoundTripInOrder) {
  const std::vector<gantry::v1::Tag> tags = {
      MakeTag("zeta", "last-alphabetically-first-in-order"),
      MakeTag("env", "prod"),
      MakeTag("empty-value", ""),
      MakeTag("no-value", std::nullopt),
      MakeTag("ключ", "値 \"quoted\" \\"),
  };
  auto registered =
      RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("tagged"), tags, "x");
  ASSERT_THAT(registered, IsOk());
  auto read = GetTaskDefinition(*connection_, kAccount, "tagged", std::nullopt);
  ASSERT_THAT(read, IsOk());
  for (const auto* row : {&*registered, &*read}) {
    ASSERT_EQ(row->tags.size(), tags.size());
    for (size_t i = 0; i < tags.size(); ++i) {
      EXPECT_EQ(Diff(tags[i], row->tags[i]), "") << "tag " << i;
    }
  }
  EXPECT_TRUE(read->tags[2].has_value());
  EXPECT_FALSE(read->tags[3].has_value());

  auto untagged =
      RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("plain"), {}, "x");
  ASSERT_THAT(untagged, IsOk());
  EXPECT_THAT(untagged->tags, IsEmpty());
}

TEST_F(TaskDefinitionsTest, Register_RecordsWhoAndWhen) {
  absl::Time before = absl::Now();
  auto row = RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("web"), {},
                                    "arn:aws:iam::000000000000:user/alice");
  absl::Time after = absl::Now();
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->account_id, kAccount);
  EXPECT_EQ(row->registered_by, "arn:aws:iam::000000000000:user/alice");
  EXPECT_FALSE(row->deregistered_at.has_value());
  // The database clock is this machine's clock.
  EXPECT_GE(row->registered_at, before - absl::Seconds(2));
  EXPECT_LE(row->registered_at, after + absl::Seconds(2));

  auto read = GetTaskDefinition(*connection_, kAccount, "web", 1);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->registered_at, row->registered_at);
  EXPECT_EQ(read->registered_by, row->registered_by);
}

TEST_F(TaskDefinitionsTest, Register_AtRevisionLimit_ReturnsResourceExhausted) {
  RegisterN("old", 1);
  {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec0("UPDATE task_definition_families SET last_revision = 999999 WHERE family = 'old'");
    tx.commit();
  }
  auto last = RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("old"), {}, "x");
  ASSERT_THAT(last, IsOk());
  EXPECT_EQ(last->revision, 1000000);
  EXPECT_THAT(RegisterTaskDefinition(*connection_, kAccount, MinimalTaskDefinition("old"), {}, "x"),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "family: \"old\" has reached the limit of 1000000 revisions"));
  // Other families are unaffected.
  EXPECT_EQ(RegisterN("new", 1), 1);
}

// ---- Get and deregister -------------------------------------------------------

TEST_F(TaskDefinitionsTest, Get_LatestActiveOrExplicitRevision) {
  for (int i = 1; i <= 3; ++i) {
    gantry::v1::TaskDefinition body = MinimalTaskDefinition("web");
    body.set_memory(std::to_string(512 * i));
    ASSERT_THAT(RegisterTaskDefinition(*connection_, kAccount, body, {}, "x"), IsOk());
  }
  auto latest = GetTaskDefinition(*connection_, kAccount, "web", std::nullopt);
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->revision, 3);
  EXPECT_EQ(latest->body.memory(), "1536");

  auto second = GetTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->family, "web");
  EXPECT_EQ(second->revision, 2);
  EXPECT_EQ(second->status, "ACTIVE");
  EXPECT_EQ(second->body.memory(), "1024");

  // The latest ACTIVE one, not the highest revision.
  Deregister("web", 3);
  latest = GetTaskDefinition(*connection_, kAccount, "web", std::nullopt);
  ASSERT_THAT(latest, IsOk());
  EXPECT_EQ(latest->revision, 2);
  auto third = GetTaskDefinition(*connection_, kAccount, "web", 3);
  ASSERT_THAT(third, IsOk());
  EXPECT_EQ(third->status, "INACTIVE");
}

TEST_F(TaskDefinitionsTest, Get_Missing_ReturnsNotFoundNamingIt) {
  RegisterN("web", 2);
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "nope", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound,
                       "taskDefinition: family \"nope\" has no ACTIVE revision"));
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "nope", 1),
              StatusIs(absl::StatusCode::kNotFound, "taskDefinition: \"nope:1\" does not exist"));
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "web", 3),
              StatusIs(absl::StatusCode::kNotFound, "taskDefinition: \"web:3\" does not exist"));
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "web", 0),
              StatusIs(absl::StatusCode::kNotFound, "\"web:0\" does not exist"));
  // Family names are exact: "we" is not "web".
  EXPECT_THAT(GetTaskDefinition(*connection_, kAccount, "we", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound, "family \"we\" has no ACTIVE revision"));
}

TEST_F(TaskDefinitionsTest, Deregister_Twice_ReturnsInactiveBothTimes) {
  RegisterN("web", 2);
  absl::Time before = absl::Now();
  auto first = DeregisterTaskDefinition(*connection_, kAccount, "web", 1);
  ASSERT_THAT(first, IsOk());
  EXPECT_EQ(first->status, "INACTIVE");
  EXPECT_EQ(first->revision, 1);
  ASSERT_TRUE(first->deregistered_at.has_value());
  EXPECT_GE(*first->deregistered_at, before - absl::Seconds(2));
  EXPECT_GE(*first->deregistered_at, first->registered_at);

  auto second = DeregisterTaskDefinition(*connection_, kAccount, "web", 1);
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->status, "INACTIVE");
  ASSERT_TRUE(second->deregistered_at.has_value());
  EXPECT_EQ(*second->deregistered_at, *first->deregistered_at);  // returned as is
  EXPECT_EQ(Diff(first->body, second->body), "");

  auto read = GetTaskDefinition(*connection_, kAccount, "web", 1);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->status, "INACTIVE");
  EXPECT_EQ(read->deregistered_at, first->deregistered_at);
  // The other revision is untouched.
  auto other = GetTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(other, IsOk());
  EXPECT_EQ(other->status, "ACTIVE");
  EXPECT_FALSE(other->deregistered_at.has_value());
}

TEST_F(TaskDefinitionsTest, ConcurrentDeregistrations_AllSeeOneDeregistration) {
  constexpr int kCallers = 8;
  RegisterN("web", 1);
  std::latch ready(kCallers);
  std::vector<absl::StatusOr<TaskDefinitionRow>> rows(kCallers, absl::UnknownError("did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCallers; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ready.arrive_and_wait();
      rows[i] = connection.ok() ? DeregisterTaskDefinition(**connection, kAccount, "web", 1)
                                : absl::StatusOr<TaskDefinitionRow>(connection.status());
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  auto stored = GetTaskDefinition(*connection_, kAccount, "web", 1);
  ASSERT_THAT(stored, IsOk());
  ASSERT_TRUE(stored->deregistered_at.has_value());
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_THAT(rows[i], IsOk()) << "caller " << i;
    EXPECT_EQ(rows[i]->status, "INACTIVE");
    EXPECT_EQ(rows[i]->deregistered_at, stored->deregistered_at) << "caller " << i;
  }
}

TEST_F(TaskDefinitionsTest, Deregister_Missing_ReturnsNotFound) {
  RegisterN("web", 1);
  EXPECT_THAT(DeregisterTaskDefinition(*connection_, kAccount, "web", 2),
              StatusIs(absl::StatusCode::kNotFound, "taskDefinition: \"web:2\" does not exist"));
  EXPECT_THAT(DeregisterTaskDefinition(*connection_, kAccount, "nope", 1),
              StatusIs(absl::StatusCode::kNotFound, "taskDefinition: \"nope:1\" does not exist"));
}

// ---- ListTaskDefinitions ------------------------------------------------------

TEST_F(TaskDefinitionsTest, List_Default_ActiveAscendingByFamilyThenRevision) {
  RegisterListingFixture();
  EXPECT_THAT(List({}), ElementsAre("api:1", "api:3", "we:1", "web:2", "web:3", "web:4", "web:6",
                                    "web:7", "web:8", "web:9", "web:10", "web:11", "web:12"));
}

TEST_F(TaskDefinitionsTest, List_StatusInactive_ReturnsOnlyDeregistered) {
  RegisterListingFixture();
  ListTaskDefinitionsQuery query;
  query.status = "INACTIVE";
  EXPECT_THAT(List(query), ElementsAre("api:2", "web:1", "web:5", "worker:1", "worker:2"));
  query.status = "DELETE_IN_PROGRESS";
  EXPECT_THAT(List(query), IsEmpty());
}

TEST_F(TaskDefinitionsTest, List_FamilyFilter_IsExact) {
  RegisterListingFixture();
  ListTaskDefinitionsQuery query;
  query.family = "we";
  EXPECT_THAT(List(query), ElementsAre("we:1"));
  query.family = "api";
  EXPECT_THAT(List(query), ElementsAre("api:1", "api:3"));
  query.status = "INACTIVE";
  EXPECT_THAT(List(query), ElementsAre("api:2"));
  query.family = "missing";
  EXPECT_THAT(List(query), IsEmpty());
}

TEST_F(TaskDefinitionsTest, List_Descending_ReversesTheOrder) {
  RegisterListingFixture();
  ListTaskDefinitionsQuery query;
  query.descending = true;
  EXPECT_THAT(List(query),
              ElementsAre("web:12", "web:11", "web:10", "web:9", "web:8", "web:7", "web:6", "web:4",
                          "web:3", "web:2", "we:1", "api:3", "api:1"));
  query.family = "web";
  query.status = "INACTIVE";
  EXPECT_THAT(List(query), ElementsAre("web:5", "web:1"));
}

TEST_F(TaskDefinitionsTest, List_Limit_CutsTheFirstPage) {
  RegisterListingFixture();
  ListTaskDefinitionsQuery query;
  query.limit = 3;
  EXPECT_THAT(List(query), ElementsAre("api:1", "api:3", "we:1"));
  query.descending = true;
  EXPECT_THAT(List(query), ElementsAre("web:12", "web:11", "web:10"));
}

TEST_F(TaskDefinitionsTest, List_After_StartsStrictlyAfterTheKey) {
  RegisterListingFixture();
  ListTaskDefinitionsQuery query;
  query.limit = 3;
  query.after = TaskDefinitionKey{"web", 9};
  EXPECT_THAT(List(query), ElementsAre("web:10", "web:11", "web:12"));
  // A cursor key that is not itself listed (INACTIVE) still works.
  query.after = TaskDefinitionKey{"web", 4};
  EXPECT_THAT(List(query), ElementsAre("web:6", "web:7", "web:8"));
  query.after = TaskDefinitionKey{"web", 12};
  EXPECT_THAT(List(query), IsEmpty());
  query.descending = true;
  query.after = TaskDefinitionKey{"web", 2};
  EXPECT_THAT(List(query), ElementsAre("we:1", "api:3", "api:1"));
}

TEST_F(TaskDefinitionsTest, List_PagesAscending_VisitEveryKeyOnce) {
  RegisterListingFixture();
  for (std::string status : {"ACTIVE", "INACTIVE"}) {
    ListTaskDefinitionsQuery query;
    query.status = status;
    query.limit = 1000;
    std::vector<std::string> everything = List(query);
    ASSERT_THAT(everything, ::testing::Not(IsEmpty()));
    for (int page_size : {1, 2, 3, 5, 100}) {
      SCOPED_TRACE(status + " page size " + std::to_string(page_size));
      EXPECT_EQ(ListAllPages(query, page_size), everything);
    }
  }
  ListTaskDefinitionsQuery web;
  web.family = "web";
  EXPECT_THAT(ListAllPages(web, 4), ElementsAre("web:2", "web:3", "web:4", "web:6", "web:7",
                                                "web:8", "web:9", "web:10", "web:11", "web:12"));
}

TEST_F(TaskDefinitionsTest, List_PagesDescending_VisitEveryKeyOnce) {
  RegisterListingFixture();
  ListTaskDefinitionsQuery query;
  query.descending = true;
  query.limit = 1000;
  std::vector<std::string> everything = List(query);
  ASSERT_EQ(everything.size(), 13u);
  for (int page_size : {1, 2, 4, 13, 14}) {
    SCOPED_TRACE(page_size);
    EXPECT_EQ(ListAllPages(query, page_size), everything);
  }
}

// ---- ListTaskDefinitionFamilies -----------------------------------------------

TEST_F(TaskDefinitionsTest, ListFamilies_Status_ActiveInactiveAll) {
  RegisterListingFixture();
  ListFamiliesQuery query;
  EXPECT_THAT(Families(query), ElementsAre("api", "we", "web", "worker"));  // default ALL
  query.status = "";
  EXPECT_THAT(Families(query), ElementsAre("api", "we", "web", "worker"));
  query.status = "ALL";
  EXPECT_THAT(Families(query), ElementsAre("api", "we", "web", "worker"));
  query.status = "ACTIVE";
  EXPECT_THAT(Families(query), ElementsAre("api", "we", "web"));
  query.status = "INACTIVE";
  EXPECT_THAT(Families(query), ElementsAre("worker"));

  // A family becomes INACTIVE with its last ACTIVE revision, and ACTIVE again with a new one.
  Deregister("we", 1);
  EXPECT_THAT(Families(query), ElementsAre("we", "worker"));
  RegisterN("worker", 1);
  EXPECT_THAT(Families(query), ElementsAre("we"));
}

TEST_F(TaskDefinitionsTest, ListFamilies_Prefix_MatchesLiterally) {
  for (const char* family : {"a_b", "axb", "a%c", "abc", "web", "web-api", "webx", "b"}) {
    RegisterN(family, 1);
  }
  ListFamiliesQuery query;
  query.prefix = "web";
  EXPECT_THAT(Families(query), ElementsAre("web", "web-api", "webx"));
  query.prefix = "web-";
  EXPECT_THAT(Families(query), ElementsAre("web-api"));
  // No LIKE wildcards: '_' and '%' are ordinary characters.
  query.prefix = "a_";
  EXPECT_THAT(Families(query), ElementsAre("a_b"));
  query.prefix = "a%";
  EXPECT_THAT(Families(query), ElementsAre("a%c"));
  query.prefix = "zzz";
  EXPECT_THAT(Families(query), IsEmpty());
  query.prefix = "";
  EXPECT_EQ(Families(query).size(), 8u);
  query.prefix = "web";
  query.status = "ACTIVE";
  query.after = "web";
  EXPECT_THAT(Families(query), ElementsAre("web-api", "webx"));
}

TEST_F(TaskDefinitionsTest, ListFamilies_Pages_VisitEveryFamilyOnce) {
  std::vector<std::string> want;
  for (int i = 0; i < 11; ++i) {
    std::string family = "family-" + std::string(1, static_cast<char>('a' + i));
    RegisterN(family, 1 + i % 3);
    want.push_back(family);
  }
  Deregister("family-d", 1);  // its only revision
  for (int page_size : {1, 2, 3, 10, 11, 50}) {
    SCOPED_TRACE(page_size);
    ListFamiliesQuery query;
    EXPECT_EQ(FamiliesAllPages(query, page_size), want);
    query.status = "INACTIVE";
    EXPECT_THAT(FamiliesAllPages(query, page_size), ElementsAre("family-d"));
  }
  ListFamiliesQuery limited;
  limited.limit = 4;
  EXPECT_THAT(Families(limited), ElementsAre("family-a", "family-b", "family-c", "family-d"));
  limited.after = "family-j";
  EXPECT_THAT(Families(limited), ElementsAre("family-k"));
}

// ---- Accounts -----------------------------------------------------------------

TEST_F(TaskDefinitionsTest, Accounts_AreIsolated) {
  RegisterListingFixture();
  EXPECT_THAT(GetTaskDefinition(*connection_, kOtherAccount, "web", std::nullopt),
              StatusIs(absl::StatusCode::kNotFound, "family \"web\" has no ACTIVE revision"));
  EXPECT_THAT(GetTaskDefinition(*connection_, kOtherAccount, "web", 2),
              StatusIs(absl::StatusCode::kNotFound, "\"web:2\" does not exist"));
  EXPECT_THAT(DeregisterTaskDefinition(*connection_, kOtherAccount, "web", 2),
              StatusIs(absl::StatusCode::kNotFound, "\"web:2\" does not exist"));
  EXPECT_THAT(List({}, kOtherAccount), IsEmpty());
  ListTaskDefinitionsQuery inactive;
  inactive.status = "INACTIVE";
  EXPECT_THAT(List(inactive, kOtherAccount), IsEmpty());
  EXPECT_THAT(Families({}, kOtherAccount), IsEmpty());

  // The other account's "web" starts at revision 1 and is invisible to the first.
  EXPECT_EQ(RegisterN("web", 2, kOtherAccount), 2);
  EXPECT_THAT(List({}, kOtherAccount), ElementsAre("web:1", "web:2"));
  EXPECT_THAT(Families({}, kOtherAccount), ElementsAre("web"));
  auto mine = GetTaskDefinition(*connection_, kAccount, "web", std::nullopt);
  ASSERT_THAT(mine, IsOk());
  EXPECT_EQ(mine->revision, 12);
  EXPECT_EQ(mine->account_id, kAccount);
  auto theirs = GetTaskDefinition(*connection_, kOtherAccount, "web", std::nullopt);
  ASSERT_THAT(theirs, IsOk());
  EXPECT_EQ(theirs->revision, 2);
  EXPECT_EQ(theirs->account_id, kOtherAccount);
  // Deregistering in one account leaves the other's revision ACTIVE.
  ASSERT_THAT(DeregisterTaskDefinition(*connection_, kOtherAccount, "web", 2), IsOk());
  auto still_active = GetTaskDefinition(*connection_, kAccount, "web", 2);
  ASSERT_THAT(still_active, IsOk());
  EXPECT_EQ(still_active->status, "ACTIVE");
}

}  // namespace
}  // namespace gantry::storage
