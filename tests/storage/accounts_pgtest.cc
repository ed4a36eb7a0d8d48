// Accounts and access keys (storage/accounts.cc) against a real PostgreSQL.
#include <cstdint>
#include <iterator>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/support/pg_harness.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::PgHarness;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr char kAccount[] = "111111111111";
constexpr char kOtherAccount[] = "222222222222";

// Every byte value, NUL and 0xff included, as a sealed secret must survive.
std::string AllBytes() {
  std::string bytes;
  for (int byte = 0; byte < 256; ++byte) {
    bytes.push_back(static_cast<char>(byte));
  }
  return bytes;
}

AccessKeyRow Key(const std::string& id, const std::string& account = kAccount,
                 const std::string& secret = "sealed") {
  AccessKeyRow key;
  key.access_key_id = id;
  key.account_id = account;
  key.kind = "user";
  key.sealed_secret = secret;
  return key;
}

std::vector<std::string> IdsOf(const std::vector<AccessKeyRow>& keys) {
  std::vector<std::string> ids;
  for (const AccessKeyRow& key : keys) {
    ids.push_back(key.access_key_id);
  }
  return ids;
}

class AccountsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    auto connection = Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = std::move(*connection);
  }

  AccountRow MakeAccount(const std::string& account_id, const std::string& name) {
    auto row =
        CreateAccount(*connection_, account_id, name, /*is_admin=*/false, gantry::v1::Cluster());
    EXPECT_THAT(row, IsOk());
    return row.ok() ? *row : AccountRow{};
  }

  void MakeKey(const AccessKeyRow& key) { ASSERT_THAT(CreateAccessKey(*connection_, key), IsOk()); }

  int64_t CountKeys(const std::string& account_id) {
    pqxx::connection conn(conninfo_);
    pqxx::nontransaction tx(conn);
    return tx.exec_params1("SELECT count(*) FROM access_keys WHERE account_id = $1", account_id)[0]
        .as<int64_t>();
  }

  std::string conninfo_;
  std::unique_ptr<Connection> connection_;
};

// ---- Accounts ---------------------------------------------------------------------

TEST_F(AccountsTest, CreateAccount_New_CanBeReadAndListed) {
  const absl::Time before = absl::Now();
  auto created =
      CreateAccount(*connection_, kAccount, "team-a", /*is_admin=*/true, gantry::v1::Cluster());
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->account_id, kAccount);
  EXPECT_EQ(created->name, "team-a");
  EXPECT_TRUE(created->is_admin);
  EXPECT_GE(created->created_at, before - absl::Seconds(2));
  EXPECT_LE(created->created_at, absl::Now() + absl::Seconds(2));

  auto read = GetAccount(*connection_, kAccount);
  ASSERT_THAT(read, IsOk());
  EXPECT_EQ(read->name, "team-a");
  EXPECT_TRUE(read->is_admin);
  EXPECT_EQ(read->created_at, created->created_at);
}

TEST_F(AccountsTest, CreateAccount_CreatesItsDefaultClusterInTheSameTransaction) {
  gantry::v1::Cluster spec;
  spec.add_settings()->set_name("containerInsights");
  ASSERT_THAT(CreateAccount(*connection_, kAccount, "team-a", false, spec), IsOk());
  auto clusters = GetClusters(*connection_, kAccount, {"default"});
  ASSERT_THAT(clusters, IsOk());
  ASSERT_EQ(clusters->size(), 1u);
  EXPECT_EQ((*clusters)[0].status, "ACTIVE");
  EXPECT_EQ((*clusters)[0].spec.settings(0).name(), "containerInsights");

  // A refused account leaves no cluster behind.
  EXPECT_THAT(CreateAccount(*connection_, kOtherAccount, "team-a", false, spec),
              StatusIs(absl::StatusCode::kAlreadyExists, "name"));
  auto none = GetClusters(*connection_, kOtherAccount, {"default"});
  ASSERT_THAT(none, IsOk());
  EXPECT_THAT(*none, IsEmpty());
}

TEST_F(AccountsTest, ListAccounts_OrderedById) {
  auto empty = ListAccounts(*connection_);
  ASSERT_THAT(empty, IsOk());
  EXPECT_THAT(*empty, IsEmpty());

  MakeAccount("300000000000", "c");
  MakeAccount("100000000000", "a");
  MakeAccount("200000000000", "b");
  auto accounts = ListAccounts(*connection_);
  ASSERT_THAT(accounts, IsOk());
  ASSERT_EQ(accounts->size(), 3u);
  EXPECT_EQ((*accounts)[0].account_id, "100000000000");
  EXPECT_EQ((*accounts)[0].name, "a");
  EXPECT_FALSE((*accounts)[0].is_admin);
  EXPECT_EQ((*accounts)[1].account_id, "200000000000");
  EXPECT_EQ((*accounts)[2].account_id, "300000000000");
}

TEST_F(AccountsTest, GetAccount_Unknown_IsNotFound) {
  EXPECT_THAT(GetAccount(*connection_, "999999999999"),
              StatusIs(absl::StatusCode::kNotFound, "account 999999999999 not found"));
}

TEST_F(AccountsTest, CreateAccount_TakenId_IsAlreadyExistsNamingTheAccount) {
  MakeAccount(kAccount, "first");
  auto again = CreateAccount(*connection_, kAccount, "second", false, gantry::v1::Cluster());
  EXPECT_THAT(again,
              StatusIs(absl::StatusCode::kAlreadyExists, "account 111111111111 already exists"));
  // Callers tell a taken id (worth drawing another) from a taken name by the word "name".
  EXPECT_THAT(std::string(again.status().message()), Not(HasSubstr("name")));
  EXPECT_EQ(GetAccount(*connection_, kAccount)->name, "first");
}

TEST_F(AccountsTest, CreateAccount_TakenName_IsAlreadyExistsNamingTheName) {
  MakeAccount(kAccount, "team");
  EXPECT_THAT(CreateAccount(*connection_, kOtherAccount, "team", false, gantry::v1::Cluster()),
              StatusIs(absl::StatusCode::kAlreadyExists, "account name \"team\" already exists"));
  EXPECT_THAT(GetAccount(*connection_, kOtherAccount), StatusIs(absl::StatusCode::kNotFound, ""));
}

// Storage does not validate; the table's CHECKs are the last line, and a CHECK violation
// is INTERNAL (the API should have refused the request).
TEST_F(AccountsTest, CreateAccount_BreaksACheck_IsInternal) {
  const struct {
    const char* name;
    std::string account_id;
    std::string account_name;
  } cases[] = {
      {"11 digits", "12345678901", "a"},
      {"13 digits", "1234567890123", "b"},
      {"letter", "12345678901a", "c"},
      {"empty id", "", "d"},
      {"trailing newline", "123456789012\n", "e"},
      {"empty name", "123456789012", ""},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(
        CreateAccount(*connection_, c.account_id, c.account_name, false, gantry::v1::Cluster()),
        StatusIs(absl::StatusCode::kInternal, "create account"));
  }
  EXPECT_THAT(*ListAccounts(*connection_), IsEmpty());
}

TEST_F(AccountsTest, EnsureAccount_Absent_CreatesIt) {
  auto ensured = EnsureAccount(*connection_, kAccount, "admin", /*is_admin=*/true);
  ASSERT_THAT(ensured, IsOk());
  EXPECT_EQ(ensured->name, "admin");
  EXPECT_TRUE(ensured->is_admin);
  EXPECT_THAT(GetAccount(*connection_, kAccount), IsOk());
}

TEST_F(AccountsTest, EnsureAccount_Present_ReturnsItUnchanged) {
  const AccountRow original = MakeAccount(kAccount, "original");
  for (int i = 0; i < 2; ++i) {
    auto ensured = EnsureAccount(*connection_, kAccount, "renamed", /*is_admin=*/false);
    ASSERT_THAT(ensured, IsOk());
    EXPECT_EQ(ensured->name, "original");
    EXPECT_FALSE(ensured->is_admin);
    EXPECT_EQ(ensured->created_at, original.created_at);
  }
}

TEST_F(AccountsTest, EnsureAccount_AdminRequested_MakesThePresentAccountAdminForGood) {
  MakeAccount(kAccount, "provider");
  auto promoted = EnsureAccount(*connection_, kAccount, "provider", /*is_admin=*/true);
  ASSERT_THAT(promoted, IsOk());
  EXPECT_TRUE(promoted->is_admin);
  EXPECT_TRUE(GetAccount(*connection_, kAccount)->is_admin);

  auto not_demoted = EnsureAccount(*connection_, kAccount, "provider", /*is_admin=*/false);
  ASSERT_THAT(not_demoted, IsOk());
  EXPECT_TRUE(not_demoted->is_admin);
}

TEST_F(AccountsTest, EnsureAccount_NameOfAnotherAccount_IsAlreadyExists) {
  MakeAccount(kOtherAccount, "admin");
  EXPECT_THAT(EnsureAccount(*connection_, kAccount, "admin", true),
              StatusIs(absl::StatusCode::kAlreadyExists, "account name \"admin\" already exists"));
}

TEST_F(AccountsTest, EnsureAccount_ConcurrentStarters_AllGetTheOneAccount) {
  constexpr int kStarters = 8;
  std::latch ready(kStarters);
  std::vector<absl::StatusOr<AccountRow>> rows(kStarters, absl::UnknownError("did not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kStarters; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ready.arrive_and_wait();
      rows[i] = connection.ok() ? EnsureAccount(**connection, kAccount, "admin", true)
                                : absl::StatusOr<AccountRow>(connection.status());
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  auto stored = GetAccount(*connection_, kAccount);
  ASSERT_THAT(stored, IsOk());
  for (int i = 0; i < kStarters; ++i) {
    SCOPED_TRACE(i);
    ASSERT_THAT(rows[i], IsOk());
    EXPECT_EQ(rows[i]->created_at, stored->created_at);
    EXPECT_TRUE(rows[i]->is_admin);
  }
}

// ---- Access keys ------------------------------------------------------------------

TEST_F(AccountsTest, CreateAccessKey_New_IsListedAndDeleted) {
  MakeAccount(kAccount, "a");
  AccessKeyRow agent = Key("AKIAAGENT", kAccount, "agent-secret");
  agent.kind = "agent";
  agent.status = "Inactive";
  const absl::Time before = absl::Now();
  auto created = CreateAccessKey(*connection_, agent);
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(created->access_key_id, "AKIAAGENT");
  EXPECT_EQ(created->account_id, kAccount);
  EXPECT_EQ(created->kind, "agent");
  EXPECT_EQ(created->sealed_secret, "agent-secret");
  EXPECT_EQ(created->status, "Inactive");
  EXPECT_GE(created->created_at, before - absl::Seconds(2));
  EXPECT_LE(created->created_at, absl::Now() + absl::Seconds(2));
  MakeKey(Key("AKIAUSER"));

  auto listed = ListAccessKeys(*connection_, kAccount);
  ASSERT_THAT(listed, IsOk());
  EXPECT_THAT(IdsOf(*listed), ElementsAre("AKIAAGENT", "AKIAUSER"));
  EXPECT_EQ((*listed)[0].created_at, created->created_at);
  EXPECT_EQ((*listed)[1].kind, "user");
  EXPECT_EQ((*listed)[1].status, "Active");

  auto deleted = DeleteAccessKey(*connection_, "AKIAAGENT");
  ASSERT_THAT(deleted, IsOk());
  EXPECT_EQ(deleted->kind, "agent");
  EXPECT_EQ(deleted->sealed_secret, "agent-secret");
  EXPECT_THAT(IdsOf(*ListAccessKeys(*connection_, kAccount)), ElementsAre("AKIAUSER"));
}

TEST_F(AccountsTest, CreateAccessKey_UnknownAccount_IsNotFoundNamingIt) {
  EXPECT_THAT(CreateAccessKey(*connection_, Key("AKIA1", "999999999999")),
              StatusIs(absl::StatusCode::kNotFound, "account 999999999999 not found"));
}

TEST_F(AccountsTest, CreateAccessKey_TakenId_IsAlreadyExists) {
  MakeAccount(kAccount, "a");
  MakeAccount(kOtherAccount, "b");
  MakeKey(Key("AKIA1", kAccount, "first"));
  EXPECT_THAT(CreateAccessKey(*connection_, Key("AKIA1", kOtherAccount, "second")),
              StatusIs(absl::StatusCode::kAlreadyExists, "access key AKIA1 already exists"));
  auto keys = ListAccessKeys(*connection_, "");
  ASSERT_THAT(keys, IsOk());
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].account_id, kAccount);
  EXPECT_EQ((*keys)[0].sealed_secret, "first");
}

TEST_F(AccountsTest, CreateAccessKey_BreaksACheck_IsInternal) {
  MakeAccount(kAccount, "a");
  AccessKeyRow bad_kind = Key("AKIA1");
  bad_kind.kind = "admin";
  AccessKeyRow bad_status = Key("AKIA2");
  bad_status.status = "";
  bad_kind.sealed_secret = "sealed-bytes-that-stay-out-of-logs";
  ::testing::internal::CaptureStderr();
  EXPECT_THAT(CreateAccessKey(*connection_, bad_kind), StatusIs(absl::StatusCode::kInternal, ""));
  EXPECT_THAT(CreateAccessKey(*connection_, bad_status), StatusIs(absl::StatusCode::kInternal, ""));
  const std::string logged = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(CountKeys(kAccount), 0);
  // The error is logged, but not PostgreSQL's DETAIL line, which quotes the failing row
  // (bytea in hex).
  EXPECT_THAT(logged, ::testing::HasSubstr("storage_sql_error"));
  EXPECT_THAT(logged, ::testing::HasSubstr("check constraint"));
  EXPECT_THAT(logged, ::testing::Not(::testing::HasSubstr("Failing row")));
  EXPECT_THAT(logged, ::testing::Not(::testing::HasSubstr(
                          absl::BytesToHexString("sealed-bytes-that-stay-out-of-logs"))));
}

TEST_F(AccountsTest, SealedSecret_EveryByteValue_SurvivesTheRoundTrip) {
  MakeAccount(kAccount, "a");
  const std::string secrets[] = {AllBytes(), std::string("\0", 1), std::string("\xff\0\xff", 3),
                                 "\\x00", ""};
  for (size_t i = 0; i < std::size(secrets); ++i) {
    SCOPED_TRACE(i);
    const std::string id = absl::StrCat("AKIABYTES", i);
    auto created = CreateAccessKey(*connection_, Key(id, kAccount, secrets[i]));
    ASSERT_THAT(created, IsOk());
    EXPECT_EQ(created->sealed_secret, secrets[i]);
    auto listed = ListAccessKeys(*connection_, kAccount);
    ASSERT_THAT(listed, IsOk());
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].sealed_secret, secrets[i]);
    auto deleted = DeleteAccessKey(*connection_, id);
    ASSERT_THAT(deleted, IsOk());
    EXPECT_EQ(deleted->sealed_secret, secrets[i]);
  }
  // And PostgreSQL stored the bytes themselves, not an escaped text form of them.
  MakeKey(Key("AKIARAW", kAccount, AllBytes()));
  pqxx::connection conn(conninfo_);
  pqxx::nontransaction tx(conn);
  EXPECT_EQ(tx.exec1("SELECT octet_length(sealed_secret) FROM access_keys")[0].as<int>(), 256);
  EXPECT_EQ(tx.exec1("SELECT get_byte(sealed_secret, 255) FROM access_keys")[0].as<int>(), 255);
}

TEST_F(AccountsTest, ListAccessKeys_NoAccount_ListsEveryAccountsKeysInOrder) {
  MakeAccount(kAccount, "a");
  MakeAccount(kOtherAccount, "b");
  MakeKey(Key("AKIAC", kOtherAccount));
  MakeKey(Key("AKIAB", kAccount));
  MakeKey(Key("AKIAA", kOtherAccount));
  MakeKey(Key("AKIAD", kAccount));

  auto all = ListAccessKeys(*connection_, "");
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(IdsOf(*all), ElementsAre("AKIAB", "AKIAD", "AKIAA", "AKIAC"));
  EXPECT_EQ((*all)[0].account_id, kAccount);
  EXPECT_EQ((*all)[2].account_id, kOtherAccount);
  EXPECT_THAT(IdsOf(*ListAccessKeys(*connection_, kOtherAccount)), ElementsAre("AKIAA", "AKIAC"));
  auto unknown = ListAccessKeys(*connection_, "999999999999");
  ASSERT_THAT(unknown, IsOk());
  EXPECT_THAT(*unknown, IsEmpty());
}

TEST_F(AccountsTest, DeletedKey_NeverStoredAgain) {
  MakeAccount(kAccount, "a");
  MakeKey(Key("AKIAGONE"));
  ASSERT_THAT(AccessKeyWasDeleted(*connection_, "AKIAGONE"), IsOk());
  EXPECT_FALSE(*AccessKeyWasDeleted(*connection_, "AKIAGONE"));
  ASSERT_THAT(DeleteAccessKey(*connection_, "AKIAGONE"), IsOk());
  EXPECT_TRUE(*AccessKeyWasDeleted(*connection_, "AKIAGONE"));
  EXPECT_THAT(CreateAccessKey(*connection_, Key("AKIAGONE")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "access key AKIAGONE was deleted"));
  EXPECT_THAT(EnsureAccessKey(*connection_, Key("AKIAGONE")),
              StatusIs(absl::StatusCode::kFailedPrecondition, "was deleted"));
  EXPECT_EQ(CountKeys(kAccount), 0);
  EXPECT_FALSE(*AccessKeyWasDeleted(*connection_, "AKIANEVER"));
}

TEST_F(AccountsTest, DeleteAccessKey_Unknown_IsNotFound) {
  EXPECT_THAT(DeleteAccessKey(*connection_, "AKIAMISSING"),
              StatusIs(absl::StatusCode::kNotFound, "access key AKIAMISSING not found"));
}

TEST_F(AccountsTest, CreateAccessKey_OverTheLimit_IsResourceExhausted) {
  MakeAccount(kAccount, "a");
  MakeAccount(kOtherAccount, "b");
  for (int i = 0; i < kMaxAccessKeysPerAccount; ++i) {
    MakeKey(Key(absl::StrCat("AKIA", i)));
  }
  EXPECT_THAT(CreateAccessKey(*connection_, Key("AKIAONEMORE")),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "the most an account may have (10); delete one first"));
  EXPECT_EQ(CountKeys(kAccount), kMaxAccessKeysPerAccount);
  // The limit is per account, and deleting a key makes room.
  EXPECT_THAT(CreateAccessKey(*connection_, Key("AKIAOTHER", kOtherAccount)), IsOk());
  ASSERT_THAT(DeleteAccessKey(*connection_, "AKIA0"), IsOk());
  EXPECT_THAT(CreateAccessKey(*connection_, Key("AKIAONEMORE")), IsOk());
}

TEST_F(AccountsTest, CreateAccessKey_ConcurrentCreators_NeverExceedTheLimit) {
  constexpr int kCreators = 4;
  constexpr int kKeysEach = 5;
  MakeAccount(kAccount, "a");
  std::latch ready(kCreators);
  std::vector<int> created(kCreators, 0);
  std::vector<int> exhausted(kCreators, 0);
  std::vector<std::thread> threads;
  for (int i = 0; i < kCreators; ++i) {
    threads.emplace_back([&, i] {
      auto connection = Connection::Open(conninfo_);
      ready.arrive_and_wait();
      for (int k = 0; connection.ok() && k < kKeysEach; ++k) {
        auto key = CreateAccessKey(**connection, Key(absl::StrCat("AKIA", i, "X", k)));
        created[i] += key.ok() ? 1 : 0;
        exhausted[i] += absl::IsResourceExhausted(key.status()) ? 1 : 0;
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  int total_created = 0;
  int total_exhausted = 0;
  for (int i = 0; i < kCreators; ++i) {
    total_created += created[i];
    total_exhausted += exhausted[i];
  }
  EXPECT_EQ(total_created, kMaxAccessKeysPerAccount);
  EXPECT_EQ(total_exhausted, kCreators * kKeysEach - kMaxAccessKeysPerAccount);
  EXPECT_EQ(CountKeys(kAccount), kMaxAccessKeysPerAccount);
}

TEST_F(AccountsTest, EnsureAccessKey_Absent_StoresIt) {
  MakeAccount(kAccount, "a");
  auto ensured = EnsureAccessKey(*connection_, Key("AKIAADMIN", kAccount, AllBytes()));
  ASSERT_THAT(ensured, IsOk());
  EXPECT_EQ(ensured->sealed_secret, AllBytes());
  EXPECT_EQ(ensured->status, "Active");
  EXPECT_THAT(IdsOf(*ListAccessKeys(*connection_, kAccount)), ElementsAre("AKIAADMIN"));
}

TEST_F(AccountsTest, EnsureAccessKey_Present_ReturnsTheStoredRow) {
  MakeAccount(kAccount, "a");
  MakeAccount(kOtherAccount, "b");
  auto first = EnsureAccessKey(*connection_, Key("AKIAADMIN", kAccount, "stored"));
  ASSERT_THAT(first, IsOk());
  auto again = EnsureAccessKey(*connection_, Key("AKIAADMIN", kOtherAccount, "other"));
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->account_id, kAccount);
  EXPECT_EQ(again->sealed_secret, "stored");
  EXPECT_EQ(again->created_at, first->created_at);
  EXPECT_EQ(CountKeys(kAccount), 1);
  EXPECT_EQ(CountKeys(kOtherAccount), 0);
}

TEST_F(AccountsTest, EnsureAccessKey_UnknownAccountOrFull_FailsAsCreateDoes) {
  EXPECT_THAT(EnsureAccessKey(*connection_, Key("AKIAADMIN", "999999999999")),
              StatusIs(absl::StatusCode::kNotFound, "account 999999999999 not found"));
  MakeAccount(kAccount, "a");
  for (int i = 0; i < kMaxAccessKeysPerAccount; ++i) {
    MakeKey(Key(absl::StrCat("AKIA", i)));
  }
  EXPECT_THAT(EnsureAccessKey(*connection_, Key("AKIAADMIN")),
              StatusIs(absl::StatusCode::kResourceExhausted, "(10)"));
  // A key that is there already is returned even when the account is full.
  EXPECT_THAT(EnsureAccessKey(*connection_, Key("AKIA3")), IsOk());
}

}  // namespace
}  // namespace gantry::storage
