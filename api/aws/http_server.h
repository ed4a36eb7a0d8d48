// A small HTTP/1.1 server (Boost.Beast) for gantryd's AWS-compatible front ends. It reads
// each request whole, within limits, hands it to one handler and writes the handler's
// answer; everything protocol-specific lives in the handler.
//
// Limits, so that no client can hold a thread or unbounded memory: a request (header
// and body) must arrive within `read_timeout`, a kept-alive connection idles at most
// that long, headers are capped at 16 KiB and bodies at `max_body_bytes` (answered 413
// by `too_large`). Sockets are served by `threads` threads; handlers may answer from any
// thread.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
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
};

using HttpHandler =
    std::function<void(auth::HttpRequest request, std::function<void(AwsResponse)> respond)>;

class HttpServer {
 public:
  // Listens on `address` (HOST:PORT; port 0 picks a free one). `too_large` is the answer
  // to a request whose body exceeds the limit.
  static absl::StatusOr<std::unique_ptr<HttpServer>> Start(const std::string& address,
                                                           HttpServerOptions options,
                                                           HttpHandler handler,
                                                           AwsResponse too_large);
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
