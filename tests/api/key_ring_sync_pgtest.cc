// Two gantryd replicas sharing one PostgreSQL, as far as access keys go: each has its
// own Database, KeyRing, KeyRingSync and CommandListener. A key created or deleted
// through one replica's admin operations must reach the other's ring, and a reload after
// missed notifications must leave the ring exactly as the database has it.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/key_ring.h"
#include "api/key_ring_sync.h"
#include "api/notifications.h"
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

constexpr char kProvider[] = "000000000000";

// One replica's share of the key machinery.
struct Replica {
  Replica(const std::string& conninfo, const auth::SecretBox* secret_box) : secrets(secret_box) {
    storage::Database::Options options;
    options.conninfo = conninfo;
    options.workers = 2;
    absl::StatusOr<std::unique_ptr<storage::Database>> opened = storage::Database::Open(options);
    EXPECT_THAT(opened, IsOk());
    database = *std::move(opened);
    sync = std::make_unique<KeyRingSync>(database.get(), secrets, &keys);
    admin = std::make_unique<AdminOperations>(Config{}, database.get(), &keys, secrets);
    absl::StatusOr<std::unique_ptr<storage::CommandListener>> started =
        storage::CommandListener::Start(
            conninfo,
            [this](const std::vector<std::string>& tokens) {
              sync->Changed(ParseNotifications(tokens).access_keys);
            },
            [this] { sync->ReloadAll(); });
    EXPECT_THAT(started, IsOk());
    listener = *std::move(started);
  }
  ~Replica() {
    listener.reset();
    database->Shutdown();
  }

  const auth::SecretBox* secrets;
  KeyRing keys;
  std::unique_ptr<storage::Database> database;
  std::unique_ptr<KeyRingSync> sync;
  std::unique_ptr<AdminOperations> admin;
  std::unique_ptr<storage::CommandListener> listener;
};

// Waits up to 10 s for `done`; notifications take milliseconds.
template <typename Predicate>
bool Eventually(Predicate done) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (!done()) {
    if (absl::Now() > deadline) {
      return false;
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return true;
}

class KeyRingSyncTest : public ::testing::Test {
 protected:
  void SetUp() override {
    conninfo_ = PgHarness::Get().NewDatabase();
    absl::StatusOr<std::unique_ptr<storage::Connection>> connection =
        storage::Connection::Open(conninfo_);
    ASSERT_THAT(connection, IsOk());
    connection_ = *std::move(connection);
    ASSERT_THAT(storage::EnsureAccount(*connection_, kProvider, "admin", true), IsOk());
    first_ = std::make_unique<Replica>(conninfo_, &secrets_);
    second_ = std::make_unique<Replica>(conninfo_, &secrets_);
  }

  v1::AccessKey CreateKeyThrough(Replica& replica, const std::string& kind = "") {
    v1::CreateAccessKeyRequest request;
    request.set_account_id(kProvider);
    if (!kind.empty()) {
      request.set_kind(kind);
    }
    absl::StatusOr<v1::CreateAccessKeyResponse> made =
        CallOnce(*replica.admin, &AdminOperations::CreateAccessKey, request);
    EXPECT_THAT(made, IsOk());
    return made.ok() ? made->access_key() : v1::AccessKey();
  }

  std::string conninfo_;
  std::unique_ptr<storage::Connection> connection_;
  auth::SecretBox secrets_ = *auth::SecretBox::FromKey(std::string(32, 's'));
  std::unique_ptr<Replica> first_;
  std::unique_ptr<Replica> second_;
};

TEST_F(KeyRingSyncTest, KeyCreatedOnOneReplicaWorksOnTheOther) {
  const v1::AccessKey key = CreateKeyThrough(*first_, "agent");
  ASSERT_FALSE(key.access_key_id().empty());
  ASSERT_TRUE(Eventually([&] { return second_->keys.Find(key.access_key_id()).has_value(); }))
      << "the second replica never learned of the key";
  const std::optional<AccessKey> learned = second_->keys.Find(key.access_key_id());
  EXPECT_EQ(learned->secret, key.secret_access_key());
  EXPECT_EQ(learned->caller.account_id, kProvider);
  EXPECT_EQ(learned->caller.access_key_id, key.access_key_id());
  const std::optional<AccessKey> made_here = first_->keys.Find(key.access_key_id());
  ASSERT_TRUE(made_here.has_value());
  EXPECT_EQ(learned->caller.role, made_here->caller.role) << "an agent key stays an agent key";
}

TEST_F(KeyRingSyncTest, KeyDeletedOnOneReplicaStopsWorkingOnTheOther) {
  const v1::AccessKey key = CreateKeyThrough(*first_);
  ASSERT_TRUE(Eventually([&] { return second_->keys.Find(key.access_key_id()).has_value(); }));
  v1::DeleteAccessKeyRequest request;
  request.set_access_key_id(key.access_key_id());
  ASSERT_THAT(CallOnce(*first_->admin, &AdminOperations::DeleteAccessKey, request), IsOk());
  EXPECT_FALSE(first_->keys.Find(key.access_key_id()).has_value()) << "at once where deleted";
  EXPECT_TRUE(Eventually([&] { return !second_->keys.Find(key.access_key_id()).has_value(); }))
      << "a key deleted on the first replica still works on the second";
}

TEST_F(KeyRingSyncTest, CreatedThenDeletedAtOnceEndsAbsentEverywhere) {
  // Many changes in a row: whatever order the batches ran in, no older read may land
  // after a newer one.
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    const v1::AccessKey key = CreateKeyThrough(*first_);
    v1::DeleteAccessKeyRequest request;
    request.set_access_key_id(key.access_key_id());
    ASSERT_THAT(CallOnce(*first_->admin, &AdminOperations::DeleteAccessKey, request), IsOk());
    ids.push_back(key.access_key_id());
  }
  const v1::AccessKey kept = CreateKeyThrough(*first_);
  // The kept key's notification came last; once it is in, the earlier ones were read.
  ASSERT_TRUE(Eventually([&] { return second_->keys.Find(kept.access_key_id()).has_value(); }));
  for (const std::string& id : ids) {
    EXPECT_FALSE(second_->keys.Find(id).has_value()) << id;
    EXPECT_FALSE(first_->keys.Find(id).has_value()) << id;
  }
}

TEST_F(KeyRingSyncTest, ReloadAllMakesTheRingWhatTheDatabaseHas) {
  const v1::AccessKey stored = CreateKeyThrough(*first_);
  ASSERT_TRUE(Eventually([&] { return second_->keys.Find(stored.access_key_id()).has_value(); }));
  // A ring that missed notifications: a stale key it should not have, a stored one lost.
  AccessKey stale;
  stale.secret = "stale-secret";
  stale.caller.account_id = kProvider;
  stale.caller.access_key_id = "AKIASTALE0000000000";
  second_->keys.Put(stale);
  second_->keys.Remove(stored.access_key_id());
  const int64_t before = second_->sync->batches_done();
  second_->sync->ReloadAll();
  ASSERT_TRUE(Eventually([&] { return second_->sync->batches_done() > before; }));
  EXPECT_FALSE(second_->keys.Find(stale.caller.access_key_id).has_value());
  EXPECT_TRUE(second_->keys.Find(stored.access_key_id()).has_value());
}

TEST_F(KeyRingSyncTest, KeySealedUnderAnotherSecretsKeyIsNotUsable) {
  // A replica started with another --secrets-key-file cannot open the secrets the first
  // one seals: it must not take such a key, nor keep an old copy of it.
  auth::SecretBox other = *auth::SecretBox::FromKey(std::string(32, 'o'));
  Replica mismatched(conninfo_, &other);
  const v1::AccessKey key = CreateKeyThrough(*first_);
  AccessKey copy;
  copy.secret = key.secret_access_key();
  copy.caller.account_id = kProvider;
  copy.caller.access_key_id = key.access_key_id();
  mismatched.keys.Put(copy);
  ASSERT_TRUE(Eventually([&] { return second_->keys.Find(key.access_key_id()).has_value(); }));
  // The mismatched replica's batch for that notification has run once a later change
  // reached it; a reload is such a change.
  const int64_t before = mismatched.sync->batches_done();
  mismatched.sync->ReloadAll();
  ASSERT_TRUE(Eventually([&] { return mismatched.sync->batches_done() > before; }));
  EXPECT_FALSE(mismatched.keys.Find(key.access_key_id()).has_value());
}

}  // namespace
}  // namespace gantry::api
