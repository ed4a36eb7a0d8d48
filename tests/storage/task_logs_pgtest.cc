// Log requests against a real PostgreSQL: created for the task's host with a
// notification, handed out once, answered only by that host, read and deleted.
#include <optional>
#include <string>
#include <vector>

#include <pqxx/pqxx>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/storage.h"
#include "tests/storage/agent_fixture.h"
#include "tests/support/status_matchers.h"

namespace gantry::storage {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using testing::AgentTest;
using ::testing::IsEmpty;

using TaskLogsTest = AgentTest;

// Collects the commands channel's notifications.
class Notifications : public pqxx::notification_receiver {
 public:
  explicit Notifications(pqxx::connection_base& connection)
      : pqxx::notification_receiver(connection, kCommandsChannel) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    payloads.push_back(payload);
  }
  std::vector<std::string> payloads;
};

LogRequestRow Request(const std::string& id, const std::string& task_id) {
  return {.request_id = id,
          .task_id = task_id,
          .container = "app",
          .start_offset = 5,
          .max_bytes = 1000,
          .wait_ms = 2000};
}

TEST_F(TaskLogsTest, CreateTakeAnswerRead_OnceEachAndNotified) {
  HostRow host = Host();
  std::string task = Place(host, 1)[0];
  pqxx::connection listener(conninfo_);
  Notifications notifications(listener);
  auto created = CreateLogRequest(*connection_, Request("r1", task));
  ASSERT_THAT(created, IsOk());
  EXPECT_EQ(*created, host.instance_id);
  listener.await_notification(5, 0);
  EXPECT_THAT(notifications.payloads, ::testing::ElementsAre("logs:" + host.instance_id))
      << "the host's poll is woken";

  auto taken = TakeLogRequests(*connection_, host.instance_id);
  ASSERT_THAT(taken, IsOk());
  ASSERT_EQ(taken->size(), 1u);
  EXPECT_EQ(taken->front().request_id, "r1");
  EXPECT_EQ(taken->front().task_id, task);
  EXPECT_EQ(taken->front().account_id, testing::kAccount);
  EXPECT_EQ(taken->front().cluster, "default");
  EXPECT_EQ(taken->front().container, "app");
  EXPECT_EQ(taken->front().start_offset, 5);
  EXPECT_EQ(taken->front().max_bytes, 1000);
  EXPECT_EQ(taken->front().wait_ms, 2000);
  auto again = TakeLogRequests(*connection_, host.instance_id);
  ASSERT_THAT(again, IsOk());
  EXPECT_THAT(*again, IsEmpty()) << "handed out once";

  auto unanswered = TakeLogAnswer(*connection_, "r1");
  ASSERT_THAT(unanswered, IsOk());
  EXPECT_FALSE(unanswered->has_value());

  HostRow other = Host();
  EXPECT_THAT(SubmitLogAnswer(*connection_, other.instance_id, "r1", {"x", 1, ""}),
              StatusIs(absl::StatusCode::kNotFound, "requestId: r1"));
  const std::string bytes("line\n\xff\0end", 10);
  ASSERT_THAT(SubmitLogAnswer(*connection_, host.instance_id, "r1", {bytes, 15, ""}), IsOk());
  listener.await_notification(5, 0);
  EXPECT_EQ(notifications.payloads.back(), "answer:r1") << "the waiting call is woken";
  EXPECT_THAT(SubmitLogAnswer(*connection_, host.instance_id, "r1", {"again", 20, ""}),
              StatusIs(absl::StatusCode::kNotFound, ""))
      << "answered once";

  auto answer = TakeLogAnswer(*connection_, "r1");
  ASSERT_THAT(answer, IsOk());
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->data, bytes) << "bytes kept exactly, NUL and all";
  EXPECT_EQ((*answer)->next_offset, 15);
  EXPECT_EQ((*answer)->error, "");
  EXPECT_THAT(TakeLogAnswer(*connection_, "r1"), StatusIs(absl::StatusCode::kNotFound, "r1"))
      << "deleted once read";
}

TEST_F(TaskLogsTest, UnplacedTask_FailedPrecondition_Deleted_AndErrorsKept) {
  NewTask waiting = Task();
  Round round{.region = "us-east-1"};
  round.new_tasks.push_back(waiting);
  ASSERT_THAT(CommitRound(*connection_, round), IsOk());
  EXPECT_THAT(CreateLogRequest(*connection_, Request("r2", waiting.task_id)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "has no host yet"));

  HostRow host = Host();
  std::string task = Place(host, 1)[0];
  ASSERT_THAT(CreateLogRequest(*connection_, Request("r3", task)), IsOk());
  ASSERT_THAT(DeleteLogRequest(*connection_, "r3"), IsOk());
  EXPECT_THAT(TakeLogRequests(*connection_, host.instance_id), IsOk());
  EXPECT_THAT(DeleteLogRequest(*connection_, "r3"), IsOk()) << "idempotent";

  ASSERT_THAT(CreateLogRequest(*connection_, Request("r4", task)), IsOk());
  ASSERT_THAT(SubmitLogAnswer(*connection_, host.instance_id, "r4", {"", 0, "no such container"}),
              IsOk());
  auto answer = TakeLogAnswer(*connection_, "r4");
  ASSERT_THAT(answer, IsOk());
  ASSERT_TRUE(answer->has_value());
  EXPECT_EQ((*answer)->error, "no such container");

  // A lost host has no agent to ask (its tasks are stopped, and keep their host).
  ASSERT_THAT(MarkLostHosts(*connection_, absl::ZeroDuration(), 100), IsOk());
  EXPECT_THAT(CreateLogRequest(*connection_, Request("r5", task)),
              StatusIs(absl::StatusCode::kFailedPrecondition, "was lost"));
}

}  // namespace
}  // namespace gantry::storage
