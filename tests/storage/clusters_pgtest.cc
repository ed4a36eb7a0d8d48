#include <algorithm>
#include <latch>
#include <memory>
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
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

constexpr char kAccount[] = "000000000000";
constexpr char kOtherAccount[] = "111111111111";

// A creation request's worth of cluster settings; `marker` tells two specs apart.
gantry::v1::Cluster Spec(const std::string& marker) {
  gantry::v1::Cluster spec;
  auto* setting = spec.add_settings();
  setting->set_name("containerInsights");
  setting->set_value(marker);
  auto* tag = spec.add_tags();
  tag->set_key("team");
  tag->set_value(marker);
  auto* empty_tag = spec.add_tags();
  empty_tag->set_key("empty");
  empty_tag->set_value("");
  spec.add_capacity_providers("FARGATE");
  spec.add_capacity_providers("FARGATE_SPOT");
  auto* strategy = spec.add_default_capacity_provider_strategy();
  strategy->set_capacity_provider("FARGATE");
  strategy->set_weight(1);
  strategy->set_base(0);
  auto* exec = spec.mutable_configuration()->mutable_execute_command_configuration();
  exec->set_logging("OVERRIDE");
  exec->mutable_log_configuration()->set_cloud_watch_encryption_enabled(false);
  exec->mutable_log_configuration()->set_s3_key_prefix("exec/" + marker);
  spec.mutable_service_connect_defaults()->set_namespace_("arn:aws:servicediscovery:ns/" + marker);
  return spec;
}

std::string Diff(const google::protobuf::Message& want, const google::protobuf::Message& got) {
  std::string report;
  google::protobuf::util::MessageDifferencer differencer;
  differencer.ReportDifferencesToString(&report);
  if (differencer.Compare(want, got)) {
    return "";
  }
  return report;
}

std::vector<std::string> NamesOf(const std::vector<ClusterRow>& rows) {
  std::vector<std::string> names;
  for (const ClusterRow& row : rows) {
    names.push_back(row.name);
  }
  return names;
}

class ClustersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = std::move(*connection);
  }

  ClusterRow Create(const std::string& name, const std::string& marker = "m",
                    const std::string& account = kAccount) {
    auto row = CreateCluster(*connection_, account, name, Spec(marker));
    EXPECT_THAT(row, IsOk());
    return row.ok() ? *row : ClusterRow{};
  }

  // Stands in for DeleteCluster, which storage does not have yet.
  void MarkInactive(const std::string& name) {
    pqxx::connection admin(conninfo_);
    pqxx::work tx(admin);
    tx.exec_params0(
        "UPDATE clusters SET status = 'INACTIVE', created_at = now() - interval '1 day' "
        "WHERE account_id = $1 AND name = $2",
        std::string(kAccount), name);
    tx.commit();
  }

  std::vector<std::string> AllNamePages(int page_size, const std::string& account = kAccount) {
    std::vector<std::string> all;
    std::string after;
    for (int page = 0; page < 1000; ++page) {
      auto names = ListClusterNames(*connection_, account, after, page_size);
      EXPECT_THAT(names, IsOk());
      if (!names.ok() || names->empty()) {
        break;
      }
      EXPECT_LE(names->size(), static_cast<size_t>(page_size));
      all.insert(all.end(), names->begin(), names->end());
      after = names->back();
    }
    return all;
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
};

TEST_F(ClustersTest, Create_NewName_IsActiveWithTheSpec) {
  absl::Time before = absl::Now();
  auto row = CreateCluster(*connection_, kAccount, "prod", Spec("one"));
  absl::Time after = absl::Now();
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(row->account_id, kAccount);
  EXPECT_EQ(row->name, "prod");
  EXPECT_EQ(row->status, "ACTIVE");
  EXPECT_EQ(Diff(Spec("one"), row->spec), "");
  EXPECT_GE(row->created_at, before - absl::Seconds(2));
  EXPECT_LE(row->created_at, after + absl::Seconds(2));

  auto read = GetClusters(*connection_, kAccount, {"prod"});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].status, "ACTIVE");
  EXPECT_EQ((*read)[0].created_at, row->created_at);
  EXPECT_EQ(Diff(Spec("one"), (*read)[0].spec), "");
}

TEST_F(ClustersTest, Create_EmptySpec_RoundTrips) {
  auto row = CreateCluster(*connection_, kAccount, "bare", gantry::v1::Cluster());
  ASSERT_THAT(row, IsOk());
  EXPECT_EQ(Diff(gantry::v1::Cluster(), row->spec), "");
}

TEST_F(ClustersTest, Create_ExistingName_ReturnsTheOriginalUnchanged) {
  ClusterRow original = Create("prod", "original");
  auto again = CreateCluster(*connection_, kAccount, "prod", Spec("replacement"));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->status, "ACTIVE");
  EXPECT_EQ(again->created_at, original.created_at);
  EXPECT_EQ(Diff(Spec("original"), again->spec), "");  // not replaced

  auto read = GetClusters(*connection_, kAccount, {"prod"});
  ASSERT_THAT(read, IsOk());
  ASSERT_EQ(read->size(), 1u);
  EXPECT_EQ((*read)[0].created_at, original.created_at);
  EXPECT_EQ(Diff(Spec("original"), (*read)[0].spec), "");
}

TEST_F(ClustersTest, Create_InactiveName_StartsAfresh) {
  ClusterRow original = Create("prod", "original");
  MarkInactive("prod");  // also moves created_at a day back
  auto inactive = GetClusters(*connection_, kAccount, {"prod"});
  ASSERT_THAT(inactive, IsOk());
  ASSERT_EQ(inactive->size(), 1u);
  EXPECT_EQ((*inactive)[0].status, "INACTIVE");

  auto recreated = CreateCluster(*connection_, kAccount, "prod", Spec("second-life"));
  ASSERT_THAT(recreated, IsOk());
  EXPECT_EQ(recreated->status, "ACTIVE");
  EXPECT_EQ(Diff(Spec("second-life"), recreated->spec), "");
  EXPECT_GT(recreated->created_at, (*inactive)[0].created_at + absl::Hours(12));
  EXPECT_GE(recreated->created_at, original.created_at);
}

TEST_F(ClustersTest, ConcurrentCreates_AllReturnTheSameCluster) {
  constexpr int kCreators = 8;
  std::latch ready(kCreators);
  std::vector<absl::StatusOr<ClusterRow>> rows(kCreators, absl::UnknownError("did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ready.arrive_and_wait();
      rows[i] = connection.ok() ? CreateCluster(**connection, kAccount, "contended",
                                                Spec("creator-" + std::to_string(i)))
                                : absl::StatusOr<ClusterRow>(connection.status());
    });
  }
  for (auto& thread : threads) {
    thread.join();
  }
  for (int i = 0; i < kCreators; ++i) {
    ASSERT_THAT(rows[i], IsOk()) << "creator " << i;
  }
  // Exactly one creator's spec won, and everyone got that row.
  auto stored = GetClusters(*connection_, kAccount, {"contended"});
  ASSERT_THAT(stored, IsOk());
  ASSERT_EQ(stored->size(), 1u);
  for (int i = 0; i < kCreators; ++i) {
    EXPECT_EQ(rows[i]->created_at, (*stored)[0].created_at) << "creator " << i;
    EXPECT_EQ(Diff((*stored)[0].spec, rows[i]->spec), "") << "creator " << i;
  }
}

TEST_F(ClustersTest, GetClusters_MixOfExistingAndMissing_ReturnsOnlyExisting) {
  Create("alpha", "a");
  Create("beta", "b");
  Create("gamma", "g");
  auto rows = GetClusters(*connection_, kAccount, {"beta", "missing", "alpha", "also-missing"});
  ASSERT_THAT(rows, IsOk());
  EXPECT_THAT(NamesOf(*rows), UnorderedElementsAre("alpha", "beta"));
  for (const ClusterRow& row : *rows) {
    EXPECT_EQ(row.account_id, kAccount);
    EXPECT_EQ(Diff(Spec(row.name == "alpha" ? "a" : "b"), row.spec), "") << row.name;
  }

  auto none = GetClusters(*connection_, kAccount, {"missing"});
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
  auto empty_request = GetClusters(*connection_, kAccount, {});
  ASSERT_THAT(empty_request, IsOk());
  EXPECT_THAT(*empty_request, IsEmpty());
  // Asking twice for one name returns it once.
  auto duplicate = GetClusters(*connection_, kAccount, {"gamma", "gamma"});
  ASSERT_THAT(duplicate, IsOk());
  EXPECT_THAT(NamesOf(*duplicate), ElementsAre("gamma"));
}

TEST_F(ClustersTest, GetClusters_NamesWithArraySyntax_AreMatchedExactly) {
  // Characters that mean something inside a PostgreSQL array literal.
  const std::vector<std::string> names = {"quote\"d", "back\\slash", "comma,name", "{braces}",
                                          "NULL",     "sp ace",      "",           "tick'"};
  for (const std::string& name : names) {
    Create(name, "x");
  }
  auto rows = GetClusters(*connection_, kAccount, names);
  ASSERT_THAT(rows, IsOk());
  std::vector<std::string> got = NamesOf(*rows);
  std::vector<std::string> want = names;
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  // "NULL" is a name, not a null; "comma" alone is not a name.
  auto only = GetClusters(*connection_, kAccount, {"comma", "name", "null"});
  ASSERT_THAT(only, IsOk());
  EXPECT_THAT(*only, IsEmpty());
}

TEST_F(ClustersTest, GetClusters_IncludesInactiveClusters) {
  Create("kept");
  Create("gone");
  MarkInactive("gone");
  auto rows = GetClusters(*connection_, kAccount, {"kept", "gone"});
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 2u);
  for (const ClusterRow& row : *rows) {
    EXPECT_EQ(row.status, row.name == "gone" ? "INACTIVE" : "ACTIVE") << row.name;
  }
}

TEST_F(ClustersTest, ListClusterNames_AscendingAfterCursorUpToLimit) {
  for (const char* name : {"delta", "alpha", "echo", "charlie", "bravo"}) {
    Create(name);
  }
  auto first = ListClusterNames(*connection_, kAccount, "", 2);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(*first, ElementsAre("alpha", "bravo"));
  auto next = ListClusterNames(*connection_, kAccount, "bravo", 2);
  ASSERT_THAT(next, IsOk());
  EXPECT_THAT(*next, ElementsAre("charlie", "delta"));
  // The cursor need not be an existing name.
  auto between = ListClusterNames(*connection_, kAccount, "c", 10);
  ASSERT_THAT(between, IsOk());
  EXPECT_THAT(*between, ElementsAre("charlie", "delta", "echo"));
  auto end = ListClusterNames(*connection_, kAccount, "echo", 10);
  ASSERT_THAT(end, IsOk());
  EXPECT_THAT(*end, IsEmpty());
}

TEST_F(ClustersTest, ListClusterNames_Pages_VisitEveryNameOnce) {
  std::vector<std::string> want;
  for (int i = 0; i < 13; ++i) {
    std::string name = "cluster-" + std::string(1, static_cast<char>('a' + i));
    Create(name);
    want.push_back(name);
  }
  for (int page_size : {1, 2, 3, 5, 12, 13, 100}) {
    SCOPED_TRACE(page_size);
    EXPECT_EQ(AllNamePages(page_size), want);
  }
}

TEST_F(ClustersTest, ListClusterNames_SkipsInactiveClusters) {
  for (const char* name : {"a", "b", "c", "d"}) {
    Create(name);
  }
  MarkInactive("b");
  MarkInactive("d");
  EXPECT_THAT(AllNamePages(1), ElementsAre("a", "c"));
  EXPECT_THAT(AllNamePages(10), ElementsAre("a", "c"));
}

TEST_F(ClustersTest, Accounts_AreIsolated) {
  ClusterRow mine = Create("shared-name", "mine");
  Create("only-mine", "mine");

  auto theirs_before = GetClusters(*connection_, kOtherAccount, {"shared-name", "only-mine"});
  ASSERT_THAT(theirs_before, IsOk());
  EXPECT_THAT(*theirs_before, IsEmpty());
  EXPECT_THAT(AllNamePages(10, kOtherAccount), IsEmpty());

  // The same name in another account is a different cluster with its own spec.
  auto theirs = CreateCluster(*connection_, kOtherAccount, "shared-name", Spec("theirs"));
  ASSERT_THAT(theirs, IsOk());
  EXPECT_EQ(theirs->account_id, kOtherAccount);
  EXPECT_EQ(Diff(Spec("theirs"), theirs->spec), "");
  EXPECT_THAT(AllNamePages(10, kOtherAccount), ElementsAre("shared-name"));
  EXPECT_THAT(AllNamePages(10), ElementsAre("only-mine", "shared-name"));

  auto mine_again = GetClusters(*connection_, kAccount, {"shared-name"});
  ASSERT_THAT(mine_again, IsOk());
  ASSERT_EQ(mine_again->size(), 1u);
  EXPECT_EQ((*mine_again)[0].account_id, kAccount);
  EXPECT_EQ((*mine_again)[0].created_at, mine.created_at);
  EXPECT_EQ(Diff(Spec("mine"), (*mine_again)[0].spec), "");
}

}  // namespace
}  // namespace gantry::storage
