#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/api.h"
#include "api/internal/container_instances.h"
#include "api/internal/run_on_database.h"
#include "common/log.h"
#include "common/status_macros.h"

namespace gantry::api {
namespace {

constexpr size_t kMaxZoneLength = 64;
constexpr size_t kMaxTextLength = 255;

// Lowercase letters, digits and '-', as zone names are (us-east-1a, use1-az1).
bool IsZoneName(const std::string& zone) {
  if (zone.empty() || zone.size() > kMaxZoneLength) return false;
  for (char c : zone) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

void CheckRange(std::vector<std::string>& problems, const char* field, int64_t value, int64_t min,
                int64_t max) {
  if (value < min) {
    problems.push_back(
        absl::StrCat(field, ": ", value, " is below the minimum; use ", min, " to ", max));
  } else if (value > max) {
    problems.push_back(
        absl::StrCat(field, ": ", value, " is above the maximum; use ", min, " to ", max));
  }
}

void CheckLength(std::vector<std::string>& problems, const char* field, const std::string& value) {
  if (value.size() > kMaxTextLength) {
    problems.push_back(absl::StrCat(field, ": ", value.size(),
                                    " characters is too long; use at most ", kMaxTextLength));
  }
}

// Every problem of `request`, in field order, one per line; OK when there is none.
absl::Status ValidateRegisterHost(const v1::RegisterHostRequest& request) {
  std::vector<std::string> problems;
  if (request.availability_zone().empty()) {
    problems.push_back(
        "availabilityZone: required; use the host's zone name (lowercase letters, digits and -)");
  } else if (!IsZoneName(request.availability_zone())) {
    problems.push_back(absl::StrCat("availabilityZone: \"", request.availability_zone(),
                                    "\" is not a valid zone name; use 1-", kMaxZoneLength,
                                    " lowercase letters, digits and -"));
  }
  CheckRange(problems, "cpuUnits", request.cpu_units(), 256, 1048576);
  CheckRange(problems, "memoryMib", request.memory_mib(), 512, 16777216);
  CheckRange(problems, "ephemeralStorageGib", request.ephemeral_storage_gib(), 20, 65536);
  CheckRange(problems, "eniSlots", request.eni_slots(), 1, 4096);
  CheckLength(problems, "agentVersion", request.agent_version());
  CheckLength(problems, "hostName", request.host_name());
  if (problems.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(problems, "\n"));
}

}  // namespace

AgentOperations::AgentOperations(Config config, storage::Database* database,
                                 std::function<void()> capacity_changed)
    : config_(std::move(config)),
      database_(database),
      capacity_changed_(std::move(capacity_changed)) {}

void AgentOperations::RegisterHost(const v1::RegisterHostRequest& request,
                                   Done<v1::RegisterHostResponse> done) {
  if (absl::Status valid = ValidateRegisterHost(request); !valid.ok()) {
    log::Debug("host_refused", {{"zone", request.availability_zone()}});
    return done(valid);
  }
  storage::NewHost host;
  host.availability_zone = request.availability_zone();
  // The ranges checked above all fit in 32 bits.
  host.total.cpu_units = static_cast<int32_t>(request.cpu_units());
  host.total.memory_mib = static_cast<int32_t>(request.memory_mib());
  host.total.ephemeral_storage_gib = static_cast<int32_t>(request.ephemeral_storage_gib());
  host.total.enis = static_cast<int32_t>(request.eni_slots());
  host.agent_version = request.agent_version();
  host.host_name = request.host_name();
  internal::RunOnDatabase<v1::RegisterHostResponse>(
      database_,
      [this, host = std::move(host)](
          storage::Connection& connection) -> absl::StatusOr<v1::RegisterHostResponse> {
        GANTRY_ASSIGN_OR_RETURN(storage::HostRow row, storage::RegisterHost(connection, host));
        log::Info("host_registered", {{"host", row.instance_id},
                                      {"host_id", row.host_id},
                                      {"zone", row.availability_zone},
                                      {"cpu", row.total.cpu_units},
                                      {"memory_mib", row.total.memory_mib},
                                      {"storage_gib", row.total.ephemeral_storage_gib},
                                      {"enis", row.total.enis},
                                      {"agent_version", row.agent_version}});
        // Committed: tasks waiting for capacity may now fit.
        if (capacity_changed_) capacity_changed_();
        v1::RegisterHostResponse response;
        response.set_host_id(row.instance_id);
        response.set_container_instance_arn(
            internal::ContainerInstanceArn(config_, row.instance_id));
        return response;
      },
      std::move(done));
}

}  // namespace gantry::api
