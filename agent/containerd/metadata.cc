#include "agent/containerd/metadata.h"

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::agent::containerd {
namespace {

using google::protobuf::Value;

constexpr double kCpuUnitsPerVcpu = 1024;
// How Go prints a zero time.Time, which Docker's "preread" is before a second sample.
constexpr char kGoZeroTime[] = "0001-01-01T00:00:00Z";
// /proc/net/dev: 8 receive counters, then 8 transmit counters.
constexpr size_t kNetDevCounters = 16;
constexpr size_t kNetDevTransmitOffset = 8;

absl::string_view AbslView(std::string_view text) { return {text.data(), text.size()}; }

// ---- JSON values (metadata documents) ----

Value String(std::string_view text) {
  Value value;
  value.set_string_value(std::string(text));
  return value;
}

// Every number in the metadata documents (MiB, cpu units, exit codes, an index) is far
// below 2^53, so it converts exactly and prints without a fraction.
Value Number(double number) {
  Value value;
  value.set_number_value(number);
  return value;
}

Value Bool(bool flag) {
  Value value;
  value.set_bool_value(flag);
  return value;
}

Value Strings(const std::vector<std::string>& items) {
  Value value;
  // Taken before the loop so that an empty list still prints as [].
  google::protobuf::ListValue* list = value.mutable_list_value();
  for (const std::string& item : items) {
    *list->add_values() = String(item);
  }
  return value;
}

Value StringMap(const std::map<std::string, std::string>& items) {
  Value value;
  auto& fields = *value.mutable_struct_value()->mutable_fields();
  for (const auto& [key, item] : items) {
    fields[key] = String(item);
  }
  return value;
}

Value EmptyObject() {
  Value value;
  value.mutable_struct_value();
  return value;
}

void Put(Value& object, const char* key, Value field) {
  (*object.mutable_struct_value()->mutable_fields())[key] = std::move(field);
}

void PutNonEmpty(Value& object, const char* key, const std::string& text) {
  if (!text.empty()) {
    Put(object, key, String(text));
  }
}

void PutNonEmpty(Value& object, const char* key, const std::vector<std::string>& items) {
  if (!items.empty()) {
    Put(object, key, Strings(items));
  }
}

void PutNonEmpty(Value& object, const char* key, const std::map<std::string, std::string>& items) {
  if (!items.empty()) {
    Put(object, key, StringMap(items));
  }
}

void PutTime(Value& object, const char* key, const std::optional<absl::Time>& time) {
  if (time.has_value()) {
    Put(object, key, String(FormatMetadataTime(*time)));
  }
}

// Printing a Value fails only for Any fields, which these documents never hold; null
// keeps the answer valid JSON should that ever change.
std::string Print(const Value& value) {
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(value, &json).ok()) {
    return "null";
  }
  return json;
}

// ---- Metadata documents ----

Value NetworkValue(const NetworkMetadata& network) {
  Value value = EmptyObject();
  Put(value, "NetworkMode", String(network.network_mode));
  PutNonEmpty(value, "IPv4Addresses", network.ipv4_addresses);
  Put(value, "AttachmentIndex", Number(network.attachment_index));
  PutNonEmpty(value, "MACAddress", network.mac_address);
  PutNonEmpty(value, "IPv4SubnetCIDRBlock", network.ipv4_subnet_cidr_block);
  PutNonEmpty(value, "DomainNameServers", network.domain_name_servers);
  PutNonEmpty(value, "DomainNameSearchList", network.domain_name_search_list);
  PutNonEmpty(value, "PrivateDNSName", network.private_dns_name);
  PutNonEmpty(value, "SubnetGatewayIpv4Address", network.subnet_gateway_ipv4_address);
  return value;
}

Value ContainerLimitsValue(const ContainerLimits& limits) {
  Value value = EmptyObject();
  Put(value, "CPU", Number(static_cast<double>(limits.cpu_units)));
  if (limits.memory_mib.has_value()) {
    Put(value, "Memory", Number(static_cast<double>(*limits.memory_mib)));
  }
  return value;
}

Value ContainerValue(const ContainerMetadata& container) {
  Value value = EmptyObject();
  Put(value, "DockerId", String(container.docker_id));
  Put(value, "Name", String(container.name));
  Put(value, "DockerName", String(container.docker_name));
  Put(value, "Image", String(container.image));
  Put(value, "ImageID", String(container.image_id));
  PutNonEmpty(value, "Labels", container.labels);
  Put(value, "DesiredStatus", String(container.desired_status));
  Put(value, "KnownStatus", String(container.known_status));
  if (container.exit_code.has_value()) {
    Put(value, "ExitCode", Number(*container.exit_code));
  }
  Put(value, "Limits", ContainerLimitsValue(container.limits));
  PutTime(value, "CreatedAt", container.created_at);
  PutTime(value, "StartedAt", container.started_at);
  PutTime(value, "FinishedAt", container.finished_at);
  Put(value, "Type", String(container.type));
  PutNonEmpty(value, "ContainerARN", container.container_arn);
  PutNonEmpty(value, "LogDriver", container.log_driver);
  PutNonEmpty(value, "LogOptions", container.log_options);
  if (!container.networks.empty()) {
    Value networks;
    google::protobuf::ListValue* list = networks.mutable_list_value();
    for (const NetworkMetadata& network : container.networks) {
      *list->add_values() = NetworkValue(network);
    }
    Put(value, "Networks", std::move(networks));
  }
  return value;
}

// The task's own keys, without Containers.
Value TaskFieldsValue(const TaskMetadata& task) {
  Value value = EmptyObject();
  Put(value, "Cluster", String(task.cluster));
  Put(value, "TaskARN", String(task.task_arn));
  Put(value, "Family", String(task.family));
  Put(value, "Revision", String(task.revision));
  PutNonEmpty(value, "DesiredStatus", task.desired_status);
  Put(value, "KnownStatus", String(task.known_status));
  Value limits = EmptyObject();
  Put(limits, "CPU", Number(task.limits.cpu_vcpu));
  Put(limits, "Memory", Number(static_cast<double>(task.limits.memory_mib)));
  Put(value, "Limits", std::move(limits));
  PutTime(value, "PullStartedAt", task.pull_started_at);
  PutTime(value, "PullStoppedAt", task.pull_stopped_at);
  PutTime(value, "ExecutionStoppedAt", task.execution_stopped_at);
  PutNonEmpty(value, "AvailabilityZone", task.availability_zone);
  Put(value, "LaunchType", String(task.launch_type));
  PutNonEmpty(value, "ServiceName", task.service_name);
  Put(value, "FaultInjectionEnabled", Bool(task.fault_injection_enabled));
  return value;
}

void PutTaskExtras(Value& value, const TaskMetadata& task) {
  if (task.clock_drift.has_value()) {
    Value drift = EmptyObject();
    Put(drift, "ClockErrorBound", Number(task.clock_drift->clock_error_bound_ms));
    Put(drift, "ReferenceTimestamp",
        String(FormatMetadataTime(task.clock_drift->reference_timestamp)));
    Put(drift, "ClockSynchronizationStatus",
        String(task.clock_drift->clock_synchronization_status));
    Put(value, "ClockDrift", std::move(drift));
  }
  if (task.ephemeral_storage_metrics.has_value()) {
    Value storage = EmptyObject();
    Put(storage, "Utilized",
        Number(static_cast<double>(task.ephemeral_storage_metrics->utilized_mib)));
    Put(storage, "Reserved",
        Number(static_cast<double>(task.ephemeral_storage_metrics->reserved_mib)));
    Put(value, "EphemeralStorageMetrics", std::move(storage));
  }
  if (!task.containers.empty()) {
    Value containers;
    google::protobuf::ListValue* list = containers.mutable_list_value();
    for (const ContainerMetadata& container : task.containers) {
      *list->add_values() = ContainerValue(container);
    }
    Put(value, "Containers", std::move(containers));
  }
}

// ---- Stats printer ----

// Writes JSON text in document order. The stats documents are printed with it rather
// than through google::protobuf::Struct because their counters are uint64 (CPU
// nanoseconds, bytes): Struct holds doubles, which round above 2^53, and protobuf prints
// large ones as "5.5296e+16", which Go's decoder (Docker's types.StatsJSON, used by the
// tools that read this endpoint) refuses for an integer field. Strings and doubles are
// still printed by protobuf, so escaping and float format match the metadata documents.
//
// Invariant: `need_comma_` is true right after a complete value, so the next key or
// array element is preceded by a comma.
class JsonWriter {
 public:
  JsonWriter& Key(std::string_view key) {
    if (need_comma_) {
      out_ += ',';
    }
    out_ += Print(String(key));
    out_ += ':';
    need_comma_ = false;
    return *this;
  }
  JsonWriter& Open(char bracket) {
    BeforeValue();
    out_ += bracket;
    need_comma_ = false;
    return *this;
  }
  JsonWriter& Close(char bracket) {
    out_ += bracket;
    need_comma_ = true;
    return *this;
  }
  JsonWriter& Uint(uint64_t number) { return Raw(absl::StrCat(number)); }
  // NaN and infinities are not JSON (protobuf would print them as strings): 0 instead.
  JsonWriter& Double(double number) {
    return Raw(Print(Number(std::isfinite(number) ? number : 0)));
  }
  JsonWriter& Str(std::string_view text) { return Raw(Print(String(text))); }
  // An already printed JSON value.
  JsonWriter& Raw(std::string_view json) {
    BeforeValue();
    out_ += json;
    need_comma_ = true;
    return *this;
  }
  std::string Take() && { return std::move(out_); }

 private:
  void BeforeValue() {
    if (need_comma_) {
      out_ += ',';
    }
  }

  std::string out_;
  bool need_comma_ = false;
};

void WriteCpu(JsonWriter& out, const char* key, const CpuStats& cpu) {
  out.Key(key).Open('{');
  out.Key("cpu_usage").Open('{');
  out.Key("total_usage").Uint(cpu.total_usage_ns);
  if (!cpu.percpu_usage_ns.empty()) {
    out.Key("percpu_usage").Open('[');
    for (uint64_t usage : cpu.percpu_usage_ns) {
      out.Uint(usage);
    }
    out.Close(']');
  }
  out.Key("usage_in_kernelmode").Uint(cpu.usage_in_kernelmode_ns);
  out.Key("usage_in_usermode").Uint(cpu.usage_in_usermode_ns);
  out.Close('}');
  if (cpu.system_cpu_usage_ns != 0) {
    out.Key("system_cpu_usage").Uint(cpu.system_cpu_usage_ns);
  }
  if (cpu.online_cpus != 0) {
    out.Key("online_cpus").Uint(cpu.online_cpus);
  }
  out.Key("throttling_data").Open('{');
  out.Key("periods").Uint(cpu.throttling_periods);
  out.Key("throttled_periods").Uint(cpu.throttled_periods);
  out.Key("throttled_time").Uint(cpu.throttled_time_ns);
  out.Close('}');
  out.Close('}');
}

void WriteMemory(JsonWriter& out, const MemoryStats& memory) {
  out.Key("memory_stats").Open('{');
  if (memory.usage_bytes != 0) {
    out.Key("usage").Uint(memory.usage_bytes);
  }
  if (memory.max_usage_bytes != 0) {
    out.Key("max_usage").Uint(memory.max_usage_bytes);
  }
  if (!memory.stats.empty()) {
    out.Key("stats").Open('{');
    for (const auto& [name, number] : memory.stats) {
      out.Key(name).Uint(number);
    }
    out.Close('}');
  }
  if (memory.limit_bytes != 0) {
    out.Key("limit").Uint(memory.limit_bytes);
  }
  out.Close('}');
}

// All eight of Docker's blkio lists are printed, as on Fargate; only the first is
// collected, the others stay empty.
void WriteBlkio(JsonWriter& out, const std::vector<BlkioEntry>& service_bytes) {
  static constexpr const char* kOtherLists[] = {
      "io_serviced_recursive",  "io_queue_recursive",  "io_service_time_recursive",
      "io_wait_time_recursive", "io_merged_recursive", "io_time_recursive",
      "sectors_recursive"};
  out.Key("blkio_stats").Open('{');
  out.Key("io_service_bytes_recursive").Open('[');
  for (const BlkioEntry& entry : service_bytes) {
    out.Open('{');
    out.Key("major").Uint(entry.major);
    out.Key("minor").Uint(entry.minor);
    out.Key("op").Str(entry.op);
    out.Key("value").Uint(entry.value);
    out.Close('}');
  }
  out.Close(']');
  for (const char* list : kOtherLists) {
    out.Key(list).Open('[').Close(']');
  }
  out.Close('}');
}

void WriteNetworks(JsonWriter& out, const std::map<std::string, NetworkCounters>& networks) {
  if (networks.empty()) {
    return;
  }
  out.Key("networks").Open('{');
  for (const auto& [name, counters] : networks) {
    out.Key(name).Open('{');
    out.Key("rx_bytes").Uint(counters.rx_bytes);
    out.Key("rx_packets").Uint(counters.rx_packets);
    out.Key("rx_errors").Uint(counters.rx_errors);
    out.Key("rx_dropped").Uint(counters.rx_dropped);
    out.Key("tx_bytes").Uint(counters.tx_bytes);
    out.Key("tx_packets").Uint(counters.tx_packets);
    out.Key("tx_errors").Uint(counters.tx_errors);
    out.Key("tx_dropped").Uint(counters.tx_dropped);
    out.Close('}');
  }
  out.Close('}');
}

// Keys in the order Docker prints them.
void WriteStats(JsonWriter& out, const ContainerStats& stats) {
  out.Open('{');
  out.Key("read").Str(FormatMetadataTime(stats.read));
  out.Key("preread").Str(stats.preread.has_value() ? FormatMetadataTime(*stats.preread)
                                                   : std::string(kGoZeroTime));
  out.Key("pids_stats").Open('{');
  if (stats.pids_current != 0) {
    out.Key("current").Uint(stats.pids_current);
  }
  out.Close('}');
  WriteBlkio(out, stats.io_service_bytes_recursive);
  out.Key("num_procs").Uint(stats.num_procs);
  out.Key("storage_stats").Open('{').Close('}');
  WriteCpu(out, "cpu_stats", stats.cpu);
  WriteCpu(out, "precpu_stats", stats.precpu);
  WriteMemory(out, stats.memory);
  out.Key("name").Str(stats.name);
  out.Key("id").Str(stats.id);
  WriteNetworks(out, stats.networks);
  if (stats.network_rate.has_value()) {
    out.Key("network_rate_stats").Open('{');
    out.Key("rx_bytes_per_sec").Double(stats.network_rate->rx_bytes_per_sec);
    out.Key("tx_bytes_per_sec").Double(stats.network_rate->tx_bytes_per_sec);
    out.Close('}');
  }
  out.Close('}');
}

// ---- /proc/net/dev ----

absl::Status NetDevLineError(absl::string_view line, size_t line_number) {
  return absl::InvalidArgumentError(absl::StrCat("/proc/net/dev line ", line_number, ": \"",
                                                 absl::StripAsciiWhitespace(line),
                                                 "\" is not \"<interface>: <16 counters>\""));
}

absl::StatusOr<std::pair<std::string, NetworkCounters>> ParseNetDevLine(absl::string_view line,
                                                                        size_t line_number) {
  // The name ends at the first ':' (names cannot hold one); a large first counter may
  // follow it without a space ("eth0:1234567890 ...").
  const size_t colon = line.find(':');
  if (colon == absl::string_view::npos) {
    return NetDevLineError(line, line_number);
  }
  const absl::string_view name = absl::StripAsciiWhitespace(line.substr(0, colon));
  std::vector<uint64_t> numbers;
  for (absl::string_view field :
       absl::StrSplit(line.substr(colon + 1), absl::ByAnyChar(" \t"), absl::SkipEmpty())) {
    uint64_t number = 0;
    if (!absl::SimpleAtoi(field, &number)) {
      return NetDevLineError(line, line_number);
    }
    numbers.push_back(number);
  }
  if (name.empty() || numbers.size() != kNetDevCounters) {
    return NetDevLineError(line, line_number);
  }
  NetworkCounters counters;
  counters.rx_bytes = numbers[0];
  counters.rx_packets = numbers[1];
  counters.rx_errors = numbers[2];
  counters.rx_dropped = numbers[3];
  counters.tx_bytes = numbers[kNetDevTransmitOffset + 0];
  counters.tx_packets = numbers[kNetDevTransmitOffset + 1];
  counters.tx_errors = numbers[kNetDevTransmitOffset + 2];
  counters.tx_dropped = numbers[kNetDevTransmitOffset + 3];
  return std::make_pair(std::string(name), counters);
}

// Bytes added since `previous`, or 0 when the counter went backwards.
uint64_t Delta(uint64_t previous, uint64_t current) {
  return current >= previous ? current - previous : 0;
}

}  // namespace

double VcpuFromCpuUnits(int64_t cpu_units) {
  return static_cast<double>(cpu_units) / kCpuUnitsPerVcpu;
}

std::string FormatMetadataTime(absl::Time time) {
  // %E*S: seconds with the fraction's trailing zeros (and a bare ".") dropped, as Go's
  // RFC3339Nano layout prints them.
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", time, absl::UTCTimeZone());
}

std::string ContainerJson(const ContainerMetadata& container) {
  return Print(ContainerValue(container));
}

std::string TaskJson(const TaskMetadata& task) {
  Value value = TaskFieldsValue(task);
  PutTaskExtras(value, task);
  return Print(value);
}

std::string ErrorJson(std::string_view message) { return Print(String(message)); }

std::string StatsJson(const ContainerStats& stats) {
  JsonWriter out;
  WriteStats(out, stats);
  return std::move(out).Take();
}

std::string TaskStatsJson(const std::map<std::string, ContainerStats>& stats,
                          const std::vector<std::string>& task_docker_ids) {
  std::map<std::string, const ContainerStats*> entries;
  for (const std::string& id : task_docker_ids) {
    entries[id] = nullptr;
  }
  for (const auto& [id, container] : stats) {
    entries[id] = &container;
  }
  JsonWriter out;
  out.Open('{');
  for (const auto& [id, container] : entries) {
    out.Key(id);
    if (container == nullptr) {
      out.Raw("null");
    } else {
      WriteStats(out, *container);
    }
  }
  out.Close('}');
  return std::move(out).Take();
}

absl::StatusOr<std::map<std::string, NetworkCounters>> ParseProcNetDev(std::string_view text) {
  std::map<std::string, NetworkCounters> interfaces;
  size_t line_number = 0;
  for (absl::string_view line : absl::StrSplit(AbslView(text), '\n')) {
    ++line_number;
    // The two header lines are the ones with '|' ("Inter-|   Receive ...").
    if (absl::StripAsciiWhitespace(line).empty() || line.find('|') != absl::string_view::npos) {
      continue;
    }
    absl::StatusOr<std::pair<std::string, NetworkCounters>> parsed =
        ParseNetDevLine(line, line_number);
    if (!parsed.ok()) {
      return parsed.status();
    }
    interfaces[parsed->first] = parsed->second;
  }
  return interfaces;
}

NetworkRateStats RateBetween(const std::map<std::string, NetworkCounters>& previous,
                             const std::map<std::string, NetworkCounters>& current,
                             absl::Duration elapsed) {
  NetworkRateStats rate;
  const double seconds = absl::ToDoubleSeconds(elapsed);
  if (seconds <= 0) {
    return rate;
  }
  uint64_t rx_bytes = 0;
  uint64_t tx_bytes = 0;
  for (const auto& [name, now] : current) {
    const auto before = previous.find(name);
    if (before == previous.end()) {
      continue;
    }
    rx_bytes += Delta(before->second.rx_bytes, now.rx_bytes);
    tx_bytes += Delta(before->second.tx_bytes, now.tx_bytes);
  }
  rate.rx_bytes_per_sec = static_cast<double>(rx_bytes) / seconds;
  rate.tx_bytes_per_sec = static_cast<double>(tx_bytes) / seconds;
  return rate;
}

}  // namespace gantry::agent::containerd
