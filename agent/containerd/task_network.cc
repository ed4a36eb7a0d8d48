#include "agent/containerd/task_network.h"

#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/containerd/command.h"
#include "common/ipv4.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::agent::containerd {
namespace {

// A 4-character prefix + 11 = 15, the kernel's limit for interface names.
constexpr size_t kIdSuffixLength = 11;

std::string Suffix(const std::string& id) {
  return id.size() <= kIdSuffixLength ? id : id.substr(id.size() - kIdSuffixLength);
}

absl::Status Run(const std::vector<std::string>& argv) { return RunCommand(argv).status(); }

bool LinkExists(const std::string& name) {
  return std::filesystem::exists(std::filesystem::path("/sys/class/net") / name);
}

// "10.0.1.23/24": an address with its subnet's prefix length.
absl::StatusOr<std::string> WithPrefix(const std::string& address, const std::string& cidr) {
  GANTRY_ASSIGN_OR_RETURN(ipv4::Cidr block, ipv4::ParseCidr(cidr));
  GANTRY_RETURN_IF_ERROR(ipv4::ParseAddress(address).status());
  return absl::StrCat(address, "/", block.prefix);
}

}  // namespace

TaskNetworkNames NamesOf(const std::string& task_id, const v1::TaskNetworkInterface& eni) {
  TaskNetworkNames names;
  names.netns = absl::StrCat(kNetnsPrefix, task_id);
  names.netns_path = absl::StrCat(kNetnsDir, "/", names.netns);
  names.host_veth = absl::StrCat("gtv-", Suffix(eni.eni_id()));
  names.staging_veth = absl::StrCat("gts-", Suffix(eni.eni_id()));
  names.bridge = absl::StrCat(kBridgePrefix, Suffix(eni.subnet_id()));
  return names;
}

absl::Status TaskNetworks::EnsureBridge(const TaskNetworkNames& names,
                                        const v1::TaskNetworkInterface& eni) {
  if (LinkExists(names.bridge)) {
    return absl::OkStatus();
  }
  GANTRY_ASSIGN_OR_RETURN(std::string gateway,
                          WithPrefix(eni.subnet_gateway_ipv4_address(), eni.subnet_cidr_block()));
  GANTRY_RETURN_IF_ERROR(Run({"ip", "link", "add", names.bridge, "type", "bridge"}));
  absl::Status status = Run({"ip", "addr", "add", gateway, "dev", names.bridge});
  if (status.ok()) {
    status = Run({"ip", "link", "set", names.bridge, "up"});
  }
  if (!status.ok()) {
    Run({"ip", "link", "del", names.bridge}).IgnoreError();
  }
  return status;
}

absl::StatusOr<TaskNetworkNames> TaskNetworks::Create(const std::string& task_id,
                                                      const v1::TaskNetworkInterface& eni) {
  const TaskNetworkNames names = NamesOf(task_id, eni);
  absl::MutexLock lock(&mutex_);
  GANTRY_RETURN_IF_ERROR(CreateLocked(task_id, eni, names));
  return names;
}

absl::Status TaskNetworks::CreateLocked(const std::string& task_id,
                                        const v1::TaskNetworkInterface& eni,
                                        const TaskNetworkNames& names) {
  GANTRY_ASSIGN_OR_RETURN(std::string address,
                          WithPrefix(eni.private_ipv4_address(), eni.subnet_cidr_block()));
  GANTRY_RETURN_IF_ERROR(DestroyLocked(task_id));
  for (const std::string& stale : {names.host_veth, names.staging_veth}) {
    if (LinkExists(stale)) {
      GANTRY_RETURN_IF_ERROR(Run({"ip", "link", "del", stale}));
    }
  }
  GANTRY_RETURN_IF_ERROR(EnsureBridge(names, eni));
  const std::vector<std::vector<std::string>> steps = {
      {"ip", "netns", "add", names.netns},
      {"ip", "link", "add", names.host_veth, "type", "veth", "peer", "name", names.staging_veth},
      {"ip", "link", "set", names.staging_veth, "netns", names.netns},
      {"ip", "-n", names.netns, "link", "set", names.staging_veth, "name", "eth0"},
      {"ip", "-n", names.netns, "link", "set", "eth0", "address", eni.mac_address()},
      {"ip", "-n", names.netns, "addr", "add", address, "dev", "eth0"},
      {"ip", "-n", names.netns, "link", "set", "lo", "up"},
      {"ip", "-n", names.netns, "link", "set", "eth0", "up"},
      {"ip", "-n", names.netns, "route", "add", "default", "via",
       eni.subnet_gateway_ipv4_address()},
      {"ip", "link", "set", names.host_veth, "master", names.bridge},
      {"ip", "link", "set", names.host_veth, "up"},
  };
  for (const std::vector<std::string>& step : steps) {
    if (absl::Status status = Run(step); !status.ok()) {
      if (LinkExists(names.host_veth)) {
        Run({"ip", "link", "del", names.host_veth}).IgnoreError();
      }
      DestroyLocked(task_id).IgnoreError();
      return status;
    }
  }
  return absl::OkStatus();
}

absl::Status TaskNetworks::Destroy(const std::string& task_id) {
  absl::MutexLock lock(&mutex_);
  return DestroyLocked(task_id);
}

absl::Status TaskNetworks::DestroyLocked(const std::string& task_id) {
  const std::string netns = absl::StrCat(kNetnsPrefix, task_id);
  if (std::filesystem::exists(std::filesystem::path(kNetnsDir) / netns)) {
    // Deleting one end of the veth pair deletes both at once; a namespace's own links
    // go only when the kernel frees it, later, and the bridge would not look idle.
    Run({"ip", "-n", netns, "link", "del", "eth0"}).IgnoreError();
    GANTRY_RETURN_IF_ERROR(Run({"ip", "netns", "del", netns}));
  }
  RemoveIdleBridges();
  return absl::OkStatus();
}

void TaskNetworks::RemoveIdleBridges() {
  std::error_code error;
  for (const auto& link : std::filesystem::directory_iterator("/sys/class/net", error)) {
    const std::string name = link.path().filename().string();
    const std::filesystem::path ports = link.path() / "brif";
    if (!absl::StartsWith(name, kBridgePrefix) || !std::filesystem::exists(ports, error) ||
        !std::filesystem::is_empty(ports, error)) {
      continue;
    }
    if (absl::Status status = Run({"ip", "link", "del", name}); !status.ok()) {
      log::Warning("bridge_removal_failed", {{"bridge", name}, {"error", status.message()}});
    }
  }
}

absl::Status TaskNetworks::RemoveLeftovers(const std::set<std::string>& live_task_ids) {
  std::error_code error;
  std::vector<std::string> stale;
  for (const auto& entry : std::filesystem::directory_iterator(kNetnsDir, error)) {
    const std::string name = entry.path().filename().string();
    if (!absl::StartsWith(name, kNetnsPrefix)) {
      continue;
    }
    std::string id = name.substr(std::string_view(kNetnsPrefix).size());
    if (!live_task_ids.contains(id)) {
      stale.push_back(std::move(id));
    }
  }
  absl::MutexLock lock(&mutex_);
  for (const std::string& task_id : stale) {
    GANTRY_RETURN_IF_ERROR(DestroyLocked(task_id));
  }
  RemoveIdleBridges();
  return absl::OkStatus();
}

absl::StatusOr<InterfaceCounters> HostVethCounters(const std::string& host_veth,
                                                   const std::string& sysfs_net) {
  const std::filesystem::path statistics =
      std::filesystem::path(sysfs_net) / host_veth / "statistics";
  auto read = [&statistics](const char* name) -> absl::StatusOr<uint64_t> {
    std::ifstream in(statistics / name);
    uint64_t value = 0;
    if (!(in >> value)) {
      return absl::NotFoundError(
          absl::StrCat((statistics / name).string(), ": cannot read a counter"));
    }
    return value;
  };
  InterfaceCounters counters;
  GANTRY_ASSIGN_OR_RETURN(counters.task_rx_bytes, read("tx_bytes"));
  GANTRY_ASSIGN_OR_RETURN(counters.task_tx_bytes, read("rx_bytes"));
  return counters;
}

}  // namespace gantry::agent::containerd
