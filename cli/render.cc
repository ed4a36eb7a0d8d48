// Table output of gantryctl.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "cli/cli.h"
#include "cli/internal/util.h"

namespace gantry::cli {
namespace {

using internal::kNone;
using internal::OrNone;
using internal::RenderBlock;
using internal::RenderFailures;
using internal::RenderList;

std::string NextTokenLine(bool has, const std::string& token) {
  return has ? absl::StrCat("\nNext token: ", token, "\n") : "";
}

std::string RenderClusters(const google::protobuf::RepeatedPtrField<v1::Cluster>& clusters) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::Cluster& c : clusters) {
    rows.push_back({c.cluster_name(), OrNone(c.has_status(), c.status()),
                    OrNone(c.has_running_tasks_count(), c.running_tasks_count()),
                    OrNone(c.has_pending_tasks_count(), c.pending_tasks_count()), c.cluster_arn()});
  }
  return RenderTable({"NAME", "STATUS", "RUNNING", "PENDING", "ARN"}, rows);
}

std::string ContainerMemory(const v1::ContainerDefinition& c) {
  if (c.has_memory()) {
    return absl::StrCat(c.memory());
  }
  if (c.has_memory_reservation()) {
    return absl::StrCat(c.memory_reservation(), " (soft)");
  }
  return std::string(kNone);
}

std::string RenderContainers(const v1::TaskDefinition& definition) {
  std::vector<std::vector<std::string>> rows;
  for (const v1::ContainerDefinition& c : definition.container_definitions()) {
    bool essential = !c.has_essential() || c.essential();  // ECS's default is true
    rows.push_back({c.name(), c.image(), OrNone(c.has_cpu(), c.cpu()), ContainerMemory(c),
                    essential ? "true" : "false", FormatPorts(c)});
  }
  return RenderTable({"NAME", "IMAGE", "CPU", "MEMORY", "ESSENTIAL", "PORTS"}, rows);
}

std::string VolumeType(const v1::Volume& volume) {
  if (volume.has_efs_volume_configuration()) {
    return absl::StrCat("efs ", volume.efs_volume_configuration().file_system_id());
  }
  if (volume.has_docker_volume_configuration()) {
    return "docker";
  }
  if (volume.has_fsx_windows_file_server_volume_configuration()) {
    return "fsx-windows";
  }
  if (volume.has_host() && volume.host().has_source_path()) {
    return absl::StrCat("host ", volume.host().source_path());
  }
  return "bind";
}

std::string RenderVolumes(const v1::TaskDefinition& definition) {
  if (definition.volumes().empty()) {
    return "";
  }
  std::vector<std::vector<std::string>> rows;
  for (const v1::Volume& volume : definition.volumes()) {
    rows.push_back({volume.name(), VolumeType(volume)});
  }
  return absl::StrCat("\n", RenderTable({"VOLUME", "TYPE"}, rows));
}

std::string FormatTags(const google::protobuf::RepeatedPtrField<v1::Tag>& tags) {
  return absl::StrJoin(tags, ", ", [](std::string* out, const v1::Tag& tag) {
    absl::StrAppend(out, tag.key(), "=", tag.value());
  });
}

}  // namespace

size_t DisplayWidth(std::string_view text) {
  // One column per UTF-8 code point: count every byte that does not continue one.
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) {
    return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  }));
}

std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], DisplayWidth(row[i]));
    }
  };
  measure(header);
  for (const auto& row : rows) {
    measure(row);
  }
  auto render = [&](const std::vector<std::string>& row) {
    std::string line;
    for (size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) {
        line.append(widths[i] - DisplayWidth(row[i]) + 2, ' ');
      }
    }
    line.erase(line.find_last_not_of(' ') + 1);
    return line + "\n";
  };
  std::string out = render(header);
  for (const auto& row : rows) {
    absl::StrAppend(&out, render(row));
  }
  return out;
}

std::string FormatEpochSeconds(double epoch_seconds) {
  if (!std::isfinite(epoch_seconds)) {
    return std::string(kNone);
  }
  absl::Time time = absl::FromUnixMillis(static_cast<int64_t>(std::llround(epoch_seconds * 1e3)));
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", time, absl::UTCTimeZone());
}

std::string FormatPorts(const v1::ContainerDefinition& container) {
  std::vector<std::string> ports;
  for (const v1::PortMapping& m : container.port_mappings()) {
    std::string protocol = m.has_protocol() ? m.protocol() : "tcp";
    if (m.has_container_port_range()) {
      ports.push_back(absl::StrCat(m.container_port_range(), "/", protocol));
    } else if (m.has_host_port() && m.host_port() != m.container_port()) {
      ports.push_back(absl::StrCat(m.host_port(), ":", m.container_port(), "/", protocol));
    } else {
      ports.push_back(absl::StrCat(m.container_port(), "/", protocol));
    }
  }
  return ports.empty() ? std::string(kNone) : absl::StrJoin(ports, ", ");
}

std::string FormatTaskDefinition(const v1::TaskDefinition& d,
                                 const google::protobuf::RepeatedPtrField<v1::Tag>& tags) {
  std::string summary = RenderBlock({
      {"Task definition", d.task_definition_arn()},
      {"Family", d.family()},
      {"Revision", OrNone(d.has_revision(), d.revision())},
      {"Status", OrNone(d.has_status(), d.status())},
      {"CPU", OrNone(d.has_cpu(), d.cpu())},
      {"Memory", OrNone(d.has_memory(), d.memory())},
      {"Network mode", OrNone(d.has_network_mode(), d.network_mode())},
      {"Registered at", d.has_registered_at() ? FormatEpochSeconds(d.registered_at()) : "-"},
      {"Deregistered at", d.has_deregistered_at() ? FormatEpochSeconds(d.deregistered_at()) : ""},
      {"Compatibilities", absl::StrJoin(d.compatibilities(), ", ")},
      {"Tags", FormatTags(tags)},
  });
  return absl::StrCat(summary, "\n", RenderContainers(d), RenderVolumes(d));
}

std::string FormatTable(const v1::CreateClusterResponse& response) {
  google::protobuf::RepeatedPtrField<v1::Cluster> clusters;
  if (response.has_cluster()) {
    *clusters.Add() = response.cluster();
  }
  return RenderClusters(clusters);
}

std::string FormatTable(const v1::DescribeClustersResponse& response) {
  return absl::StrCat(RenderClusters(response.clusters()), RenderFailures(response.failures()));
}

std::string FormatTable(const v1::ListClustersResponse& response) {
  return absl::StrCat(RenderList("CLUSTER ARN", response.cluster_arns()),
                      NextTokenLine(response.has_next_token(), response.next_token()));
}

std::string FormatTable(const v1::RegisterTaskDefinitionResponse& response) {
  return FormatTaskDefinition(response.task_definition(), response.tags());
}

std::string FormatTable(const v1::DescribeTaskDefinitionResponse& response) {
  return FormatTaskDefinition(response.task_definition(), response.tags());
}

std::string FormatTable(const v1::ListTaskDefinitionsResponse& response) {
  return absl::StrCat(RenderList("TASK DEFINITION ARN", response.task_definition_arns()),
                      NextTokenLine(response.has_next_token(), response.next_token()));
}

std::string FormatTable(const v1::ListTaskDefinitionFamiliesResponse& response) {
  return absl::StrCat(RenderList("FAMILY", response.families()),
                      NextTokenLine(response.has_next_token(), response.next_token()));
}

std::string FormatTable(const v1::DeregisterTaskDefinitionResponse& response) {
  return FormatTaskDefinition(response.task_definition(), {});
}

}  // namespace gantry::cli
