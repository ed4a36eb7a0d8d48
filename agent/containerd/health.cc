#include "agent/containerd/health.h"

#include <signal.h>

#include <random>

#include "google/protobuf/struct.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::agent::containerd {
namespace {

constexpr char kProcessTypeUrl[] = "types.containerd.io/opencontainers/runtime-spec/1/Process";

std::string NewExecId() {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return absl::StrFormat("health-%016x", random());
}

// `process_json` with its args replaced by `args`.
absl::StatusOr<std::string> WithArgs(const std::string& process_json,
                                     const std::vector<std::string>& args) {
  google::protobuf::Struct process;
  if (!google::protobuf::util::JsonStringToMessage(process_json, &process).ok()) {
    return absl::InternalError("the container's process spec is not JSON");
  }
  google::protobuf::ListValue* list = (*process.mutable_fields())["args"].mutable_list_value();
  list->Clear();
  for (const std::string& arg : args) {
    list->add_values()->set_string_value(arg);
  }
  (*process.mutable_fields())["terminal"].set_bool_value(false);
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(process, &json).ok()) {
    return absl::InternalError("cannot print the health check's process spec");
  }
  return json;
}

void DeleteProcess(const Client& client, const std::string& container_id,
                   const std::string& exec_id) {
  tasks_api::DeleteProcessRequest request;
  request.set_container_id(container_id);
  request.set_exec_id(exec_id);
  tasks_api::DeleteResponse response;
  client.tasks().DeleteProcess(client.Context().get(), request, &response);  // best effort
}

}  // namespace

absl::StatusOr<std::string> ProcessJsonOf(const std::string& spec_json) {
  google::protobuf::Struct spec;
  if (!google::protobuf::util::JsonStringToMessage(spec_json, &spec).ok()) {
    return absl::InternalError("the container's spec is not JSON");
  }
  auto process = spec.fields().find("process");
  if (process == spec.fields().end() || !process->second.has_struct_value()) {
    return absl::InternalError("the container's spec has no process");
  }
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(process->second.struct_value(), &json).ok()) {
    return absl::InternalError("cannot print the container's process spec");
  }
  return json;
}

absl::StatusOr<std::optional<HealthCheckPlan>> PlanHealthCheck(const v1::HealthCheck& check) {
  const auto& command = check.command();
  if (command.size() == 1 && command[0] == "NONE") {
    return std::optional<HealthCheckPlan>();
  }
  HealthCheckPlan plan;
  if (command.size() == 2 && command[0] == "CMD-SHELL") {
    plan.args = {"/bin/sh", "-c", command[1]};
  } else if (command.size() >= 2 && command[0] == "CMD") {
    plan.args.assign(command.begin() + 1, command.end());
  } else {
    return absl::InvalidArgumentError(
        "healthCheck.command: use [\"CMD-SHELL\", command] or [\"CMD\", executable, args...]");
  }
  if (check.has_interval()) {
    plan.interval = absl::Seconds(check.interval());
  }
  if (check.has_timeout()) {
    plan.timeout = absl::Seconds(check.timeout());
  }
  if (check.has_retries()) {
    plan.retries = check.retries();
  }
  if (check.has_start_period()) {
    plan.start_period = absl::Seconds(check.start_period());
  }
  return std::optional<HealthCheckPlan>(std::move(plan));
}

bool HealthTracker::Record(bool passed, absl::Time now) {
  const std::string before = status_;
  if (passed) {
    failures_in_a_row_ = 0;
    status_ = kHealthy;
  } else if (now - started_at_ >= start_period_) {
    if (++failures_in_a_row_ >= retries_) {
      status_ = kUnhealthy;
    }
  }
  return status_ != before;
}

absl::StatusOr<int> ExecInContainer(const Client& client, const std::string& container_id,
                                    const std::string& process_json,
                                    const std::vector<std::string>& args, absl::Duration timeout) {
  GANTRY_ASSIGN_OR_RETURN(std::string spec, WithArgs(process_json, args));
  const std::string exec_id = NewExecId();
  tasks_api::ExecProcessRequest exec;
  exec.set_container_id(container_id);
  exec.set_exec_id(exec_id);
  exec.mutable_spec()->set_type_url(kProcessTypeUrl);
  exec.mutable_spec()->set_value(spec);
  google::protobuf::Empty empty;
  GANTRY_RETURN_IF_ERROR(
      FromGrpc(client.tasks().Exec(client.Context().get(), exec, &empty), "Tasks.Exec"));
  tasks_api::StartRequest start;
  start.set_container_id(container_id);
  start.set_exec_id(exec_id);
  tasks_api::StartResponse started;
  absl::Status status =
      FromGrpc(client.tasks().Start(client.Context().get(), start, &started), "Tasks.Start");
  if (!status.ok()) {
    DeleteProcess(client, container_id, exec_id);
    return status;
  }
  tasks_api::WaitRequest wait;
  wait.set_container_id(container_id);
  wait.set_exec_id(exec_id);
  tasks_api::WaitResponse waited;
  grpc::Status result = client.tasks().Wait(client.Context(timeout).get(), wait, &waited);
  if (result.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    tasks_api::KillRequest kill;
    kill.set_container_id(container_id);
    kill.set_exec_id(exec_id);
    kill.set_signal(SIGKILL);
    client.tasks().Kill(client.Context().get(), kill, &empty);
    client.tasks().Wait(client.Context(absl::Seconds(5)).get(), wait, &waited);
    DeleteProcess(client, container_id, exec_id);
    return absl::DeadlineExceededError(
        absl::StrCat("the health check ran past ", absl::FormatDuration(timeout)));
  }
  DeleteProcess(client, container_id, exec_id);
  GANTRY_RETURN_IF_ERROR(FromGrpc(result, "Tasks.Wait"));
  return static_cast<int>(waited.exit_status());
}

}  // namespace gantry::agent::containerd
