#include "storage/internal/task_rows.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "storage/internal/json.h"

namespace gantry::storage::internal {

// Timestamps travel as epoch microseconds.
const char kTaskSelect[] =
    "t.task_id, t.account_id, t.cluster, t.family, t.revision, t.task_group, t.started_by, "
    "t.cpu, t.memory, t.ephemeral_storage, array_to_string(t.subnet_ids, ','), "
    "array_to_string(t.security_group_ids, ','), t.assign_public_ip, t.enable_execute_command, "
    "t.overrides::text, t.tags::text, t.containers::text, "
    "t.host_id, h.instance_id, t.availability_zone, t.subnet_id, t.eni_id, t.attachment_id, "
    "host(t.private_ipv4), t.mac_address::text, t.private_dns_name, "
    "t.holds_resources, t.last_status, t.desired_status, "
    "(extract(epoch FROM t.created_at) * 1000000)::int8, "
    "(extract(epoch FROM t.placed_at) * 1000000)::int8, "
    "(extract(epoch FROM t.pull_started_at) * 1000000)::int8, "
    "(extract(epoch FROM t.pull_stopped_at) * 1000000)::int8, "
    "(extract(epoch FROM t.started_at) * 1000000)::int8, "
    "(extract(epoch FROM t.stopping_at) * 1000000)::int8, "
    "(extract(epoch FROM t.execution_stopped_at) * 1000000)::int8, "
    "(extract(epoch FROM t.stopped_at) * 1000000)::int8, "
    "t.stop_code, t.stopped_reason, t.version, "
    "(extract(epoch FROM t.delivered_at) * 1000000)::int8, t.health_status "
    "FROM tasks t LEFT JOIN hosts h ON h.host_id = t.host_id ";

namespace {

std::optional<std::string> OptionalText(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return field.as<std::string>();
}

std::optional<absl::Time> OptionalTime(const pqxx::field& field) {
  if (field.is_null()) return std::nullopt;
  return absl::FromUnixMicros(field.as<int64_t>());
}

absl::StatusOr<std::vector<gantry::v1::Container>> ContainersFromJsonText(const std::string& text) {
  gantry::v1::Task holder;
  GANTRY_RETURN_IF_ERROR(FromJsonText("{\"containers\":" + text + "}", &holder));
  return std::vector<gantry::v1::Container>(holder.containers().begin(), holder.containers().end());
}

}  // namespace

std::vector<std::string> SplitList(const std::string& joined) {
  if (joined.empty()) {
    return {};
  }
  return absl::StrSplit(joined, ',');
}

std::string ContainersToJsonText(const std::vector<gantry::v1::Container>& containers) {
  std::string out = "[";
  for (size_t i = 0; i < containers.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += ToJsonText(containers[i]);
  }
  out.push_back(']');
  return out;
}

absl::StatusOr<TaskRow> RowToTask(const pqxx::row& row) {
  TaskRow task;
  NewTask& spec = task.spec;
  spec.task_id = row[0].as<std::string>();
  spec.account_id = row[1].as<std::string>();
  spec.cluster = row[2].as<std::string>();
  spec.family = row[3].as<std::string>();
  spec.revision = row[4].as<int32_t>();
  spec.group = row[5].as<std::string>();
  spec.started_by = OptionalText(row[6]);
  spec.cpu_units = row[7].as<int32_t>();
  spec.memory_mib = row[8].as<int32_t>();
  spec.ephemeral_storage_gib = row[9].as<int32_t>();
  spec.subnet_ids = SplitList(row[10].as<std::string>());
  spec.security_group_ids = SplitList(row[11].as<std::string>());
  spec.assign_public_ip = row[12].as<bool>();
  spec.enable_execute_command = row[13].as<bool>();
  GANTRY_RETURN_IF_ERROR(FromJsonText(row[14].as<std::string>(), &spec.overrides));
  GANTRY_ASSIGN_OR_RETURN(spec.tags, TagsFromJsonText(row[15].as<std::string>()));
  GANTRY_ASSIGN_OR_RETURN(spec.containers, ContainersFromJsonText(row[16].as<std::string>()));
  if (!row[17].is_null()) {
    TaskPlacement placement;
    placement.host_id = row[17].as<int64_t>();
    placement.instance_id = row[18].as<std::string>();
    placement.availability_zone = row[19].as<std::string>();
    placement.subnet_id = row[20].as<std::string>();
    placement.eni_id = row[21].as<std::string>();
    placement.attachment_id = row[22].as<std::string>();
    placement.private_ipv4 = row[23].as<std::string>();
    placement.mac_address = row[24].as<std::string>();
    placement.private_dns_name = row[25].as<std::string>();
    task.placement = std::move(placement);
  }
  task.holds_resources = row[26].as<bool>();
  task.last_status = row[27].as<std::string>();
  task.desired_status = row[28].as<std::string>();
  task.created_at = absl::FromUnixMicros(row[29].as<int64_t>());
  task.placed_at = OptionalTime(row[30]);
  task.pull_started_at = OptionalTime(row[31]);
  task.pull_stopped_at = OptionalTime(row[32]);
  task.started_at = OptionalTime(row[33]);
  task.stopping_at = OptionalTime(row[34]);
  task.execution_stopped_at = OptionalTime(row[35]);
  task.stopped_at = OptionalTime(row[36]);
  task.stop_code = OptionalText(row[37]);
  task.stopped_reason = OptionalText(row[38]);
  task.version = row[39].as<int64_t>();
  task.delivered_at = OptionalTime(row[40]);
  task.health_status = OptionalText(row[41]).value_or("UNKNOWN");
  return task;
}

}  // namespace gantry::storage::internal
