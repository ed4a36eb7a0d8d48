// gantryd: the Gantry control plane. Parses flags, opens the database (an embedded
// PostgreSQL under --data-dir unless --database-url is given), applies migrations,
// serves the API, and shuts everything down in order on SIGINT/SIGTERM.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "api/api.h"
#include "api/aws/front_end.h"
#include "api/aws/http_server.h"
#include "api/host_monitor.h"
#include "api/key_ring.h"
#include "api/key_ring_sync.h"
#include "api/log_relay.h"
#include "api/metrics_endpoint.h"
#include "api/notifications.h"
#include "api/poll_hub.h"
#include "api/task_metrics_board.h"
#include "auth/credentials.h"
#include "auth/secret_box.h"
#include "common/flags.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "embedded_pg/embedded_pg.h"
#include "scheduler/scheduler.h"
#include "storage/storage.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051", "gRPC listen address HOST:PORT (port 0: any)");
ABSL_FLAG(std::string, aws_listen, "127.0.0.1:4566",
          "Listen address HOST:PORT of the AWS-compatible API (ECS over AWS JSON 1.1, EC2 "
          "Query, for the aws CLI and SDKs); port 0: any; empty: off");
ABSL_FLAG(std::string, metrics_listen, "",
          "Listen address HOST:PORT of the Prometheus endpoint (GET /metrics: process, "
          "scheduler and task metrics), e.g. 127.0.0.1:9464; port 0: any; empty: off");
ABSL_FLAG(std::string, data_dir, "./.gantry",
          "Directory for the embedded PostgreSQL, the admin credentials file and the secrets "
          "key");
ABSL_FLAG(std::string, secrets_key_file, "",
          "File with the key that seals access-key secrets in the database (created when "
          "missing; replicas sharing a database need the same one); empty: "
          "DATA_DIR/secrets.key");
ABSL_FLAG(std::string, database_url, "",
          "PostgreSQL URL or libpq conninfo; empty: run an embedded PostgreSQL in --data-dir");
ABSL_FLAG(std::string, region, "us-east-1", "AWS region shown in ARNs");
ABSL_FLAG(std::string, account_id, "000000000000",
          "12-digit id of the provider's (admin) account, which owns the hosts");
ABSL_FLAG(int, db_workers, 4, "Database worker threads (one connection each)");
ABSL_FLAG(absl::Duration, placement_timeout, absl::Minutes(10),
          "How long a task may wait for capacity before it stops with TaskFailedToStart");
ABSL_FLAG(absl::Duration, host_timeout, absl::Seconds(30),
          "A host whose agent has not polled for this long is lost and its tasks stop");

namespace {

using gantry::log::Field;

int Fail(const std::string& event, const absl::Status& status) {
  gantry::log::Error(event, {{"error", std::string(status.message())}});
  std::fprintf(stderr, "gantryd: %s\n", std::string(status.message()).c_str());
  return 1;
}

// "postgresql://user:secret@host/db" -> "postgresql://user:***@host/db".
std::string Redacted(std::string url) {
  size_t scheme = url.find("://");
  size_t at = url.find('@');
  if (scheme == std::string::npos || at == std::string::npos) {
    return url;
  }
  size_t colon = url.find(':', scheme + 3);
  if (colon != std::string::npos && colon < at) {
    url.replace(colon + 1, at - colon - 1, "***");
  }
  return url;
}

int WaitForSignal(const sigset_t& signals) {
  int signal = 0;
  sigwait(&signals, &signal);
  return signal;
}

constexpr char kAdminKeyComment[] =
    "Gantry admin key, created by gantryd on the first start of this data dir";

std::string AdminCredentialsPath(const std::string& data_dir) {
  return (std::filesystem::path(data_dir) / "admin-credentials").string();
}

// The admin key of this data dir, created on its first start, in the AWS
// shared-credentials format so that `AWS_SHARED_CREDENTIALS_FILE=<it> aws ...` works.
absl::StatusOr<gantry::auth::Credentials> AdminCredentials(const std::string& data_dir) {
  std::error_code error;
  std::filesystem::create_directories(data_dir, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("--data-dir: cannot create ", data_dir, ": ", error.message()));
  }
  return gantry::auth::LoadOrCreateCredentialsFile(AdminCredentialsPath(data_dir), "default",
                                                   kAdminKeyComment);
}

absl::StatusOr<gantry::auth::SecretBox> SecretsKey(const std::string& data_dir) {
  std::string path = absl::GetFlag(FLAGS_secrets_key_file);
  if (path.empty()) {
    path = (std::filesystem::path(data_dir) / "secrets.key").string();
  }
  return gantry::auth::SecretBox::LoadOrCreateKeyFile(path);
}

// Migrates, then makes sure the default cluster and the admin key exist, and returns
// every usable key. An admin key that was deleted (gantryctl delete-access-key) stays
// deleted: the data dir gets a new one in its admin-credentials. Blocking.
absl::StatusOr<std::vector<gantry::api::AccessKey>> PrepareDatabase(
    const std::string& conninfo, const gantry::api::Config& config,
    const gantry::auth::SecretBox& secrets, gantry::auth::Credentials admin) {
  GANTRY_ASSIGN_OR_RETURN(std::unique_ptr<gantry::storage::Connection> connection,
                          gantry::storage::Connection::Open(conninfo));
  GANTRY_RETURN_IF_ERROR(
      gantry::storage::Migrate(*connection, gantry::storage::BuiltinMigrations()).status());
  GANTRY_ASSIGN_OR_RETURN(bool deleted,
                          gantry::storage::AccessKeyWasDeleted(*connection, admin.access_key_id));
  if (deleted) {
    const std::string path = AdminCredentialsPath(absl::GetFlag(FLAGS_data_dir));
    GANTRY_ASSIGN_OR_RETURN(
        gantry::auth::Credentials replacement,
        gantry::auth::ReplaceCredentialsFile(path, "default", kAdminKeyComment));
    gantry::log::Warning(
        "admin_key_replaced",
        {{"deleted_key", admin.access_key_id}, {"key", replacement.access_key_id}, {"file", path}});
    admin = std::move(replacement);
  }
  GANTRY_RETURN_IF_ERROR(gantry::api::EnsureAdminKey(*connection, config, secrets, admin));
  GANTRY_RETURN_IF_ERROR(gantry::api::EnsureDefaultCluster(*connection, config));
  return gantry::api::LoadAccessKeys(*connection, secrets);
}

// The AWS-compatible listener, or nullptr when --aws-listen is empty.
absl::StatusOr<std::unique_ptr<gantry::api::aws::HttpServer>> StartAwsFrontEnd(
    gantry::api::EcsOperations* ecs, gantry::api::NetworkOperations* network,
    const gantry::api::Config& config, const gantry::api::KeyRing* keys) {
  const std::string address = absl::GetFlag(FLAGS_aws_listen);
  if (address.empty()) {
    return std::unique_ptr<gantry::api::aws::HttpServer>();
  }
  return gantry::api::aws::HttpServer::Start(
      address, {},
      {.handler = gantry::api::aws::MakeFrontEnd(ecs, network, config.region, keys),
       .check_head = gantry::api::aws::MakeHeadCheck(config.region, keys),
       .refuse = gantry::api::aws::RefuseRequest});
}

// The Prometheus listener, or nullptr when --metrics-listen is empty.
absl::StatusOr<std::unique_ptr<gantry::api::aws::HttpServer>> StartMetricsEndpoint(
    gantry::api::MetricsSources sources) {
  const std::string address = absl::GetFlag(FLAGS_metrics_listen);
  if (address.empty()) {
    return std::unique_ptr<gantry::api::aws::HttpServer>();
  }
  gantry::api::aws::HttpServerOptions options;
  options.max_body_bytes = 4096;  // scrapes have no body
  options.threads = 1;
  return gantry::api::aws::HttpServer::Start(
      address, options,
      {.handler = gantry::api::MakeMetricsHandler(sources),
       .refuse = [](int http_status, const std::string& message) {
         return gantry::api::aws::AwsResponse{http_status, "text/plain; charset=utf-8",
                                              message + "\n"};
       }});
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "Gantry control plane.\n  gantryd [--listen HOST:PORT] [--data-dir DIR] "
      "[--database-url URL] [--region R] [--account-id A] [--db-workers N]\n"
      "          [--aws-listen HOST:PORT]\n"
      "          [--placement-timeout DURATION] [--host-timeout DURATION]");
  std::vector<std::string> args = gantry::flags::NormalizeDashes(argc, argv);
  std::vector<char*> arg_pointers;
  for (std::string& arg : args) {
    arg_pointers.push_back(arg.data());
  }
  absl::ParseCommandLine(static_cast<int>(arg_pointers.size()), arg_pointers.data());
  // Block the stop signals in every thread (threads inherit the mask) and take them
  // synchronously in main, so no handler runs in an arbitrary thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  gantry::api::Config config{absl::GetFlag(FLAGS_region), absl::GetFlag(FLAGS_account_id)};
  if (absl::Status status = gantry::api::ValidateConfig(config); !status.ok()) {
    return Fail("bad_flag", status);
  }
  const absl::Duration host_timeout = absl::GetFlag(FLAGS_host_timeout);
  if (host_timeout <= absl::ZeroDuration()) {
    return Fail("bad_flag", absl::InvalidArgumentError(
                                absl::StrCat("--host-timeout: ", absl::FormatDuration(host_timeout),
                                             " is not positive; use a duration like 30s")));
  }
  std::string conninfo = absl::GetFlag(FLAGS_database_url);
  gantry::log::Info("gantryd_starting",
                    {{"listen", absl::GetFlag(FLAGS_listen)},
                     {"database", conninfo.empty() ? std::string("embedded") : Redacted(conninfo)},
                     {"data_dir", absl::GetFlag(FLAGS_data_dir)},
                     {"region", config.region},
                     {"account_id", config.account_id},
                     {"host_timeout", absl::FormatDuration(host_timeout)}});

  absl::StatusOr<gantry::auth::Credentials> admin_key =
      AdminCredentials(absl::GetFlag(FLAGS_data_dir));
  if (!admin_key.ok()) {
    return Fail("admin_credentials_failed", admin_key.status());
  }
  absl::StatusOr<gantry::auth::SecretBox> secrets = SecretsKey(absl::GetFlag(FLAGS_data_dir));
  if (!secrets.ok()) {
    return Fail("secrets_key_failed", secrets.status());
  }

  std::unique_ptr<gantry::embedded_pg::EmbeddedPostgres> embedded;
  if (conninfo.empty()) {
    gantry::embedded_pg::Options options;
    options.data_dir = absl::GetFlag(FLAGS_data_dir);
    auto started = gantry::embedded_pg::EmbeddedPostgres::Start(options);
    if (!started.ok()) {
      return Fail("embedded_pg_failed", started.status());
    }
    embedded = std::move(*started);
    conninfo = embedded->ConnectionString();
  }
  gantry::api::KeyRing keys;
  {
    absl::StatusOr<std::vector<gantry::api::AccessKey>> stored =
        PrepareDatabase(conninfo, config, *secrets, *admin_key);
    if (!stored.ok()) {
      return Fail("database_setup_failed", stored.status());
    }
    keys.Replace(*stored);
    gantry::log::Info("access_keys_loaded", {{"keys", static_cast<int64_t>(keys.size())}});
  }
  auto database = gantry::storage::Database::Open(
      {.conninfo = conninfo, .workers = absl::GetFlag(FLAGS_db_workers)});
  if (!database.ok()) {
    return Fail("database_unreachable", database.status());
  }
  if (absl::GetFlag(FLAGS_placement_timeout) <= absl::ZeroDuration()) {
    return Fail("bad_flag", absl::InvalidArgumentError("--placement-timeout: must be positive"));
  }
  auto scheduler = gantry::scheduler::Scheduler::Start(
      {.conninfo = conninfo,
       .region = config.region,
       .placement_timeout = absl::GetFlag(FLAGS_placement_timeout)});
  if (!scheduler.ok()) {
    return Fail("scheduler_failed", scheduler.status());
  }
  gantry::scheduler::Scheduler* scheduler_ptr = scheduler->get();
  auto capacity_changed = [scheduler_ptr] { scheduler_ptr->CapacityChanged(); };
  // Long-polls wait here. A poll whose previous one arrived more than 3/4 of the host
  // timeout earlier is read again even when its host looked clean: it may have been
  // declared lost meanwhile (polls are held at most half the timeout, so a healthy
  // agent's polls are closer together than that).
  std::unique_ptr<gantry::api::PollHub> hub =
      gantry::api::PollHub::Start({.max_poll_gap = host_timeout * 3 / 4});
  std::unique_ptr<gantry::api::LogRelay> logs = gantry::api::LogRelay::Start();
  // Keys created or deleted through other replicas reach this one's ring too.
  gantry::api::KeyRingSync key_sync(database->get(), &*secrets, &keys);
  const gantry::api::NotificationTargets notified{
      .hub = hub.get(), .logs = logs.get(), .keys = &key_sync};
  auto listener = gantry::storage::CommandListener::Start(
      conninfo,
      [notified](const std::vector<std::string>& tokens) {
        gantry::api::Dispatch(gantry::api::ParseNotifications(tokens), notified);
      },
      [notified] { gantry::api::ResetAfterMissedNotifications(notified); });
  if (!listener.ok()) {
    return Fail("command_listener_failed", listener.status());
  }
  auto monitor = gantry::api::HostMonitor::Start(
      {.conninfo = conninfo, .host_timeout = host_timeout}, hub.get(), capacity_changed);
  if (!monitor.ok()) {
    return Fail("host_monitor_failed", monitor.status());
  }
  gantry::api::EcsOperations ecs(config, database->get(), scheduler_ptr, logs.get());
  gantry::api::NetworkOperations network(config, database->get());
  // Agents report every few seconds; a task missing from three reports in a row is
  // left off this gantryd's endpoint.
  gantry::api::TaskMetricsBoard board(absl::Minutes(1));
  gantry::api::AgentOperations agent(config, database->get(), hub.get(), host_timeout,
                                     capacity_changed, &board, logs.get());
  gantry::api::AdminOperations admin(config, database->get(), &keys, &*secrets);
  auto server = gantry::api::Server::Start(
      absl::GetFlag(FLAGS_listen),
      {.ecs = &ecs, .network = &network, .agent = &agent, .admin = &admin}, &keys);
  if (!server.ok()) {
    return Fail("listen_failed", server.status());
  }
  auto aws_server = StartAwsFrontEnd(&ecs, &network, config, &keys);
  if (!aws_server.ok()) {
    return Fail("aws_listen_failed", aws_server.status());
  }
  const std::string aws_address = *aws_server != nullptr ? (*aws_server)->address() : "off";
  auto metrics_server = StartMetricsEndpoint({.scheduler = scheduler_ptr, .board = &board});
  if (!metrics_server.ok()) {
    return Fail("metrics_listen_failed", metrics_server.status());
  }
  const std::string metrics_address =
      *metrics_server != nullptr ? (*metrics_server)->address() : "off";

  gantry::log::Info(
      "gantryd_ready",
      {{"grpc", (*server)->address()}, {"aws", aws_address}, {"metrics", metrics_address}});
  std::cout << "gantryd ready grpc=" << (*server)->address() << " aws=" << aws_address
            << " metrics=" << metrics_address << std::endl;

  int signal = WaitForSignal(signals);
  gantry::log::Info("gantryd_stopping", {{"signal", signal}});
  // Every call must be answered before the gRPC server goes, and no callback may run
  // into something already destroyed:
  //  1. The listener and the monitor stop calling into the hub (and the scheduler).
  //  2. The hub answers every held poll (empty) while the server still serves, and
  //     refuses new polls; reads still queued in the database drop their replies.
  //  3. The scheduler answers its queued RunTask calls; then the database drains its
  //     queue (every queued operation still finishes its call; calls arriving meanwhile
  //     are refused at once with UNAVAILABLE).
  //  4. Only then the server stops: nothing can finish a reactor after it. The objects
  //     the callbacks refer to (operations, hub) are destroyed after all of that, at
  //     the end of main. PostgreSQL stops last.
  listener->reset();  // stops it and closes its connection
  monitor->reset();
  hub->Shutdown();
  // Answers the GetTaskLogs calls still waiting (DEADLINE_EXCEEDED) while the server serves.
  logs->Shutdown();
  (*scheduler)->Shutdown();
  (*database)->Shutdown();
  // After the database and the scheduler: nothing can answer an AWS request any more.
  if (*aws_server != nullptr) {
    (*aws_server)->Shutdown();
  }
  // Before the scheduler and the board it reads are destroyed.
  if (*metrics_server != nullptr) {
    (*metrics_server)->Shutdown();
  }
  (*server)->Shutdown(absl::Seconds(5));
  database->reset();
  if (embedded != nullptr) {
    if (auto status = embedded->Stop(); !status.ok()) {
      return Fail("embedded_pg_stop_failed", status);
    }
  }
  gantry::log::Info("gantryd_stopped");
  return 0;
}
