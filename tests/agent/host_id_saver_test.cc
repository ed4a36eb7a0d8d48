// agent/host_id_saver: new host ids are saved before their waiters run, saves are
// batched, and a failed save keeps its waiters waiting until a retry succeeds.
#include "agent/host_id_saver.h"

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/agent/fake_loop.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent {
namespace {

using ::gantry::agent::testing::FakeLoop;
using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kId0[] = "00000000000000000000000000000000";
constexpr char kId1[] = "11111111111111111111111111111111";
constexpr char kId2[] = "22222222222222222222222222222222";

class HostIdSaverTest : public ::testing::Test {
 protected:
  HostIdSaver::SaveFn Save() {
    return [this](const std::vector<std::string>& ids) {
      saves_.push_back(ids);
      if (fail_next_ > 0) {
        --fail_next_;
        return absl::InternalError("write /state/hosts.tmp: No space left on device");
      }
      return absl::OkStatus();
    };
  }

  // A waiter that records which saves had happened when it ran.
  std::function<void()> Waiter(const std::string& name) {
    return [this, name] { ran_.push_back(absl::StrCat(name, "@", saves_.size())); };
  }

  FakeLoop loop_;
  std::vector<std::vector<std::string>> saves_;
  std::vector<std::string> ran_;
  int fail_next_ = 0;
  HostIdSaver saver_{{kId0, "", ""},
                     Save(),
                     &loop_,
                     {.min_interval = absl::Milliseconds(200), .retry_delay = absl::Seconds(1)}};
};

TEST_F(HostIdSaverTest, NewId_SavedAtOnceBeforeItsWaiterRuns) {
  saver_.Record(2, kId2, Waiter("host2"));
  EXPECT_THAT(ran_, IsEmpty());
  loop_.RunUntilIdle();
  ASSERT_EQ(saves_.size(), 1u);
  EXPECT_THAT(saves_[0], ElementsAre(kId0, "", kId2));
  EXPECT_THAT(ran_, ElementsAre("host2@1"));
  EXPECT_THAT(saver_.ids(), ElementsAre(kId0, "", kId2));
}

TEST_F(HostIdSaverTest, IdsRecordedWithinTheInterval_ShareOneSave) {
  saver_.Record(0, kId1, Waiter("host0"));
  loop_.RunUntilIdle();
  ASSERT_EQ(saves_.size(), 1u);
  saver_.Record(1, kId1, Waiter("host1"));
  saver_.Record(2, kId2, Waiter("host2"));
  loop_.Advance(absl::Milliseconds(199));
  EXPECT_EQ(saves_.size(), 1u);
  EXPECT_THAT(ran_, ElementsAre("host0@1"));
  loop_.Advance(absl::Milliseconds(1));
  ASSERT_EQ(saves_.size(), 2u);
  EXPECT_THAT(saves_[1], ElementsAre(kId1, kId1, kId2));
  EXPECT_THAT(ran_, ElementsAre("host0@1", "host1@2", "host2@2"));
}

TEST_F(HostIdSaverTest, SaveFails_WaitersWaitForTheRetry) {
  fail_next_ = 2;
  saver_.Record(1, kId1, Waiter("host1"));
  loop_.RunUntilIdle();
  EXPECT_EQ(saves_.size(), 1u);
  EXPECT_THAT(ran_, IsEmpty());
  saver_.Record(2, kId2, Waiter("host2"));
  loop_.Advance(absl::Milliseconds(999));
  EXPECT_EQ(saves_.size(), 1u);
  loop_.Advance(absl::Milliseconds(1));
  EXPECT_EQ(saves_.size(), 2u);
  EXPECT_THAT(ran_, IsEmpty());
  loop_.Advance(absl::Seconds(1));
  ASSERT_EQ(saves_.size(), 3u);
  EXPECT_THAT(saves_[2], ElementsAre(kId0, kId1, kId2));
  EXPECT_THAT(ran_, ElementsAre("host1@3", "host2@3"));
  loop_.Advance(absl::Minutes(1));
  EXPECT_EQ(saves_.size(), 3u) << "nothing left to save";
}

TEST_F(HostIdSaverTest, SaveNow_SavesOnlyWhatChanged) {
  EXPECT_THAT(saver_.SaveNow(), IsOk());
  EXPECT_THAT(saves_, IsEmpty());
  saver_.Record(1, kId1, Waiter("host1"));
  fail_next_ = 1;
  EXPECT_THAT(saver_.SaveNow(), StatusIs(absl::StatusCode::kInternal, "No space left"));
  EXPECT_THAT(saver_.SaveNow(), IsOk());
  EXPECT_THAT(ran_, ElementsAre("host1@2"));
  EXPECT_THAT(saver_.SaveNow(), IsOk());
  EXPECT_EQ(saves_.size(), 2u);
  loop_.Advance(absl::Minutes(1));
  EXPECT_EQ(saves_.size(), 2u) << "the scheduled saves found nothing to do";
}

TEST_F(HostIdSaverTest, Closed_DropsWaitersButSavesIds) {
  saver_.Record(1, kId1, Waiter("host1"));
  saver_.Close();
  saver_.Record(2, kId2, Waiter("host2"));
  loop_.Advance(absl::Minutes(1));
  EXPECT_THAT(saves_, IsEmpty());
  EXPECT_THAT(saver_.SaveNow(), IsOk());
  ASSERT_EQ(saves_.size(), 1u);
  EXPECT_THAT(saves_[0], ElementsAre(kId0, kId1, kId2));
  EXPECT_THAT(ran_, IsEmpty());
}

TEST_F(HostIdSaverTest, IndexBeyondTheLoadedIds_Grows) {
  saver_.Record(5, kId2, Waiter("host5"));
  loop_.RunUntilIdle();
  ASSERT_EQ(saves_.size(), 1u);
  EXPECT_THAT(saves_[0], ElementsAre(kId0, "", "", "", "", kId2));
}

}  // namespace
}  // namespace gantry::agent
