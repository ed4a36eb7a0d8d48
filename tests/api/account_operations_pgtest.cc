// Accounts, access keys and isolation over a real PostgreSQL: the admin operations, the
// key ring they keep in step, the startup helpers (EnsureAdminKey, LoadAccessKeys), and
// one account's requests never reaching another's resources.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/api.h"
#include "api/key_ring.h"
#include "auth/credentials.h"
#include "auth/secret_box.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/api/call_and_wait.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::api {
namespace {

using ::gantry::api::test::CallOnce;
using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

constexpr absl::StatusCode kDenied = absl::StatusCode::kPermissionDenied;
constexpr absl::StatusCode kNotFound = absl::StatusCode::kNotFound;
constexpr char kProvider[] = "000000000000";

class AccountOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    absl::StatusOr<std::unique_ptr<storage::Connection>> connection =
        storage::Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
    ASSERT_THAT(storage::EnsureAccount(*connection_, kProvider, "admin", true), IsOk());
    storage::Database::Options options;
    options.conninfo = conninfo_;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> database = storage::Database::Open(options);
    ASSERT_THAT(database, IsOk());
    database_ = *std::move(database);
    admin_ = std::make_unique<AdminOperations>(Config{}, database_.get(), &keys_, &secrets_);
    ecs_ = std::make_unique<EcsOperations>(Config{}, database_.get(), nullptr);
    network_ = std::make_unique<NetworkOperations>(Config{}, database_.get());
  }

  void TearDown() override {
    if (database_ != nullptr) {
      database_->Shutdown();
    }
  }

  // A new account and a user key of it, as the admin creates them; the caller that key
  // makes, as the key ring has it.
  Caller NewAccountCaller(const std::string& name) {
    v1::CreateAccountRequest account;
    account.set_name(name);
    absl::StatusOr<v1::CreateAccountResponse> created =
        CallOnce(*admin_, &AdminOperations::CreateAccount, account);
    EXPECT_THAT(created, IsOk());
    v1::CreateAccessKeyRequest key;
    key.set_account_id(created.ok() ? created->account().id() : "");
    absl::StatusOr<v1::CreateAccessKeyResponse> made =
        CallOnce(*admin_, &AdminOperations::CreateAccessKey, key);
    EXPECT_THAT(made, IsOk());
    std::optional<AccessKey> ring = keys_.Find(made.ok() ? made->access_key().access_key_id() : "");
    EXPECT_TRUE(ring.has_value());
    return ring.has_value() ? ring->caller : Caller{};
  }

  std::string conninfo_;
  std::unique_ptr<storage::Connection> connection_;
  KeyRing keys_;
  auth::SecretBox secrets_ = *auth::SecretBox::FromKey(std::string(32, 's'));
  std::unique_ptr<storage::Database> database_;
  std::unique_ptr<AdminOperations> admin_;
  std::unique_ptr<EcsOperations> ecs_;
  std::unique_ptr<NetworkOperations> network_;
};

TEST_F(AccountOperationsTest, CreateAccount_NewIdAndItsDefaultCluster) {
  v1::CreateAccountRequest request;
  request.set_name("team-web");
  absl::StatusOr<v1::CreateAccountResponse> created =
      CallOnce(*admin_, &AdminOperations::CreateAccount, request);
  ASSERT_THAT(created, IsOk());
  EXPECT_THAT(created->account().id(), MatchesRegex("[1-9][0-9]{11}"));
  EXPECT_EQ(created->account().name(), "team-web");
  EXPECT_FALSE(created->account().has_admin());

  const Caller user{created->account().id(), Caller::Role::kUser, "AKIAX"};
  absl::StatusOr<v1::ListClustersResponse> clusters =
      CallOnce(*ecs_, user, &EcsOperations::ListClusters, v1::ListClustersRequest());
  ASSERT_THAT(clusters, IsOk());
  EXPECT_THAT(clusters->cluster_arns(),
              ElementsAre("arn:aws:ecs:us-east-1:" + created->account().id() + ":cluster/default"));

  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::CreateAccount, request),
              StatusIs(absl::StatusCode::kAlreadyExists, "name"));
  v1::CreateAccountRequest bad;
  bad.set_name("no spaces");
  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::CreateAccount, bad),
              StatusIs(absl::StatusCode::kInvalidArgument, "name: "));
}

TEST_F(AccountOperationsTest, AccessKeys_CreatedUsableListedDeleted) {
  const Caller user = NewAccountCaller("team-a");
  EXPECT_EQ(user.role, Caller::Role::kUser);
  // The key works at once: the ring has it, with the secret handed out.
  v1::ListAccessKeysRequest list;
  list.set_account_id(user.account_id);
  absl::StatusOr<v1::ListAccessKeysResponse> listed =
      CallOnce(*admin_, &AdminOperations::ListAccessKeys, list);
  ASSERT_THAT(listed, IsOk());
  ASSERT_EQ(listed->access_key_metadata_size(), 1);
  const v1::AccessKey& key = listed->access_key_metadata(0);
  EXPECT_EQ(key.access_key_id(), user.access_key_id);
  EXPECT_EQ(key.status(), "Active");
  EXPECT_EQ(key.kind(), "user");
  EXPECT_FALSE(key.has_secret_access_key()) << "secrets are shown at creation only";

  // The secret is stored sealed: the raw column is not the secret, and it opens.
  absl::StatusOr<std::vector<storage::AccessKeyRow>> rows =
      storage::ListAccessKeys(*connection_, user.account_id);
  ASSERT_THAT(rows, IsOk());
  ASSERT_EQ(rows->size(), 1u);
  std::optional<AccessKey> ring = keys_.Find(user.access_key_id);
  ASSERT_TRUE(ring.has_value());
  EXPECT_EQ((*rows)[0].sealed_secret.find(ring->secret), std::string::npos);
  EXPECT_THAT(secrets_.Open((*rows)[0].sealed_secret, user.access_key_id), IsOk());

  v1::DeleteAccessKeyRequest remove;
  remove.set_access_key_id(user.access_key_id);
  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::DeleteAccessKey, remove), IsOk());
  EXPECT_FALSE(keys_.Find(user.access_key_id).has_value());
  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::DeleteAccessKey, remove),
              StatusIs(kNotFound, "access key"));
}

TEST_F(AccountOperationsTest, CreateAccessKey_Refusals) {
  v1::CreateAccessKeyRequest unknown;
  unknown.set_account_id("999999999999");
  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::CreateAccessKey, unknown),
              StatusIs(kNotFound, "999999999999"));
  v1::CreateAccessKeyRequest malformed;
  malformed.set_account_id("12");
  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::CreateAccessKey, malformed),
              StatusIs(absl::StatusCode::kInvalidArgument, "accountId: "));
  // Agent keys register the provider's hosts: only the provider's account has them.
  const Caller user = NewAccountCaller("team-b");
  v1::CreateAccessKeyRequest agent;
  agent.set_account_id(user.account_id);
  agent.set_kind("agent");
  EXPECT_THAT(CallOnce(*admin_, &AdminOperations::CreateAccessKey, agent),
              StatusIs(absl::StatusCode::kFailedPrecondition, "kind: "));
  agent.set_account_id(kProvider);
  absl::StatusOr<v1::CreateAccessKeyResponse> made =
      CallOnce(*admin_, &AdminOperations::CreateAccessKey, agent);
  ASSERT_THAT(made, IsOk());
  EXPECT_EQ(keys_.Find(made->access_key().access_key_id())->caller.role, Caller::Role::kAgent);
}

TEST_F(AccountOperationsTest, OnlyAdminKeys_ManageAccountsAndSeeTheFleet) {
  const Caller user = NewAccountCaller("team-c");
  const Caller agent{kProvider, Caller::Role::kAgent, "AKIAAGENT"};
  for (const Caller& caller : {user, agent}) {
    EXPECT_THAT(
        CallOnce(*admin_, caller, &AdminOperations::ListAccounts, v1::ListAccountsRequest()),
        StatusIs(kDenied, "admin key"));
    v1::CreateAccountRequest account;
    account.set_name("sneaky");
    EXPECT_THAT(CallOnce(*admin_, caller, &AdminOperations::CreateAccount, account),
                StatusIs(kDenied, ""));
    EXPECT_THAT(CallOnce(*admin_, caller, &AdminOperations::DescribeCapacity,
                         v1::DescribeCapacityRequest()),
                StatusIs(kDenied, ""));
    EXPECT_THAT(CallOnce(*ecs_, caller, &EcsOperations::ListContainerInstances,
                         v1::ListContainerInstancesRequest()),
                StatusIs(kDenied, ""));
  }
  // Agent keys reach no account's resources.
  EXPECT_THAT(CallOnce(*ecs_, agent, &EcsOperations::ListClusters, v1::ListClustersRequest()),
              StatusIs(kDenied, "agent key"));
  EXPECT_THAT(
      CallOnce(*network_, agent, &NetworkOperations::DescribeVpcs, v1::DescribeVpcsRequest()),
      StatusIs(kDenied, "agent key"));
}

// One account's resources are not found by another, by name, id or ARN.
TEST_F(AccountOperationsTest, Isolation_AnotherAccountsResourcesAreNotFound) {
  const Caller a = NewAccountCaller("team-a");
  const Caller b = NewAccountCaller("team-b");
  v1::CreateVpcRequest vpc;
  vpc.set_cidr_block("10.0.0.0/16");
  absl::StatusOr<v1::CreateVpcResponse> made =
      CallOnce(*network_, a, &NetworkOperations::CreateVpc, vpc);
  ASSERT_THAT(made, IsOk());
  v1::DescribeVpcsRequest describe;
  describe.add_vpc_ids(made->vpc().vpc_id());
  EXPECT_THAT(CallOnce(*network_, a, &NetworkOperations::DescribeVpcs, describe), IsOk());
  EXPECT_THAT(CallOnce(*network_, b, &NetworkOperations::DescribeVpcs, describe),
              StatusIs(kNotFound, ""));
  absl::StatusOr<v1::DescribeVpcsResponse> all_of_b =
      CallOnce(*network_, b, &NetworkOperations::DescribeVpcs, v1::DescribeVpcsRequest());
  ASSERT_THAT(all_of_b, IsOk());
  EXPECT_THAT(all_of_b->vpcs(), IsEmpty());

  v1::CreateClusterRequest cluster;
  cluster.set_cluster_name("prod");
  ASSERT_THAT(CallOnce(*ecs_, a, &EcsOperations::CreateCluster, cluster), IsOk());
  v1::DescribeClustersRequest by_arn;
  by_arn.add_clusters("arn:aws:ecs:us-east-1:" + a.account_id + ":cluster/prod");
  absl::StatusOr<v1::DescribeClustersResponse> seen_by_b =
      CallOnce(*ecs_, b, &EcsOperations::DescribeClusters, by_arn);
  // An ARN of another account is "not found" (or MISSING), never the cluster.
  if (seen_by_b.ok()) {
    EXPECT_THAT(seen_by_b->clusters(), IsEmpty());
  } else {
    EXPECT_THAT(seen_by_b, StatusIs(kNotFound, ""));
  }
  v1::ListTasksRequest tasks;
  tasks.set_cluster("prod");
  EXPECT_THAT(CallOnce(*ecs_, b, &EcsOperations::ListTasks, tasks), StatusIs(kNotFound, "cluster"));
}

TEST_F(AccountOperationsTest, EnsureAdminKey_IdempotentAndLoadedAsAdmin) {
  const auth::Credentials admin{"AKIAADMINADMINADMIN2", "admin-secret"};
  const Config config;
  ASSERT_THAT(EnsureAdminKey(*connection_, config, secrets_, admin), IsOk());
  ASSERT_THAT(EnsureAdminKey(*connection_, config, secrets_, admin), IsOk());
  // The same key id with another secret (a replaced file) is refused, not overwritten.
  EXPECT_THAT(EnsureAdminKey(*connection_, config, secrets_, {admin.access_key_id, "other"}),
              StatusIs(absl::StatusCode::kFailedPrecondition, "admin-credentials"));
  const Caller user = NewAccountCaller("team-d");

  absl::StatusOr<std::vector<AccessKey>> loaded = LoadAccessKeys(*connection_, secrets_);
  ASSERT_THAT(loaded, IsOk());
  ASSERT_EQ(loaded->size(), 2u);
  for (const AccessKey& key : *loaded) {
    if (key.caller.access_key_id == admin.access_key_id) {
      EXPECT_EQ(key.caller.role, Caller::Role::kAdmin);
      EXPECT_EQ(key.secret, admin.secret_access_key);
    } else {
      EXPECT_EQ(key.caller.role, Caller::Role::kUser);
      EXPECT_EQ(key.caller.account_id, user.account_id);
    }
  }
  // Sealed under another secrets key, nothing opens: the keys are left out, not wrong.
  auth::SecretBox other = *auth::SecretBox::FromKey(std::string(32, 'o'));
  absl::StatusOr<std::vector<AccessKey>> unopened = LoadAccessKeys(*connection_, other);
  ASSERT_THAT(unopened, IsOk());
  EXPECT_THAT(*unopened, IsEmpty());
}

}  // namespace
}  // namespace gantry::api
