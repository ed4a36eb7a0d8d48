// The tokens of a kCommandsChannel notification, sorted to their targets.
#include "api/notifications.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::api {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(ParseNotifications, EachTokenToItsTarget) {
  const Notifications parsed = ParseNotifications(
      {"i-0a1b", "logs:i-2c3d", "answer:req-1", "key:AKIAEXAMPLE", "i-4e5f", "key:AKIAOTHER"});
  // A host with a log request is woken too: its poll must read the request.
  EXPECT_THAT(parsed.hosts_to_wake, ElementsAre("i-0a1b", "i-2c3d", "i-4e5f"));
  EXPECT_THAT(parsed.log_requests_for, ElementsAre("i-2c3d"));
  EXPECT_THAT(parsed.log_answers, ElementsAre("req-1"));
  EXPECT_THAT(parsed.access_keys, ElementsAre("AKIAEXAMPLE", "AKIAOTHER"));
}

TEST(ParseNotifications, NoTokens_NothingToDo) {
  const Notifications parsed = ParseNotifications({});
  EXPECT_THAT(parsed.hosts_to_wake, IsEmpty());
  EXPECT_THAT(parsed.log_requests_for, IsEmpty());
  EXPECT_THAT(parsed.log_answers, IsEmpty());
  EXPECT_THAT(parsed.access_keys, IsEmpty());
}

}  // namespace
}  // namespace gantry::api
