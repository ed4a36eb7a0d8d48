// containerDefinitions[].portMappings on awsvpc (contract 1.5).
#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "taskdef/internal/problems.h"
#include "taskdef/internal/rules.h"

namespace gantry::taskdef::internal {
namespace {

using gantry::v1::PortMapping;

constexpr int32_t kMaxPort = 65535;
constexpr int kMaxPortRanges = 100;

struct PortRange {
  int32_t first;
  int32_t last;
};

std::optional<int32_t> ParsePort(absl::string_view text) {
  if (!IsDigits(text) || text.size() > 5) {
    return std::nullopt;
  }
  int32_t port = 0;
  for (char c : text) {
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > kMaxPort) {
    return std::nullopt;
  }
  return port;
}

// "first-last" with 1 <= first < last <= 65535.
std::optional<PortRange> ParseRange(absl::string_view text) {
  const size_t dash = text.find('-');
  if (dash == absl::string_view::npos) {
    return std::nullopt;
  }
  std::optional<int32_t> first = ParsePort(text.substr(0, dash));
  std::optional<int32_t> last = ParsePort(text.substr(dash + 1));
  if (!first || !last || *first >= *last) {
    return std::nullopt;
  }
  return PortRange{*first, *last};
}

// containerPort and hostPort; returns the single port when the mapping uses one.
std::optional<PortRange> CheckSinglePort(const PortMapping& mapping, absl::string_view path,
                                         Problems* problems) {
  if (mapping.has_container_port_range()) {
    // containerPort and a range together are ambiguous (our choice: refuse).
    if (mapping.has_container_port()) {
      problems->Add(Field(path, "containerPort"),
                    "must be absent when containerPortRange is used; give one of the two");
    }
    if (mapping.has_host_port()) {
      problems->Add(Field(path, "hostPort"),
                    "must be absent when containerPortRange is used; on awsvpc the host range "
                    "mirrors the container range");
    }
    return std::nullopt;
  }
  if (!mapping.has_container_port()) {
    problems->Add(Field(path, "containerPort"),
                  "missing; use a port from 1 to 65535 or a containerPortRange");
    return std::nullopt;
  }
  const int32_t port = mapping.container_port();
  const bool valid = port >= 1 && port <= kMaxPort;
  if (!valid) {
    problems->Add(Field(path, "containerPort"),
                  absl::StrCat(port, " is out of range; use 1 to 65535"));
  }
  if (mapping.has_host_port() && mapping.host_port() != port) {
    problems->Add(Field(path, "hostPort"),
                  absl::StrCat(mapping.host_port(), " differs from containerPort ", port,
                               "; on awsvpc omit hostPort or set it equal to containerPort"));
  }
  if (!valid) {
    return std::nullopt;
  }
  return PortRange{port, port};
}

// protocol and appProtocol; returns false when protocol is invalid.
bool CheckProtocols(const PortMapping& mapping, absl::string_view path, Problems* problems) {
  const bool protocol_ok =
      !mapping.has_protocol() || mapping.protocol() == "tcp" || mapping.protocol() == "udp";
  if (!protocol_ok) {
    problems->Add(Field(path, "protocol"), absl::StrCat(Quote(mapping.protocol()),
                                                        " is not a protocol; use \"tcp\" or "
                                                        "\"udp\""));
  }
  if (mapping.has_app_protocol() && mapping.app_protocol() != "http" &&
      mapping.app_protocol() != "http2" && mapping.app_protocol() != "grpc") {
    problems->Add(Field(path, "appProtocol"),
                  absl::StrCat(Quote(mapping.app_protocol()),
                               " is not an application protocol; use \"http\", \"http2\" or "
                               "\"grpc\""));
  }
  return protocol_ok;
}

void CheckMapping(const PortMapping& mapping, absl::string_view path, PortRegistry* ports,
                  Problems* problems) {
  std::optional<PortRange> range = CheckSinglePort(mapping, path, problems);
  const bool protocol_ok = CheckProtocols(mapping, path, problems);
  if (mapping.has_container_port_range()) {
    range = ParseRange(mapping.container_port_range());
    if (!range) {
      problems->Add(Field(path, "containerPortRange"),
                    absl::StrCat(Quote(mapping.container_port_range()),
                                 " is not a port range; use \"first-last\" with 1 <= first < "
                                 "last <= 65535"));
    }
  }
  if (!range || !protocol_ok) {
    return;
  }
  const std::string protocol = mapping.has_protocol() ? mapping.protocol() : "tcp";
  std::optional<std::string> earlier = ports->Claim(protocol, range->first, range->last, path);
  if (earlier) {
    const std::string ports_text = range->first == range->last
                                       ? absl::StrCat(range->first)
                                       : absl::StrCat(range->first, "-", range->last);
    problems->Add(path, absl::StrCat(ports_text, "/", protocol, " is already mapped by ", *earlier,
                                     "; the containers of an awsvpc task share one network "
                                     "namespace, so map each port and protocol once"));
  }
}

}  // namespace

void CheckPortMappings(const gantry::v1::ContainerDefinition& container, absl::string_view path,
                       PortRegistry* ports, Problems* problems) {
  const std::string list_path = Field(path, "portMappings");
  int ranges = 0;
  for (const PortMapping& mapping : container.port_mappings()) {
    ranges += mapping.has_container_port_range() ? 1 : 0;
  }
  if (ranges > kMaxPortRanges) {
    problems->Add(list_path, absl::StrCat(ranges,
                                          " port ranges is more than the limit; use at most 100 "
                                          "containerPortRange mappings per container"));
  }
  for (int j = 0; j < container.port_mappings_size(); ++j) {
    CheckMapping(container.port_mappings(j), Item(list_path, j), ports, problems);
  }
}

}  // namespace gantry::taskdef::internal
