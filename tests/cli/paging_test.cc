// FetchAllPages: how gantryctl follows nextToken through a List* call.
#include <map>
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
using ::testing::IsEmpty;

TEST(FetchAllPages, FollowsTokensInOrder) {
  // Each token leads to a page; "" is the first request.
  const std::map<std::string, ListPage> pages = {
      {"", {{"a", "b"}, "t1"}},
      {"t1", {{}, "t2"}},  // an empty page with a token still continues
      {"t2", {{"c"}, ""}},
  };
  std::vector<std::string> asked;
  absl::StatusOr<std::vector<std::string>> items =
      FetchAllPages([&](const std::string& token) -> absl::StatusOr<ListPage> {
        asked.push_back(token);
        return pages.at(token);
      });
  ASSERT_THAT(items, IsOk());
  EXPECT_THAT(*items, ElementsAre("a", "b", "c"));
  EXPECT_THAT(asked, ElementsAre("", "t1", "t2"));
}

TEST(FetchAllPages, EmptyFirstPage_NoItems) {
  int calls = 0;
  absl::StatusOr<std::vector<std::string>> items =
      FetchAllPages([&](const std::string&) -> absl::StatusOr<ListPage> {
        ++calls;
        return ListPage{};
      });
  ASSERT_THAT(items, IsOk());
  EXPECT_THAT(*items, IsEmpty());
  EXPECT_EQ(calls, 1);
}

TEST(FetchAllPages, FetchError_ReturnedUnchangedAndStops) {
  int calls = 0;
  absl::StatusOr<std::vector<std::string>> items =
      FetchAllPages([&](const std::string& token) -> absl::StatusOr<ListPage> {
        ++calls;
        if (token.empty()) {
          return ListPage{{"a"}, "t1"};
        }
        return absl::UnavailableError("database down");
      });
  EXPECT_THAT(items, StatusIs(absl::StatusCode::kUnavailable, "database down"));
  EXPECT_EQ(calls, 2);
}

TEST(FetchAllPages, RepeatedToken_IsInternalError) {
  absl::StatusOr<std::vector<std::string>> items =
      FetchAllPages([](const std::string& token) -> absl::StatusOr<ListPage> {
        return ListPage{{"x"}, token == "t1" ? "t2" : "t1"};
      });
  EXPECT_THAT(items, StatusIs(absl::StatusCode::kInternal, "nextToken \"t1\" twice"));
}

TEST(FetchAllPages, EndlessDistinctTokens_StopsAtPageLimit) {
  int calls = 0;
  absl::StatusOr<std::vector<std::string>> items =
      FetchAllPages([&](const std::string&) -> absl::StatusOr<ListPage> {
        ++calls;
        return ListPage{{}, "t" + std::to_string(calls)};
      });
  EXPECT_THAT(items, StatusIs(absl::StatusCode::kInternal, "more than 1000 pages"));
  EXPECT_EQ(calls, kMaxListPages);
}

}  // namespace
}  // namespace gantry::cli
