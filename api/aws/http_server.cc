#include "api/aws/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/ids.h"
#include "common/log.h"

namespace gantry::api::aws {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxHeaderBytes = 16 * 1024;
constexpr size_t kMaxDrainBytes = 1 << 20;

std::chrono::steady_clock::duration ToChrono(absl::Duration duration) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(duration));
}

// The request's method, target and headers (not its body).
auth::HttpRequest ToHttpRequest(const http::request<http::string_body>& request) {
  auth::HttpRequest out;
  out.method = std::string(request.method_string());
  const std::string target(request.target());
  const size_t question = target.find('?');
  out.path = target.substr(0, question);
  if (question != std::string::npos) {
    out.query = target.substr(question + 1);
  }
  for (const auto& field : request) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  return out;
}

bool IsHttpParseError(const beast::error_code& error) {
  return error.category() == beast::error_code(http::error::bad_target).category() &&
         error != http::error::end_of_stream && error != http::error::partial_message &&
         error != http::error::need_more && error != http::error::need_buffer;
}

// One connection: read a request's head, let the service check it, read the body, hand
// the request to the handler, write the answer, repeat while the client keeps the
// connection alive. Everything runs on the connection's strand; the handler's answer is
// posted back onto it. `live` counts the server's open connections.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const HttpService& service,
          std::shared_ptr<std::atomic<int>> live)
      : stream_(std::move(socket)), options_(options), service_(service), live_(std::move(live)) {
    live_->fetch_add(1);
  }
  ~Session() { live_->fetch_sub(1); }

  void Start() { ReadHead(); }

 private:
  void ReadHead() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(ToChrono(options_.read_timeout));
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnHead(error); });
  }

  void OnHead(beast::error_code error) {
    if (error) {
      ReadFailed(error);
      return;
    }
    if (service_.check_head) {
      if (std::optional<AwsResponse> refused = service_.check_head(ToHttpRequest(parser_->get()))) {
        // The body stays unread, so the connection cannot serve another request.
        Refuse(*refused);
        return;
      }
    }
    if (parser_->is_done()) {
      OnRead({});
      return;
    }
    auto expect = parser_->get().find(http::field::expect);
    if (expect != parser_->get().end() && beast::iequals(expect->value(), "100-continue")) {
      // The client waits for this before it sends the body.
      auto interim =
          std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      http::async_write(
          stream_, *interim,
          [self = shared_from_this(), interim](beast::error_code write_error, size_t) {
            if (write_error) {
              self->Close();
              return;
            }
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    if (error) {
      ReadFailed(error);
      return;
    }
    http::request<http::string_body> request = parser_->release();
    const bool keep_alive = request.keep_alive();
    auth::HttpRequest received = ToHttpRequest(request);
    received.body = std::move(request.body());
    auto self = shared_from_this();
    service_.handler(std::move(received), [self, keep_alive](AwsResponse response) {
      asio::post(self->stream_.get_executor(), [self, keep_alive, response = std::move(response)] {
        self->Write(response, keep_alive);
      });
    });
  }

  // A request that could not be read: the client hears why when it sent something the
  // server refuses; end of stream and timeouts just close.
  void ReadFailed(const beast::error_code& error) {
    if (error == http::error::body_limit) {
      Refuse(service_.refuse(
          413, absl::StrCat("request body is larger than ", options_.max_body_bytes, " bytes")));
    } else if (error == http::error::header_limit) {
      Refuse(service_.refuse(
          431, absl::StrCat("request header is larger than ", kMaxHeaderBytes, " bytes")));
    } else if (IsHttpParseError(error)) {
      Refuse(service_.refuse(400, absl::StrCat("malformed HTTP request: ", error.message())));
    } else {
      Close();
    }
  }

  // Answers a request that was not read whole, then closes without reading another.
  void Refuse(const AwsResponse& answer) { Write(answer, /*keep_alive=*/false, /*drain=*/true); }

  // `drain`: the client may still be sending what the server did not read. Closing a
  // socket with unread bytes resets the connection, and a reset can destroy the answer
  // before the client reads it; so the server stops sending, then reads and drops what
  // still comes for at most a second (and kMaxDrainBytes) before it closes.
  void Write(const AwsResponse& answer, bool keep_alive, bool drain = false) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.http_status), 11);
    response->set(http::field::server, "gantryd");
    response->set(http::field::content_type, answer.content_type);
    response->set("x-amzn-RequestId",
                  answer.request_id.empty() ? ids::NewUuid() : answer.request_id);
    response->keep_alive(keep_alive);
    response->body() = answer.body;
    response->prepare_payload();
    stream_.expires_after(ToChrono(options_.read_timeout));
    http::async_write(
        stream_, *response,
        [self = shared_from_this(), response, keep_alive, drain](beast::error_code error, size_t) {
          if (!error && drain) {
            self->StartDrain();
            return;
          }
          if (error || !keep_alive) {
            self->Close();
            return;
          }
          self->ReadHead();
        });
  }

  void StartDrain() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.expires_after(std::chrono::seconds(1));
    drained_ = 0;
    DrainSome();
  }

  void DrainSome() {
    auto scratch = std::make_shared<std::array<char, 16 * 1024>>();
    stream_.async_read_some(asio::buffer(*scratch), [self = shared_from_this(), scratch](
                                                        beast::error_code error, size_t bytes) {
      self->drained_ += bytes;
      if (error || self->drained_ > kMaxDrainBytes) {
        self->stream_.close();
        return;
      }
      self->DrainSome();
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
  size_t drained_ = 0;
  const HttpServerOptions& options_;
  const HttpService& service_;
  const std::shared_ptr<std::atomic<int>> live_;
};

absl::StatusOr<tcp::endpoint> ParseEndpoint(const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = 0;
  if (colon == std::string::npos || !absl::SimpleAtoi(address.substr(colon + 1), &port) ||
      port < 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("--aws-listen: \"", address, "\" is not HOST:PORT (e.g. 127.0.0.1:4566)"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty() || host == "localhost") {
    host = "127.0.0.1";
  }
  beast::error_code error;
  asio::ip::address ip = asio::ip::make_address(host, error);
  if (error) {
    return absl::InvalidArgumentError(absl::StrCat("--aws-listen: \"", host,
                                                   "\" is not an IP address (use 127.0.0.1 or "
                                                   "0.0.0.0)"));
  }
  return tcp::endpoint(ip, static_cast<unsigned short>(port));
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpService service)
      : options_(options),
        service_(std::move(service)),
        io_(options.threads),
        acceptor_(asio::make_strand(io_)),
        retry_(acceptor_.get_executor()) {}

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
      return absl::UnavailableError(absl::StrCat("cannot listen on ",
                                                 endpoint.address().to_string(), ":",
                                                 endpoint.port(), ": ", error.message()));
    }
    const tcp::endpoint bound = acceptor_.local_endpoint();
    address_ = absl::StrCat(bound.address().to_string(), ":", bound.port());
    Accept();
    for (int i = 0; i < options_.threads; ++i) {
      threads_.emplace_back([this] { io_.run(); });
    }
    return absl::OkStatus();
  }

  const std::string& address() const { return address_; }

  void Shutdown() {
    if (stopped_.exchange(true)) {
      return;
    }
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      retry_.cancel();
    });
    io_.stop();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    threads_.clear();
  }

 private:
  void Accept() {
    if (live_->load() >= options_.max_connections) {
      // Full: connections wait in the backlog until one of the open ones closes.
      AcceptLater(kFullPause);
      return;
    }
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code error, tcp::socket socket) {
          if (error == asio::error::operation_aborted) {
            return;
          }
          if (error) {
            AcceptFailed(error);
            return;
          }
          failure_pause_ = absl::ZeroDuration();
          std::make_shared<Session>(std::move(socket), options_, service_, live_)->Start();
          Accept();
        });
  }

  // Out of file descriptors (say) the next accept fails at once too: pause, longer each
  // time up to a second, and log once per pause instead of once per failure.
  void AcceptFailed(const beast::error_code& error) {
    failure_pause_ = std::clamp(failure_pause_ * 2, kFirstFailurePause, kLongestFailurePause);
    ++failures_;
    const absl::Time now = absl::Now();
    if (now - last_failure_log_ >= absl::Seconds(1)) {
      log::Warning("aws_accept_failed", {{"error", error.message()},
                                         {"failures", failures_},
                                         {"retry_in", absl::FormatDuration(failure_pause_)}});
      last_failure_log_ = now;
      failures_ = 0;
    }
    AcceptLater(failure_pause_);
  }

  void AcceptLater(absl::Duration pause) {
    retry_.expires_after(ToChrono(pause));
    retry_.async_wait([this](beast::error_code error) {
      if (!error && !stopped_.load()) {
        Accept();
      }
    });
  }

  static constexpr absl::Duration kFullPause = absl::Milliseconds(20);
  static constexpr absl::Duration kFirstFailurePause = absl::Milliseconds(50);
  static constexpr absl::Duration kLongestFailurePause = absl::Seconds(1);

  const HttpServerOptions options_;
  const HttpService service_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;  // on the acceptor's strand, as is everything below it
  absl::Duration failure_pause_ = absl::ZeroDuration();
  int64_t failures_ = 0;
  absl::Time last_failure_log_ = absl::InfinitePast();
  // Shared with the sessions, which may be destroyed after the server (a handler's answer
  // holds its session).
  const std::shared_ptr<std::atomic<int>> live_ = std::make_shared<std::atomic<int>>(0);
  std::vector<std::thread> threads_;
  std::string address_;
  std::atomic<bool> stopped_ = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              HttpServerOptions options,
                                                              HttpService service) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseEndpoint(address);
  if (!endpoint.ok()) {
    return endpoint.status();
  }
  if (!service.handler || !service.refuse) {
    return absl::InvalidArgumentError("HttpServer: a handler and a refusal are required");
  }
  if (options.max_connections < 1 || options.threads < 1) {
    return absl::InvalidArgumentError("HttpServer: max_connections and threads must be positive");
  }
  auto impl = std::make_unique<Impl>(options, std::move(service));
  if (absl::Status status = impl->Listen(*endpoint); !status.ok()) {
    return status;
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

const std::string& HttpServer::address() const { return impl_->address(); }

void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace gantry::api::aws
