// Table output of the task and container-instance commands.
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli {
namespace {

namespace pb = google::protobuf;

using internal::kNone;
using internal::LastArnSegment;
using internal::OrNone;
using internal::RenderFailures;
using internal::RenderList;

constexpr std::string_view kZoneAttribute = "ecs.availability-zone";
constexpr std::string_view kPrivateIpDetail = "privateIPv4Address";

// The first privateIPv4Address among the task's attachment details (the ENI's).
std::string TaskIp(const v1::Task& task) {
  for (const v1::Attachment& attachment : task.attachments()) {
    for (const v1::KeyValuePair& detail : attachment.details()) {
      if (detail.name() == kPrivateIpDetail && !detail.value().empty()) {
        return detail.value();
      }
    }
  }
  return std::string(kNone);
}

std::vector<std::string> TaskRow(const v1::Task& t) {
  return {LastArnSegment(t.task_arn()),
          LastArnSegment(t.task_definition_arn()),
          OrNone(t.has_last_status(), t.last_status()),
          OrNone(t.has_desired_status(), t.desired_status()),
          OrNone(t.has_availability_zone(), t.availability_zone()),
          TaskIp(t),
          LastArnSegment(t.container_instance_arn()),
          OrNone(t.has_cpu(), t.cpu()),
          OrNone(t.has_memory(), t.memory())};
}

std::string RenderTasks(const pb::RepeatedPtrField<v1::Task>& tasks) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Task& task : tasks) {
    rows.push_back(TaskRow(task));
  }
  return RenderTable(
      {"TASK", "DEFINITION", "LAST STATUS", "DESIRED", "ZONE", "IP", "HOST", "CPU", "MEMORY"},
      rows);
}

// RunTask's failures usually carry no ARN (no capacity anywhere), so the reason leads.
std::string RenderRunFailures(const pb::RepeatedPtrField<v1::Failure>& failures) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Failure& f : failures) {
    rows.push_back({f.reason(), OrNone(f.has_detail(), f.detail()), f.arn()});
  }
  return absl::StrCat("Failures:\n", RenderTable({"REASON", "DETAIL", "ARN"}, rows));
}

std::string AttributeValue(const v1::ContainerInstance& instance, std::string_view name) {
  for (const v1::Attribute& attribute : instance.attributes()) {
    if (attribute.name() == name && attribute.has_value()) {
      return attribute.value();
    }
  }
  return std::string(kNone);
}

// The amount of resource `name` ("CPU", "MEMORY"); "?" when absent.
std::string ResourceAmount(const pb::RepeatedPtrField<v1::Resource>& resources,
                           std::string_view name) {
  for (const v1::Resource& r : resources) {
    if (r.name() != name) {
      continue;
    }
    if (r.has_integer_value()) {
      return absl::StrCat(r.integer_value());
    }
    if (r.has_long_value()) {
      return absl::StrCat(r.long_value());
    }
    if (r.has_double_value()) {
      return absl::StrCat(r.double_value());
    }
  }
  return "?";
}

std::string FreeOfTotal(const v1::ContainerInstance& instance, std::string_view name) {
  return absl::StrCat(ResourceAmount(instance.remaining_resources(), name), "/",
                      ResourceAmount(instance.registered_resources(), name));
}

std::vector<std::string> InstanceRow(const v1::ContainerInstance& c) {
  return {LastArnSegment(c.container_instance_arn()),
          AttributeValue(c, kZoneAttribute),
          OrNone(c.has_status(), c.status()),
          FreeOfTotal(c, "CPU"),
          FreeOfTotal(c, "MEMORY"),
          absl::StrCat(OrNone(c.has_running_tasks_count(), c.running_tasks_count()), "/",
                       OrNone(c.has_pending_tasks_count(), c.pending_tasks_count()))};
}

// Container-instance failures: the reason first (`MISSING  arn`), as ECS's are terse.
std::string RenderInstanceFailures(const pb::RepeatedPtrField<v1::Failure>& failures) {
  if (failures.empty()) {
    return "";
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::Failure& f : failures) {
    rows.push_back({f.reason(), f.arn(), f.has_detail() ? f.detail() : ""});
  }
  return absl::StrCat("\nFailures:\n", RenderTable({"REASON", "ARN", "DETAIL"}, rows));
}

}  // namespace

std::string FormatTable(const v1::RunTaskResponse& response) {
  if (response.failures().empty()) {
    return RenderTasks(response.tasks());
  }
  // Only failures (nothing could be placed): no empty task table above them.
  if (response.tasks().empty()) {
    return RenderRunFailures(response.failures());
  }
  return absl::StrCat(RenderTasks(response.tasks()), "\n", RenderRunFailures(response.failures()));
}

std::string FormatTable(const v1::StopTaskResponse& response) {
  pb::RepeatedPtrField<v1::Task> tasks;
  if (response.has_task()) {
    *tasks.Add() = response.task();
  }
  return RenderTasks(tasks);
}

std::string FormatTable(const v1::DescribeTasksResponse& response) {
  return absl::StrCat(RenderTasks(response.tasks()), RenderFailures(response.failures()));
}

std::string FormatTable(const v1::ListTasksResponse& response) {
  return RenderList("TASK ARN", response.task_arns());
}

std::string FormatTable(const v1::DescribeTaskMetricsResponse& response) {
  std::string out;
  for (const v1::TaskMetricsRecord& record : response.task_metrics()) {
    absl::StrAppend(&out, "TASK ", LastArnSegment(record.task_arn()), "  ",
                    OrNone(record.has_last_status(), record.last_status()), "  sampled ",
                    FormatEpochSeconds(record.timestamp()), "\n");
    std::vector<std::vector<std::string>> rows;
    for (const v1::TaskMetric& metric : record.metrics()) {
      // Two decimals are plenty for people; --output json has the exact figure.
      std::string value = absl::StrFormat("%.2f", metric.value());
      if (absl::EndsWith(value, ".00")) {
        value.resize(value.size() - 3);
      }
      rows.push_back({metric.name(), value, metric.unit()});
    }
    absl::StrAppend(&out, RenderTable({"METRIC", "VALUE", "UNIT"}, rows));
  }
  return absl::StrCat(out, RenderFailures(response.failures()));
}

std::string FormatTable(const v1::GetTaskLogsResponse& response) { return response.data(); }

std::string FormatTable(const v1::RegisterHostResponse& response) {
  return RenderTable({"CONTAINER INSTANCE ARN"}, {{response.container_instance_arn()}});
}

std::string FormatTable(const v1::ListContainerInstancesResponse& response) {
  return RenderList("CONTAINER INSTANCE ARN", response.container_instance_arns());
}

std::string FormatTable(const v1::DescribeContainerInstancesResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ContainerInstance& instance : response.container_instances()) {
    rows.push_back(InstanceRow(instance));
  }
  return absl::StrCat(RenderTable({"ID", "ZONE", "STATUS", "CPU FREE/TOTAL", "MEMORY FREE/TOTAL",
                                   "TASKS RUNNING/PENDING"},
                                  rows),
                      RenderInstanceFailures(response.failures()));
}

std::string FormatTable(const v1::UpdateContainerInstancesStateResponse& response) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ContainerInstance& instance : response.container_instances()) {
    rows.push_back(
        {LastArnSegment(instance.container_instance_arn()),
         OrNone(instance.has_status(), instance.status()),
         OrNone(instance.has_agent_connected(), instance.agent_connected() ? "true" : "false")});
  }
  return absl::StrCat(RenderTable({"ID", "STATUS", "AGENT CONNECTED"}, rows),
                      RenderInstanceFailures(response.failures()));
}

}  // namespace gantry::cli
