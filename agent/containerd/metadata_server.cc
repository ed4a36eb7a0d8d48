#include "agent/containerd/metadata_server.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/status_macros.h"

namespace gantry::agent::containerd {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxRequestBytes = 8 * 1024;  // header, and body, each
// The read buffer holds one request plus what a pipelining client sent after it.
constexpr size_t kMaxBufferBytes = 2 * kMaxRequestBytes;
constexpr std::chrono::seconds kIoTimeout(10);
constexpr int kMaxConnections = 512;
// After an accept error (e.g. out of file descriptors), so that it is not retried in a
// busy loop.
constexpr std::chrono::milliseconds kAcceptRetryDelay(100);
constexpr size_t kTokenLength = 32;

constexpr char kPathPrefix[] = "/v4/";
constexpr char kUnknownToken[] = "no metadata for this token from this address";
constexpr char kUnknownPath[] =
    "no such path; use /v4/<token>, /v4/<token>/task, /v4/<token>/stats or "
    "/v4/<token>/task/stats";

enum class Resource { kContainer, kTask, kStats, kTaskStats };

struct Route {
  std::string token;
  Resource resource = Resource::kContainer;
};

// "/v4/<token>[/task|/stats|/task/stats][?query]"; nullopt for anything else.
std::optional<Route> ParseRoute(std::string_view target) {
  target = target.substr(0, target.find('?'));
  if (!target.starts_with(kPathPrefix)) {
    return std::nullopt;
  }
  target.remove_prefix(std::string_view(kPathPrefix).size());
  const size_t slash = target.find('/');
  Route route;
  route.token = std::string(target.substr(0, slash));
  const std::string_view rest =
      slash == std::string_view::npos ? std::string_view() : target.substr(slash);
  static const std::map<std::string_view, Resource> kResources = {
      {"", Resource::kContainer},
      {"/task", Resource::kTask},
      {"/stats", Resource::kStats},
      {"/task/stats", Resource::kTaskStats}};
  const auto resource = kResources.find(rest);
  if (route.token.empty() || resource == kResources.end()) {
    return std::nullopt;
  }
  route.resource = resource->second;
  return route;
}

// The canonical text of an address, an IPv4-mapped IPv6 one as plain IPv4 (what a
// dual-stack socket reports for an IPv4 client); text that is no address as it is.
std::string NormalizeIp(const std::string& text) {
  beast::error_code error;
  asio::ip::address address = asio::ip::make_address(text, error);
  if (error) {
    return text;
  }
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

const ContainerMetadata* FindContainer(const TaskMetadata& task, const std::string& docker_id) {
  for (const ContainerMetadata& container : task.containers) {
    if (container.docker_id == docker_id) {
      return &container;
    }
  }
  return nullptr;
}

}  // namespace

// ---- The HTTP side ----

// Owns the io_context and its one thread. Every handler (accept, sessions) runs on that
// thread, so `connections_` and the sessions need no strand or lock.
class MetadataServer::Listener {
 public:
  explicit Listener(const MetadataServer& server)
      : server_(server), io_(1), acceptor_(io_), retry_timer_(io_) {}

  // Stops the loop and joins. Then, as members go, the acceptor closes and the
  // io_context's destructor destroys the pending handlers and with them the sessions
  // (closing their sockets) while `connections_` still exists. Answers being written are
  // dropped.
  ~Listener() {
    if (thread_.joinable()) {
      io_.stop();
      thread_.join();
    }
  }

  absl::Status Listen(const tcp::endpoint& endpoint) {
    beast::error_code error;
    acceptor_.open(endpoint.protocol(), error);
    if (!error) {
      acceptor_.set_option(asio::socket_base::reuse_address(true), error);
    }
    if (!error) {
      acceptor_.bind(endpoint, error);
    }
    if (!error) {
      acceptor_.listen(asio::socket_base::max_listen_connections, error);
    }
    if (error) {
      return absl::UnavailableError(absl::StrCat("metadata endpoint: cannot listen on ",
                                                 endpoint.address().to_string(), ":",
                                                 endpoint.port(), ": ", error.message()));
    }
    const tcp::endpoint bound = acceptor_.local_endpoint(error);
    if (error) {
      return absl::UnavailableError(
          absl::StrCat("metadata endpoint: cannot read the bound port: ", error.message()));
    }
    port_ = bound.port();
    Accept();
    thread_ = std::thread([this] { io_.run(); });
    return absl::OkStatus();
  }

  uint16_t port() const { return port_; }

  const MetadataServer& server() const { return server_; }
  void Opened() { ++connections_; }
  void Closed() { --connections_; }

 private:
  void Accept();

  const MetadataServer& server_;
  int connections_ = 0;  // open sessions; on the server's thread only
  uint16_t port_ = 0;
  // Declared after what sessions touch when destroyed (see the destructor).
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_timer_;
  std::thread thread_;
};

// One connection: read a request, answer it, repeat while the client keeps it alive.
// Any error, limit or timeout closes the connection without an answer.
class MetadataServer::Session : public std::enable_shared_from_this<MetadataServer::Session> {
 public:
  Session(tcp::socket socket, Listener& listener)
      : stream_(std::move(socket)), buffer_(kMaxBufferBytes), listener_(listener) {
    listener_.Opened();
  }
  ~Session() { listener_.Closed(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  void Start() {
    beast::error_code error;
    const tcp::endpoint peer = stream_.socket().remote_endpoint(error);
    if (error) {
      return;  // the client is gone already; dropping the last reference closes it
    }
    peer_ip_ = NormalizeIp(peer.address().to_string());
    Read();
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxRequestBytes);
    parser_->body_limit(kMaxRequestBytes);
    // Covers the whole request, so a client trickling bytes is dropped too; between
    // kept-alive requests it bounds the idle time.
    stream_.expires_after(kIoTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    if (error) {
      Close();
      return;
    }
    const http::request<http::string_body>& request = parser_->get();
    Reply reply = listener_.server().Answer(std::string(request.method_string()),
                                            std::string(request.target()), peer_ip_);
    if (request.method() == http::verb::head) {
      reply.body.clear();  // a HEAD answer has no body
    }
    Write(std::move(reply), request.version(), request.keep_alive());
  }

  void Write(Reply reply, unsigned version, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(reply.http_status), version);
    response->set(http::field::content_type, "application/json");
    if (reply.http_status == static_cast<int>(http::status::method_not_allowed)) {
      response->set(http::field::allow, "GET");
    }
    response->keep_alive(keep_alive);
    response->body() = std::move(reply.body);
    response->prepare_payload();
    stream_.expires_after(kIoTimeout);
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response, keep_alive](beast::error_code error, size_t) {
          if (error || !keep_alive) {
            self->Close();
            return;
          }
          self->Read();
        });
  }

  void Close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string peer_ip_;
  Listener& listener_;
};

void MetadataServer::Listener::Accept() {
  acceptor_.async_accept(io_, [this](beast::error_code error, tcp::socket socket) {
    if (error == asio::error::operation_aborted) {
      return;  // shutting down
    }
    if (error) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([this](beast::error_code wait_error) {
        if (!wait_error) {
          Accept();
        }
      });
      return;
    }
    if (connections_ < kMaxConnections) {
      std::make_shared<Session>(std::move(socket), *this)->Start();
    }  // else the socket closes as it goes out of scope
    Accept();
  });
}

// ---- The server ----

MetadataServer::MetadataServer(StatsSource stats) : stats_(std::move(stats)) {}

MetadataServer::~MetadataServer() {
  // Before the maps go: the server's thread reads them.
  listener_.reset();
}

absl::StatusOr<std::unique_ptr<MetadataServer>> MetadataServer::Start(
    const std::string& listen_address, uint16_t port, StatsSource stats) {
  beast::error_code error;
  const asio::ip::address address = asio::ip::make_address(listen_address, error);
  if (error) {
    return absl::InvalidArgumentError(
        absl::StrCat("listen_address: \"", listen_address,
                     "\" is not an IP address; use an address of this host, e.g. 169.254.170.2"));
  }
  std::unique_ptr<MetadataServer> server(new MetadataServer(std::move(stats)));
  auto listener = std::make_unique<Listener>(*server);
  GANTRY_RETURN_IF_ERROR(listener->Listen(tcp::endpoint(address, port)));
  server->listener_ = std::move(listener);
  return server;
}

uint16_t MetadataServer::port() const { return listener_->port(); }

void MetadataServer::Register(const std::string& token, const std::string& task_arn,
                              const std::string& docker_id, const std::string& client_ip) {
  TokenEntry entry{task_arn, docker_id, NormalizeIp(client_ip)};
  absl::MutexLock lock(&mutex_);
  tokens_[token] = std::move(entry);
}

void MetadataServer::SetTask(const std::string& task_arn, TaskMetadata task) {
  absl::MutexLock lock(&mutex_);
  tasks_[task_arn] = std::move(task);
}

void MetadataServer::RemoveTask(const std::string& task_arn) {
  absl::MutexLock lock(&mutex_);
  tasks_.erase(task_arn);
  std::erase_if(tokens_, [&](const auto& token) { return token.second.task_arn == task_arn; });
}

std::optional<MetadataServer::Lookup> MetadataServer::Find(const std::string& token,
                                                           const std::string& peer_ip) const {
  absl::MutexLock lock(&mutex_);
  const auto entry = tokens_.find(token);
  if (entry == tokens_.end() || peer_ip.empty() || entry->second.client_ip != peer_ip) {
    return std::nullopt;
  }
  Lookup lookup{entry->second, std::nullopt};
  if (const auto task = tasks_.find(entry->second.task_arn); task != tasks_.end()) {
    lookup.task = task->second;
  }
  return lookup;
}

MetadataServer::Reply MetadataServer::Answer(const std::string& method, const std::string& target,
                                             const std::string& peer_ip) const {
  if (method != "GET") {
    return {static_cast<int>(http::status::method_not_allowed),
            ErrorJson(absl::StrCat("method ", method, " is not allowed; use GET"))};
  }
  const std::optional<Route> route = ParseRoute(target);
  if (!route.has_value()) {
    return {static_cast<int>(http::status::not_found), ErrorJson(kUnknownPath)};
  }
  const std::optional<Lookup> lookup = Find(route->token, peer_ip);
  if (!lookup.has_value()) {
    return {static_cast<int>(http::status::not_found), ErrorJson(kUnknownToken)};
  }
  if (route->resource == Resource::kStats || route->resource == Resource::kTaskStats) {
    return AnswerStats(*lookup, route->resource == Resource::kTaskStats);
  }
  if (!lookup->task.has_value()) {
    return {static_cast<int>(http::status::not_found), ErrorJson("no metadata for this task yet")};
  }
  if (route->resource == Resource::kTask) {
    return {static_cast<int>(http::status::ok), TaskJson(*lookup->task)};
  }
  const ContainerMetadata* container = FindContainer(*lookup->task, lookup->token.docker_id);
  if (container == nullptr) {
    return {static_cast<int>(http::status::not_found),
            ErrorJson("no metadata for this container yet")};
  }
  return {static_cast<int>(http::status::ok), ContainerJson(*container)};
}

MetadataServer::Reply MetadataServer::AnswerStats(const Lookup& lookup, bool whole_task) const {
  const std::map<std::string, ContainerStats> stats =
      stats_ ? stats_(lookup.token.task_arn) : std::map<std::string, ContainerStats>();
  if (whole_task) {
    std::vector<std::string> docker_ids;
    if (lookup.task.has_value()) {
      for (const ContainerMetadata& container : lookup.task->containers) {
        docker_ids.push_back(container.docker_id);
      }
    }
    return {static_cast<int>(http::status::ok), TaskStatsJson(stats, docker_ids)};
  }
  const auto container = stats.find(lookup.token.docker_id);
  if (container == stats.end()) {
    return {static_cast<int>(http::status::not_found),
            ErrorJson("no stats for this container yet")};
  }
  return {static_cast<int>(http::status::ok), StatsJson(container->second)};
}

std::string NewMetadataToken() {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  static_assert(sizeof(kAlphabet) - 1 == 64, "6 bits per character");
  std::random_device device;
  std::string token;
  token.reserve(kTokenLength);
  while (token.size() < kTokenLength) {
    // Each 6-bit slice of a uniform 32-bit draw is uniform; 5 slices fit.
    uint32_t bits = device();
    for (int slice = 0; slice < 5 && token.size() < kTokenLength; ++slice) {
      token += kAlphabet[bits & 63];
      bits >>= 6;
    }
  }
  return token;
}

}  // namespace gantry::agent::containerd
