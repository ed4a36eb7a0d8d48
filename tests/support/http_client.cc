#include "tests/support/http_client.h"

#include <chrono>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace gantry::testing {

namespace beast = boost::beast;
namespace http = beast::http;

HttpAnswer HttpRequest(const std::string& host_port, const std::string& method,
                       const std::string& target) {
  HttpAnswer answer;
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  beast::tcp_stream stream(io);
  stream.expires_after(std::chrono::seconds(10));
  const size_t colon = host_port.rfind(':');
  if (colon == std::string::npos) {
    answer.body = "no port in " + host_port;
    return answer;
  }
  beast::error_code error;
  auto endpoints = resolver.resolve(host_port.substr(0, colon), host_port.substr(colon + 1), error);
  if (!error) {
    stream.connect(endpoints, error);
  }
  http::request<http::empty_body> request;
  request.method_string(method);
  request.target(target);
  request.version(11);
  request.set(http::field::host, host_port);
  if (!error) {
    http::write(stream, request, error);
  }
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  if (!error) {
    http::read(stream, buffer, response, error);
  }
  if (error) {
    answer.body = error.message();
    return answer;
  }
  answer.status = response.result_int();
  answer.content_type = std::string(response[http::field::content_type]);
  answer.body = response.body();
  return answer;
}

double PrometheusValue(const std::string& exposition, const std::string& series) {
  const std::string prefix = series + " ";
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::ConsumePrefix(&line, prefix)) {
      double value = 0;
      return absl::SimpleAtod(line, &value) ? value : -1;
    }
  }
  return -1;
}

}  // namespace gantry::testing
