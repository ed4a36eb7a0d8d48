#include "agent/agent.h"

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "agent/asio_loop.h"
#include "agent/containerd/client.h"
#include "agent/containerd/containerd_runtime.h"
#include "agent/grpc_transport.h"
#include "agent/host_id_saver.h"
#include "agent/host_session.h"
#include "agent/registration_gate.h"
#include "agent/sim_runtime.h"
#include "agent/state_dir.h"
#include "common/log.h"

namespace gantry::agent {
namespace {

constexpr absl::Duration kProgressInterval = absl::Seconds(5);
constexpr absl::Duration kShutdownTimeout = absl::Seconds(5);

int StartupFailure(const std::string& event, const absl::Status& status) {
  log::Error(event, {{"error", status.message()}});
  return 1;
}

// containerd answers its Version call (before any host registers with its runtime).
absl::Status CheckContainerd(const std::string& address) {
  containerd::Client client(address, containerd::kNamespace);
  google::protobuf::Empty request;
  containerd::version_api::VersionResponse response;
  absl::Status status = containerd::FromGrpc(
      client.version().Version(client.Context(absl::Seconds(5)).get(), request, &response),
      "Version");
  if (status.ok()) {
    log::Info("containerd_connected", {{"address", address}, {"version", response.version()}});
  }
  return status;
}

// The saved ids, one per host at least ("" for a host without one).
std::vector<std::string> AtLeast(std::vector<std::string> ids, int hosts) {
  if (ids.size() < static_cast<size_t>(hosts)) ids.resize(static_cast<size_t>(hosts));
  return ids;
}

// Owns everything of one agent run. Hooks arrive from the host strands; the control
// work (saving new host ids, progress, the ready line) runs on control_loop_.
class AgentRun {
 public:
  AgentRun(const Options& options, std::unique_ptr<HostIdStore> store,
           std::vector<std::string> host_ids, std::ostream& ready_out)
      : options_(options),
        store_(std::move(store)),
        ready_out_(ready_out),
        io_(std::make_unique<boost::asio::io_context>()),
        gate_(kMaxRegistrationsInFlight),
        control_loop_(*io_),
        signals_(*io_, SIGINT, SIGTERM),
        saver_(
            AtLeast(std::move(host_ids), options.hosts),
            [store = store_.get()](const std::vector<std::string>& ids) {
              return store->Save(ids);
            },
            &control_loop_, HostIdSaver::Options{}) {}

  // Starts everything and blocks until a signal or a fatal error; returns the exit code.
  int Run();

 private:
  void CreateSessions();
  std::unique_ptr<Runtime> MakeRuntime(int index, ReportFn report);
  void RequestStop(int exit_code, const std::string& why);
  void OnRegistered();
  void ProgressTick();
  bool Shutdown();

  const Options options_;
  const std::unique_ptr<HostIdStore> store_;
  std::ostream& ready_out_;
  const absl::Time started_at_ = absl::Now();
  const uint64_t seed_ = std::random_device{}();

  // Declaration order is destruction order in reverse: sessions go before their loops,
  // the loops and transports before the io_context.
  std::unique_ptr<boost::asio::io_context> io_;
  std::unique_ptr<CallCounter> calls_ = std::make_unique<CallCounter>();
  RegistrationGate gate_;
  AsioLoop control_loop_;
  boost::asio::signal_set signals_;
  // Saves on control_loop_; new ids are persisted before their sessions poll.
  HostIdSaver saver_;
  std::vector<std::unique_ptr<GrpcTransport>> transports_;
  std::vector<std::unique_ptr<AsioLoop>> loops_;
  std::vector<std::unique_ptr<HostSession>> sessions_;
  std::vector<std::thread> threads_;

  std::atomic<int> registered_{0};
  bool ready_ = false;  // control loop only

  absl::Mutex mutex_;
  std::string last_error_ ABSL_GUARDED_BY(mutex_);
  bool stop_requested_ ABSL_GUARDED_BY(mutex_) = false;
  int exit_code_ ABSL_GUARDED_BY(mutex_) = 0;
};

int AgentRun::Run() {
  CreateSessions();
  signals_.async_wait([this](const boost::system::error_code& error, int signal) {
    if (!error) RequestStop(0, absl::StrCat("signal ", signal));
  });
  auto work = boost::asio::make_work_guard(*io_);
  for (int i = 0; i < kIoThreads; ++i) threads_.emplace_back([this] { io_->run(); });
  for (auto& session : sessions_) session->Start();
  control_loop_.After(kProgressInterval, [this] { ProgressTick(); });

  int exit_code = 0;
  {
    absl::MutexLock lock(&mutex_);
    mutex_.Await(absl::Condition(&stop_requested_));
    exit_code = exit_code_;
  }
  if (!Shutdown()) {
    // A gRPC callback may still come and post to a strand: keep what it can reach
    // alive (leaked) rather than free it under the callback. The process exits next.
    log::Warning("agent_shutdown_incomplete", {{"reason", "calls still in flight"}});
    for (auto& session : sessions_) session.release();
    for (auto& loop : loops_) loop.release();
    for (auto& transport : transports_) transport.release();
    io_.release();
    calls_.release();
    return exit_code;
  }
  log::Info("agent_stopped", {{"exit_code", exit_code}});
  return exit_code;
}

void AgentRun::CreateSessions() {
  int channels = (options_.hosts + kHostsPerChannel - 1) / kHostsPerChannel;
  for (int i = 0; i < channels; ++i) {
    transports_.push_back(
        std::make_unique<GrpcTransport>(options_.endpoint, options_.credentials, i, calls_.get()));
  }
  std::vector<std::string> ids = saver_.ids();
  SessionHooks hooks;
  hooks.host_id_changed = [this](int index, const std::string& id, std::function<void()> saved) {
    saver_.Record(index, id, std::move(saved));
  };
  hooks.registered = [this](int) { OnRegistered(); };
  hooks.fatal = [this](const absl::Status& status) {
    RequestStop(1, absl::StrCat("gantryd refused the agent for good: ", status.ToString()));
  };
  hooks.call_failed = [this](const absl::Status& status) {
    absl::MutexLock lock(&mutex_);
    last_error_ = status.ToString();
  };
  for (int i = 0; i < options_.hosts; ++i) {
    SessionConfig config;
    config.index = i;
    config.host_name = absl::StrCat(options_.host_name_prefix, i);
    config.availability_zone = options_.availability_zone;
    config.cpu_units = options_.cpu_units;
    config.memory_mib = options_.memory_mib;
    config.ephemeral_storage_gib = options_.ephemeral_storage_gib;
    config.eni_slots = options_.eni_slots;
    config.agent_version = absl::StrCat(kAgentVersion, " ", options_.runtime);
    config.poll_wait = options_.poll_wait;
    config.metrics_interval = options_.metrics_interval;
    config.seed = seed_ + static_cast<uint64_t>(i);
    loops_.push_back(std::make_unique<AsioLoop>(*io_));
    sessions_.push_back(std::make_unique<HostSession>(
        std::move(config), ids[i], loops_.back().get(), transports_[i / kHostsPerChannel].get(),
        &gate_, hooks, [this, i](ReportFn report) { return MakeRuntime(i, std::move(report)); }));
  }
}

std::unique_ptr<Runtime> AgentRun::MakeRuntime(int index, ReportFn report) {
  if (options_.runtime == kContainerdRuntime) {
    containerd::ContainerdConfig config;
    config.address = options_.containerd_address;
    config.insecure_registries = options_.insecure_registries;
    // Absolute: the paths go to containerd's shim and runc, and are compared with the
    // kernel's mount table.
    config.task_dir = std::filesystem::absolute(options_.state_dir) / "tasks";
    config.init_path = options_.init_path;
    config.log_max_bytes = options_.log_max_bytes;
    config.task_cleanup_wait = options_.task_cleanup_wait;
    return std::make_unique<containerd::ContainerdRuntime>(std::move(config), loops_[index].get(),
                                                           std::move(report));
  }
  return std::make_unique<SimRuntime>(options_.sim, loops_[index].get(), std::move(report),
                                      seed_ ^ (static_cast<uint64_t>(index) << 20));
}

void AgentRun::RequestStop(int exit_code, const std::string& why) {
  absl::MutexLock lock(&mutex_);
  if (stop_requested_) return;
  if (exit_code == 0) {
    log::Info("agent_stopping", {{"reason", why}});
  } else {
    log::Error("agent_stopping", {{"reason", why}});
  }
  stop_requested_ = true;
  exit_code_ = exit_code;
}

void AgentRun::OnRegistered() {
  if (registered_.fetch_add(1) + 1 != options_.hosts) return;
  control_loop_.Post([this] {
    ready_ = true;
    // Every new id is saved before its host counts as registered; this only makes sure
    // (whoever waits for the ready line may restart the agent at once).
    saver_.SaveNow().IgnoreError();  // logged, and retried, by the saver
    log::Info("agent_ready", {{"hosts", options_.hosts},
                              {"seconds", absl::ToDoubleSeconds(absl::Now() - started_at_)}});
    ready_out_ << "gantry-agent ready hosts=" << options_.hosts << std::endl;
  });
}

void AgentRun::ProgressTick() {
  if (ready_) return;
  std::string last_error;
  {
    absl::MutexLock lock(&mutex_);
    last_error = last_error_;
  }
  log::Info(
      "agent_registering",
      {{"registered", registered_.load()}, {"hosts", options_.hosts}, {"last_error", last_error}});
  control_loop_.After(kProgressInterval, [this] { ProgressTick(); });
}

bool AgentRun::Shutdown() {
  // No session starts a call once its Shutdown ran; then every call is cancelled and
  // only its callback (which posts to a strand) is left to wait for.
  absl::BlockingCounter sessions_stopped(static_cast<int>(sessions_.size()));
  for (auto& session : sessions_)
    session->Shutdown([&sessions_stopped] { sessions_stopped.DecrementCount(); });
  sessions_stopped.Wait();
  bool drained = calls_->WaitForZero(kShutdownTimeout);
  io_->stop();
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
  // The io threads are gone: no concurrent save, and no session left to tell.
  saver_.Close();
  saver_.SaveNow().IgnoreError();  // logged by the saver
  return drained;
}

}  // namespace

int RunAgent(const Options& options, std::ostream& ready_out) {
  log::Info("agent_starting", {{"endpoint", options.endpoint},
                               {"runtime", options.runtime},
                               {"hosts", options.hosts},
                               {"availability_zone", options.availability_zone},
                               {"cpu", options.cpu_units},
                               {"memory_mib", options.memory_mib},
                               {"ephemeral_storage_gib", options.ephemeral_storage_gib},
                               {"max_enis", options.eni_slots},
                               {"state_dir", options.state_dir},
                               {"launch_delay", absl::FormatDuration(options.sim.launch_delay)},
                               {"stop_delay", absl::FormatDuration(options.sim.stop_delay)},
                               {"fail_rate", options.sim.fail_rate},
                               {"poll_wait", absl::FormatDuration(options.poll_wait)},
                               {"containerd_address", options.containerd_address}});
  if (options.runtime == kContainerdRuntime) {
    if (absl::Status status = CheckContainerd(options.containerd_address); !status.ok()) {
      return StartupFailure("containerd_unreachable", status);
    }
  }
  auto store = HostIdStore::Open(options.state_dir);
  if (!store.ok()) return StartupFailure("state_dir_unusable", store.status());
  auto ids = (*store)->Load();
  if (!ids.ok()) return StartupFailure("state_dir_unusable", ids.status());
  int known = 0;
  for (int i = 0; i < options.hosts && i < static_cast<int>(ids->size()); ++i) {
    if (!(*ids)[i].empty()) ++known;
  }
  log::Info("host_ids_loaded", {{"known", known}, {"new", options.hosts - known}});
  AgentRun run(options, std::move(*store), std::move(*ids), ready_out);
  return run.Run();
}

}  // namespace gantry::agent
