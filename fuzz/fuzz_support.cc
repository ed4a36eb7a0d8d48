#include "fuzz/fuzz_support.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace gantry::fuzz {
namespace {

// The text of `text` up to the next '\n' (or its end), advancing `text` past the line end.
std::string_view NextLine(std::string_view& text) {
  const size_t end = text.find('\n');
  const std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

void ParseRequestLine(std::string_view line, auth::HttpRequest& request) {
  const size_t space = line.find(' ');
  request.method = std::string(line.substr(0, space));
  if (space == std::string_view::npos) {
    return;
  }
  const std::string_view target = line.substr(space + 1);
  const size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) {
    request.query = std::string(target.substr(question + 1));
  }
}

void ParseHeaderLine(std::string_view line, auth::HttpRequest& request) {
  const size_t colon = line.find(':');
  std::string_view value =
      colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
    value.remove_prefix(1);
  }
  request.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
}

}  // namespace

auth::HttpRequest ParseHttpRequest(std::string_view text) {
  auth::HttpRequest request;
  ParseRequestLine(NextLine(text), request);
  while (!text.empty()) {
    const std::string_view line = NextLine(text);
    if (line.empty()) {
      break;
    }
    ParseHeaderLine(line, request);
  }
  request.body = std::string(text);
  return request;
}

void Require(bool condition, std::string_view invariant, std::string_view detail) {
  if (condition) {
    return;
  }
  std::fprintf(stderr, "fuzz invariant broken: %.*s\n%.*s\n", static_cast<int>(invariant.size()),
               invariant.data(), static_cast<int>(detail.size()), detail.data());
  std::abort();
}

}  // namespace gantry::fuzz
