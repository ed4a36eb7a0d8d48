#include "agent/containerd/metadata.h"

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "agent/containerd/metadata_server.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/support/status_matchers.h"

namespace gantry::agent::containerd {
namespace {

using ::gantry::testing::IsOk;
using ::gantry::testing::StatusIs;
using ::google::protobuf::Struct;
using ::google::protobuf::Value;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;

using Keys = std::set<std::string>;

// ---- helpers ----

absl::Time Utc(int64_t year, int month, int day, int hour, int minute, int second,
               int64_t nanos = 0) {
  return absl::FromCivil(absl::CivilSecond(year, month, day, hour, minute, second),
                         absl::UTCTimeZone()) +
         absl::Nanoseconds(nanos);
}

Struct ParseObject(const std::string& json) {
  Struct object;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &object);
  EXPECT_TRUE(parsed.ok()) << "not a JSON object: " << json;
  return object;
}

Keys KeysOf(const Struct& object) {
  Keys keys;
  for (const auto& [key, value] : object.fields()) {
    keys.insert(key);
  }
  return keys;
}

const Value& Field(const Struct& object, const std::string& key) {
  static const Value kMissing;
  const auto field = object.fields().find(key);
  EXPECT_NE(field, object.fields().end()) << "no key " << key;
  return field == object.fields().end() ? kMissing : field->second;
}

// The required fields only.
ContainerMetadata MinimalContainer() {
  ContainerMetadata container;
  container.docker_id = "5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b-0";
  container.name = "app";
  container.docker_name = "app";
  container.image = "public.ecr.aws/nginx/nginx:1.27";
  container.image_id = "sha256:0123";
  container.desired_status = "RUNNING";
  container.known_status = "RUNNING";
  container.limits.cpu_units = 0;
  return container;
}

NetworkMetadata FullNetwork() {
  NetworkMetadata network;
  network.ipv4_addresses = {"10.0.1.23"};
  network.mac_address = "0a:1b:2c:3d:4e:5f";
  network.ipv4_subnet_cidr_block = "10.0.1.0/24";
  network.domain_name_servers = {"10.0.0.2"};
  network.domain_name_search_list = {"eu-west-1.compute.internal"};
  network.private_dns_name = "ip-10-0-1-23.eu-west-1.compute.internal";
  network.subnet_gateway_ipv4_address = "10.0.1.1/24";
  return network;
}

ContainerMetadata FullContainer() {
  ContainerMetadata container = MinimalContainer();
  container.labels = {{"com.amazonaws.ecs.container-name", "app"}};
  container.exit_code = 137;
  container.limits.memory_mib = 512;
  container.created_at = Utc(2024, 6, 10, 6, 13, 35, 200000000);
  container.started_at = Utc(2024, 6, 10, 6, 13, 36, 900000000);
  container.finished_at = Utc(2024, 6, 10, 7, 0, 0);
  container.container_arn = "arn:aws:ecs:eu-west-1:123456789012:container/demo/5c1e/0b6f";
  container.log_driver = "awslogs";
  container.log_options = {{"awslogs-group", "/ecs/web"}};
  container.networks = {FullNetwork()};
  return container;
}

TaskMetadata MinimalTask() {
  TaskMetadata task;
  task.cluster = "arn:aws:ecs:eu-west-1:123456789012:cluster/demo";
  task.task_arn = "arn:aws:ecs:eu-west-1:123456789012:task/demo/5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b";
  task.family = "web";
  task.revision = "7";
  task.known_status = "RUNNING";
  task.limits = {VcpuFromCpuUnits(256), 512};
  return task;
}

TaskMetadata FullTask() {
  TaskMetadata task = MinimalTask();
  task.desired_status = "RUNNING";
  task.pull_started_at = Utc(2024, 6, 10, 6, 13, 29, 770000000);
  task.pull_stopped_at = Utc(2024, 6, 10, 6, 13, 34, 50000000);
  task.execution_stopped_at = Utc(2024, 6, 10, 7, 0, 1);
  task.availability_zone = "eu-west-1b";
  task.service_name = "web-service";
  task.clock_drift = ClockDrift{0.41, Utc(2024, 6, 10, 6, 20, 0), "SYNCHRONIZED"};
  task.ephemeral_storage_metrics = EphemeralStorageMetrics{318, 20496};
  task.containers = {FullContainer()};
  return task;
}

// ---- FormatMetadataTime ----

TEST(FormatMetadataTime, Cases_PrintsGoRfc3339Nano) {
  struct Case {
    std::string name;
    absl::Time time;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"whole second", Utc(2024, 6, 10, 6, 20, 0), "2024-06-10T06:20:00Z"},
      {"two digits", Utc(2024, 6, 10, 6, 13, 29, 770000000), "2024-06-10T06:13:29.77Z"},
      {"nanoseconds", Utc(2024, 6, 10, 6, 13, 20, 123456789), "2024-06-10T06:13:20.123456789Z"},
      {"one nanosecond", Utc(2020, 4, 3, 14, 19, 40, 1), "2020-04-03T14:19:40.000000001Z"},
      {"trailing zeros", Utc(2020, 3, 26, 22, 11, 23, 628313130), "2020-03-26T22:11:23.62831313Z"},
      {"before the epoch", Utc(1969, 12, 31, 23, 59, 59, 500000000), "1969-12-31T23:59:59.5Z"},
      {"unix seconds", absl::FromUnixSeconds(1718000000), "2024-06-10T06:13:20Z"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(FormatMetadataTime(c.time), c.want);
  }
}

// ---- VcpuFromCpuUnits ----

TEST(VcpuFromCpuUnits, FargateSizes_AreFractionsOfVcpus) {
  struct Case {
    int64_t units;
    double want;
  };
  const std::vector<Case> cases = {{256, 0.25}, {512, 0.5}, {1024, 1},   {2048, 2},
                                   {4096, 4},   {8192, 8},  {16384, 16}, {0, 0}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.units);
    EXPECT_EQ(VcpuFromCpuUnits(c.units), c.want);
  }
}

TEST(TaskJson, QuarterVcpu_PrintsCpuAsDecimal) {
  const std::string json = TaskJson(MinimalTask());
  EXPECT_THAT(json, HasSubstr("\"CPU\":0.25"));
  EXPECT_THAT(json, HasSubstr("\"Memory\":512"));
}

// ---- ContainerJson ----

TEST(ContainerJson, RequiredOnly_PrintsExactlyTheAlwaysPresentKeys) {
  const Struct object = ParseObject(ContainerJson(MinimalContainer()));
  EXPECT_EQ(KeysOf(object), (Keys{"DockerId", "Name", "DockerName", "Image", "ImageID",
                                  "DesiredStatus", "KnownStatus", "Limits", "Type"}));
  EXPECT_EQ(KeysOf(Field(object, "Limits").struct_value()), (Keys{"CPU"}));
  EXPECT_EQ(Field(object, "Type").string_value(), "NORMAL");
}

TEST(ContainerJson, EachOptionalKey_AppearsOnlyWhenSet) {
  struct Case {
    std::string key;
    std::function<void(ContainerMetadata&)> set;
  };
  const std::vector<Case> cases = {
      {"Labels",
       [](ContainerMetadata& c) {
         c.labels = {{"a", "b"}};
       }},
      // 0 is an exit code, not "unset".
      {"ExitCode", [](ContainerMetadata& c) { c.exit_code = 0; }},
      {"CreatedAt", [](ContainerMetadata& c) { c.created_at = absl::UnixEpoch(); }},
      {"StartedAt", [](ContainerMetadata& c) { c.started_at = absl::UnixEpoch(); }},
      {"FinishedAt", [](ContainerMetadata& c) { c.finished_at = absl::UnixEpoch(); }},
      {"ContainerARN", [](ContainerMetadata& c) { c.container_arn = "arn"; }},
      {"LogDriver", [](ContainerMetadata& c) { c.log_driver = "awslogs"; }},
      {"LogOptions",
       [](ContainerMetadata& c) {
         c.log_options = {{"k", "v"}};
       }},
      {"Networks", [](ContainerMetadata& c) { c.networks = {NetworkMetadata()}; }},
  };
  const Keys required = KeysOf(ParseObject(ContainerJson(MinimalContainer())));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    ContainerMetadata container = MinimalContainer();
    c.set(container);
    Keys want = required;
    want.insert(c.key);
    EXPECT_EQ(KeysOf(ParseObject(ContainerJson(container))), want);
  }
}

TEST(ContainerJson, Full_PrintsEveryValue) {
  const Struct object = ParseObject(ContainerJson(FullContainer()));
  EXPECT_EQ(KeysOf(object),
            (Keys{"DockerId", "Name", "DockerName", "Image", "ImageID", "Labels", "DesiredStatus",
                  "KnownStatus", "ExitCode", "Limits", "CreatedAt", "StartedAt", "FinishedAt",
                  "Type", "ContainerARN", "LogDriver", "LogOptions", "Networks"}));
  struct Case {
    std::string key;
    std::string want;
  };
  const std::vector<Case> strings = {
      {"DockerId", "5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b-0"},
      {"Name", "app"},
      {"DockerName", "app"},
      {"Image", "public.ecr.aws/nginx/nginx:1.27"},
      {"ImageID", "sha256:0123"},
      {"DesiredStatus", "RUNNING"},
      {"KnownStatus", "RUNNING"},
      {"CreatedAt", "2024-06-10T06:13:35.2Z"},
      {"StartedAt", "2024-06-10T06:13:36.9Z"},
      {"FinishedAt", "2024-06-10T07:00:00Z"},
      {"Type", "NORMAL"},
      {"ContainerARN", "arn:aws:ecs:eu-west-1:123456789012:container/demo/5c1e/0b6f"},
      {"LogDriver", "awslogs"},
  };
  for (const Case& c : strings) {
    SCOPED_TRACE(c.key);
    EXPECT_EQ(Field(object, c.key).string_value(), c.want);
  }
  EXPECT_EQ(Field(object, "ExitCode").number_value(), 137);
  const Struct& limits = Field(object, "Limits").struct_value();
  EXPECT_EQ(Field(limits, "CPU").number_value(), 0);
  EXPECT_EQ(Field(limits, "Memory").number_value(), 512);
  EXPECT_EQ(Field(Field(object, "Labels").struct_value(), "com.amazonaws.ecs.container-name")
                .string_value(),
            "app");
  EXPECT_EQ(Field(Field(object, "LogOptions").struct_value(), "awslogs-group").string_value(),
            "/ecs/web");
  ASSERT_EQ(Field(object, "Networks").list_value().values_size(), 1);
}

TEST(ContainerJson, Network_PrintsAwsvpcKeys) {
  ContainerMetadata container = MinimalContainer();
  container.networks = {FullNetwork()};
  const Struct object = ParseObject(ContainerJson(container));
  const Struct& network = Field(object, "Networks").list_value().values(0).struct_value();
  struct Case {
    std::string key;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"NetworkMode", "awsvpc"},
      {"MACAddress", "0a:1b:2c:3d:4e:5f"},
      {"IPv4SubnetCIDRBlock", "10.0.1.0/24"},
      {"PrivateDNSName", "ip-10-0-1-23.eu-west-1.compute.internal"},
      {"SubnetGatewayIpv4Address", "10.0.1.1/24"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    EXPECT_EQ(Field(network, c.key).string_value(), c.want);
  }
  const Value& addresses = Field(network, "IPv4Addresses");
  ASSERT_EQ(addresses.list_value().values_size(), 1);
  EXPECT_EQ(addresses.list_value().values(0).string_value(), "10.0.1.23");
  EXPECT_EQ(Field(network, "AttachmentIndex").kind_case(), Value::kNumberValue);
  EXPECT_EQ(Field(network, "AttachmentIndex").number_value(), 0);
  EXPECT_EQ(Field(network, "DomainNameServers").list_value().values(0).string_value(), "10.0.0.2");
  EXPECT_EQ(Field(network, "DomainNameSearchList").list_value().values(0).string_value(),
            "eu-west-1.compute.internal");
}

TEST(ContainerJson, EmptyNetwork_PrintsOnlyModeAndIndex) {
  ContainerMetadata container = MinimalContainer();
  container.networks = {NetworkMetadata()};
  const Struct object = ParseObject(ContainerJson(container));
  const Struct& network = Field(object, "Networks").list_value().values(0).struct_value();
  EXPECT_EQ(KeysOf(network), (Keys{"NetworkMode", "AttachmentIndex"}));
}

TEST(ContainerJson, QuotesInValues_StayValidJson) {
  ContainerMetadata container = MinimalContainer();
  container.labels = {{"say", "\"hi\"\\\n</script>"}};
  const Struct object = ParseObject(ContainerJson(container));
  EXPECT_EQ(Field(Field(object, "Labels").struct_value(), "say").string_value(),
            "\"hi\"\\\n</script>");
}

// ---- TaskJson ----

TEST(TaskJson, RequiredOnly_PrintsExactlyTheAlwaysPresentKeys) {
  const Struct object = ParseObject(TaskJson(MinimalTask()));
  EXPECT_EQ(KeysOf(object), (Keys{"Cluster", "TaskARN", "Family", "Revision", "KnownStatus",
                                  "Limits", "LaunchType", "FaultInjectionEnabled"}));
  EXPECT_EQ(Field(object, "LaunchType").string_value(), "FARGATE");
  EXPECT_EQ(Field(object, "FaultInjectionEnabled").kind_case(), Value::kBoolValue);
  EXPECT_FALSE(Field(object, "FaultInjectionEnabled").bool_value());
}

TEST(TaskJson, EachOptionalKey_AppearsOnlyWhenSet) {
  struct Case {
    std::string key;
    std::function<void(TaskMetadata&)> set;
  };
  const std::vector<Case> cases = {
      {"DesiredStatus", [](TaskMetadata& t) { t.desired_status = "STOPPED"; }},
      {"PullStartedAt", [](TaskMetadata& t) { t.pull_started_at = absl::UnixEpoch(); }},
      {"PullStoppedAt", [](TaskMetadata& t) { t.pull_stopped_at = absl::UnixEpoch(); }},
      {"ExecutionStoppedAt", [](TaskMetadata& t) { t.execution_stopped_at = absl::UnixEpoch(); }},
      {"AvailabilityZone", [](TaskMetadata& t) { t.availability_zone = "eu-west-1a"; }},
      {"ServiceName", [](TaskMetadata& t) { t.service_name = "svc"; }},
      {"ClockDrift", [](TaskMetadata& t) { t.clock_drift = ClockDrift(); }},
      {"EphemeralStorageMetrics",
       [](TaskMetadata& t) { t.ephemeral_storage_metrics = EphemeralStorageMetrics(); }},
      {"Containers", [](TaskMetadata& t) { t.containers = {MinimalContainer()}; }},
  };
  const Keys required = KeysOf(ParseObject(TaskJson(MinimalTask())));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.key);
    TaskMetadata task = MinimalTask();
    c.set(task);
    Keys want = required;
    want.insert(c.key);
    EXPECT_EQ(KeysOf(ParseObject(TaskJson(task))), want);
  }
}

TEST(TaskJson, Full_PrintsEveryValue) {
  const Struct object = ParseObject(TaskJson(FullTask()));
  struct Case {
    std::string key;
    std::string want;
  };
  const std::vector<Case> strings = {
      {"Cluster", "arn:aws:ecs:eu-west-1:123456789012:cluster/demo"},
      {"TaskARN", "arn:aws:ecs:eu-west-1:123456789012:task/demo/5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b"},
      {"Family", "web"},
      {"Revision", "7"},
      {"DesiredStatus", "RUNNING"},
      {"KnownStatus", "RUNNING"},
      {"PullStartedAt", "2024-06-10T06:13:29.77Z"},
      {"PullStoppedAt", "2024-06-10T06:13:34.05Z"},
      {"ExecutionStoppedAt", "2024-06-10T07:00:01Z"},
      {"AvailabilityZone", "eu-west-1b"},
      {"LaunchType", "FARGATE"},
      {"ServiceName", "web-service"},
  };
  for (const Case& c : strings) {
    SCOPED_TRACE(c.key);
    EXPECT_EQ(Field(object, c.key).string_value(), c.want);
  }
  EXPECT_EQ(Field(object, "Revision").kind_case(), Value::kStringValue);
  const Struct& drift = Field(object, "ClockDrift").struct_value();
  EXPECT_EQ(KeysOf(drift),
            (Keys{"ClockErrorBound", "ReferenceTimestamp", "ClockSynchronizationStatus"}));
  EXPECT_EQ(Field(drift, "ClockErrorBound").number_value(), 0.41);
  EXPECT_EQ(Field(drift, "ReferenceTimestamp").string_value(), "2024-06-10T06:20:00Z");
  EXPECT_EQ(Field(drift, "ClockSynchronizationStatus").string_value(), "SYNCHRONIZED");
  const Struct& storage = Field(object, "EphemeralStorageMetrics").struct_value();
  EXPECT_EQ(KeysOf(storage), (Keys{"Utilized", "Reserved"}));
  EXPECT_EQ(Field(storage, "Utilized").number_value(), 318);
  EXPECT_EQ(Field(storage, "Reserved").number_value(), 20496);
  const Struct& limits = Field(object, "Limits").struct_value();
  EXPECT_EQ(KeysOf(limits), (Keys{"CPU", "Memory"}));
  const Value& containers = Field(object, "Containers");
  ASSERT_EQ(containers.list_value().values_size(), 1);
  EXPECT_EQ(ParseObject(ContainerJson(FullContainer())).DebugString(),
            containers.list_value().values(0).struct_value().DebugString());
}

// ---- ErrorJson ----

TEST(ErrorJson, Message_IsAnEscapedJsonString) {
  EXPECT_EQ(ErrorJson("no \"such\" token"), "\"no \\\"such\\\" token\"");
}

// ---- StatsJson ----

ContainerStats SampleStats() {
  ContainerStats stats;
  stats.id = "5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b-0";
  stats.name = "app";
  stats.read = Utc(2020, 4, 6, 16, 12, 1, 90148907);
  stats.preread = Utc(2020, 4, 6, 16, 11, 56, 83890951);
  stats.pids_current = 3;
  stats.cpu.total_usage_ns = 410557100;
  stats.cpu.percpu_usage_ns = {410557100, 0};
  stats.cpu.usage_in_kernelmode_ns = 10000000;
  stats.cpu.usage_in_usermode_ns = 250000000;
  stats.cpu.system_cpu_usage_ns = 2243010000000;
  stats.cpu.online_cpus = 2;
  stats.cpu.throttling_periods = 5;
  stats.cpu.throttled_periods = 1;
  stats.cpu.throttled_time_ns = 7;
  stats.precpu.total_usage_ns = 400000000;
  stats.memory.usage_bytes = 4390912;
  stats.memory.max_usage_bytes = 6488064;
  stats.memory.limit_bytes = 536870912;
  stats.memory.stats = {{"cache", 3452928}, {"rss", 278528}};
  stats.io_service_bytes_recursive = {{202, 26368, "Read", 3452928}, {202, 26368, "Write", 0}};
  stats.networks = {{"eth0", {1802, 19, 1, 2, 567, 7, 3, 4}}};
  stats.network_rate = NetworkRateStats{43.298687872232854, 215.39347269466413};
  return stats;
}

TEST(StatsJson, Sample_HasDockerTopLevelKeysInDockerOrder) {
  const std::string json = StatsJson(SampleStats());
  EXPECT_THAT(json, StartsWith("{\"read\":\"2020-04-06T16:12:01.090148907Z\","
                               "\"preread\":\"2020-04-06T16:11:56.083890951Z\","
                               "\"pids_stats\":{\"current\":3},\"blkio_stats\":{"));
  const Struct object = ParseObject(json);
  EXPECT_EQ(KeysOf(object), (Keys{"read", "preread", "pids_stats", "blkio_stats", "num_procs",
                                  "storage_stats", "cpu_stats", "precpu_stats", "memory_stats",
                                  "name", "id", "networks", "network_rate_stats"}));
  EXPECT_EQ(Field(object, "name").string_value(), "app");
  EXPECT_EQ(Field(object, "id").string_value(), "5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b-0");
  EXPECT_EQ(Field(object, "num_procs").number_value(), 0);
  EXPECT_THAT(KeysOf(Field(object, "storage_stats").struct_value()), IsEmpty());
}

TEST(StatsJson, Sample_PrintsEveryNestedObjectExactly) {
  const std::string json = StatsJson(SampleStats());
  struct Case {
    std::string name;
    std::string want;  // a substring of the document
  };
  const std::vector<Case> cases = {
      {"cpu_stats",
       "\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":410557100,\"percpu_usage\":[410557100,0],"
       "\"usage_in_kernelmode\":10000000,\"usage_in_usermode\":250000000},"
       "\"system_cpu_usage\":2243010000000,\"online_cpus\":2,"
       "\"throttling_data\":{\"periods\":5,\"throttled_periods\":1,\"throttled_time\":7}}"},
      {"precpu_stats",
       "\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":400000000,\"usage_in_kernelmode\":0,"
       "\"usage_in_usermode\":0},"
       "\"throttling_data\":{\"periods\":0,\"throttled_periods\":0,\"throttled_time\":0}}"},
      {"memory_stats",
       "\"memory_stats\":{\"usage\":4390912,\"max_usage\":6488064,"
       "\"stats\":{\"cache\":3452928,\"rss\":278528},\"limit\":536870912}"},
      {"blkio_stats",
       "\"blkio_stats\":{\"io_service_bytes_recursive\":["
       "{\"major\":202,\"minor\":26368,\"op\":\"Read\",\"value\":3452928},"
       "{\"major\":202,\"minor\":26368,\"op\":\"Write\",\"value\":0}],"
       "\"io_serviced_recursive\":[],\"io_queue_recursive\":[],\"io_service_time_recursive\":[],"
       "\"io_wait_time_recursive\":[],\"io_merged_recursive\":[],\"io_time_recursive\":[],"
       "\"sectors_recursive\":[]}"},
      {"networks",
       "\"networks\":{\"eth0\":{\"rx_bytes\":1802,\"rx_packets\":19,\"rx_errors\":1,"
       "\"rx_dropped\":2,\"tx_bytes\":567,\"tx_packets\":7,\"tx_errors\":3,\"tx_dropped\":4}}"},
      {"network_rate_stats",
       "\"network_rate_stats\":{\"rx_bytes_per_sec\":43.298687872232854,"
       "\"tx_bytes_per_sec\":215.39347269466413}"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(json, HasSubstr(c.want));
  }
}

TEST(StatsJson, LargeCounters_PrintExactIntegers) {
  ContainerStats stats = SampleStats();
  stats.cpu.system_cpu_usage_ns = 55296000000000001;  // not a double; 5.5296e+16 as one
  stats.memory.limit_bytes = 9223372036854771712u;    // cgroup v1's "no limit"
  stats.networks["eth0"].rx_bytes = std::numeric_limits<uint64_t>::max();
  const std::string json = StatsJson(stats);
  EXPECT_THAT(json, HasSubstr("\"system_cpu_usage\":55296000000000001,"));
  EXPECT_THAT(json, HasSubstr("\"limit\":9223372036854771712}"));
  EXPECT_THAT(json, HasSubstr("\"rx_bytes\":18446744073709551615,"));
  EXPECT_THAT(json, Not(HasSubstr("e+")));
  ParseObject(json);
}

TEST(StatsJson, ZeroSample_OmitsWhatDockerOmits) {
  ContainerStats stats;
  stats.id = "id";
  stats.name = "app";
  stats.read = Utc(2024, 6, 10, 6, 13, 20);
  const std::string json = StatsJson(stats);
  const Struct object = ParseObject(json);
  EXPECT_EQ(KeysOf(object),
            (Keys{"read", "preread", "pids_stats", "blkio_stats", "num_procs", "storage_stats",
                  "cpu_stats", "precpu_stats", "memory_stats", "name", "id"}));
  EXPECT_EQ(Field(object, "preread").string_value(), "0001-01-01T00:00:00Z");
  EXPECT_THAT(KeysOf(Field(object, "pids_stats").struct_value()), IsEmpty());
  EXPECT_THAT(KeysOf(Field(object, "memory_stats").struct_value()), IsEmpty());
  const Struct& cpu = Field(object, "cpu_stats").struct_value();
  EXPECT_EQ(KeysOf(cpu), (Keys{"cpu_usage", "throttling_data"}));
  EXPECT_EQ(KeysOf(Field(cpu, "cpu_usage").struct_value()),
            (Keys{"total_usage", "usage_in_kernelmode", "usage_in_usermode"}));
  EXPECT_EQ(Field(Field(object, "blkio_stats").struct_value(), "io_service_bytes_recursive")
                .list_value()
                .values_size(),
            0);
}

TEST(StatsJson, NotFiniteRate_PrintsZero) {
  ContainerStats stats = SampleStats();
  stats.network_rate = NetworkRateStats{std::numeric_limits<double>::quiet_NaN(),
                                        std::numeric_limits<double>::infinity()};
  EXPECT_THAT(StatsJson(stats),
              HasSubstr("\"network_rate_stats\":{\"rx_bytes_per_sec\":0,\"tx_bytes_per_sec\":0}"));
}

TEST(StatsJson, OddInterfaceName_IsEscaped) {
  ContainerStats stats = SampleStats();
  stats.networks = {{"we\"ird\\", NetworkCounters()}};
  const Struct object = ParseObject(StatsJson(stats));
  EXPECT_EQ(KeysOf(Field(object, "networks").struct_value()), (Keys{"we\"ird\\"}));
}

// ---- TaskStatsJson ----

TEST(TaskStatsJson, Cases_MapDockerIdsToStatsOrNull) {
  ContainerStats app = SampleStats();
  ContainerStats sidecar = SampleStats();
  sidecar.id = "task-1";
  struct Case {
    std::string name;
    std::map<std::string, ContainerStats> stats;
    std::vector<std::string> ids;
    std::string want_start;
    Keys want_keys;
    Keys want_null;
  };
  const std::vector<Case> cases = {
      {"empty", {}, {}, "{}", {}, {}},
      {"one",
       {{app.id, app}},
       {app.id},
       "{\"5c1e0f3a9b2d4e6f8a0b1c2d3e4f5a6b-0\":{\"read\"",
       {app.id},
       {}},
      {"one without stats",
       {{app.id, app}},
       {app.id, "task-1"},
       "{",
       {app.id, "task-1"},
       {"task-1"}},
      {"none has stats", {}, {"a", "b"}, "{\"a\":null,\"b\":null}", {"a", "b"}, {"a", "b"}},
      {"stats for an id not listed",
       {{app.id, app}, {"task-1", sidecar}},
       {app.id},
       "{",
       {app.id, "task-1"},
       {}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string json = TaskStatsJson(c.stats, c.ids);
    EXPECT_THAT(json, StartsWith(c.want_start));
    const Struct object = ParseObject(json);
    EXPECT_EQ(KeysOf(object), c.want_keys);
    for (const std::string& id : c.want_keys) {
      const Value& value = Field(object, id);
      if (c.want_null.count(id) > 0) {
        EXPECT_EQ(value.kind_case(), Value::kNullValue) << id;
      } else {
        EXPECT_EQ(Field(value.struct_value(), "id").string_value(), id);
      }
    }
  }
}

// ---- ParseProcNetDev ----

// From a real host: lo, two idle devices and eth0.
constexpr char kRealNetDev[] =
    "Inter-|   Receive                                                |  Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs "
    "drop fifo colls carrier compressed\n"
    "    lo: 4262454191 6125420    0    0    0     0          0         0 4262454191 6125420    "
    "0    0    0     0       0          0\n"
    "  ifb0:       0       0    0    0    0     0          0         0        0       0    0    "
    "0    0     0       0          0\n"
    "  eth0: 166676012    3691    1    2    0     0          0         0   187094    2236    3  "
    "  4    0     0       0          0\n";

TEST(ParseProcNetDev, RealSample_ReturnsEveryInterface) {
  const absl::StatusOr<std::map<std::string, NetworkCounters>> parsed =
      ParseProcNetDev(kRealNetDev);
  ASSERT_THAT(parsed, IsOk());
  ASSERT_EQ(parsed->size(), 3u);
  const NetworkCounters& lo = parsed->at("lo");
  EXPECT_EQ(lo.rx_bytes, 4262454191u);
  EXPECT_EQ(lo.rx_packets, 6125420u);
  EXPECT_EQ(lo.tx_bytes, 4262454191u);
  EXPECT_EQ(lo.tx_packets, 6125420u);
  const NetworkCounters& eth0 = parsed->at("eth0");
  EXPECT_EQ(eth0.rx_bytes, 166676012u);
  EXPECT_EQ(eth0.rx_packets, 3691u);
  EXPECT_EQ(eth0.rx_errors, 1u);
  EXPECT_EQ(eth0.rx_dropped, 2u);
  EXPECT_EQ(eth0.tx_bytes, 187094u);
  EXPECT_EQ(eth0.tx_packets, 2236u);
  EXPECT_EQ(eth0.tx_errors, 3u);
  EXPECT_EQ(eth0.tx_dropped, 4u);
  EXPECT_EQ(parsed->at("ifb0").rx_bytes, 0u);
}

TEST(ParseProcNetDev, GoodVariants_Parse) {
  struct Case {
    std::string name;
    std::string text;
    std::vector<std::string> want_names;
  };
  const std::string header = "Inter-|   Receive |  Transmit\n face |bytes packets|bytes packets\n";
  const std::string counters = " 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16";
  const std::vector<Case> cases = {
      {"empty", "", {}},
      {"header only", header, {}},
      {"no trailing newline", header + "eth0:" + counters, {"eth0"}},
      {"counter glued to the colon",
       header + "eth0:1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
       {"eth0"}},
      {"tabs and blank lines", header + "\n\teth1:\t" + counters + "\n\n", {"eth1"}},
      {"dotted name", header + "eth1.7:" + counters + "\n", {"eth1.7"}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const absl::StatusOr<std::map<std::string, NetworkCounters>> parsed = ParseProcNetDev(c.text);
    ASSERT_THAT(parsed, IsOk());
    std::vector<std::string> names;
    for (const auto& [name, unused] : *parsed) {
      names.push_back(name);
    }
    EXPECT_EQ(names, c.want_names);
  }
}

TEST(ParseProcNetDev, MappingOfColumns_TakesDockersEight) {
  const auto parsed = ParseProcNetDev("eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n");
  ASSERT_THAT(parsed, IsOk());
  const NetworkCounters& eth0 = parsed->at("eth0");
  EXPECT_EQ(
      std::vector<uint64_t>({eth0.rx_bytes, eth0.rx_packets, eth0.rx_errors, eth0.rx_dropped,
                             eth0.tx_bytes, eth0.tx_packets, eth0.tx_errors, eth0.tx_dropped}),
      std::vector<uint64_t>({1, 2, 3, 4, 9, 10, 11, 12}));
}

TEST(ParseProcNetDev, BadLines_ReturnInvalidArgumentNamingTheLine) {
  struct Case {
    std::string name;
    std::string text;
    std::string want;
  };
  const std::string header = "Inter-| a\n face | b\n";
  const std::vector<Case> cases = {
      {"no colon", header + "eth0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
       "/proc/net/dev line 3: \"eth0 1 2"},
      {"too few counters", header + "lo: 1 2 3\n", "line 3: \"lo: 1 2 3\" is not"},
      {"too many counters", header + "lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17\n", "line 3:"},
      {"not a number", header + "lo: 1 2 x 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "line 3:"},
      {"negative", header + "lo: -1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "line 3:"},
      {"overflow", header + "lo: 18446744073709551616 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n",
       "line 3:"},
      {"no name", header + ": 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\n", "line 3:"},
      {"later line", header + "lo: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16\ngarbage\n",
       "line 4: \"garbage\""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseProcNetDev(c.text), StatusIs(absl::StatusCode::kInvalidArgument, c.want));
  }
}

// ---- RateBetween ----

NetworkCounters Bytes(uint64_t rx, uint64_t tx) {
  NetworkCounters counters;
  counters.rx_bytes = rx;
  counters.tx_bytes = tx;
  return counters;
}

TEST(RateBetween, Cases_SumBytesPerSecondOverInterfaces) {
  using Sample = std::map<std::string, NetworkCounters>;
  struct Case {
    std::string name;
    Sample previous;
    Sample current;
    absl::Duration elapsed;
    double want_rx;
    double want_tx;
  };
  const std::vector<Case> cases = {
      {"one second",
       {{"eth0", Bytes(100, 50)}},
       {{"eth0", Bytes(1100, 250)}},
       absl::Seconds(1),
       1000,
       200},
      {"two seconds",
       {{"eth0", Bytes(0, 0)}},
       {{"eth0", Bytes(1000, 500)}},
       absl::Seconds(2),
       500,
       250},
      {"sub-second",
       {{"eth0", Bytes(0, 0)}},
       {{"eth0", Bytes(100, 10)}},
       absl::Milliseconds(250),
       400,
       40},
      {"two interfaces",
       {{"eth0", Bytes(0, 0)}, {"eth1", Bytes(10, 10)}},
       {{"eth0", Bytes(100, 0)}, {"eth1", Bytes(30, 50)}},
       absl::Seconds(1),
       120,
       40},
      {"new interface is skipped",
       {{"eth0", Bytes(0, 0)}},
       {{"eth0", Bytes(10, 10)}, {"eth1", Bytes(999, 999)}},
       absl::Seconds(1),
       10,
       10},
      {"counter reset adds nothing",
       {{"eth0", Bytes(5000, 5000)}},
       {{"eth0", Bytes(10, 6000)}},
       absl::Seconds(1),
       0,
       1000},
      {"no change", {{"eth0", Bytes(7, 7)}}, {{"eth0", Bytes(7, 7)}}, absl::Seconds(5), 0, 0},
      {"zero elapsed",
       {{"eth0", Bytes(0, 0)}},
       {{"eth0", Bytes(10, 10)}},
       absl::ZeroDuration(),
       0,
       0},
      {"negative elapsed",
       {{"eth0", Bytes(0, 0)}},
       {{"eth0", Bytes(10, 10)}},
       absl::Seconds(-1),
       0,
       0},
      {"no previous sample", {}, {{"eth0", Bytes(10, 10)}}, absl::Seconds(1), 0, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const NetworkRateStats rate = RateBetween(c.previous, c.current, c.elapsed);
    EXPECT_DOUBLE_EQ(rate.rx_bytes_per_sec, c.want_rx);
    EXPECT_DOUBLE_EQ(rate.tx_bytes_per_sec, c.want_tx);
  }
}

// ---- NewMetadataToken ----

TEST(NewMetadataToken, Tokens_AreLongUrlSafeAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const std::string token = NewMetadataToken();
    EXPECT_EQ(token.size(), 32u);
    EXPECT_EQ(
        token.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos)
        << token;
    seen.insert(token);
  }
  EXPECT_EQ(seen.size(), 200u);
}

}  // namespace
}  // namespace gantry::agent::containerd
