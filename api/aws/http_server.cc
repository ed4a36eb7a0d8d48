#include "api/aws/http_server.h"

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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

std::chrono::steady_clock::duration ToChrono(absl::Duration duration) {
  return std::chrono::microseconds(absl::ToInt64Microseconds(duration));
}

auth::HttpRequest ToHttpRequest(http::request<http::string_body>&& request) {
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
  out.body = std::move(request.body());
  return out;
}

// One connection: read a request, hand it to the handler, write the answer, repeat
// while the client keeps the connection alive. Everything runs on the connection's
// strand; the handler's answer is posted back onto it.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const HttpServerOptions& options, const HttpHandler& handler,
          const AwsResponse& too_large)
      : stream_(std::move(socket)), options_(options), handler_(handler), too_large_(too_large) {}

  void Start() { Read(); }

 private:
  void Read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(options_.max_body_bytes);
    stream_.expires_after(ToChrono(options_.read_timeout));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code error, size_t) { self->OnRead(error); });
  }

  void OnRead(beast::error_code error) {
    if (error == http::error::body_limit) {
      Write(too_large_, /*keep_alive=*/false);
      return;
    }
    if (error) {
      // end of stream, timeout, malformed HTTP: nothing sensible to answer.
      Close();
      return;
    }
    http::request<http::string_body> request = parser_->release();
    const bool keep_alive = request.keep_alive();
    auto self = shared_from_this();
    handler_(ToHttpRequest(std::move(request)), [self, keep_alive](AwsResponse response) {
      asio::post(self->stream_.get_executor(), [self, keep_alive, response = std::move(response)] {
        self->Write(response, keep_alive);
      });
    });
  }

  void Write(const AwsResponse& answer, bool keep_alive) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(answer.http_status), 11);
    response->set(http::field::server, "gantryd");
    response->set(http::field::content_type, answer.content_type);
    response->set("x-amzn-RequestId", ids::NewUuid());
    response->keep_alive(keep_alive);
    response->body() = answer.body;
    response->prepare_payload();
    stream_.expires_after(ToChrono(options_.read_timeout));
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
  const HttpServerOptions& options_;
  const HttpHandler& handler_;
  const AwsResponse& too_large_;
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
  Impl(HttpServerOptions options, HttpHandler handler, AwsResponse too_large)
      : options_(options),
        handler_(std::move(handler)),
        too_large_(std::move(too_large)),
        io_(options.threads),
        acceptor_(asio::make_strand(io_)) {}

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
    if (stopped_) {
      return;
    }
    stopped_ = true;
    asio::post(acceptor_.get_executor(), [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
    });
    io_.stop();
    for (std::thread& thread : threads_) {
      thread.join();
    }
    threads_.clear();
  }

 private:
  void Accept() {
    acceptor_.async_accept(
        asio::make_strand(io_), [this](beast::error_code error, tcp::socket socket) {
          if (error == asio::error::operation_aborted) {
            return;
          }
          if (!error) {
            std::make_shared<Session>(std::move(socket), options_, handler_, too_large_)->Start();
          } else {
            log::Warning("aws_accept_failed", {{"error", error.message()}});
          }
          Accept();
        });
  }

  const HttpServerOptions options_;
  const HttpHandler handler_;
  const AwsResponse too_large_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::vector<std::thread> threads_;
  std::string address_;
  bool stopped_ = false;
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() { Shutdown(); }

absl::StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(const std::string& address,
                                                              HttpServerOptions options,
                                                              HttpHandler handler,
                                                              AwsResponse too_large) {
  absl::StatusOr<tcp::endpoint> endpoint = ParseEndpoint(address);
  if (!endpoint.ok()) {
    return endpoint.status();
  }
  auto impl = std::make_unique<Impl>(options, std::move(handler), std::move(too_large));
  if (absl::Status status = impl->Listen(*endpoint); !status.ok()) {
    return status;
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

const std::string& HttpServer::address() const { return impl_->address(); }

void HttpServer::Shutdown() { impl_->Shutdown(); }

}  // namespace gantry::api::aws
