// A small HTTP/1.1 server (Boost.Beast) for gantryd's AWS-compatible front ends. It reads
// each request's head, lets the service refuse it there, reads the body within limits,
// hands the request to the service's handler and writes the handler's answer; everything
// protocol-specific lives in the service.
//
// Limits, so that no client can hold a thread or unbounded memory: a request (header
// and body) must arrive within `read_timeout`, a kept-alive connection idles at most
// that long, headers are capped at 16 KiB (answered 431) and bodies at `max_body_bytes`
// (answered 413); malformed HTTP is answered 400. At most `max_connections` connections
// are open at once: beyond that, new ones wait in the listen backlog until one closes.
// A failing accept (out of file descriptors) is retried after a growing pause, not in a
// loop. Sockets are served by `threads` threads; handlers may answer from any thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "api/aws/ecs_json.h"
#include "auth/sigv4.h"

namespace gantry::api::aws {

struct HttpServerOptions {
  size_t max_body_bytes = 1 << 20;
  absl::Duration read_timeout = absl::Seconds(30);
  int threads = 2;
  int max_connections = 1024;
};

using HttpHandler =
    std::function<void(auth::HttpRequest request, std::function<void(AwsResponse)> respond)>;

struct HttpService {
  // Answers every request that got through the checks below.
  HttpHandler handler;
  // Optional; called on the request's head (method, target, headers; body empty) before
  // its body is read. An answer refuses the request: it is written and the connection
  // closed without reading the body (say, a request that is not signed by a known key).
  std::function<std::optional<AwsResponse>(const auth::HttpRequest& head)> check_head;
  // The answer to a request the server refuses itself: `http_status` 413 (body too
  // large), 431 (header too large) or 400 (malformed HTTP), with a message saying why.
  std::function<AwsResponse(int http_status, const std::string& message)> refuse;
};

class HttpServer {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one). `service.handler` and
  // `service.refuse` are required.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           HttpServerOptions options,
                                                           HttpService service);
  ~HttpServer();  // Shutdown()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // HOST:PORT actually bound.
  const std::string& address() const;

  // Stops accepting, closes connections, joins the threads. Answers still running in a
  // handler are dropped. Idempotent.
  void Shutdown();

 private:
  class Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gantry::api::aws
