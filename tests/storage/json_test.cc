// Storage's JSON columns: the shared-document cache and the empty fast paths.
#include "storage/internal/json.h"

#include <string>

#include "gantry/v1/ecs_tasks.pb.h"
#include "gantry/v1/ecs_types.pb.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/internal/errors.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage::internal {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;

constexpr char kWeb[] = R"({"family":"web","cpu":"256","containerDefinitions":[{"name":"app"}]})";
constexpr char kApi[] = R"({"family":"api","cpu":"512","containerDefinitions":[{"name":"srv"}]})";

TEST(FromSharedJsonText, SameTextTwice_SameMessage) {
  gantry::v1::TaskDefinition first, second;
  ASSERT_THAT(FromSharedJsonText(kWeb, &first), IsOk());
  ASSERT_THAT(FromSharedJsonText(kWeb, &second), IsOk());
  EXPECT_EQ(first.family(), "web");
  EXPECT_EQ(first.container_definitions(0).name(), "app");
  EXPECT_EQ(first.SerializeAsString(), second.SerializeAsString());
}

TEST(FromSharedJsonText, CallersGetCopies) {
  gantry::v1::TaskDefinition first;
  ASSERT_THAT(FromSharedJsonText(kWeb, &first), IsOk());
  first.set_family("changed by the caller");
  gantry::v1::TaskDefinition again;
  ASSERT_THAT(FromSharedJsonText(kWeb, &again), IsOk());
  EXPECT_EQ(again.family(), "web");
}

TEST(FromSharedJsonText, DifferentTexts_DifferentMessages) {
  gantry::v1::TaskDefinition web, api;
  ASSERT_THAT(FromSharedJsonText(kWeb, &web), IsOk());
  ASSERT_THAT(FromSharedJsonText(kApi, &api), IsOk());
  EXPECT_EQ(web.cpu(), "256");
  EXPECT_EQ(api.cpu(), "512");
  EXPECT_EQ(api.container_definitions(0).name(), "srv");
}

TEST(FromSharedJsonText, SameTextAnotherType_ParsedForThatType) {
  gantry::v1::TaskDefinition definition;
  ASSERT_THAT(FromSharedJsonText(R"({"family":"web"})", &definition), IsOk());
  gantry::v1::Task task;  // no `family` member: ignored, not a copy of the definition
  ASSERT_THAT(FromSharedJsonText(R"({"family":"web"})", &task), IsOk());
  EXPECT_EQ(task.ByteSizeLong(), 0u);
}

TEST(FromSharedJsonText, Malformed_InternalErrorAndNothingCached) {
  gantry::v1::TaskDefinition definition;
  EXPECT_THAT(FromSharedJsonText("{\"family\":", &definition),
              StatusIs(absl::StatusCode::kInternal, "does not parse"));
  EXPECT_THAT(FromSharedJsonText("{\"family\":", &definition),
              StatusIs(absl::StatusCode::kInternal, "does not parse"));
}

TEST(FromJsonText, EmptyObject_ClearsTheMessage) {
  gantry::v1::TaskOverride overrides;
  overrides.set_cpu("1024");
  ASSERT_THAT(FromJsonText("{}", &overrides), IsOk());
  EXPECT_EQ(overrides.ByteSizeLong(), 0u);
}

TEST(TagsFromJsonText, EmptyAndNonEmpty) {
  auto none = TagsFromJsonText("[]");
  ASSERT_THAT(none, IsOk());
  EXPECT_TRUE(none->empty());
  auto tags = TagsFromJsonText(R"([{"key":"team","value":"core"}])");
  ASSERT_THAT(tags, IsOk());
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].key(), "team");
  EXPECT_EQ((*tags)[0].value(), "core");
}

TEST(ToBoolArray, Literal) {
  EXPECT_EQ(ToBoolArray({}), "{}");
  EXPECT_EQ(ToBoolArray({true, false, true}), "{t,f,t}");
}

}  // namespace
}  // namespace gantry::storage::internal
