#include "bench/internal/driver.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <utility>

#include "gantry/v1/ecs.grpc.pb.h"
#include "gantry/v1/network.grpc.pb.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "auth/client.h"
#include "bench/internal/process.h"

namespace gantry::bench::internal {
namespace {

using std::chrono::steady_clock;

constexpr int kClientsPerChannel = 4;
constexpr auto kSetupDeadline = std::chrono::seconds(30);
// RunTask answers after its round committed; under full load that is well below this.
constexpr auto kRunTaskDeadline = std::chrono::seconds(120);
constexpr auto kLateBy = std::chrono::milliseconds(5);
constexpr size_t kKeptErrors = 10;

absl::Status FromGrpc(const std::string& what, const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

void SetDeadline(grpc::ClientContext& context, steady_clock::duration timeout) {
  context.set_deadline(std::chrono::system_clock::now() + timeout);
}

double Millis(steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

std::string TaskIdOf(const std::string& task_arn) {
  return task_arn.substr(task_arn.rfind('/') + 1);
}

v1::RunTaskRequest BuildRequest(const PhaseOptions& options, const Call& call) {
  v1::RunTaskRequest request;
  request.set_cluster(options.cluster);
  request.set_task_definition(Families()[call.family].name);
  request.set_count(call.count);
  request.set_group(GroupName(call.group));
  request.set_launch_type("FARGATE");
  request.set_started_by(options.started_by);
  auto* awsvpc = request.mutable_network_configuration()->mutable_awsvpc_configuration();
  for (const std::string& subnet : options.network->subnets[VpcOfGroup(call.group)]) {
    awsvpc->add_subnets(subnet);
  }
  return request;
}

// What the client threads share while a phase runs.
struct PhaseState {
  std::atomic<size_t> next_call{0};
  // Progress counters, read by the progress thread (relaxed: they are only displayed).
  std::atomic<int64_t> tasks_sent{0};
  std::atomic<int64_t> tasks_returned{0};
  std::atomic<int64_t> tasks_placed{0};
  std::atomic<int64_t> calls_answered{0};
};

// Runs calls taken from `state` until none is left; results go to `result` (this
// client's own).
void RunClient(const PhaseOptions& options, v1::Ecs::Stub& stub,
               const std::vector<steady_clock::time_point>& due, PhaseState& state,
               PhaseResult& result) {
  bool sent_any = false;
  for (;;) {
    if (Interrupted()) return;
    const size_t index = state.next_call.fetch_add(1, std::memory_order_relaxed);
    if (index >= options.calls.size()) return;
    const Call& call = options.calls[index];
    v1::RunTaskRequest request = BuildRequest(options, call);
    if (!due.empty()) std::this_thread::sleep_until(due[index]);
    grpc::ClientContext context;
    SetDeadline(context, kRunTaskDeadline);
    v1::RunTaskResponse response;
    const steady_clock::time_point sent = steady_clock::now();
    if (!sent_any) {
      result.first_send = sent;
      sent_any = true;
    }
    state.tasks_sent.fetch_add(call.count, std::memory_order_relaxed);
    grpc::Status status = stub.RunTask(&context, request, &response);
    const steady_clock::time_point answered = steady_clock::now();
    result.last_answer = std::max(result.last_answer, answered);
    state.calls_answered.fetch_add(1, std::memory_order_relaxed);
    if (!due.empty() && sent - due[index] > kLateBy) ++result.late_calls;
    if (!status.ok()) {
      ++result.rpc_errors;
      if (result.errors.size() < kKeptErrors) {
        result.errors.push_back(absl::StrCat("RunTask: ", status.error_message()));
      }
      continue;
    }
    result.latencies_ms.push_back(Millis(answered - (due.empty() ? sent : due[index])));
    int64_t placed = 0;
    for (const v1::Task& task : response.tasks()) {
      std::string id = TaskIdOf(task.task_arn());
      if (task.container_instance_arn().empty()) {
        result.waiting_ids.push_back(id);
      } else {
        ++placed;
      }
      result.task_ids.push_back(std::move(id));
    }
    if (placed > 0) result.last_placed_answer = answered;
    state.tasks_returned.fetch_add(response.tasks_size(), std::memory_order_relaxed);
    state.tasks_placed.fetch_add(placed, std::memory_order_relaxed);
    for (const v1::Failure& failure : response.failures()) {
      ++result.failures;
      if (result.errors.size() < kKeptErrors) {
        result.errors.push_back(
            absl::StrCat("RunTask failure: ", failure.reason(), " ", failure.detail()));
      }
    }
  }
}

void PrintProgress(const PhaseOptions& options, const PhaseState& state,
                   steady_clock::time_point start, int64_t* last_calls) {
  const int64_t calls = state.calls_answered.load(std::memory_order_relaxed);
  int64_t total = 0;
  for (const Call& call : options.calls) total += call.count;
  std::fprintf(
      stderr, "[%s %5.1fs] sent %lld/%lld tasks, returned %lld, placed %lld, %lld calls/s\n",
      options.label.c_str(), std::chrono::duration<double>(steady_clock::now() - start).count(),
      static_cast<long long>(state.tasks_sent.load(std::memory_order_relaxed)),
      static_cast<long long>(total),
      static_cast<long long>(state.tasks_returned.load(std::memory_order_relaxed)),
      static_cast<long long>(state.tasks_placed.load(std::memory_order_relaxed)),
      static_cast<long long>(calls - *last_calls));
  *last_calls = calls;
}

PhaseResult Merge(std::vector<PhaseResult>& parts) {
  PhaseResult merged;
  bool any = false;
  for (PhaseResult& part : parts) {
    if (part.first_send != SteadyTime{}) {
      merged.first_send = any ? std::min(merged.first_send, part.first_send) : part.first_send;
      any = true;
    }
    merged.last_answer = std::max(merged.last_answer, part.last_answer);
    if (part.last_placed_answer.has_value()) {
      merged.last_placed_answer =
          std::max(merged.last_placed_answer.value_or(SteadyTime{}), *part.last_placed_answer);
    }
    auto append = [](auto& to, auto& from) {
      to.insert(to.end(), std::make_move_iterator(from.begin()),
                std::make_move_iterator(from.end()));
    };
    append(merged.latencies_ms, part.latencies_ms);
    append(merged.task_ids, part.task_ids);
    append(merged.waiting_ids, part.waiting_ids);
    append(merged.errors, part.errors);
    merged.rpc_errors += part.rpc_errors;
    merged.failures += part.failures;
    merged.late_calls += part.late_calls;
  }
  if (merged.errors.size() > kKeptErrors) merged.errors.resize(kKeptErrors);
  return merged;
}

}  // namespace

Driver::Driver(const std::string& endpoint, const auth::Credentials& credentials, int clients) {
  const int channels = (clients + kClientsPerChannel - 1) / kClientsPerChannel;
  for (int i = 0; i < channels; ++i) {
    grpc::ChannelArguments args;
    // Without this, channels with equal arguments share one subchannel (one connection).
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    channels_.push_back(auth::CreateSignedChannel(endpoint, credentials, args));
  }
}

std::shared_ptr<grpc::Channel> Driver::ChannelFor(int client) const {
  return channels_[static_cast<size_t>(client / kClientsPerChannel) % channels_.size()];
}

absl::StatusOr<BenchNetwork> Driver::CreateNetwork() {
  auto stub = v1::Network::NewStub(channels_.front());
  BenchNetwork network;
  for (int vpc = 0; vpc < kVpcs; ++vpc) {
    grpc::ClientContext context;
    SetDeadline(context, kSetupDeadline);
    v1::CreateVpcRequest request;
    request.set_cidr_block(VpcCidr(vpc));
    v1::CreateVpcResponse response;
    if (absl::Status s = FromGrpc("CreateVpc", stub->CreateVpc(&context, request, &response));
        !s.ok()) {
      return s;
    }
    std::vector<std::string> subnets;
    for (int zone = 0; zone < kZones; ++zone) {
      grpc::ClientContext subnet_context;
      SetDeadline(subnet_context, kSetupDeadline);
      v1::CreateSubnetRequest subnet_request;
      subnet_request.set_vpc_id(response.vpc().vpc_id());
      subnet_request.set_cidr_block(SubnetCidr(vpc, zone));
      subnet_request.set_availability_zone(ZoneName(zone));
      v1::CreateSubnetResponse subnet_response;
      absl::Status s = FromGrpc(
          "CreateSubnet", stub->CreateSubnet(&subnet_context, subnet_request, &subnet_response));
      if (!s.ok()) return s;
      subnets.push_back(subnet_response.subnet().subnet_id());
    }
    network.subnets.push_back(std::move(subnets));
  }
  return network;
}

absl::Status Driver::RegisterFamilies() {
  auto stub = v1::Ecs::NewStub(channels_.front());
  for (const Family& family : Families()) {
    grpc::ClientContext context;
    SetDeadline(context, kSetupDeadline);
    v1::RegisterTaskDefinitionRequest request;
    request.set_family(family.name);
    request.set_network_mode("awsvpc");
    request.add_requires_compatibilities("FARGATE");
    request.set_cpu(absl::StrCat(family.cpu_units));
    request.set_memory(absl::StrCat(family.memory_mib));
    v1::ContainerDefinition* container = request.add_container_definitions();
    container->set_name("app");
    container->set_image("nginx");
    container->set_essential(true);
    v1::RegisterTaskDefinitionResponse response;
    absl::Status s = FromGrpc(absl::StrCat("RegisterTaskDefinition ", family.name),
                              stub->RegisterTaskDefinition(&context, request, &response));
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Driver::CreateCluster(const std::string& name) {
  auto stub = v1::Ecs::NewStub(channels_.front());
  grpc::ClientContext context;
  SetDeadline(context, kSetupDeadline);
  v1::CreateClusterRequest request;
  request.set_cluster_name(name);
  v1::CreateClusterResponse response;
  return FromGrpc("CreateCluster", stub->CreateCluster(&context, request, &response));
}

PhaseResult Driver::RunPhase(const PhaseOptions& options) {
  PhaseState state;
  const steady_clock::time_point start = steady_clock::now() + std::chrono::milliseconds(20);
  std::vector<steady_clock::time_point> due;
  if (options.tasks_per_second.has_value()) {
    for (absl::Duration offset : PacingOffsets(options.calls, *options.tasks_per_second)) {
      due.push_back(start + absl::ToChronoNanoseconds(offset));
    }
  }
  std::vector<PhaseResult> parts(static_cast<size_t>(options.clients));
  std::vector<std::thread> clients;
  for (int c = 0; c < options.clients; ++c) {
    clients.emplace_back([&, c] {
      std::unique_ptr<v1::Ecs::Stub> stub = v1::Ecs::NewStub(ChannelFor(c));
      RunClient(options, *stub, due, state, parts[static_cast<size_t>(c)]);
    });
  }
  absl::Notification done;
  std::thread progress([&] {
    int64_t last_calls = 0;
    while (!done.WaitForNotificationWithTimeout(absl::Seconds(1))) {
      PrintProgress(options, state, start, &last_calls);
    }
  });
  for (std::thread& client : clients) client.join();
  done.Notify();
  progress.join();
  return Merge(parts);
}

}  // namespace gantry::bench::internal
