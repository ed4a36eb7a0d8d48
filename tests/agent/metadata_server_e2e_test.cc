// The metadata endpoint over real HTTP: a server on 127.0.0.1:0 and a small Beast
// client on the same host, so every request comes from 127.0.0.1.
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "google/protobuf/struct.pb.h"
// Under -fsanitize, g++ 12 reports a false maybe-uninitialized in Boost 1.74's response
// parser (basic_parser<false>, an optional<size_t> content length); the server side does
// not instantiate it.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#pragma GCC diagnostic pop

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/containerd/metadata.h"
#include "agent/containerd/metadata_server.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent::containerd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::HasSubstr;

constexpr char kTaskArn[] = "arn:aws:ecs:eu-west-1:123456789012:task/demo/0123456789abcdef";
constexpr char kAppId[] = "0123456789abcdef-0";
constexpr char kSidecarId[] = "0123456789abcdef-1";
constexpr char kAppToken[] = "app-token-0123456789abcdefghijklmn";
constexpr char kSidecarToken[] = "sidecar-token-0123456789abcdefghij";

struct HttpReply {
  int status = 0;
  std::string content_type;
  std::string allow;
  std::string body;
};

// One client connection. Reads time out (SO_RCVTIMEO, 5 s by default), so a server that
// never answers fails the test instead of hanging it.
class Client {
 public:
  explicit Client(uint16_t port, int read_timeout_seconds = 5) : socket_(io_) {
    socket_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    const timeval timeout{read_timeout_seconds, 0};
    setsockopt(socket_.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  }

  // Sends raw bytes, then waits for the server's next bytes: the error when it closes
  // the connection instead (eof or reset), would_block when the read timed out.
  beast::error_code SendRawAndRead(const std::string& bytes) {
    beast::error_code error;
    asio::write(socket_, asio::buffer(bytes), error);
    if (error) {
      return error;
    }
    char byte = 0;
    socket_.read_some(asio::buffer(&byte, 1), error);
    return error;
  }

  // nullopt when the server closed the connection without an answer.
  std::optional<HttpReply> Send(http::verb verb, const std::string& target,
                                const std::string& extra_header = "") {
    http::request<http::string_body> request(verb, target, 11);
    request.set(http::field::host, "127.0.0.1");
    if (!extra_header.empty()) {
      request.set("X-Padding", extra_header);
    }
    request.keep_alive(true);
    request.prepare_payload();
    beast::error_code error;
    http::write(socket_, request, error);
    if (error) {
      return std::nullopt;
    }
    http::response<http::string_body> response;
    http::read(socket_, buffer_, response, error);
    if (error) {
      return std::nullopt;
    }
    return HttpReply{static_cast<int>(response.result_int()),
                     std::string(response[http::field::content_type]),
                     std::string(response[http::field::allow]), response.body()};
  }

  std::optional<HttpReply> Get(const std::string& target) { return Send(http::verb::get, target); }

 private:
  asio::io_context io_;
  tcp::socket socket_;
  beast::flat_buffer buffer_;
};

Struct ParseObject(const std::string& json) {
  Struct object;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &object).ok()) << json;
  return object;
}

std::set<std::string> KeysOf(const Struct& object) {
  std::set<std::string> keys;
  for (const auto& [key, value] : object.fields()) {
    keys.insert(key);
  }
  return keys;
}

ContainerMetadata Container(const std::string& docker_id, const std::string& name) {
  ContainerMetadata container;
  container.docker_id = docker_id;
  container.name = name;
  container.docker_name = name;
  container.image = "busybox:1.36";
  container.image_id = "sha256:abcd";
  container.desired_status = "RUNNING";
  container.known_status = "RUNNING";
  container.limits.cpu_units = 128;
  container.started_at = absl::FromUnixNanos(1718000000123456789);
  NetworkMetadata network;
  network.ipv4_addresses = {"127.0.0.1"};
  network.ipv4_subnet_cidr_block = "127.0.0.0/8";
  container.networks = {network};
  return container;
}

TaskMetadata Task() {
  TaskMetadata task;
  task.cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/demo";
  task.task_arn = kTaskArn;
  task.family = "web";
  task.revision = "3";
  task.desired_status = "RUNNING";
  task.known_status = "RUNNING";
  task.limits = {VcpuFromCpuUnits(256), 512};
  task.containers = {Container(kAppId, "app"), Container(kSidecarId, "sidecar")};
  return task;
}

ContainerStats Stats(const std::string& docker_id) {
  ContainerStats stats;
  stats.id = docker_id;
  stats.name = "app";
  stats.read = absl::FromUnixSeconds(1718000000);
  stats.cpu.total_usage_ns = 123456789;
  stats.memory.usage_bytes = 4096;
  stats.networks = {{"eth0", NetworkCounters{10, 1, 0, 0, 20, 2, 0, 0}}};
  stats.network_rate = NetworkRateStats{1.5, 2.5};
  return stats;
}

class MetadataServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<MetadataServer>> started = MetadataServer::Start(
        "127.0.0.1", 0, [this](const std::string& task_arn) { return StatsOf(task_arn); });
    ASSERT_THAT(started, IsOk());
    server_ = std::move(*started);
    ASSERT_NE(server_->port(), 0);
    server_->SetTask(kTaskArn, Task());
    server_->Register(kAppToken, kTaskArn, kAppId, "127.0.0.1");
  }

  // Only the app container has stats: the sidecar shows as null in /task/stats.
  std::map<std::string, ContainerStats> StatsOf(const std::string& task_arn) {
    absl::MutexLock lock(&mutex_);
    stats_requests_.push_back(task_arn);
    if (task_arn != kTaskArn) {
      return {};
    }
    return {{kAppId, Stats(kAppId)}};
  }

  std::vector<std::string> StatsRequests() {
    absl::MutexLock lock(&mutex_);
    return stats_requests_;
  }

  HttpReply MustGet(const std::string& target) {
    Client client(server_->port());
    std::optional<HttpReply> reply = client.Get(target);
    EXPECT_TRUE(reply.has_value()) << target << ": no answer";
    return reply.value_or(HttpReply{});
  }

  std::unique_ptr<MetadataServer> server_;
  absl::Mutex mutex_;
  std::vector<std::string> stats_requests_ ABSL_GUARDED_BY(mutex_);
};

std::string Path(const std::string& token, const std::string& suffix = "") {
  return "/v4/" + token + suffix;
}

TEST_F(MetadataServerTest, Container_ReturnsTheCallersOwnDocument) {
  const HttpReply reply = MustGet(Path(kAppToken));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  const Struct object = ParseObject(reply.body);
  EXPECT_EQ(KeysOf(object), (std::set<std::string>{"DockerId", "Name", "DockerName", "Image",
                                                   "ImageID", "DesiredStatus", "KnownStatus",
                                                   "Limits", "StartedAt", "Type", "Networks"}));
  EXPECT_EQ(object.fields().at("DockerId").string_value(), kAppId);
  EXPECT_EQ(object.fields().at("Name").string_value(), "app");
  EXPECT_EQ(object.fields().at("StartedAt").string_value(), "2024-06-10T06:13:20.123456789Z");
}

TEST_F(MetadataServerTest, Task_ReturnsTheTaskWithAllContainers) {
  const HttpReply reply = MustGet(Path(kAppToken, "/task"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  const Struct object = ParseObject(reply.body);
  EXPECT_EQ(object.fields().at("TaskARN").string_value(), kTaskArn);
  EXPECT_EQ(object.fields().at("Revision").string_value(), "3");
  EXPECT_EQ(object.fields().at("LaunchType").string_value(), "FARGATE");
  EXPECT_EQ(object.fields().at("Limits").struct_value().fields().at("CPU").number_value(), 0.25);
  const auto& containers = object.fields().at("Containers").list_value();
  ASSERT_EQ(containers.values_size(), 2);
  EXPECT_EQ(containers.values(0).struct_value().fields().at("DockerId").string_value(), kAppId);
  EXPECT_EQ(containers.values(1).struct_value().fields().at("DockerId").string_value(), kSidecarId);
}

TEST_F(MetadataServerTest, Stats_ReturnsThisContainersStats) {
  const HttpReply reply = MustGet(Path(kAppToken, "/stats"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  const Struct object = ParseObject(reply.body);
  EXPECT_EQ(KeysOf(object),
            (std::set<std::string>{"read", "preread", "pids_stats", "blkio_stats", "num_procs",
                                   "storage_stats", "cpu_stats", "precpu_stats", "memory_stats",
                                   "name", "id", "networks", "network_rate_stats"}));
  EXPECT_EQ(object.fields().at("id").string_value(), kAppId);
  EXPECT_THAT(reply.body, HasSubstr("\"total_usage\":123456789,"));
  EXPECT_EQ(StatsRequests(), std::vector<std::string>{kTaskArn});
}

TEST_F(MetadataServerTest, TaskStats_MapsEveryContainerToStatsOrNull) {
  const HttpReply reply = MustGet(Path(kAppToken, "/task/stats"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  const Struct object = ParseObject(reply.body);
  EXPECT_EQ(KeysOf(object), (std::set<std::string>{kAppId, kSidecarId}));
  EXPECT_EQ(object.fields().at(kAppId).struct_value().fields().at("id").string_value(), kAppId);
  EXPECT_EQ(object.fields().at(kSidecarId).kind_case(), Value::kNullValue);
}

TEST_F(MetadataServerTest, SecondToken_AnswersForItsOwnContainer) {
  server_->Register(kSidecarToken, kTaskArn, kSidecarId, "127.0.0.1");
  const HttpReply container = MustGet(Path(kSidecarToken));
  EXPECT_EQ(container.status, 200);
  EXPECT_EQ(ParseObject(container.body).fields().at("DockerId").string_value(), kSidecarId);
  // It has no stats yet.
  const HttpReply stats = MustGet(Path(kSidecarToken, "/stats"));
  EXPECT_EQ(stats.status, 404);
  EXPECT_THAT(stats.body, HasSubstr("no stats for this container"));
}

TEST_F(MetadataServerTest, QueryString_IsIgnored) {
  EXPECT_EQ(MustGet(Path(kAppToken, "/task?x=1")).status, 200);
}

TEST_F(MetadataServerTest, UnknownToken_Returns404) {
  for (const std::string suffix : {"", "/task", "/stats", "/task/stats"}) {
    SCOPED_TRACE(suffix);
    const HttpReply reply = MustGet(Path("no-such-token", suffix));
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(reply.content_type, "application/json");
    EXPECT_EQ(reply.body, ErrorJson("no metadata for this token from this address"));
  }
}

TEST_F(MetadataServerTest, TokenOfAnotherAddress_Returns404LikeAnUnknownOne) {
  server_->Register(kSidecarToken, kTaskArn, kSidecarId, "10.9.9.9");
  for (const std::string suffix : {"", "/task", "/stats", "/task/stats"}) {
    SCOPED_TRACE(suffix);
    const HttpReply reply = MustGet(Path(kSidecarToken, suffix));
    EXPECT_EQ(reply.status, 404);
    EXPECT_EQ(reply.body, MustGet(Path("no-such-token", suffix)).body);
  }
}

TEST_F(MetadataServerTest, UnknownPaths_Return404) {
  const std::vector<std::string> targets = {"/",
                                            "/v3/" + std::string(kAppToken),
                                            "/v4/",
                                            "/v4//task",
                                            Path(kAppToken, "/"),
                                            Path(kAppToken, "/taskWithTags"),
                                            Path(kAppToken, "/task/"),
                                            Path(kAppToken, "/stats/x"),
                                            Path(kAppToken, "/tasks")};
  for (const std::string& target : targets) {
    SCOPED_TRACE(target);
    const HttpReply reply = MustGet(target);
    EXPECT_EQ(reply.status, 404);
    EXPECT_THAT(reply.body, HasSubstr("no such path"));
  }
}

TEST_F(MetadataServerTest, RemoveTask_Returns404ForItsTokens) {
  server_->Register(kSidecarToken, kTaskArn, kSidecarId, "127.0.0.1");
  server_->RemoveTask(kTaskArn);
  for (const std::string token : {kAppToken, kSidecarToken}) {
    for (const std::string suffix : {"", "/task", "/stats", "/task/stats"}) {
      SCOPED_TRACE(token + suffix);
      EXPECT_EQ(MustGet(Path(token, suffix)).status, 404);
    }
  }
}

TEST_F(MetadataServerTest, RemoveTask_KeepsOtherTasks) {
  const std::string other_arn = "arn:aws:ecs:eu-west-1:123456789012:task/demo/other";
  TaskMetadata other = Task();
  other.task_arn = other_arn;
  server_->SetTask(other_arn, other);
  server_->Register("other-token", other_arn, kAppId, "127.0.0.1");
  server_->RemoveTask(kTaskArn);
  EXPECT_EQ(MustGet(Path(kAppToken)).status, 404);
  const HttpReply reply = MustGet(Path("other-token", "/task"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(ParseObject(reply.body).fields().at("TaskARN").string_value(), other_arn);
}

TEST_F(MetadataServerTest, TokenBeforeTask_Returns404UntilSetTask) {
  const std::string arn = "arn:aws:ecs:eu-west-1:123456789012:task/demo/later";
  server_->Register("later-token", arn, kAppId, "127.0.0.1");
  EXPECT_EQ(MustGet(Path("later-token")).status, 404);
  EXPECT_THAT(MustGet(Path("later-token", "/task")).body, HasSubstr("no metadata for this task"));
  TaskMetadata task = Task();
  task.task_arn = arn;
  server_->SetTask(arn, task);
  EXPECT_EQ(MustGet(Path("later-token")).status, 200);
}

TEST_F(MetadataServerTest, SetTask_ReplacesTheDocument) {
  TaskMetadata stopped = Task();
  stopped.known_status = "STOPPED";
  stopped.containers[0].known_status = "STOPPED";
  stopped.containers[0].exit_code = 0;
  server_->SetTask(kTaskArn, stopped);
  const Struct object = ParseObject(MustGet(Path(kAppToken)).body);
  EXPECT_EQ(object.fields().at("KnownStatus").string_value(), "STOPPED");
  EXPECT_EQ(object.fields().at("ExitCode").number_value(), 0);
}

TEST_F(MetadataServerTest, OtherMethods_Return405) {
  for (const http::verb verb : {http::verb::post, http::verb::put, http::verb::delete_,
                                http::verb::head, http::verb::patch}) {
    SCOPED_TRACE(std::string(http::to_string(verb)));
    Client client(server_->port());
    const std::optional<HttpReply> reply = client.Send(verb, Path(kAppToken));
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, 405);
    EXPECT_EQ(reply->allow, "GET");
  }
}

TEST_F(MetadataServerTest, KeepAlive_ServesSeveralRequestsOnOneConnection) {
  Client client(server_->port());
  for (const std::string suffix : {"", "/task", "/stats", "/task/stats", "/nope", ""}) {
    SCOPED_TRACE(suffix);
    const std::optional<HttpReply> reply = client.Get(Path(kAppToken, suffix));
    ASSERT_TRUE(reply.has_value());
    EXPECT_EQ(reply->status, suffix == "/nope" ? 404 : 200);
  }
}

TEST_F(MetadataServerTest, RequestOver8KiB_IsDroppedWithoutAnswer) {
  Client client(server_->port());
  EXPECT_FALSE(client.Send(http::verb::get, Path(kAppToken), std::string(9000, 'x')).has_value());
}

// Takes the server's 10 s timeout.
TEST_F(MetadataServerTest, IncompleteRequest_IsDroppedAfterTheTimeout) {
  Client client(server_->port(), /*read_timeout_seconds=*/30);
  const beast::error_code error =
      client.SendRawAndRead("GET " + Path(kAppToken) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  EXPECT_TRUE(error == asio::error::eof || error == asio::error::connection_reset)
      << error.message();
}

TEST_F(MetadataServerTest, RequestUnder8KiB_IsAnswered) {
  Client client(server_->port());
  const std::optional<HttpReply> reply =
      client.Send(http::verb::get, Path(kAppToken), std::string(7000, 'x'));
  ASSERT_TRUE(reply.has_value());
  EXPECT_EQ(reply->status, 200);
}

TEST_F(MetadataServerTest, ConcurrentUpdates_DoNotDisturbAnswers) {
  std::atomic<bool> done{false};  // relaxed is enough: only ends the loop
  std::thread updater([&] {
    int round = 0;
    while (!done.load(std::memory_order_relaxed)) {
      const std::string token = "churn-" + std::to_string(round++ % 10);
      server_->Register(token, kTaskArn, kSidecarId, "127.0.0.1");
      server_->SetTask(kTaskArn, Task());
      server_->RemoveTask("arn:aws:ecs:eu-west-1:123456789012:task/demo/gone");
    }
  });
  Client client(server_->port());
  for (int i = 0; i < 200; ++i) {
    const std::optional<HttpReply> reply = client.Get(Path(kAppToken, "/task"));
    ASSERT_TRUE(reply.has_value());
    ASSERT_EQ(reply->status, 200);
  }
  done.store(true, std::memory_order_relaxed);
  updater.join();
}

TEST(MetadataServerStart, NotAnAddress_ReturnsInvalidArgument) {
  EXPECT_THAT(MetadataServer::Start("localhost", 0, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, "listen_address: \"localhost\""));
}

TEST(MetadataServerStart, PortInUse_ReturnsUnavailable) {
  absl::StatusOr<std::unique_ptr<MetadataServer>> first =
      MetadataServer::Start("127.0.0.1", 0, nullptr);
  ASSERT_THAT(first, IsOk());
  EXPECT_THAT(MetadataServer::Start("127.0.0.1", (*first)->port(), nullptr),
              StatusIs(absl::StatusCode::kUnavailable, "cannot listen on 127.0.0.1"));
}

TEST(MetadataServerStart, NoStatsSource_StatsAre404AndTaskStatsAllNull) {
  absl::StatusOr<std::unique_ptr<MetadataServer>> started =
      MetadataServer::Start("127.0.0.1", 0, nullptr);
  ASSERT_THAT(started, IsOk());
  MetadataServer& server = **started;
  server.SetTask(kTaskArn, Task());
  server.Register(kAppToken, kTaskArn, kAppId, "127.0.0.1");
  Client client(server.port());
  const std::optional<HttpReply> stats = client.Get(Path(kAppToken, "/stats"));
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats->status, 404);
  const std::optional<HttpReply> task_stats = client.Get(Path(kAppToken, "/task/stats"));
  ASSERT_TRUE(task_stats.has_value());
  EXPECT_EQ(task_stats->status, 200);
  EXPECT_EQ(task_stats->body,
            "{\"" + std::string(kAppId) + "\":null,\"" + std::string(kSidecarId) + "\":null}");
}

TEST(MetadataServerStart, DestroyWithOpenConnection_ReturnsPromptly) {
  absl::StatusOr<std::unique_ptr<MetadataServer>> started =
      MetadataServer::Start("127.0.0.1", 0, nullptr);
  ASSERT_THAT(started, IsOk());
  Client idle((*started)->port());
  // Must not wait for the idle client (its 10 s timeout); a hang fails by CTest's timeout.
  started->reset();
}

}  // namespace
}  // namespace gantry::agent::containerd
