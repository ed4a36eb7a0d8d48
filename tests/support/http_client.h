// A blocking HTTP/1.1 client for tests (Boost.Beast): one request per connection, a
// 10-second bound on the whole exchange.
#pragma once

#include <string>

namespace gantry::testing {

struct HttpAnswer {
  int status = 0;  // 0: the exchange failed, and `body` says why
  std::string content_type;
  std::string body;
};

// `method` is "GET", "POST", ...; `host_port` is HOST:PORT.
HttpAnswer HttpRequest(const std::string& host_port, const std::string& method,
                       const std::string& target);

// The value of the Prometheus exposition line that starts with `series` (the metric
// name, with its labels when it has any) followed by a space; -1 when there is none.
double PrometheusValue(const std::string& exposition, const std::string& series);

}  // namespace gantry::testing
