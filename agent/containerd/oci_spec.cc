#include "agent/containerd/oci_spec.h"

#include <algorithm>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "google/protobuf/struct.pb.h"

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "google/protobuf/stubs/stringpiece.h"
#include "google/protobuf/util/json_util.h"

namespace gantry::agent::containerd {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;
using Problems = std::vector<std::string>;

constexpr char kOciVersion[] = "1.0.2-dev";
constexpr char kInitInContainer[] = "/sbin/gantry-init";
constexpr int64_t kBytesPerMiB = int64_t{1} << 20;
constexpr int64_t kKiBPerMiB = 1024;
constexpr int64_t kDefaultShmMiB = 64;
// Docker turns 0 shares into the kernel default (1024), so ECS asks for 2, the minimum.
constexpr int64_t kMinCpuShares = 2;
constexpr int64_t kFargateNofile = 65535;
constexpr uint64_t kMaxId = 4294967294u;  // 2^32 - 1 is the kernel's "no id"
constexpr size_t kMaxIdDigits = 10;

std::string Quote(absl::string_view text) { return absl::StrCat("\"", text, "\""); }

// ---- JSON values ----

Value String(absl::string_view text) {
  Value value;
  value.set_string_value(std::string(text));
  return value;
}

// JSON numbers are doubles; every integer in a spec (ids, limits, bytes of an int32
// MiB count) is below 2^53, so it converts exactly and prints without a fraction.
Value Number(int64_t number) {
  Value value;
  value.set_number_value(static_cast<double>(number));
  return value;
}

Value Bool(bool flag) {
  Value value;
  value.set_bool_value(flag);
  return value;
}

Value List(std::vector<Value> items) {
  Value value;
  // Taken before the loop so that an empty list still prints as [].
  google::protobuf::ListValue* list = value.mutable_list_value();
  for (Value& item : items) {
    *list->add_values() = std::move(item);
  }
  return value;
}

Value Strings(const std::vector<std::string>& items) {
  std::vector<Value> values;
  values.reserve(items.size());
  for (const std::string& item : items) {
    values.push_back(String(item));
  }
  return List(std::move(values));
}

Value Object(std::initializer_list<std::pair<const char*, Value>> fields) {
  Value value;
  auto& map = *value.mutable_struct_value()->mutable_fields();
  for (const auto& [key, field] : fields) {
    map[key] = field;
  }
  return value;
}

void Put(Value& object, const char* key, Value field) {
  (*object.mutable_struct_value()->mutable_fields())[key] = std::move(field);
}

// ---- process ----

bool InitEnabled(const v1::ContainerDefinition& definition) {
  return definition.linux_parameters().init_process_enabled();
}

// Docker's rule: an entryPoint of the definition replaces the image's Entrypoint and
// drops its Cmd too, since that Cmd was written as arguments for the image's Entrypoint.
std::vector<std::string> ComposeArgs(const ContainerSpecInput& input) {
  const v1::ContainerDefinition& definition = input.definition;
  std::vector<std::string> args;
  if (definition.entry_point_size() > 0) {
    args.assign(definition.entry_point().begin(), definition.entry_point().end());
  } else {
    args = input.image.entrypoint;
  }
  if (input.overrides.command_size() > 0) {
    args.insert(args.end(), input.overrides.command().begin(), input.overrides.command().end());
  } else if (definition.command_size() > 0) {
    args.insert(args.end(), definition.command().begin(), definition.command().end());
  } else if (definition.entry_point_size() == 0) {
    args.insert(args.end(), input.image.cmd.begin(), input.image.cmd.end());
  }
  return args;
}

// "NAME=value" entries where a later one replaces an earlier one of the same name in
// place, so the image's order survives (Docker's ReplaceOrAppendEnvValues).
class Environment {
 public:
  void Set(std::string entry) {
    if (entry.empty()) {
      return;
    }
    std::string name = entry.substr(0, entry.find('='));
    auto [it, inserted] = index_.try_emplace(std::move(name), entries_.size());
    if (inserted) {
      entries_.push_back(std::move(entry));
    } else {
      entries_[it->second] = std::move(entry);
    }
  }

  void SetAll(const google::protobuf::RepeatedPtrField<v1::KeyValuePair>& pairs) {
    for (const v1::KeyValuePair& pair : pairs) {
      // Validation refuses a nameless variable; a process environment cannot hold one.
      if (!pair.name().empty()) {
        Set(absl::StrCat(pair.name(), "=", pair.value()));
      }
    }
  }

  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
  std::map<std::string, size_t> index_;  // name -> position in entries_
};

std::vector<std::string> ComposeEnv(const ContainerSpecInput& input) {
  Environment env;
  for (const std::string& entry : input.image.env) {
    env.Set(entry);
  }
  env.SetAll(input.definition.environment());
  env.SetAll(input.overrides.environment());
  for (const std::string& entry : input.extra_env) {
    env.Set(entry);
  }
  return env.entries();
}

bool ParseId(absl::string_view text, uint32_t* id) {
  if (text.empty() || text.size() > kMaxIdDigits ||
      !std::all_of(text.begin(), text.end(), absl::ascii_isdigit)) {
    return false;
  }
  uint64_t value = 0;
  if (!absl::SimpleAtoi(text, &value) || value > kMaxId) {
    return false;
  }
  *id = static_cast<uint32_t>(value);
  return true;
}

struct UserIds {
  uint32_t uid = 0;
  uint32_t gid = 0;
};

UserIds ResolveUser(const ContainerSpecInput& input, Problems& problems) {
  const bool from_definition = !input.definition.user().empty();
  const std::string& user = from_definition ? input.definition.user() : input.image.user;
  UserIds ids;
  if (user.empty()) {
    return ids;
  }
  const size_t colon = user.find(':');
  const absl::string_view text(user);
  if (ParseId(text.substr(0, colon), &ids.uid) &&
      (colon == std::string::npos || ParseId(text.substr(colon + 1), &ids.gid))) {
    return ids;
  }
  problems.push_back(absl::StrCat(
      "user: ", from_definition ? "" : "the image's user ", Quote(user),
      " is not a numeric uid or uid:gid (names are not looked up in the image's /etc/passwd); ",
      from_definition ? "use" : "set user in the container definition to",
      " e.g. \"1000\" or \"1000:1000\""));
  return UserIds{};
}

std::string ResolveCwd(const ContainerSpecInput& input, Problems& problems) {
  const bool from_definition = !input.definition.working_directory().empty();
  const std::string& cwd =
      from_definition ? input.definition.working_directory() : input.image.working_dir;
  if (cwd.empty()) {
    return "/";
  }
  // runc refuses a relative cwd; saying so here names the field to fix.
  if (!absl::StartsWith(cwd, "/")) {
    problems.push_back(
        absl::StrCat("workingDirectory: ", from_definition ? "" : "the image's WorkingDir ",
                     Quote(cwd), " is not an absolute path; use a path starting with /"));
  }
  return cwd;
}

const std::vector<std::string>& UlimitNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "core",   "cpu",   "data", "fsize",  "locks",  "memlock",    "msgqueue", "nice",
      "nofile", "nproc", "rss",  "rtprio", "rttime", "sigpending", "stack"};
  return *kNames;
}

Value Rlimit(absl::string_view type, int64_t soft, int64_t hard) {
  return Object({{"type", String(type)}, {"hard", Number(hard)}, {"soft", Number(soft)}});
}

// An OCI rlimit is unsigned: a negative ECS limit (Docker's "unlimited") has no exact
// JSON number that runc would read back as RLIM_INFINITY, so it is refused.
bool LimitValue(bool present, int32_t value, const std::string& path, Problems& problems) {
  if (!present) {
    problems.push_back(absl::StrCat(path, ": missing; give the limit"));
    return false;
  }
  if (value < 0) {
    problems.push_back(absl::StrCat(path, ": ", value, " is negative; use 0 or more"));
    return false;
  }
  return true;
}

std::optional<Value> UlimitToRlimit(const v1::Ulimit& ulimit, const std::string& path,
                                    Problems& problems) {
  const std::vector<std::string>& names = UlimitNames();
  bool ok = true;
  if (std::find(names.begin(), names.end(), ulimit.name()) == names.end()) {
    problems.push_back(absl::StrCat(path, ".name: ", Quote(ulimit.name()),
                                    " is not a ulimit; use one of ", absl::StrJoin(names, ", ")));
    ok = false;
  }
  ok =
      LimitValue(ulimit.has_soft_limit(), ulimit.soft_limit(), path + ".softLimit", problems) && ok;
  ok =
      LimitValue(ulimit.has_hard_limit(), ulimit.hard_limit(), path + ".hardLimit", problems) && ok;
  if (!ok) {
    return std::nullopt;
  }
  if (ulimit.soft_limit() > ulimit.hard_limit()) {
    problems.push_back(absl::StrCat(path, ".softLimit: ", ulimit.soft_limit(),
                                    " is above the hard limit (", ulimit.hard_limit(),
                                    "); use at most the hard limit"));
    return std::nullopt;
  }
  return Rlimit(absl::StrCat("RLIMIT_", absl::AsciiStrToUpper(ulimit.name())), ulimit.soft_limit(),
                ulimit.hard_limit());
}

Value Rlimits(const v1::ContainerDefinition& definition, int64_t host_nofile_limit,
              Problems& problems) {
  std::vector<Value> rlimits;
  bool has_nofile = false;
  for (int i = 0; i < definition.ulimits_size(); ++i) {
    const v1::Ulimit& ulimit = definition.ulimits(i);
    has_nofile = has_nofile || ulimit.name() == "nofile";
    std::optional<Value> rlimit =
        UlimitToRlimit(ulimit, absl::StrCat("ulimits[", i, "]"), problems);
    if (rlimit.has_value()) {
      rlimits.push_back(*std::move(rlimit));
    }
  }
  if (!has_nofile) {
    // Raising a hard limit above the agent's own needs CAP_SYS_RESOURCE on the host.
    const int64_t nofile =
        host_nofile_limit > 0 ? std::min(kFargateNofile, host_nofile_limit) : kFargateNofile;
    rlimits.push_back(Rlimit("RLIMIT_NOFILE", nofile, nofile));
  }
  return List(std::move(rlimits));
}

// ECS spells capabilities without the CAP_ prefix; tolerate it and lower case anyway.
std::string CapabilityName(absl::string_view name) {
  std::string upper = absl::AsciiStrToUpper(name);
  return std::string(absl::StripPrefix(upper, "CAP_"));
}

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Docker's TweakCapabilities: defaults minus drops (all of them for "ALL"), then adds;
// an add wins over a drop of the same capability.
std::vector<std::string> Capabilities(const v1::ContainerDefinition& definition,
                                      Problems& problems) {
  const v1::KernelCapabilities& requested = definition.linux_parameters().capabilities();
  std::vector<std::string> drops;
  for (const std::string& drop : requested.drop()) {
    drops.push_back(CapabilityName(drop));
  }
  std::vector<std::string> kept;
  if (!Contains(drops, "ALL")) {
    for (const std::string& name : DefaultCapabilities()) {
      if (!Contains(drops, name)) {
        kept.push_back(name);
      }
    }
  }
  for (int i = 0; i < requested.add_size(); ++i) {
    const std::string name = CapabilityName(requested.add(i));
    if (name != "SYS_PTRACE") {
      problems.push_back(absl::StrCat("linuxParameters.capabilities.add[", i,
                                      "]: ", Quote(requested.add(i)),
                                      " cannot be added on Fargate; only SYS_PTRACE can"));
      continue;
    }
    if (!Contains(kept, name)) {
      kept.push_back(name);
    }
  }
  std::vector<std::string> spec_names;
  spec_names.reserve(kept.size());
  for (const std::string& name : kept) {
    spec_names.push_back(absl::StrCat("CAP_", name));
  }
  return spec_names;
}

Value Process(const ContainerSpecInput& input, Problems& problems) {
  // Problems are gathered in the order of the fields in an ECS container definition.
  std::vector<std::string> args = ComposeArgs(input);
  if (args.empty()) {
    problems.push_back(
        "command: the container has nothing to run; set entryPoint or command, or use an "
        "image with an Entrypoint or Cmd");
  }
  if (InitEnabled(input.definition)) {
    args.insert(args.begin(), {kInitInContainer, "--"});
  }
  const Value capabilities = Strings(Capabilities(input.definition, problems));
  const UserIds user = ResolveUser(input, problems);
  const std::string cwd = ResolveCwd(input, problems);
  Value rlimits = Rlimits(input.definition, input.host_nofile_limit, problems);
  return Object({
      {"terminal", Bool(false)},
      {"user", Object({{"uid", Number(user.uid)}, {"gid", Number(user.gid)}})},
      {"args", Strings(args)},
      {"env", Strings(ComposeEnv(input))},
      {"cwd", String(cwd)},
      {"capabilities",
       Object(
           {{"bounding", capabilities}, {"effective", capabilities}, {"permitted", capabilities}})},
      {"rlimits", std::move(rlimits)},
      // Off, as Docker and ECS leave it: setuid programs in images (su, ping) work.
      {"noNewPrivileges", Bool(false)},
  });
}

// ---- mounts ----

Value Mount(absl::string_view destination, absl::string_view type, absl::string_view source,
            const std::vector<std::string>& options) {
  return Object({{"destination", String(destination)},
                 {"type", String(type)},
                 {"source", String(source)},
                 {"options", Strings(options)}});
}

Value BindMountValue(absl::string_view host_path, absl::string_view container_path,
                     bool read_only) {
  return Mount(container_path, "bind", host_path, {"rbind", "rprivate", read_only ? "ro" : "rw"});
}

// containerd's defaultMounts without /run (see the header), plus Docker's read-only cgroup
// mount so that programs sizing themselves from cgroup files (JVMs, Go) see their limits.
Value Mounts(const ContainerSpecInput& input) {
  const v1::LinuxParameters& linux_parameters = input.definition.linux_parameters();
  const int64_t shm_mib = linux_parameters.shared_memory_size() > 0
                              ? linux_parameters.shared_memory_size()
                              : kDefaultShmMiB;
  const std::string shm_size = absl::StrCat("size=", shm_mib * kKiBPerMiB, "k");
  std::vector<Value> mounts = {
      Mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
      Mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
      Mount("/dev/pts", "devpts", "devpts",
            {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
      Mount("/dev/shm", "tmpfs", "shm", {"nosuid", "noexec", "nodev", "mode=1777", shm_size}),
      Mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
      Mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
      Mount("/sys/fs/cgroup", "cgroup", "cgroup", {"ro", "nosuid", "noexec", "nodev"}),
  };
  for (const BindMount& bind : input.binds) {
    mounts.push_back(BindMountValue(bind.host_path, bind.container_path, bind.read_only));
  }
  if (InitEnabled(input.definition)) {
    mounts.push_back(BindMountValue(input.init_path, kInitInContainer, /*read_only=*/true));
  }
  return List(std::move(mounts));
}

// ---- linux ----

// The override's value where it sets one, else the definition's.
std::optional<int64_t> Pick(bool override_has, int32_t override_value, bool definition_has,
                            int32_t definition_value) {
  if (override_has) {
    return override_value;
  }
  if (definition_has) {
    return definition_value;
  }
  return std::nullopt;
}

Value Resources(const ContainerSpecInput& input) {
  const v1::ContainerDefinition& definition = input.definition;
  const v1::ContainerOverride& overrides = input.overrides;
  const std::optional<int64_t> memory = Pick(overrides.has_memory(), overrides.memory(),
                                             definition.has_memory(), definition.memory());
  const std::optional<int64_t> reservation =
      Pick(overrides.has_memory_reservation(), overrides.memory_reservation(),
           definition.has_memory_reservation(), definition.memory_reservation());
  const std::optional<int64_t> cpu =
      Pick(overrides.has_cpu(), overrides.cpu(), definition.has_cpu(), definition.cpu());

  Value memory_value = Object({});
  if (memory.value_or(0) > 0) {
    Put(memory_value, "limit", Number(*memory * kBytesPerMiB));
  }
  if (reservation.value_or(0) > 0) {
    Put(memory_value, "reservation", Number(*reservation * kBytesPerMiB));
  }
  return Object({
      {"memory", std::move(memory_value)},
      {"cpu", Object({{"shares", Number(std::max(cpu.value_or(0), kMinCpuShares))}})},
      // Deny every device; runc still allows its defaults (null, zero, tty, ...).
      {"devices", List({Object({{"allow", Bool(false)}, {"access", String("rwm")}})})},
  });
}

Value Namespaces(const ContainerSpecInput& input) {
  Value network = Object({{"type", String("network")}});
  // Without a path runc makes a fresh, unconnected namespace.
  if (!input.netns_path.empty()) {
    Put(network, "path", String(input.netns_path));
  }
  return List({Object({{"type", String("pid")}}), Object({{"type", String("ipc")}}),
               Object({{"type", String("uts")}}), Object({{"type", String("mount")}}),
               std::move(network)});
}

Value Linux(const ContainerSpecInput& input) {
  Value section = Object({
      {"namespaces", Namespaces(input)},
      {"resources", Resources(input)},
      // runc's and containerd's defaults.
      {"maskedPaths", Strings({"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                               "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                               "/proc/sched_debug", "/sys/firmware", "/proc/scsi"})},
      {"readonlyPaths",
       Strings({"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"})},
  });
  if (!input.cgroups_path.empty()) {
    Put(section, "cgroupsPath", String(input.cgroups_path));
  }
  return section;
}

// ---- image config ----

// The object at `key`, or nullptr when it is absent or null.
absl::StatusOr<const Struct*> FindObject(const Struct& parent, const std::string& key,
                                         absl::string_view path) {
  auto it = parent.fields().find(key);
  if (it == parent.fields().end() || it->second.has_null_value()) {
    return nullptr;
  }
  if (!it->second.has_struct_value()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not an object"));
  }
  return &it->second.struct_value();
}

absl::Status ReadString(const Struct& parent, const std::string& key, absl::string_view path,
                        std::string* out) {
  auto it = parent.fields().find(key);
  if (it == parent.fields().end() || it->second.has_null_value()) {
    return absl::OkStatus();
  }
  if (!it->second.has_string_value()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a string"));
  }
  *out = it->second.string_value();
  return absl::OkStatus();
}

absl::Status ReadStrings(const Struct& parent, const std::string& key, absl::string_view path,
                         std::vector<std::string>* out) {
  auto it = parent.fields().find(key);
  if (it == parent.fields().end() || it->second.has_null_value()) {
    return absl::OkStatus();
  }
  if (!it->second.has_list_value()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a list of strings"));
  }
  const google::protobuf::ListValue& list = it->second.list_value();
  for (int i = 0; i < list.values_size(); ++i) {
    if (!list.values(i).has_string_value()) {
      return absl::InvalidArgumentError(absl::StrCat(path, "[", i, "]: not a string"));
    }
    out->push_back(list.values(i).string_value());
  }
  return absl::OkStatus();
}

absl::Status ReadConfig(const Struct& config, ImageConfig* image) {
  GANTRY_RETURN_IF_ERROR(
      ReadStrings(config, "Entrypoint", "config.Entrypoint", &image->entrypoint));
  GANTRY_RETURN_IF_ERROR(ReadStrings(config, "Cmd", "config.Cmd", &image->cmd));
  GANTRY_RETURN_IF_ERROR(ReadStrings(config, "Env", "config.Env", &image->env));
  GANTRY_RETURN_IF_ERROR(ReadString(config, "User", "config.User", &image->user));
  GANTRY_RETURN_IF_ERROR(
      ReadString(config, "WorkingDir", "config.WorkingDir", &image->working_dir));
  return ReadString(config, "StopSignal", "config.StopSignal", &image->stop_signal);
}

}  // namespace

const std::vector<std::string>& DefaultCapabilities() {
  static const auto* const kCapabilities =
      new std::vector<std::string>{"CHOWN",   "DAC_OVERRIDE", "FSETID",           "FOWNER",
                                   "MKNOD",   "NET_RAW",      "SETGID",           "SETUID",
                                   "SETFCAP", "SETPCAP",      "NET_BIND_SERVICE", "SYS_CHROOT",
                                   "KILL",    "AUDIT_WRITE"};
  return *kCapabilities;
}

absl::StatusOr<ImageConfig> ParseImageConfig(std::string_view json) {
  Struct blob;
  const auto parsed = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &blob);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("image config: not a JSON object: ", parsed.message().ToString()));
  }
  ImageConfig image;
  GANTRY_ASSIGN_OR_RETURN(const Struct* config, FindObject(blob, "config", "config"));
  if (config != nullptr) {
    GANTRY_RETURN_IF_ERROR(ReadConfig(*config, &image));
  }
  GANTRY_ASSIGN_OR_RETURN(const Struct* rootfs, FindObject(blob, "rootfs", "rootfs"));
  if (rootfs != nullptr) {
    GANTRY_RETURN_IF_ERROR(ReadStrings(*rootfs, "diff_ids", "rootfs.diff_ids", &image.diff_ids));
  }
  return image;
}

absl::StatusOr<std::string> BuildOciSpec(const ContainerSpecInput& input) {
  Problems problems;
  Value process = Process(input, problems);
  if (!problems.empty()) {
    return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
  }
  // Their values live in services Gantry does not have (Secrets Manager and SSM, S3):
  // starting the container without the variables it asked for would be worse than not
  // starting it.
  if (input.definition.secrets_size() > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("secrets: ", input.definition.secrets_size(), " secret(s), starting with \"",
                     input.definition.secrets(0).name(),
                     "\"; Gantry has no secrets store to read their values from yet; pass them in "
                     "environment instead"));
  }
  if (input.definition.environment_files_size() > 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("environmentFiles: \"", input.definition.environment_files(0).value(),
                     "\"; Gantry cannot fetch environment files (no S3) yet; pass the variables in "
                     "environment instead"));
  }
  if (InitEnabled(input.definition) && input.init_path.empty()) {
    return absl::FailedPreconditionError(
        "linuxParameters.initProcessEnabled: this host has no init binary to run as the "
        "container's init; install tini-static on the host or turn initProcessEnabled off");
  }
  Value spec = Object({
      {"ociVersion", String(kOciVersion)},
      {"process", std::move(process)},
      {"root", Object({{"path", String("rootfs")},
                       {"readonly", Bool(input.definition.readonly_root_filesystem())}})},
      {"mounts", Mounts(input)},
      {"linux", Linux(input)},
  });
  if (!input.hostname.empty()) {
    Put(spec, "hostname", String(input.hostname));
  }
  std::string json;
  const auto printed = google::protobuf::util::MessageToJsonString(spec.struct_value(), &json);
  if (!printed.ok()) {
    return absl::InternalError(
        absl::StrCat("OCI spec does not print as JSON: ", printed.message().ToString()));
  }
  return json;
}

}  // namespace gantry::agent::containerd
