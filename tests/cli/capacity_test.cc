// `gantryctl capacity`: its flags, the refresh interval and the table.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "cli/cli.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace gantry::cli {
namespace {

using ::testing::ContainsRegex;
using ::testing::HasSubstr;
using ::testing::Not;

void SetResource(v1::ResourceCapacity* resource, double total, double used) {
  resource->set_total(total);
  resource->set_used(used);
  resource->set_free(total - used);
  resource->set_schedulable(total - used);
}

v1::ZoneCapacity Zone(const std::string& name, int active, double cpu_used, double memory_used) {
  v1::ZoneCapacity zone;
  zone.set_name(name);
  zone.mutable_hosts()->set_active(active);
  SetResource(zone.mutable_cpu(), active * 4096.0, cpu_used);
  SetResource(zone.mutable_memory(), active * 8192.0, memory_used);
  SetResource(zone.mutable_ephemeral_storage(), active * 200.0, 20);
  SetResource(zone.mutable_eni_slots(), active * 16.0, 1);
  zone.mutable_tasks()->set_running(1);
  return zone;
}

v1::DescribeCapacityResponse TwoZones() {
  v1::DescribeCapacityResponse response;
  response.set_snapshot_at(1764115200);  // 2025-11-26T00:00:00Z
  *response.add_availability_zones() = Zone("us-east-1a", 4, 4096, 2048);
  v1::ZoneCapacity b = Zone("us-east-1b", 2, 0, 0);
  b.mutable_hosts()->set_draining(1);
  b.mutable_hosts()->set_lost(2);
  *response.add_availability_zones() = b;
  v1::ZoneCapacity fleet = Zone("all", 6, 4096, 2048);
  *response.mutable_fleet() = fleet;
  v1::SubnetCapacity* subnet = response.add_subnets();
  subnet->set_subnet_id("subnet-0a1b2c3d4e5f60718");
  subnet->set_availability_zone("us-east-1a");
  subnet->set_cidr_block("10.0.1.0/24");
  subnet->mutable_addresses()->set_total(251);
  subnet->mutable_addresses()->set_used(1);
  subnet->mutable_addresses()->set_free(250);
  return response;
}

std::vector<std::string> Lines(const std::string& text) { return absl::StrSplit(text, '\n'); }

TEST(CapacityTable, ShowsHostsTasksAndEveryResourceWithUnitsAndBars) {
  std::string table = FormatCapacityTable(TwoZones(), /*unicode=*/true);
  EXPECT_THAT(table, HasSubstr("Capacity at 2025-11-26T00:00:00.000Z, tasks of every cluster"));
  EXPECT_THAT(table, HasSubstr("ZONE        HOSTS                         RUNNING  PENDING  "
                               "STOPPING  WAITING"));
  EXPECT_THAT(table, HasSubstr("us-east-1b  2 active, 1 draining, 2 lost"));
  // 4096 of 16384 CPU units in vCPU: used, free, total, then a quarter of a bar.
  EXPECT_THAT(table, ContainsRegex("us-east-1a +CPU \\(vCPU\\) +4 +12 +16 +███░░░░░░░  25%"));
  // 2048 of 32768 MiB in GiB.
  EXPECT_THAT(table, ContainsRegex("\n +MEMORY \\(GiB\\) +2 +30 +32 +█░░░░░░░░░   6%"));
  EXPECT_THAT(table, ContainsRegex("\n +STORAGE \\(GiB\\) +20 +780 +800 "));
  EXPECT_THAT(table, ContainsRegex("\n +ENI SLOTS +1 +63 +64 "));
  // Several zones: the fleet's rows too.
  EXPECT_THAT(table, ContainsRegex("\nall +6 active"));
  EXPECT_THAT(table, ContainsRegex("\nall +CPU \\(vCPU\\) "));
  EXPECT_THAT(table,
              ContainsRegex("subnet-0a1b2c3d4e5f60718  us-east-1a  10.0.1.0/24 +1 +250 +251"));
  EXPECT_THAT(table, Not(HasSubstr("Waiting")));
}

TEST(CapacityTable, NumbersAlignRightAndBarsAlignByDisplayWidth) {
  std::vector<std::string> lines = Lines(FormatCapacityTable(TwoZones(), /*unicode=*/true));
  auto line_with = [&lines](const std::string& text) -> std::string {
    for (const std::string& line : lines) {
      if (line.find(text) != std::string::npos) {
        return line;
      }
    }
    ADD_FAILURE() << "no line with " << text;
    return "";
  };
  std::string header = line_with("UTILISATION");
  std::string cpu_a = line_with("us-east-1a  CPU");
  std::string memory_b = lines[std::find(lines.begin(), lines.end(), line_with("us-east-1b  CPU")) -
                               lines.begin() + 1];
  // TOTAL's last digit under TOTAL's last letter; the bars start under UTILISATION.
  size_t total_end = DisplayWidth(header.substr(0, header.find("TOTAL") + 5));
  EXPECT_EQ(DisplayWidth(cpu_a.substr(0, cpu_a.find(" 16 ") + 3)), total_end) << cpu_a;
  size_t bars = DisplayWidth(header.substr(0, header.find("UTILISATION")));
  EXPECT_EQ(DisplayWidth(memory_b.substr(0, memory_b.find("░"))), bars) << memory_b;
}

TEST(CapacityTable, AsciiBarsWithoutUtf8) {
  std::string table = FormatCapacityTable(TwoZones(), /*unicode=*/false);
  EXPECT_THAT(table, HasSubstr("###.......  25%"));
  EXPECT_THAT(table, Not(HasSubstr("█")));
}

TEST(CapacityTable, EmptyZoneHasNoPercentageAndNoFleetRows) {
  v1::DescribeCapacityResponse response;
  v1::ZoneCapacity zone;
  zone.set_name("us-east-1c");
  *response.add_availability_zones() = zone;
  std::string table = FormatCapacityTable(response, /*unicode=*/false);
  EXPECT_THAT(table, HasSubstr("..........    -"));
  EXPECT_THAT(table, Not(ContainsRegex("\nall ")));
}

TEST(CapacityTable, ExplainsWaitingTasks) {
  v1::DescribeCapacityResponse response = TwoZones();
  v1::WaitingTasks* waiting = response.mutable_waiting();
  waiting->set_total(12);
  waiting->set_explained(10);
  v1::WaitingReason* reason = waiting->add_reasons();
  reason->set_reason("RESOURCE:CPU");
  reason->set_detail("no host in us-east-1a has 4096 CPU units free");
  reason->set_tasks(10);
  reason->set_oldest_created_at(1764115200);
  std::string table = FormatCapacityTable(response, /*unicode=*/true);
  EXPECT_THAT(table, HasSubstr("Waiting for capacity: 12 tasks (10 explained)"));
  EXPECT_THAT(table, ContainsRegex("10 +RESOURCE:CPU +no host in us-east-1a has 4096 CPU units "
                                   "free +2025-11-26T00:00:00.000Z"));
}

TEST(CapacityTable, NamesTheCluster) {
  v1::DescribeCapacityResponse response = TwoZones();
  response.set_cluster("prod");
  EXPECT_THAT(FormatCapacityTable(response, true), HasSubstr("tasks of cluster prod"));
}

TEST(CapacityArgs, ParsesFlagsAndInterval) {
  absl::StatusOr<Invocation> inv =
      ParseArgs({"capacity", "--cluster", "prod", "--watch", "--interval", "500ms"}, "");
  ASSERT_TRUE(inv.ok()) << inv.status();
  EXPECT_TRUE(inv->Has("watch"));
  absl::StatusOr<v1::DescribeCapacityRequest> request = BuildDescribeCapacityRequest(*inv);
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->cluster(), "prod");
  absl::StatusOr<absl::Duration> interval = CapacityInterval(*inv);
  ASSERT_TRUE(interval.ok());
  EXPECT_EQ(*interval, absl::Milliseconds(500));
}

TEST(CapacityArgs, IntervalDefaultsAndBareSeconds) {
  absl::StatusOr<Invocation> plain = ParseArgs({"capacity"}, "");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(*CapacityInterval(*plain), absl::Seconds(2));
  EXPECT_FALSE(BuildDescribeCapacityRequest(*plain)->has_cluster());
  absl::StatusOr<Invocation> bare = ParseArgs({"capacity", "--watch", "--interval", "5"}, "");
  ASSERT_TRUE(bare.ok());
  EXPECT_EQ(*CapacityInterval(*bare), absl::Seconds(5));
}

TEST(CapacityArgs, RefusesBadIntervalsAndSwitchValues) {
  for (const char* text : {"soon", "10ms", "2h", "-1s"}) {
    absl::StatusOr<Invocation> inv = ParseArgs({"capacity", "--watch", "--interval", text}, "");
    ASSERT_TRUE(inv.ok());
    absl::StatusOr<absl::Duration> interval = CapacityInterval(*inv);
    EXPECT_EQ(interval.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(interval.status().message(), HasSubstr("--interval")) << text;
  }
  absl::StatusOr<Invocation> alone = ParseArgs({"capacity", "--interval", "5s"}, "");
  ASSERT_TRUE(alone.ok());
  EXPECT_THAT(CapacityInterval(*alone).status().message(), HasSubstr("only with --watch"));
  absl::StatusOr<Invocation> valued = ParseArgs({"capacity", "--watch=yes"}, "");
  EXPECT_EQ(valued.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(valued.status().message(), HasSubstr("--watch takes no value"));
  absl::StatusOr<Invocation> twice = ParseArgs({"capacity", "--watch", "--watch"}, "");
  EXPECT_THAT(twice.status().message(), HasSubstr("--watch given more than once"));
}

TEST(CapacityArgs, HelpListsTheSwitchWithoutAValue) {
  const CommandSpec* spec = FindCommand("capacity");
  ASSERT_NE(spec, nullptr);
  std::string help = CommandHelp(*spec);
  EXPECT_THAT(help, HasSubstr("[--watch]"));
  EXPECT_THAT(help, HasSubstr("--interval DURATION"));
  EXPECT_THAT(help, HasSubstr("gantryctl capacity --watch"));
}

}  // namespace
}  // namespace gantry::cli
