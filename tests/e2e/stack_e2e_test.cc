// The local stack (scripts/local-stack, what scripts/up runs after building) end to end,
// against the binaries of this build: it comes up with a network in three zones and a
// simulated fleet that `gantryctl capacity` shows, runs the example task definition,
// stops everything it started on SIGINT, scripts/down or the death of a component, and
// reuses its network and hosts when started again on the same data directory. When the
// script itself is SIGKILLed, what it left running is stopped by the next start or by
// scripts/down.
#include <signal.h>
#include <sys/types.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gantry/v1/admin.pb.h"
#include "gantry/v1/ecs.pb.h"
#include "gantry/v1/network.pb.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_util.h"

namespace gantry::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;
using ::testing::UnorderedElementsAre;
using ::testing::UnorderedElementsAreArray;

constexpr char kReadyPrefix[] = "gantry local stack ready ";
constexpr int kHosts = 12;  // 4 per zone
constexpr int kHostCpu = 4096;
constexpr int kHostMemoryMib = 8192;
const std::vector<std::string> kZones = {"us-east-1a", "us-east-1b", "us-east-1c"};

std::string Script(const std::string& name) {
  return absl::StrCat(GANTRY_SOURCE_DIR, "/scripts/", name);
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The fields of /proc/PID/stat after the command name: the state, the parent pid, ...,
// the start time (index 19). Empty when the process does not exist.
std::vector<std::string> StatFields(pid_t pid) {
  std::string stat = ReadFile(absl::StrCat("/proc/", pid, "/stat"));
  size_t end_of_name = stat.rfind(')');
  if (end_of_name == std::string::npos) {
    return {};
  }
  return absl::StrSplit(stat.substr(end_of_name + 1), ' ', absl::SkipEmpty());
}

constexpr size_t kStartTimeField = 19;

// State and parent pid from /proc/PID/stat. False when the process does not exist.
bool ProcStat(pid_t pid, char* state, pid_t* parent) {
  std::vector<std::string> fields = StatFields(pid);
  int parent_pid = 0;
  if (fields.size() < 2 || fields[0].empty() || !absl::SimpleAtoi(fields[1], &parent_pid)) {
    return false;
  }
  *state = fields[0][0];
  *parent = parent_pid;
  return true;
}

// Whether `pid` is a process that has not ended (a zombie has ended).
bool Alive(pid_t pid) {
  char state = 0;
  pid_t parent = 0;
  return ::kill(pid, 0) == 0 && ProcStat(pid, &state, &parent) && state != 'Z';
}

// One process, told apart from a later one that reuses its pid by its start time.
struct Process {
  pid_t pid = 0;
  std::string start_time;
};

Process Identify(pid_t pid) {
  std::vector<std::string> fields = StatFields(pid);
  return {pid, fields.size() > kStartTimeField ? fields[kStartTimeField] : ""};
}

// Whether `process` has not ended.
bool Running(const Process& process) {
  std::vector<std::string> fields = StatFields(process.pid);
  return Alive(process.pid) && fields.size() > kStartTimeField &&
         fields[kStartTimeField] == process.start_time;
}

void ExpectAllStopped(const std::vector<Process>& processes) {
  for (const Process& process : processes) {
    EXPECT_FALSE(Running(process)) << process.pid << " is still running";
  }
}

std::string Comm(pid_t pid) {
  std::string comm = ReadFile(absl::StrCat("/proc/", pid, "/comm"));
  if (!comm.empty() && comm.back() == '\n') {
    comm.pop_back();
  }
  return comm;
}

// The running gantryd and gantry-agent processes that `parent` started, by name.
std::multimap<std::string, pid_t> Components(pid_t parent) {
  std::multimap<std::string, pid_t> components;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    int pid = 0;
    if (!absl::SimpleAtoi(entry.path().filename().string(), &pid)) {
      continue;
    }
    char state = 0;
    pid_t ppid = 0;
    if (!ProcStat(pid, &state, &ppid) || ppid != parent || state == 'Z') {
      continue;
    }
    std::string comm = Comm(pid);
    if (comm == "gantryd" || comm == "gantry-agent") {
      components.emplace(comm, pid);
    }
  }
  return components;
}

// What the ready line says.
struct Stack {
  std::string endpoint;
  std::string vpc;
  std::vector<std::string> subnets;
  std::string security_group;
  int hosts = 0;
};

Stack ParseReadyLine(const std::string& line) {
  Stack stack;
  for (absl::string_view field : absl::StrSplit(line.substr(sizeof(kReadyPrefix) - 1), ' ')) {
    std::pair<std::string, std::string> kv = absl::StrSplit(field, absl::MaxSplits('=', 1));
    if (kv.first == "endpoint") {
      stack.endpoint = kv.second;
    }
    if (kv.first == "vpc") {
      stack.vpc = kv.second;
    }
    if (kv.first == "subnets") {
      std::vector<std::string> subnets = absl::StrSplit(kv.second, ',');
      stack.subnets = std::move(subnets);
    }
    if (kv.first == "security_group") {
      stack.security_group = kv.second;
    }
    if (kv.first == "hosts") {
      EXPECT_TRUE(absl::SimpleAtoi(kv.second, &stack.hosts)) << line;
    }
  }
  return stack;
}

class LocalStackE2E : public ::testing::Test {
 protected:
  void SetUp() override {
    // A shell may have started this test with SIGINT ignored (as a background job); the
    // script would inherit that and could not trap Ctrl-C.
    ::signal(SIGINT, SIG_DFL);
    absl::StatusOr<TempDir> dir = TempDir::Create("gantry-e2e-stack");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = std::make_unique<TempDir>(*std::move(dir));
  }

  void TearDown() override {
    if (HasFailure()) {
      std::cerr << "--- stack stdout ---\n"
                << stdout_ << "--- stack stderr ---\n"
                << ReadFile(stderr_file()) << "--- gantryd log (tail) ---\n"
                << Tail(ReadFile(data_dir() / "logs" / "gantryd.log")) << "\n";
    }
    // Stops a stack a failed test left running, through its own SIGTERM path.
    if (stack_ != nullptr && stack_->Signal(SIGTERM).ok()) {
      stack_->Wait(absl::Seconds(150)).IgnoreError();
    }
    // And what a SIGKILLed script left running (nothing, when the test passed).
    if (dir_ != nullptr) {
      CommandResult down = Down();
      EXPECT_EQ(down.exit_code, 0) << "scripts/down after the test\n" << Describe(down);
    }
  }

  static std::string Tail(const std::string& text) {
    return text.size() > 4000 ? text.substr(text.size() - 4000) : text;
  }

  std::filesystem::path data_dir() const { return dir_->path() / "data"; }
  std::filesystem::path stderr_file() const { return dir_->path() / "stack.err"; }

  std::map<std::string, std::optional<std::string>> Env() const {
    return {{"GANTRY_DATA_DIR", data_dir().string()},
            {"GANTRY_LISTEN", "127.0.0.1:0"},
            {"GANTRY_AWS_LISTEN", "127.0.0.1:0"},
            {"GANTRY_BUILD_DIR", GANTRY_BINARY_DIR},
            {"GANTRY_ENDPOINT", std::nullopt}};
  }

  // Starts scripts/local-stack and reads its stdout until the ready line.
  void StartStack(absl::Duration timeout, Stack* stack) {
    ProcessOptions options;
    options.argv = {Script("local-stack")};
    options.env = Env();
    options.stderr_file = stderr_file();
    absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
    ASSERT_TRUE(process.ok()) << process.status();
    stack_ = *std::move(process);
    stdout_.clear();
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      absl::StatusOr<std::string> line = stack_->ReadStdoutLine(deadline - absl::Now());
      ASSERT_TRUE(line.ok()) << "no ready line: " << line.status();
      absl::StrAppend(&stdout_, *line, "\n");
      if (absl::StartsWith(*line, kReadyPrefix)) {
        *stack = ParseReadyLine(*line);
        break;
      }
    }
    ASSERT_FALSE(stack->endpoint.empty());
    ASSERT_THAT(stack->subnets, SizeIs(3));
    EXPECT_EQ(stack->hosts, kHosts);
  }

  // The stack's gantryd, agents and PostgreSQL server, which must all be running.
  std::vector<Process> RunningComponents() {
    std::multimap<std::string, pid_t> components = Components(stack_->pid());
    EXPECT_EQ(components.count("gantryd"), 1u);
    EXPECT_EQ(components.count("gantry-agent"), 3u);
    std::vector<Process> processes;
    for (const auto& [name, pid] : components) {
      processes.push_back(Identify(pid));
    }
    int postmaster = 0;
    std::string postmaster_pid = ReadFile(data_dir() / "postgres" / "postmaster.pid");
    EXPECT_TRUE(absl::SimpleAtoi(postmaster_pid.substr(0, postmaster_pid.find('\n')), &postmaster))
        << postmaster_pid;
    EXPECT_TRUE(Alive(postmaster));
    processes.push_back(Identify(postmaster));
    return processes;
  }

  // SIGKILLs the stack script alone: no trap runs, so it stops nothing.
  void KillStack() {
    ASSERT_TRUE(stack_->Signal(SIGKILL).ok());
    EXPECT_EQ(WaitForStack(absl::Seconds(60)), 128 + SIGKILL);
  }

  // Runs scripts/down for this data directory.
  CommandResult Down() {
    ProcessOptions down;
    down.argv = {Script("down")};
    down.env = Env();
    // Longer than the stop timeouts of the stack and of its leftovers together.
    absl::StatusOr<CommandResult> result = RunCommand(down, "", absl::Seconds(300));
    if (!result.ok()) {
      ADD_FAILURE() << "scripts/down: " << result.status();
      return CommandResult{};
    }
    return *std::move(result);
  }

  // Waits for the stack script to end and returns its exit code (-1 on timeout).
  int WaitForStack(absl::Duration timeout) {
    absl::StatusOr<int> exit_code = stack_->Wait(timeout);
    EXPECT_TRUE(exit_code.ok()) << exit_code.status();
    if (!exit_code.ok()) {
      return -1;
    }
    stack_.reset();
    return *exit_code;
  }

  // gantryctl against the stack, signing with the admin key of its data dir.
  CommandResult StackCtl(const Stack& stack, std::vector<std::string> args) {
    args.insert(args.begin(), {"--credentials-file", (data_dir() / "admin-credentials").string()});
    return Ctl(stack.endpoint, args);
  }

  template <typename M>
  M Json(const Stack& stack, std::vector<std::string> args) {
    args.insert(args.begin(), {"--output", "json"});
    CommandResult r = StackCtl(stack, args);
    EXPECT_EQ(r.exit_code, 0) << absl::StrJoin(args, " ") << "\n" << Describe(r);
    return ParseJsonOutput<M>(r);
  }

  std::vector<v1::ContainerInstance> Hosts(const Stack& stack) {
    auto list = Json<v1::ListContainerInstancesResponse>(stack, {"list-container-instances"});
    std::vector<std::string> args = {"describe-container-instances", "--container-instances"};
    args.insert(args.end(), list.container_instance_arns().begin(),
                list.container_instance_arns().end());
    auto described = Json<v1::DescribeContainerInstancesResponse>(stack, args);
    return {described.container_instances().begin(), described.container_instances().end()};
  }

  std::unique_ptr<TempDir> dir_;
  std::unique_ptr<Subprocess> stack_;
  std::string stdout_;
};

std::string Zone(const v1::ContainerInstance& host) {
  for (const v1::Attribute& attribute : host.attributes()) {
    if (attribute.name() == "ecs.availability-zone") {
      return attribute.value();
    }
  }
  return "";
}

std::string SubnetOf(const v1::Task& task) {
  for (const v1::Attachment& attachment : task.attachments()) {
    for (const v1::KeyValuePair& detail : attachment.details()) {
      if (detail.name() == "subnetId") {
        return detail.value();
      }
    }
  }
  return "";
}

std::vector<std::string> Arns(const std::vector<v1::ContainerInstance>& hosts) {
  std::vector<std::string> arns;
  for (const v1::ContainerInstance& host : hosts) {
    arns.push_back(host.container_instance_arn());
  }
  return arns;
}

// Three zones of 4 active hosts, the stack's three subnets, and the figures add up.
// `tasks_per_subnet`: the running tasks, one address each.
void ExpectCapacity(const v1::DescribeCapacityResponse& capacity, const Stack& stack,
                    const std::map<std::string, int>& tasks_per_subnet) {
  SCOPED_TRACE(capacity.DebugString());
  const int hosts_per_zone = kHosts / static_cast<int>(kZones.size());
  int running = 0;
  ASSERT_THAT(capacity.availability_zones(), SizeIs(kZones.size()));
  for (size_t i = 0; i < kZones.size(); ++i) {
    const v1::ZoneCapacity& zone = capacity.availability_zones(static_cast<int>(i));
    EXPECT_EQ(zone.name(), kZones[i]);
    EXPECT_EQ(zone.hosts().active(), hosts_per_zone) << zone.name();
    EXPECT_EQ(zone.hosts().lost(), 0) << zone.name();
    EXPECT_EQ(zone.cpu().total(), hosts_per_zone * kHostCpu) << zone.name();
    EXPECT_EQ(zone.memory().total(), hosts_per_zone * kHostMemoryMib) << zone.name();
    for (const v1::ResourceCapacity* r :
         {&zone.cpu(), &zone.memory(), &zone.ephemeral_storage(), &zone.eni_slots()}) {
      EXPECT_EQ(r->used() + r->free(), r->total()) << zone.name();
      EXPECT_GE(r->used(), 0) << zone.name();
    }
    running += zone.tasks().running();
  }
  EXPECT_EQ(capacity.fleet().hosts().active(), kHosts);
  EXPECT_EQ(capacity.fleet().tasks().running(), running);

  std::map<std::string, const v1::SubnetCapacity*> subnets;
  for (const v1::SubnetCapacity& subnet : capacity.subnets()) {
    subnets[subnet.subnet_id()] = &subnet;
  }
  ASSERT_THAT(subnets, SizeIs(3));
  int addresses_used = 0;
  for (size_t i = 0; i < stack.subnets.size(); ++i) {
    SCOPED_TRACE(stack.subnets[i]);
    auto found = subnets.find(stack.subnets[i]);
    ASSERT_NE(found, subnets.end());
    const v1::SubnetCapacity& subnet = *found->second;
    EXPECT_EQ(subnet.vpc_id(), stack.vpc);
    EXPECT_EQ(subnet.availability_zone(), kZones[i]);
    EXPECT_EQ(subnet.cidr_block(), absl::StrCat("10.0.", i + 1, ".0/24"));
    EXPECT_EQ(subnet.addresses().total(), 256 - 5);  // AWS reserves five per subnet
    EXPECT_EQ(subnet.addresses().used() + subnet.addresses().free(), subnet.addresses().total());
    auto tasks = tasks_per_subnet.find(stack.subnets[i]);
    EXPECT_EQ(subnet.addresses().used(), tasks == tasks_per_subnet.end() ? 0 : tasks->second);
    addresses_used += subnet.addresses().used();
  }
  EXPECT_EQ(running, addresses_used);
}

TEST_F(LocalStackE2E, FirstStart_NetworkFleetAndExampleTask_SigintStopsAll_RestartReusesIds) {
  Stack stack;
  // The first start runs initdb: generous on a loaded machine.
  ASSERT_NO_FATAL_FAILURE(StartStack(absl::Seconds(180), &stack));

  auto subnets = Json<v1::DescribeSubnetsResponse>(stack, {"describe-subnets"});
  std::map<std::string, std::string> zone_of_subnet;
  for (const v1::Subnet& subnet : subnets.subnets()) {
    EXPECT_EQ(subnet.vpc_id(), stack.vpc);
    zone_of_subnet[subnet.subnet_id()] = subnet.availability_zone();
  }
  ASSERT_THAT(zone_of_subnet, SizeIs(3));
  for (size_t i = 0; i < kZones.size(); ++i) {
    EXPECT_EQ(zone_of_subnet[stack.subnets[i]], kZones[i]) << stack.subnets[i];
  }
  auto vpcs = Json<v1::DescribeVpcsResponse>(stack, {"describe-vpcs", "--vpc-ids", stack.vpc});
  ASSERT_THAT(vpcs.vpcs(), SizeIs(1));
  EXPECT_EQ(vpcs.vpcs(0).cidr_block(), "10.0.0.0/16");
  auto groups = Json<v1::DescribeSecurityGroupsResponse>(
      stack, {"describe-security-groups", "--group-ids", stack.security_group});
  ASSERT_THAT(groups.security_groups(), SizeIs(1));
  EXPECT_EQ(groups.security_groups(0).group_name(), "gantry-local");
  EXPECT_EQ(groups.security_groups(0).vpc_id(), stack.vpc);

  std::vector<v1::ContainerInstance> hosts = Hosts(stack);
  ASSERT_THAT(hosts, SizeIs(kHosts));
  std::map<std::string, int> hosts_per_zone;
  for (const v1::ContainerInstance& host : hosts) {
    EXPECT_TRUE(host.agent_connected()) << host.container_instance_arn();
    ++hosts_per_zone[Zone(host)];
  }
  EXPECT_EQ(hosts_per_zone,
            (std::map<std::string, int>{{"us-east-1a", 4}, {"us-east-1b", 4}, {"us-east-1c", 4}}));

  // The example the stack suggests runs on its network, one task per zone.
  CommandResult registered =
      StackCtl(stack, {"register-task-definition", "--cli-input-json",
                       absl::StrCat("file://", GANTRY_SOURCE_DIR, "/examples/web-service.json")});
  ASSERT_EQ(registered.exit_code, 0) << Describe(registered);
  auto run = Json<v1::RunTaskResponse>(
      stack,
      {"run-task", "--task-definition", "web-service", "--count", "3", "--network-configuration",
       absl::StrCat("awsvpcConfiguration={subnets=[", absl::StrJoin(stack.subnets, ","),
                    "],securityGroups=[", stack.security_group, "]}")});
  ASSERT_THAT(run.tasks(), SizeIs(3)) << run.DebugString();
  std::vector<std::string> args = {"describe-tasks", "--tasks"};
  for (const v1::Task& task : run.tasks()) {
    args.push_back(task.task_arn());
  }
  std::vector<v1::Task> tasks;
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (true) {
    auto described = Json<v1::DescribeTasksResponse>(stack, args);
    tasks.assign(described.tasks().begin(), described.tasks().end());
    bool running = tasks.size() == 3;
    for (const v1::Task& task : tasks) {
      running = running && task.last_status() == "RUNNING";
    }
    if (running || absl::Now() > deadline || HasFailure()) {
      break;
    }
    absl::SleepFor(absl::Milliseconds(200));
  }
  std::set<std::string> task_zones;
  for (const v1::Task& task : tasks) {
    EXPECT_EQ(task.last_status(), "RUNNING") << task.DebugString();
    EXPECT_EQ(zone_of_subnet[SubnetOf(task)], task.availability_zone());
    task_zones.insert(task.availability_zone());
  }
  EXPECT_THAT(task_zones, UnorderedElementsAre("us-east-1a", "us-east-1b", "us-east-1c"));

  // gantryctl capacity shows the same fleet and network, with the three tasks in them.
  std::map<std::string, int> tasks_per_subnet;
  for (const v1::Task& task : tasks) {
    ++tasks_per_subnet[SubnetOf(task)];
  }
  ExpectCapacity(Json<v1::DescribeCapacityResponse>(stack, {"capacity"}), stack, tasks_per_subnet);

  // Ctrl-C stops everything it started and waits for it.
  std::vector<Process> components = RunningComponents();
  ASSERT_THAT(components, SizeIs(5));
  ASSERT_TRUE(stack_->Signal(SIGINT).ok());
  EXPECT_EQ(WaitForStack(absl::Seconds(150)), 0) << ReadFile(stderr_file());
  ExpectAllStopped(components);
  EXPECT_FALSE(std::filesystem::exists(data_dir() / "local-stack.pid"));

  // Again on the same data: the same network and the same hosts, connected again.
  Stack again;
  ASSERT_NO_FATAL_FAILURE(StartStack(absl::Seconds(120), &again));
  EXPECT_EQ(again.vpc, stack.vpc);
  EXPECT_EQ(again.subnets, stack.subnets);
  EXPECT_EQ(again.security_group, stack.security_group);
  std::vector<v1::ContainerInstance> hosts_again = Hosts(again);
  EXPECT_THAT(Arns(hosts_again), UnorderedElementsAreArray(Arns(hosts)));
  for (const v1::ContainerInstance& host : hosts_again) {
    EXPECT_TRUE(host.agent_connected()) << host.container_instance_arn();
  }

  // A second stack on the same data directory is refused; the running one is untouched.
  ProcessOptions second;
  second.argv = {Script("local-stack")};
  second.env = Env();
  absl::StatusOr<CommandResult> refused = RunCommand(second, "", absl::Seconds(60));
  ASSERT_TRUE(refused.ok()) << refused.status();
  EXPECT_NE(refused->exit_code, 0) << Describe(*refused);
  EXPECT_THAT(refused->err, HasSubstr("already running"));
  components = RunningComponents();
  ASSERT_THAT(components, SizeIs(5));

  // scripts/down, from elsewhere, stops it the same way.
  CommandResult stopped = Down();
  EXPECT_EQ(stopped.exit_code, 0) << Describe(stopped);
  EXPECT_EQ(WaitForStack(absl::Seconds(30)), 0) << ReadFile(stderr_file());
  ExpectAllStopped(components);
  EXPECT_FALSE(std::filesystem::exists(data_dir() / "local-stack.pid"));

  // With nothing running, scripts/down says so and succeeds.
  CommandResult nothing = Down();
  EXPECT_EQ(nothing.exit_code, 0) << Describe(nothing);
}

TEST_F(LocalStackE2E, ComponentDies_RestAreStopped_ScriptFails) {
  for (const std::string victim : {"gantry-agent", "gantryd"}) {
    SCOPED_TRACE(victim);
    Stack stack;
    ASSERT_NO_FATAL_FAILURE(StartStack(absl::Seconds(180), &stack));
    std::vector<Process> components = RunningComponents();
    ASSERT_THAT(components, SizeIs(5));
    std::multimap<std::string, pid_t> by_name = Components(stack_->pid());
    auto found = by_name.find(victim);
    ASSERT_NE(found, by_name.end());
    ASSERT_EQ(::kill(found->second, SIGKILL), 0) << std::strerror(errno);
    // A SIGKILLed gantryd leaves its PostgreSQL running; the script stops that too.
    EXPECT_EQ(WaitForStack(absl::Seconds(150)), 1) << ReadFile(stderr_file());
    ExpectAllStopped(components);
    EXPECT_FALSE(std::filesystem::exists(data_dir() / "local-stack.pid"));
  }
}

TEST_F(LocalStackE2E, ScriptKilled_NextStartOrDownStopsWhatItLeft) {
  Stack stack;
  ASSERT_NO_FATAL_FAILURE(StartStack(absl::Seconds(180), &stack));
  std::vector<Process> left = RunningComponents();
  ASSERT_THAT(left, SizeIs(5));
  const std::filesystem::path log = data_dir() / "logs" / "gantryd.log";
  const std::string log_of_killed_run = ReadFile(log);

  // SIGKILLed, the script stops nothing: its gantryd, agents and PostgreSQL run on.
  ASSERT_NO_FATAL_FAILURE(KillStack());
  for (const Process& process : left) {
    ASSERT_TRUE(Running(process)) << process.pid;
  }

  // The next start, without scripts/down, stops them first and comes up on the same data,
  // keeping the killed run's log.
  Stack again;
  ASSERT_NO_FATAL_FAILURE(StartStack(absl::Seconds(180), &again));
  ExpectAllStopped(left);
  EXPECT_EQ(again.vpc, stack.vpc);
  EXPECT_EQ(again.subnets, stack.subnets);
  for (const v1::ContainerInstance& host : Hosts(again)) {
    EXPECT_TRUE(host.agent_connected()) << host.container_instance_arn();
  }
  std::string log_now = ReadFile(log);
  EXPECT_TRUE(absl::StartsWith(log_now, log_of_killed_run));
  EXPECT_GT(log_now.size(), log_of_killed_run.size());

  // Killed again: scripts/down stops what it left and succeeds only once all is gone.
  left = RunningComponents();
  ASSERT_THAT(left, SizeIs(5));
  ASSERT_NO_FATAL_FAILURE(KillStack());
  CommandResult down = Down();
  EXPECT_EQ(down.exit_code, 0) << Describe(down);
  ExpectAllStopped(left);
  EXPECT_FALSE(std::filesystem::exists(data_dir() / "local-stack.pid"));

  // The script and gantryd both SIGKILLed: the agents and a PostgreSQL server that no
  // gantryd manages are left, and scripts/down stops them too.
  ASSERT_NO_FATAL_FAILURE(StartStack(absl::Seconds(180), &again));
  left = RunningComponents();
  ASSERT_THAT(left, SizeIs(5));
  std::multimap<std::string, pid_t> by_name = Components(stack_->pid());
  auto gantryd = by_name.find("gantryd");
  ASSERT_NE(gantryd, by_name.end());
  ASSERT_NO_FATAL_FAILURE(KillStack());
  ASSERT_EQ(::kill(gantryd->second, SIGKILL), 0) << std::strerror(errno);
  down = Down();
  EXPECT_EQ(down.exit_code, 0) << Describe(down);
  ExpectAllStopped(left);

  // Nothing is left: scripts/down says so and succeeds.
  CommandResult nothing = Down();
  EXPECT_EQ(nothing.exit_code, 0) << Describe(nothing);
}

}  // namespace
}  // namespace gantry::testing
