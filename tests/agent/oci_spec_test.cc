#include "agent/containerd/oci_spec.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
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
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

using Strings = std::vector<std::string>;

constexpr double kMiB = 1024 * 1024;

// ---- helpers ----

ContainerSpecInput BaseInput() {
  ContainerSpecInput input;
  input.definition.set_name("app");
  input.definition.set_image("busybox");
  input.image.cmd = {"sh"};
  input.image.env = {"PATH=/usr/bin:/bin"};
  input.hostname = "ip-10-0-0-5.ec2.internal";
  input.netns_path = "/run/netns/gantry-task1";
  input.cgroups_path = "/gantry/task1/app";
  return input;
}

v1::KeyValuePair Pair(const std::string& name, const std::string& value) {
  v1::KeyValuePair pair;
  pair.set_name(name);
  pair.set_value(value);
  return pair;
}

v1::Ulimit Ulimit(const std::string& name, int32_t soft, int32_t hard) {
  v1::Ulimit ulimit;
  ulimit.set_name(name);
  ulimit.set_soft_limit(soft);
  ulimit.set_hard_limit(hard);
  return ulimit;
}

Struct ParseJson(const std::string& json) {
  Struct spec;
  EXPECT_TRUE(google::protobuf::util::JsonStringToMessage(json, &spec).ok()) << json;
  return spec;
}

// Builds the spec, which must succeed, and parses it back.
Struct BuildSpec(const ContainerSpecInput& input) {
  absl::StatusOr<std::string> json = BuildOciSpec(input);
  EXPECT_THAT(json, IsOk());
  return json.ok() ? ParseJson(*json) : Struct();
}

// The value at a dotted path such as "process.user.uid", or nullptr when absent.
const Value* Find(const Struct& root, absl::string_view path) {
  const std::vector<std::string> keys = absl::StrSplit(path, '.');
  const Struct* current = &root;
  for (size_t i = 0; i < keys.size(); ++i) {
    auto it = current->fields().find(keys[i]);
    if (it == current->fields().end()) {
      return nullptr;
    }
    if (i + 1 == keys.size()) {
      return &it->second;
    }
    if (!it->second.has_struct_value()) {
      return nullptr;
    }
    current = &it->second.struct_value();
  }
  return nullptr;
}

bool Has(const Struct& root, absl::string_view path) { return Find(root, path) != nullptr; }

// The value at `path`, owned by `root`; fails the test (and gives a null value) when
// there is none.
const Value& At(const Struct& root, absl::string_view path) {
  static const Value* const kNull = new Value();
  const Value* value = Find(root, path);
  if (value == nullptr) {
    ADD_FAILURE() << "the spec has no " << path;
    return *kNull;
  }
  return *value;
}

Strings StringsOf(const Value& value) {
  Strings out;
  for (const Value& item : value.list_value().values()) {
    out.push_back(item.string_value());
  }
  return out;
}

Strings StringsAt(const Struct& root, absl::string_view path) { return StringsOf(At(root, path)); }

double NumberAt(const Struct& root, absl::string_view path) {
  return At(root, path).number_value();
}

// The mount at `destination`; fails the test when there is none.
Struct MountAt(const Struct& spec, absl::string_view destination) {
  for (const Value& mount : At(spec, "mounts").list_value().values()) {
    if (mount.struct_value().fields().at("destination").string_value() == destination) {
      return mount.struct_value();
    }
  }
  ADD_FAILURE() << "no mount at " << destination;
  return Struct();
}

Strings MountDestinations(const Struct& spec) {
  Strings out;
  for (const Value& mount : At(spec, "mounts").list_value().values()) {
    out.push_back(mount.struct_value().fields().at("destination").string_value());
  }
  return out;
}

Strings DefaultSpecCapabilities() {
  Strings out;
  for (const std::string& name : DefaultCapabilities()) {
    out.push_back("CAP_" + name);
  }
  return out;
}

// ---- process.args ----

struct ArgsCase {
  std::string name;
  Strings entry_point;
  Strings command;
  Strings override_command;
  Strings image_entrypoint;
  Strings image_cmd;
  Strings want;
};

TEST(BuildOciSpec, Args_ComposeEntryPointAndCommandAsDockerDoes) {
  const std::vector<ArgsCase> cases = {
      {"image only",
       {},
       {},
       {},
       {"/docker-entrypoint.sh"},
       {"nginx", "-g", "daemon off;"},
       {"/docker-entrypoint.sh", "nginx", "-g", "daemon off;"}},
      {"command replaces the image's Cmd",
       {},
       {"echo", "hi"},
       {},
       {"/entry"},
       {"default"},
       {"/entry", "echo", "hi"}},
      {"entryPoint drops the image's Cmd",
       {"/bin/app"},
       {},
       {},
       {"/entry"},
       {"default"},
       {"/bin/app"}},
      {"entryPoint and command",
       {"/bin/app"},
       {"--port", "80"},
       {},
       {"/entry"},
       {"default"},
       {"/bin/app", "--port", "80"}},
      {"override beats command", {}, {"echo", "def"}, {"echo", "ovr"}, {}, {"sh"}, {"echo", "ovr"}},
      {"override after entryPoint", {"/bin/app"}, {"def"}, {"ovr"}, {}, {}, {"/bin/app", "ovr"}},
      {"override after the image's Entrypoint",
       {},
       {},
       {"-c", "x"},
       {"/bin/sh"},
       {"-l"},
       {"/bin/sh", "-c", "x"}},
  };
  for (const ArgsCase& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerSpecInput input = BaseInput();
    for (const std::string& arg : c.entry_point) {
      input.definition.add_entry_point(arg);
    }
    for (const std::string& arg : c.command) {
      input.definition.add_command(arg);
    }
    for (const std::string& arg : c.override_command) {
      input.overrides.add_command(arg);
    }
    input.image.entrypoint = c.image_entrypoint;
    input.image.cmd = c.image_cmd;
    EXPECT_EQ(StringsAt(BuildSpec(input), "process.args"), c.want);
  }
}

// ---- process.env ----

TEST(BuildOciSpec, Env_LaterSourcesWinByNameAndKeepFirstPosition) {
  ContainerSpecInput input = BaseInput();
  input.image.env = {"PATH=/bin", "A=image", "B=image"};
  *input.definition.add_environment() = Pair("A", "def");
  *input.definition.add_environment() = Pair("C", "def");
  *input.definition.add_environment() = Pair("EMPTY", "");
  *input.overrides.add_environment() = Pair("C", "ovr");
  *input.overrides.add_environment() = Pair("D", "ovr");
  input.extra_env = {"D=extra", "ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/x"};
  EXPECT_THAT(StringsAt(BuildSpec(input), "process.env"),
              ElementsAre("PATH=/bin", "A=def", "B=image", "C=ovr", "EMPTY=", "D=extra",
                          "ECS_CONTAINER_METADATA_URI_V4=http://169.254.170.2/v4/x"));
}

TEST(BuildOciSpec, Env_RepeatedNameInOneList_LastWins) {
  ContainerSpecInput input = BaseInput();
  input.image.env = {};
  *input.definition.add_environment() = Pair("A", "1");
  *input.definition.add_environment() = Pair("A", "2");
  EXPECT_THAT(StringsAt(BuildSpec(input), "process.env"), ElementsAre("A=2"));
}

// ---- process.user and cwd ----

struct UserCase {
  std::string name;
  std::string definition_user;
  std::string image_user;
  double uid;
  double gid;
};

TEST(BuildOciSpec, User_NumericFormsResolve) {
  const std::vector<UserCase> cases = {
      {"nobody sets one: root", "", "", 0, 0},
      {"bare uid gets gid 0", "1000", "", 1000, 0},
      {"uid and gid", "1000:2000", "", 1000, 2000},
      {"the image's user", "", "33:33", 33, 33},
      {"definition beats image", "7", "33:33", 7, 0},
      {"largest id", "4294967294:4294967294", "", 4294967294.0, 4294967294.0},
  };
  for (const UserCase& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerSpecInput input = BaseInput();
    if (!c.definition_user.empty()) {
      input.definition.set_user(c.definition_user);
    }
    input.image.user = c.image_user;
    const Struct spec = BuildSpec(input);
    EXPECT_EQ(NumberAt(spec, "process.user.uid"), c.uid);
    EXPECT_EQ(NumberAt(spec, "process.user.gid"), c.gid);
  }
}

TEST(BuildOciSpec, Cwd_DefinitionThenImageThenRoot) {
  ContainerSpecInput input = BaseInput();
  EXPECT_EQ(At(BuildSpec(input), "process.cwd").string_value(), "/");
  input.image.working_dir = "/srv";
  EXPECT_EQ(At(BuildSpec(input), "process.cwd").string_value(), "/srv");
  input.definition.set_working_directory("/app");
  EXPECT_EQ(At(BuildSpec(input), "process.cwd").string_value(), "/app");
}

// ---- capabilities ----

struct CapabilityCase {
  std::string name;
  Strings add;
  Strings drop;
  Strings want;
};

TEST(BuildOciSpec, Capabilities_DefaultsMinusDropsPlusSysPtrace) {
  const Strings defaults = DefaultSpecCapabilities();
  Strings with_ptrace = defaults;
  with_ptrace.push_back("CAP_SYS_PTRACE");
  Strings without_raw_and_mknod;
  for (const std::string& name : defaults) {
    if (name != "CAP_NET_RAW" && name != "CAP_MKNOD") {
      without_raw_and_mknod.push_back(name);
    }
  }
  const std::vector<CapabilityCase> cases = {
      {"defaults", {}, {}, defaults},
      {"add SYS_PTRACE", {"SYS_PTRACE"}, {}, with_ptrace},
      {"drop two", {}, {"NET_RAW", "MKNOD"}, without_raw_and_mknod},
      {"drop ALL", {}, {"ALL"}, {}},
      {"drop ALL, add SYS_PTRACE", {"SYS_PTRACE"}, {"ALL"}, {"CAP_SYS_PTRACE"}},
      {"add wins over drop", {"SYS_PTRACE"}, {"SYS_PTRACE", "ALL"}, {"CAP_SYS_PTRACE"}},
  };
  for (const CapabilityCase& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerSpecInput input = BaseInput();
    v1::KernelCapabilities* caps =
        input.definition.mutable_linux_parameters()->mutable_capabilities();
    for (const std::string& name : c.add) {
      caps->add_add(name);
    }
    for (const std::string& name : c.drop) {
      caps->add_drop(name);
    }
    const Struct spec = BuildSpec(input);
    EXPECT_THAT(StringsAt(spec, "process.capabilities.bounding"), ElementsAreArray(c.want));
    EXPECT_THAT(StringsAt(spec, "process.capabilities.effective"), ElementsAreArray(c.want));
    EXPECT_THAT(StringsAt(spec, "process.capabilities.permitted"), ElementsAreArray(c.want));
    EXPECT_FALSE(Has(spec, "process.capabilities.inheritable"));
    EXPECT_FALSE(Has(spec, "process.capabilities.ambient"));
    // Off whatever is added, as Docker and ECS leave it.
    EXPECT_FALSE(At(spec, "process.noNewPrivileges").bool_value());
  }
}

TEST(DefaultCapabilities, IsDockersSet) {
  EXPECT_THAT(DefaultCapabilities(),
              ElementsAre("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID",
                          "SETUID", "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL",
                          "AUDIT_WRITE"));
}

// ---- rlimits ----

TEST(BuildOciSpec, Rlimits_FromUlimitsElseFargatesNofile) {
  ContainerSpecInput input = BaseInput();
  Struct spec = BuildSpec(input);
  ASSERT_EQ(At(spec, "process.rlimits").list_value().values_size(), 1);
  const Struct nofile = At(spec, "process.rlimits").list_value().values(0).struct_value();
  EXPECT_EQ(nofile.fields().at("type").string_value(), "RLIMIT_NOFILE");
  EXPECT_EQ(nofile.fields().at("soft").number_value(), 65535);
  EXPECT_EQ(nofile.fields().at("hard").number_value(), 65535);

  *input.definition.add_ulimits() = Ulimit("nofile", 1024, 4096);
  *input.definition.add_ulimits() = Ulimit("core", 0, 0);
  *input.definition.add_ulimits() = Ulimit("sigpending", 10, 20);
  spec = BuildSpec(input);
  const auto& rlimits = At(spec, "process.rlimits").list_value().values();
  ASSERT_EQ(rlimits.size(), 3);
  Strings types;
  for (const Value& rlimit : rlimits) {
    types.push_back(rlimit.struct_value().fields().at("type").string_value());
  }
  EXPECT_THAT(types, ElementsAre("RLIMIT_NOFILE", "RLIMIT_CORE", "RLIMIT_SIGPENDING"));
  EXPECT_EQ(rlimits[0].struct_value().fields().at("soft").number_value(), 1024);
  EXPECT_EQ(rlimits[0].struct_value().fields().at("hard").number_value(), 4096);
}

// ---- root, hostname, namespaces ----

TEST(BuildOciSpec, RootHostnameAndNamespaces) {
  ContainerSpecInput input = BaseInput();
  Struct spec = BuildSpec(input);
  EXPECT_EQ(At(spec, "ociVersion").string_value(), "1.0.2-dev");
  EXPECT_FALSE(At(spec, "process.terminal").bool_value());
  EXPECT_EQ(At(spec, "root.path").string_value(), "rootfs");
  EXPECT_FALSE(At(spec, "root.readonly").bool_value());
  EXPECT_EQ(At(spec, "hostname").string_value(), "ip-10-0-0-5.ec2.internal");
  EXPECT_EQ(At(spec, "linux.cgroupsPath").string_value(), "/gantry/task1/app");

  Strings types;
  std::string network_path;
  for (const Value& ns : At(spec, "linux.namespaces").list_value().values()) {
    types.push_back(ns.struct_value().fields().at("type").string_value());
    if (types.back() == "network") {
      network_path = ns.struct_value().fields().at("path").string_value();
    }
  }
  EXPECT_THAT(types, ElementsAre("pid", "ipc", "uts", "mount", "network"));
  EXPECT_EQ(network_path, "/run/netns/gantry-task1");

  input.definition.set_readonly_root_filesystem(true);
  input.hostname.clear();
  spec = BuildSpec(input);
  EXPECT_TRUE(At(spec, "root.readonly").bool_value());
  EXPECT_FALSE(Has(spec, "hostname"));
}

TEST(BuildOciSpec, MaskedReadonlyPathsAndDevices_AreRuncDefaults) {
  const Struct spec = BuildSpec(BaseInput());
  EXPECT_THAT(StringsAt(spec, "linux.maskedPaths"),
              ElementsAre("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                          "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                          "/proc/sched_debug", "/sys/firmware", "/proc/scsi"));
  EXPECT_THAT(
      StringsAt(spec, "linux.readonlyPaths"),
      ElementsAre("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"));
  const auto& devices = At(spec, "linux.resources.devices").list_value().values();
  ASSERT_EQ(devices.size(), 1);
  EXPECT_FALSE(devices[0].struct_value().fields().at("allow").bool_value());
  EXPECT_EQ(devices[0].struct_value().fields().at("access").string_value(), "rwm");
}

// ---- resources ----

struct ResourceCase {
  std::string name;
  std::optional<int32_t> memory, reservation, cpu;
  std::optional<int32_t> override_memory, override_reservation, override_cpu;
  std::optional<double> want_limit, want_reservation;
  double want_shares;
};

void SetIf(const std::optional<int32_t>& value, void (v1::ContainerDefinition::*set)(int32_t),
           v1::ContainerDefinition& message) {
  if (value.has_value()) {
    (message.*set)(*value);
  }
}

void SetIf(const std::optional<int32_t>& value, void (v1::ContainerOverride::*set)(int32_t),
           v1::ContainerOverride& message) {
  if (value.has_value()) {
    (message.*set)(*value);
  }
}

TEST(BuildOciSpec, Resources_MemoryInBytesCpuSharesOverridesWin) {
  const std::vector<ResourceCase> cases = {
      {"nothing set", {}, {}, {}, {}, {}, {}, {}, {}, 2},
      {"definition", 512, 256, 1024, {}, {}, {}, 512 * kMiB, 256 * kMiB, 1024},
      {"cpu 0 becomes 2", 512, {}, 0, {}, {}, {}, 512 * kMiB, {}, 2},
      {"cpu 1 becomes 2", {}, {}, 1, {}, {}, {}, {}, {}, 2},
      {"overrides win", 512, 256, 256, 1024, 128, 512, 1024 * kMiB, 128 * kMiB, 512},
      {"override only", {}, {}, {}, 64, {}, 10, 64 * kMiB, {}, 10},
  };
  for (const ResourceCase& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerSpecInput input = BaseInput();
    SetIf(c.memory, &v1::ContainerDefinition::set_memory, input.definition);
    SetIf(c.reservation, &v1::ContainerDefinition::set_memory_reservation, input.definition);
    SetIf(c.cpu, &v1::ContainerDefinition::set_cpu, input.definition);
    SetIf(c.override_memory, &v1::ContainerOverride::set_memory, input.overrides);
    SetIf(c.override_reservation, &v1::ContainerOverride::set_memory_reservation, input.overrides);
    SetIf(c.override_cpu, &v1::ContainerOverride::set_cpu, input.overrides);
    const Struct spec = BuildSpec(input);
    EXPECT_EQ(Has(spec, "linux.resources.memory.limit"), c.want_limit.has_value());
    if (c.want_limit.has_value()) {
      EXPECT_EQ(NumberAt(spec, "linux.resources.memory.limit"), *c.want_limit);
    }
    EXPECT_EQ(Has(spec, "linux.resources.memory.reservation"), c.want_reservation.has_value());
    if (c.want_reservation.has_value()) {
      EXPECT_EQ(NumberAt(spec, "linux.resources.memory.reservation"), *c.want_reservation);
    }
    EXPECT_EQ(NumberAt(spec, "linux.resources.cpu.shares"), c.want_shares);
  }
}

// runc reads these into integer Go fields, which refuse "5.36870912e+08" or "0.0".
TEST(BuildOciSpec, Json_PrintsIntegersWithoutFractionOrExponent) {
  ContainerSpecInput input = BaseInput();
  input.definition.set_memory(512);
  input.definition.set_memory_reservation(2047 * 1024);  // 2047 GiB: bytes far above 2^32
  absl::StatusOr<std::string> json = BuildOciSpec(input);
  ASSERT_THAT(json, IsOk());
  EXPECT_THAT(*json, HasSubstr("\"uid\":0"));
  EXPECT_THAT(*json, HasSubstr("\"gid\":0"));
  EXPECT_THAT(*json, HasSubstr("\"limit\":536870912"));
  EXPECT_THAT(*json, HasSubstr("\"reservation\":2197949513728"));
  EXPECT_THAT(*json, HasSubstr("\"shares\":2"));
  EXPECT_THAT(*json, HasSubstr("\"hard\":65535"));
  EXPECT_THAT(*json, Not(HasSubstr("e+")));
  EXPECT_THAT(*json, Not(HasSubstr(".0,")));
}

// ---- mounts ----

TEST(BuildOciSpec, Mounts_DefaultsThenBindsInOrder) {
  ContainerSpecInput input = BaseInput();
  input.binds = {{"/var/lib/gantry/task1/resolv.conf", "/etc/resolv.conf", true},
                 {"/var/lib/gantry/task1/volumes/data", "/data", false}};
  const Struct spec = BuildSpec(input);
  EXPECT_THAT(MountDestinations(spec),
              ElementsAre("/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys",
                          "/sys/fs/cgroup", "/etc/resolv.conf", "/data"));

  const Struct proc = MountAt(spec, "/proc");
  EXPECT_EQ(proc.fields().at("type").string_value(), "proc");
  const Struct shm = MountAt(spec, "/dev/shm");
  EXPECT_EQ(shm.fields().at("type").string_value(), "tmpfs");
  EXPECT_THAT(StringsOf(shm.fields().at("options")),
              ElementsAre("nosuid", "noexec", "nodev", "mode=1777", "size=65536k"));
  EXPECT_THAT(StringsOf(MountAt(spec, "/sys").fields().at("options")),
              ElementsAre("nosuid", "noexec", "nodev", "ro"));
  EXPECT_THAT(StringsOf(MountAt(spec, "/sys/fs/cgroup").fields().at("options")),
              ElementsAre("ro", "nosuid", "noexec", "nodev"));
  EXPECT_THAT(
      StringsOf(MountAt(spec, "/dev/pts").fields().at("options")),
      ElementsAre("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"));

  const Struct resolv = MountAt(spec, "/etc/resolv.conf");
  EXPECT_EQ(resolv.fields().at("type").string_value(), "bind");
  EXPECT_EQ(resolv.fields().at("source").string_value(), "/var/lib/gantry/task1/resolv.conf");
  EXPECT_THAT(StringsOf(resolv.fields().at("options")), ElementsAre("rbind", "rprivate", "ro"));
  EXPECT_THAT(StringsOf(MountAt(spec, "/data").fields().at("options")),
              ElementsAre("rbind", "rprivate", "rw"));
}

TEST(BuildOciSpec, Mounts_SharedMemorySizeSetsShmSize) {
  ContainerSpecInput input = BaseInput();
  input.definition.mutable_linux_parameters()->set_shared_memory_size(128);
  const Struct spec = BuildSpec(input);
  EXPECT_THAT(StringsOf(MountAt(spec, "/dev/shm").fields().at("options")),
              ElementsAre("nosuid", "noexec", "nodev", "mode=1777", "size=131072k"));
}

// ---- init ----

TEST(BuildOciSpec, Init_WrapsArgsAndMountsTheBinaryReadOnly) {
  ContainerSpecInput input = BaseInput();
  input.definition.mutable_linux_parameters()->set_init_process_enabled(true);
  input.definition.add_command("sleep");
  input.definition.add_command("10");
  input.init_path = "/usr/bin/tini-static";
  input.binds = {{"/host/hosts", "/etc/hosts", true}};
  const Struct spec = BuildSpec(input);
  EXPECT_THAT(StringsAt(spec, "process.args"),
              ElementsAre("/sbin/gantry-init", "--", "sleep", "10"));
  EXPECT_EQ(MountDestinations(spec).back(), "/sbin/gantry-init");
  const Struct init = MountAt(spec, "/sbin/gantry-init");
  EXPECT_EQ(init.fields().at("type").string_value(), "bind");
  EXPECT_EQ(init.fields().at("source").string_value(), "/usr/bin/tini-static");
  EXPECT_THAT(StringsOf(init.fields().at("options")), ElementsAre("rbind", "rprivate", "ro"));
}

TEST(BuildOciSpec, Init_Disabled_NoWrapNoMount) {
  ContainerSpecInput input = BaseInput();
  input.init_path = "/usr/bin/tini-static";
  const Struct spec = BuildSpec(input);
  EXPECT_THAT(StringsAt(spec, "process.args"), ElementsAre("sh"));
  EXPECT_THAT(MountDestinations(spec), ::testing::Not(::testing::Contains("/sbin/gantry-init")));
}

TEST(BuildOciSpec, Init_WithoutInitPath_IsFailedPrecondition) {
  ContainerSpecInput input = BaseInput();
  input.definition.mutable_linux_parameters()->set_init_process_enabled(true);
  EXPECT_THAT(BuildOciSpec(input), StatusIs(absl::StatusCode::kFailedPrecondition,
                                            "linuxParameters.initProcessEnabled: "));
}

TEST(BuildOciSpec, SecretsAndEnvironmentFiles_FailedPreconditionNamingThem) {
  ContainerSpecInput input = BaseInput();
  v1::Secret* secret = input.definition.add_secrets();
  secret->set_name("DB_PASSWORD");
  secret->set_value_from("arn:aws:secretsmanager:us-east-1:123456789012:secret:db");
  EXPECT_THAT(BuildOciSpec(input),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "secrets: 1 secret(s), starting with \"DB_PASSWORD\"; Gantry has no "
                       "secrets store"));
  input = BaseInput();
  input.definition.add_environment_files()->set_value("arn:aws:s3:::bucket/app.env");
  EXPECT_THAT(BuildOciSpec(input), StatusIs(absl::StatusCode::kFailedPrecondition,
                                            "environmentFiles: \"arn:aws:s3:::bucket/app.env\""));
}

// ---- errors ----

struct ErrorCase {
  std::string name;
  void (*edit)(ContainerSpecInput&);
  std::string message;
};

TEST(BuildOciSpec, Refusals_AreInvalidArgumentNamingTheField) {
  const std::vector<ErrorCase> cases = {
      {"user by name", [](ContainerSpecInput& in) { in.definition.set_user("nginx"); },
       "user: \"nginx\" is not a numeric uid or uid:gid"},
      {"group by name", [](ContainerSpecInput& in) { in.definition.set_user("1000:staff"); },
       "user: \"1000:staff\" is not a numeric"},
      {"empty gid", [](ContainerSpecInput& in) { in.definition.set_user("1000:"); },
       "user: \"1000:\""},
      {"negative uid", [](ContainerSpecInput& in) { in.definition.set_user("-1"); },
       "user: \"-1\""},
      {"uid out of range", [](ContainerSpecInput& in) { in.definition.set_user("4294967295"); },
       "user: \"4294967295\""},
      {"image user by name", [](ContainerSpecInput& in) { in.image.user = "www-data"; },
       "user: the image's user \"www-data\" is not a numeric uid"},
      {"unknown ulimit",
       [](ContainerSpecInput& in) { *in.definition.add_ulimits() = Ulimit("files", 1, 1); },
       "ulimits[0].name: \"files\" is not a ulimit; use one of core, cpu"},
      {"negative limit",
       [](ContainerSpecInput& in) {
         *in.definition.add_ulimits() = Ulimit("core", 0, 0);
         *in.definition.add_ulimits() = Ulimit("memlock", -1, -1);
       },
       "ulimits[1].softLimit: -1 is negative"},
      {"missing limit",
       [](ContainerSpecInput& in) { in.definition.add_ulimits()->set_name("nofile"); },
       "ulimits[0].softLimit: missing"},
      {"soft above hard",
       [](ContainerSpecInput& in) { *in.definition.add_ulimits() = Ulimit("nofile", 10, 5); },
       "ulimits[0].softLimit: 10 is above the hard limit (5)"},
      {"added capability",
       [](ContainerSpecInput& in) {
         in.definition.mutable_linux_parameters()->mutable_capabilities()->add_add("NET_ADMIN");
       },
       "linuxParameters.capabilities.add[0]: \"NET_ADMIN\" cannot be added"},
      {"nothing to run", [](ContainerSpecInput& in) { in.image.cmd.clear(); },
       "command: the container has nothing to run"},
      {"relative workingDirectory",
       [](ContainerSpecInput& in) { in.definition.set_working_directory("app"); },
       "workingDirectory: \"app\" is not an absolute path"},
  };
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE(c.name);
    ContainerSpecInput input = BaseInput();
    c.edit(input);
    EXPECT_THAT(BuildOciSpec(input), StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(BuildOciSpec, Refusals_ReportEveryProblemInDocumentOrder) {
  ContainerSpecInput input = BaseInput();
  input.image.cmd.clear();
  input.definition.set_user("nginx");
  *input.definition.add_ulimits() = Ulimit("files", 1, 1);
  absl::StatusOr<std::string> json = BuildOciSpec(input);
  ASSERT_EQ(json.status().code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> lines = absl::StrSplit(json.status().message(), '\n');
  ASSERT_EQ(lines.size(), 3);
  EXPECT_THAT(lines[0], ::testing::StartsWith("command: "));
  EXPECT_THAT(lines[1], ::testing::StartsWith("user: "));
  EXPECT_THAT(lines[2], ::testing::StartsWith("ulimits[0].name: "));
}

// ---- ParseImageConfig ----

TEST(ParseImageConfig, FullBlob_ReadsConfigAndDiffIds) {
  absl::StatusOr<ImageConfig> config = ParseImageConfig(R"({
    "architecture": "amd64", "os": "linux",
    "config": {"Env": ["PATH=/usr/bin", "A=b=c"], "Entrypoint": ["/bin/sh"],
               "Cmd": ["-c", "x"], "WorkingDir": "/w", "User": "0",
               "StopSignal": "SIGQUIT", "Labels": {"a": "b"}, "ExposedPorts": {"80/tcp": {}}},
    "rootfs": {"type": "layers", "diff_ids": ["sha256:aa", "sha256:bb"]},
    "history": [{"created_by": "x"}]})");
  ASSERT_THAT(config, IsOk());
  EXPECT_THAT(config->env, ElementsAre("PATH=/usr/bin", "A=b=c"));
  EXPECT_THAT(config->entrypoint, ElementsAre("/bin/sh"));
  EXPECT_THAT(config->cmd, ElementsAre("-c", "x"));
  EXPECT_EQ(config->working_dir, "/w");
  EXPECT_EQ(config->user, "0");
  EXPECT_EQ(config->stop_signal, "SIGQUIT");
  EXPECT_THAT(config->diff_ids, ElementsAre("sha256:aa", "sha256:bb"));
}

struct EmptyCase {
  std::string name;
  std::string json;
};

TEST(ParseImageConfig, AbsentOrNullFields_StayEmpty) {
  const std::vector<EmptyCase> cases = {
      {"empty object", "{}"},
      {"null config and rootfs", R"({"config": null, "rootfs": null})"},
      {"null members",
       R"({"config": {"Env": null, "Entrypoint": null, "Cmd": null, "User": null,
                      "WorkingDir": null, "StopSignal": null},
           "rootfs": {"diff_ids": null}})"},
      {"empty members", R"({"config": {}, "rootfs": {"type": "layers"}})"},
  };
  for (const EmptyCase& c : cases) {
    SCOPED_TRACE(c.name);
    absl::StatusOr<ImageConfig> config = ParseImageConfig(c.json);
    ASSERT_THAT(config, IsOk());
    EXPECT_THAT(config->entrypoint, IsEmpty());
    EXPECT_THAT(config->cmd, IsEmpty());
    EXPECT_THAT(config->env, IsEmpty());
    EXPECT_THAT(config->diff_ids, IsEmpty());
    EXPECT_EQ(config->user, "");
    EXPECT_EQ(config->working_dir, "");
    EXPECT_EQ(config->stop_signal, "");
  }
}

struct BadConfigCase {
  std::string name;
  std::string json;
  std::string message;
};

TEST(ParseImageConfig, WrongShapes_AreInvalidArgumentNamingTheField) {
  const std::vector<BadConfigCase> cases = {
      {"not JSON", "not json", "image config: not a JSON object"},
      {"empty", "", "image config: not a JSON object"},
      {"array", "[]", "image config: not a JSON object"},
      {"config not object", R"({"config": []})", "config: not an object"},
      {"Env not list", R"({"config": {"Env": "A=b"}})", "config.Env: not a list of strings"},
      {"Cmd element not string", R"({"config": {"Cmd": ["a", 1]}})", "config.Cmd[1]: not a string"},
      {"User not string", R"({"config": {"User": 0}})", "config.User: not a string"},
      {"rootfs not object", R"({"rootfs": "layers"})", "rootfs: not an object"},
      {"diff_ids not list", R"({"rootfs": {"diff_ids": {}}})", "rootfs.diff_ids: not a list"},
  };
  for (const BadConfigCase& c : cases) {
    SCOPED_TRACE(c.name);
    EXPECT_THAT(ParseImageConfig(c.json), StatusIs(absl::StatusCode::kInvalidArgument, c.message));
  }
}

TEST(ParseImageConfig, FeedsBuildOciSpec) {
  absl::StatusOr<ImageConfig> image = ParseImageConfig(
      R"({"config": {"Env": ["PATH=/bin"], "Entrypoint": ["/bin/sh"], "Cmd": ["-c", "x"],
          "WorkingDir": "/", "User": "0"}})");
  ASSERT_THAT(image, IsOk());
  ContainerSpecInput input = BaseInput();
  input.image = *image;
  const Struct spec = BuildSpec(input);
  EXPECT_THAT(StringsAt(spec, "process.args"), ElementsAre("/bin/sh", "-c", "x"));
  EXPECT_THAT(StringsAt(spec, "process.env"), ElementsAre("PATH=/bin"));
}

}  // namespace
}  // namespace gantry::agent::containerd
