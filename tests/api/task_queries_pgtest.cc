// DescribeTasks, ListTasks and StopTask over a real PostgreSQL and a real scheduler,
// driven through their callbacks (as the gRPC service drives them). Every test ends by
// checking the scheduler's invariants in SQL.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "api/api.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/api/task_operations_test_support.h"
#include "tests/support/status_matchers.h"

namespace gantry::api::task_operations_test {
namespace {

using ::gantry::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// ---- DescribeTasks -------------------------------------------------------------

TEST_F(TaskOperationsTest, DescribeTasks_RequestOrderMissingAndTags) {
  AddHost("us-east-1a");
  v1::RunTaskRequest request = RunRequest(3);
  v1::Tag* tag = request.add_tags();
  tag->set_key("team");
  tag->set_value("core");
  std::vector<std::string> arns = RunOk(request);
  ASSERT_EQ(arns.size(), 3u);
  const std::string other_cluster = Arn("task/other/" + IdOf(arns[1]));
  const std::vector<std::string> refs = {IdOf(arns[2]), kUnknownTaskId, arns[0], other_cluster,
                                         Arn(std::string("task/") + IdOf(arns[1]))};
  absl::StatusOr<v1::DescribeTasksResponse> response = Describe(refs);
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(ArnsOf(response->tasks()), ElementsAre(arns[2], arns[0], arns[1]));
  for (const v1::Task& task : response->tasks()) EXPECT_EQ(task.tags_size(), 0);
  ASSERT_EQ(response->failures_size(), 2);
  EXPECT_EQ(response->failures(0).arn(), Arn(std::string("task/default/") + kUnknownTaskId));
  EXPECT_EQ(response->failures(0).reason(), "MISSING");
  EXPECT_EQ(response->failures(1).arn(), other_cluster);
  EXPECT_EQ(response->failures(1).reason(), "MISSING");

  absl::StatusOr<v1::DescribeTasksResponse> tagged = Describe({arns[0]}, /*with_tags=*/true);
  ASSERT_THAT(tagged, IsOk());
  ASSERT_EQ(tagged->tasks_size(), 1);
  ASSERT_EQ(tagged->tasks(0).tags_size(), 1);
  EXPECT_EQ(tagged->tasks(0).tags(0).key(), "team");
  EXPECT_EQ(tagged->tasks(0).tags(0).value(), "core");
}

TEST_F(TaskOperationsTest, DescribeTasks_OtherCluster_TasksOfThatClusterOnly) {
  v1::CreateClusterRequest create;
  create.set_cluster_name("prod");
  ASSERT_THAT(CallOnce(*ecs_, &EcsOperations::CreateCluster, create), IsOk());
  v1::RunTaskRequest request = RunRequest();
  request.set_cluster("prod");
  absl::StatusOr<v1::RunTaskResponse> run = RunTask(request);
  ASSERT_THAT(run, IsOk());
  ASSERT_EQ(run->tasks_size(), 1);
  const std::string arn = run->tasks(0).task_arn();
  EXPECT_THAT(arn, StartsWith(Arn("task/prod/")));
  EXPECT_EQ(run->tasks(0).cluster_arn(), Arn("cluster/prod"));

  v1::DescribeTasksRequest in_prod;
  in_prod.set_cluster("prod");
  in_prod.add_tasks(IdOf(arn));
  absl::StatusOr<v1::DescribeTasksResponse> found =
      CallOnce(*ecs_, &EcsOperations::DescribeTasks, in_prod);
  ASSERT_THAT(found, IsOk());
  EXPECT_THAT(ArnsOf(found->tasks()), ElementsAre(arn));

  absl::StatusOr<v1::DescribeTasksResponse> in_default = Describe({IdOf(arn)});
  ASSERT_THAT(in_default, IsOk());
  EXPECT_THAT(in_default->tasks(), IsEmpty());
  ASSERT_EQ(in_default->failures_size(), 1);
  EXPECT_EQ(in_default->failures(0).reason(), "MISSING");
}

// As ECS answers: what cannot name one of the caller's tasks is MISSING beside the tasks
// that were found, not an error for the whole call.
TEST_F(TaskOperationsTest, DescribeTasks_MalformedIdOrForeignArn_MissingBesideTheOthers) {
  AddHost("us-east-1a");
  std::vector<std::string> arns = RunOk(RunRequest(1));
  ASSERT_EQ(arns.size(), 1u);
  const std::string foreign =
      "arn:aws:ecs:us-east-1:123456789012:task/default/" + std::string(kUnknownTaskId);
  const std::string other_region =
      "arn:aws:ecs:eu-west-1:000000000000:task/default/" + IdOf(arns[0]);
  absl::StatusOr<v1::DescribeTasksResponse> response =
      Describe({"nope", arns[0], foreign, other_region});
  ASSERT_THAT(response, IsOk());
  EXPECT_THAT(ArnsOf(response->tasks()), ElementsAre(arns[0]));
  ASSERT_EQ(response->failures_size(), 3);
  EXPECT_EQ(response->failures(0).arn(), Arn("task/default/nope"));
  EXPECT_EQ(response->failures(1).arn(), foreign);
  EXPECT_EQ(response->failures(2).arn(), other_region);
  for (const v1::Failure& failure : response->failures()) {
    EXPECT_EQ(failure.reason(), "MISSING") << failure.arn();
  }
}

TEST_F(TaskOperationsTest, DescribeTasks_InvalidRequests_Refused) {
  EXPECT_THAT(Describe({}), StatusIs(kInvalid, "tasks: 0 tasks given; give 1 to 100"));
  std::vector<std::string> many(101, kUnknownTaskId);
  EXPECT_THAT(Describe(many), StatusIs(kInvalid, "tasks: 101 tasks given"));
  EXPECT_THAT(Describe({kUnknownTaskId, ""}), StatusIs(kInvalid, "tasks[1]: "));
  v1::DescribeTasksRequest bad_include;
  bad_include.add_tasks(kUnknownTaskId);
  bad_include.add_include("TAGZ");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::DescribeTasks, bad_include),
              StatusIs(kInvalid, "include"));
  v1::DescribeTasksRequest unknown_cluster;
  unknown_cluster.set_cluster("nope");
  unknown_cluster.add_tasks(kUnknownTaskId);
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::DescribeTasks, unknown_cluster),
              StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
}

// ---- ListTasks -----------------------------------------------------------------

TEST_F(TaskOperationsTest, ListTasks_Filters) {
  Register("batch");
  const std::string host = AddHost("us-east-1a");
  // A host in a zone without subnets: nothing is ever placed on it.
  const std::string idle = AddHost("us-east-1c");
  v1::RunTaskRequest web = RunRequest(2);
  web.set_started_by("alpha");
  std::vector<std::string> webs = RunOk(web);
  v1::RunTaskRequest batch = RunRequest(1);
  batch.set_task_definition("batch");
  batch.set_started_by("beta");
  std::vector<std::string> batches = RunOk(batch);
  ASSERT_EQ(webs.size(), 2u);
  ASSERT_EQ(batches.size(), 1u);
  std::vector<std::string> all = webs;
  all.push_back(batches[0]);
  std::sort(all.begin(), all.end());
  std::sort(webs.begin(), webs.end());

  EXPECT_THAT(ListAll(v1::ListTasksRequest()), ElementsAreArray(all));
  v1::ListTasksRequest request;
  request.set_family("web");
  EXPECT_THAT(ListAll(request), ElementsAreArray(webs));
  request.set_family("batch");
  EXPECT_THAT(ListAll(request), ElementsAreArray(batches));
  request.set_family("none");
  EXPECT_THAT(ListAll(request), IsEmpty());

  request = v1::ListTasksRequest();
  request.set_started_by("alpha");
  EXPECT_THAT(ListAll(request), ElementsAreArray(webs));
  request.set_started_by("beta");
  EXPECT_THAT(ListAll(request), ElementsAreArray(batches));

  request = v1::ListTasksRequest();
  request.set_container_instance(host);
  EXPECT_THAT(ListAll(request), ElementsAreArray(all));
  request.set_container_instance(Arn("container-instance/" + host));
  request.set_family("batch");
  EXPECT_THAT(ListAll(request), ElementsAreArray(batches));
  request = v1::ListTasksRequest();
  request.set_container_instance(idle);
  EXPECT_THAT(ListAll(request), IsEmpty());

  request = v1::ListTasksRequest();
  request.set_desired_status("PENDING");
  EXPECT_THAT(ListAll(request), IsEmpty());
  request = v1::ListTasksRequest();
  request.set_service_name("api");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::ListTasks, request),
              StatusIs(kNotFound, "serviceName: service \"api\" not found"));
  request = v1::ListTasksRequest();
  request.set_launch_type("EC2");
  EXPECT_THAT(ListAll(request), IsEmpty());
  request.set_launch_type("FARGATE");
  EXPECT_THAT(ListAll(request), ElementsAreArray(all));

  // desiredStatus STOPPED after a StopTask; the stopped task leaves the RUNNING list.
  request = v1::ListTasksRequest();
  request.set_desired_status("STOPPED");
  EXPECT_THAT(ListAll(request), IsEmpty());
  ASSERT_THAT(StopTask(webs[0]), IsOk());
  EXPECT_THAT(ListAll(request), ElementsAre(webs[0]));
  request.set_family("web");
  EXPECT_THAT(ListAll(request), ElementsAre(webs[0]));
  request.set_family("batch");
  EXPECT_THAT(ListAll(request), IsEmpty());
  std::vector<std::string> running = all;
  running.erase(std::find(running.begin(), running.end(), webs[0]));
  EXPECT_THAT(ListAll(v1::ListTasksRequest()), ElementsAreArray(running));
  request = v1::ListTasksRequest();
  request.set_started_by("alpha");
  EXPECT_THAT(ListAll(request), ElementsAre(webs[1]));
}

TEST_F(TaskOperationsTest, ListTasks_MaxResults_ThreePages) {
  // No host: the tasks wait, and are listed all the same (desired RUNNING).
  std::vector<std::string> arns = RunOk(RunRequest(7));
  ASSERT_EQ(arns.size(), 7u);
  std::sort(arns.begin(), arns.end());
  v1::ListTasksRequest request;
  request.set_max_results(3);

  absl::StatusOr<v1::ListTasksResponse> first = List(request);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(first->task_arns(), ElementsAre(arns[0], arns[1], arns[2]));
  ASSERT_TRUE(first->has_next_token());
  request.set_next_token(first->next_token());
  absl::StatusOr<v1::ListTasksResponse> second = List(request);
  ASSERT_THAT(second, IsOk());
  EXPECT_THAT(second->task_arns(), ElementsAre(arns[3], arns[4], arns[5]));
  ASSERT_TRUE(second->has_next_token());
  request.set_next_token(second->next_token());
  absl::StatusOr<v1::ListTasksResponse> third = List(request);
  ASSERT_THAT(third, IsOk());
  EXPECT_THAT(third->task_arns(), ElementsAre(arns[6]));
  EXPECT_FALSE(third->has_next_token());

  int pages = 0;
  v1::ListTasksRequest exact;
  exact.set_max_results(7);
  EXPECT_THAT(ListAll(exact, &pages), ElementsAreArray(arns));
  EXPECT_EQ(pages, 1);
  exact.set_max_results(1);
  EXPECT_THAT(ListAll(exact, &pages), ElementsAreArray(arns));
  EXPECT_EQ(pages, 7);
}

TEST_F(TaskOperationsTest, ListTasks_InvalidRequests_Refused) {
  v1::ListTasksRequest token;
  token.set_next_token("not-a-token");
  EXPECT_THAT(List(token), StatusIs(kInvalid, "nextToken: "));
  v1::ListTasksRequest cluster;
  cluster.set_cluster("nope");
  EXPECT_THAT(List(cluster), StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
  v1::ListTasksRequest both;
  both.set_started_by("a");
  both.set_family("web");
  EXPECT_THAT(List(both), StatusIs(kInvalid, "startedBy: must be the only filter"));
  v1::ListTasksRequest size;
  size.set_max_results(0);
  EXPECT_THAT(List(size), StatusIs(kInvalid, "maxResults: 0 is out of range"));
}

// ---- StopTask ------------------------------------------------------------------

TEST_F(TaskOperationsTest, StopTask_WaitingTask_StoppedAtOnceAndIdempotent) {
  std::vector<std::string> arns = RunOk(RunRequest());
  ASSERT_EQ(arns.size(), 1u);
  absl::StatusOr<v1::StopTaskResponse> stopped = StopTask(IdOf(arns[0]), "no longer needed");
  ASSERT_THAT(stopped, IsOk());
  const v1::Task& task = stopped->task();
  EXPECT_EQ(task.task_arn(), arns[0]);
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.desired_status(), "STOPPED");
  EXPECT_EQ(task.stop_code(), "UserInitiated");
  EXPECT_EQ(task.stopped_reason(), "no longer needed");
  EXPECT_TRUE(task.has_stopping_at());
  EXPECT_TRUE(task.has_execution_stopped_at());
  EXPECT_TRUE(task.has_stopped_at());
  EXPECT_GE(task.stopped_at(), task.created_at());
  EXPECT_EQ(task.attachments_size(), 0);
  EXPECT_EQ(task.tags_size(), 0);
  for (const v1::Container& container : task.containers()) {
    EXPECT_EQ(container.last_status(), "STOPPED");
  }

  absl::StatusOr<v1::StopTaskResponse> again = StopTask(arns[0], "second reason");
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->task().last_status(), "STOPPED");
  EXPECT_EQ(again->task().stopped_reason(), "no longer needed");
  EXPECT_DOUBLE_EQ(again->task().stopped_at(), task.stopped_at());
  EXPECT_EQ(again->task().version(), task.version());

  v1::Task described = DescribeOne(arns[0]);
  EXPECT_EQ(described.last_status(), "STOPPED");
  EXPECT_EQ(described.stop_code(), "UserInitiated");
}

TEST_F(TaskOperationsTest, StopTask_PlacedTask_ReleasesCapacityForAWaitingTask) {
  // Room for exactly four 256-unit tasks.
  const std::string host = AddHost("us-east-1a", /*cpu=*/1024, /*memory=*/4096);
  std::vector<std::string> placed = RunOk(RunRequest(4));
  ASSERT_EQ(placed.size(), 4u);
  for (const std::string& arn : placed) {
    EXPECT_EQ(DescribeOne(arn).availability_zone(), "us-east-1a");
  }
  std::vector<std::string> waiting = RunOk(RunRequest(1));
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(DescribeOne(waiting[0]).attachments_size(), 0);

  absl::StatusOr<v1::StopTaskResponse> stopped = StopTask(placed[1]);
  ASSERT_THAT(stopped, IsOk());
  const v1::Task& task = stopped->task();
  EXPECT_EQ(task.last_status(), "STOPPED");
  EXPECT_EQ(task.desired_status(), "STOPPED");
  EXPECT_EQ(task.stop_code(), "UserInitiated");
  EXPECT_EQ(task.stopped_reason(), "Task stopped by user");
  EXPECT_EQ(task.container_instance_arn(), Arn("container-instance/" + host));
  ASSERT_EQ(task.attachments_size(), 1);
  EXPECT_EQ(task.attachments(0).status(), "DELETED");

  v1::Task now_placed = AwaitPlaced(waiting[0]);
  EXPECT_EQ(now_placed.container_instance_arn(), Arn("container-instance/" + host));
  EXPECT_EQ(now_placed.availability_zone(), "us-east-1a");

  absl::StatusOr<v1::StopTaskResponse> again = StopTask(placed[1]);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(again->task().version(), task.version());
  EXPECT_EQ(again->task().stopped_reason(), "Task stopped by user");
}

TEST_F(TaskOperationsTest, StopTask_InvalidOrUnknown_Refused) {
  EXPECT_THAT(StopTask(kUnknownTaskId),
              StatusIs(kNotFound, std::string("task: task ") + kUnknownTaskId +
                                      " does not exist in cluster default"));
  EXPECT_THAT(StopTask(""), StatusIs(kInvalid, "task: required"));
  EXPECT_THAT(StopTask("nope"), StatusIs(kInvalid, "task: \"nope\" is not a task id"));
  EXPECT_THAT(StopTask(kUnknownTaskId, std::string(256, 'r')),
              StatusIs(kInvalid, "reason: 256 characters; at most 255"));

  std::vector<std::string> arns = RunOk(RunRequest());
  ASSERT_EQ(arns.size(), 1u);
  // The ARN names cluster default; asking in another cluster finds nothing.
  v1::StopTaskRequest mismatch;
  mismatch.set_task(arns[0]);
  mismatch.set_cluster("prod");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::StopTask, mismatch),
              StatusIs(kNotFound, "does not exist in cluster prod"));
  v1::StopTaskRequest unknown_cluster;
  unknown_cluster.set_task(IdOf(arns[0]));
  unknown_cluster.set_cluster("nope");
  EXPECT_THAT(CallOnce(*ecs_, &EcsOperations::StopTask, unknown_cluster),
              StatusIs(kNotFound, "cluster: cluster \"nope\" does not exist"));
  EXPECT_EQ(DescribeOne(arns[0]).last_status(), "PROVISIONING");
}

// Contract 2.3: "Tags of a stopped task are deleted."
TEST_F(TaskOperationsTest, StopTask_TagsOfTheStoppedTaskAreDeleted) {
  v1::RunTaskRequest request = RunRequest();
  v1::Tag* tag = request.add_tags();
  tag->set_key("team");
  tag->set_value("core");
  std::vector<std::string> arns = RunOk(request);
  ASSERT_EQ(arns.size(), 1u);
  ASSERT_THAT(StopTask(arns[0]), IsOk());
  absl::StatusOr<v1::DescribeTasksResponse> described = Describe({arns[0]}, /*with_tags=*/true);
  ASSERT_THAT(described, IsOk());
  ASSERT_EQ(described->tasks_size(), 1);
  EXPECT_EQ(described->tasks(0).last_status(), "STOPPED");
  EXPECT_EQ(described->tasks(0).tags_size(), 0);
}

}  // namespace
}  // namespace gantry::api::task_operations_test
