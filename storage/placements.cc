// Placement rounds: the scheduler's capacity snapshot, the queue of tasks waiting for
// capacity, and CommitRound, which writes a whole round of placements in one
// transaction while re-checking every decision in SQL.
#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/pqxx>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/ids.h"
#include "common/status_macros.h"
#include "storage/internal/commands.h"
#include "storage/internal/errors.h"
#include "storage/internal/json.h"
#include "storage/internal/statements.h"
#include "storage/internal/task_rows.h"
#include "storage/storage.h"

namespace gantry::storage {
namespace {

using internal::ToIntArray;
using internal::ToNullableTextArray;
using internal::ToTextArray;

// A host whose agent is not connected (lost) takes nothing and holds nothing (its tasks
// were stopped when it was lost), so the scheduler need not see it.
constexpr char kHosts[] = R"sql(
  SELECT host_id, availability_zone, status, cpu_total, memory_total, storage_total, eni_total,
         cpu_used, memory_used, storage_used, eni_used
  FROM hosts WHERE status <> 'INACTIVE' AND agent_connected)sql";
// Every host in the range, whatever its state: the caller drops those kHosts leaves out.
constexpr char kHostSlice[] = R"sql(
  SELECT host_id, availability_zone, status, cpu_total, memory_total, storage_total, eni_total,
         cpu_used, memory_used, storage_used, eni_used, agent_connected
  FROM hosts WHERE host_id > $1 ORDER BY host_id LIMIT $2)sql";
constexpr char kSubnets[] = R"sql(
  SELECT subnet_id, availability_zone, address_count - 5 - addresses_in_use FROM subnets)sql";
constexpr char kGroupCounts[] = R"sql(
  SELECT account_id, cluster, task_group, availability_zone, count(*) FROM tasks
  WHERE holds_resources GROUP BY 1, 2, 3, 4)sql";
const std::string kWaiting = std::string("SELECT ") + internal::kTaskSelect + R"sql(
  WHERE t.host_id IS NULL AND t.last_status = 'PROVISIONING' AND t.desired_status = 'RUNNING'
  ORDER BY t.queue_seq LIMIT $1)sql";

// A token already bound is left alone: its first call's tasks stand.
constexpr char kBindTokens[] = R"sql(
  INSERT INTO run_task_tokens (account_id, client_token, fingerprint, task_ids)
  SELECT a, t, f, string_to_array(ids, ',')
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(a, t, f, ids)
  ON CONFLICT (account_id, client_token) DO NOTHING
  RETURNING account_id, client_token)sql";

// Waiting tasks this round places; one taken by another gantryd (locked) or placed or
// stopped meanwhile is skipped.
constexpr char kClaimWaiting[] = R"sql(
  SELECT task_id, cpu, memory, ephemeral_storage FROM tasks
  WHERE task_id = ANY($1::text[]) AND host_id IS NULL AND last_status = 'PROVISIONING'
    AND desired_status = 'RUNNING'
  FOR UPDATE SKIP LOCKED)sql";

// Host rows are locked in id order before they are updated, so two rounds touching
// the same hosts queue up instead of deadlocking (an UPDATE ... FROM locks in join
// order).
constexpr char kLockHosts[] = R"sql(
  SELECT host_id FROM hosts WHERE host_id = ANY($1::int8[]) ORDER BY host_id
  FOR NO KEY UPDATE)sql";

// Reserves capacity only where it still fits and the agent is connected: the view may be
// stale, this is not. It also takes one command sequence number per task (one ENI each)
// and returns the host's next number, so the round's LAUNCH commands on that host are
// numbered next - enis .. next - 1 (under the row lock, kept until commit).
constexpr char kReserveHosts[] = R"sql(
  UPDATE hosts h SET cpu_used = h.cpu_used + d.cpu, memory_used = h.memory_used + d.mem,
    storage_used = h.storage_used + d.sto, eni_used = h.eni_used + d.enis,
    next_command_seq = h.next_command_seq + d.enis, version = h.version + 1
  FROM unnest($1::int8[], $2::int4[], $3::int4[], $4::int4[], $5::int4[])
    AS d(host_id, cpu, mem, sto, enis)
  WHERE h.host_id = d.host_id AND h.status = 'ACTIVE' AND h.agent_connected
    AND h.cpu_used + d.cpu <= h.cpu_total AND h.memory_used + d.mem <= h.memory_total
    AND h.storage_used + d.sto <= h.storage_total AND h.eni_used + d.enis <= h.eni_total
  RETURNING h.host_id, h.instance_id, h.next_command_seq)sql";
// Undoes part of a reservation made in this transaction, sequence numbers included:
// nobody else took numbers on these hosts meanwhile (the rows are locked), so the
// round's commands stay gap-free.
constexpr char kUnreserveHosts[] = R"sql(
  UPDATE hosts h SET cpu_used = h.cpu_used - d.cpu, memory_used = h.memory_used - d.mem,
    storage_used = h.storage_used - d.sto, eni_used = h.eni_used - d.enis,
    next_command_seq = h.next_command_seq - d.enis
  FROM unnest($1::int8[], $2::int4[], $3::int4[], $4::int4[], $5::int4[])
    AS d(host_id, cpu, mem, sto, enis)
  WHERE h.host_id = d.host_id)sql";

constexpr char kLockSubnet[] = R"sql(
  SELECT next_offset, address_count FROM subnets WHERE subnet_id = $1 FOR UPDATE)sql";
constexpr char kTakeFreed[] = R"sql(
  DELETE FROM subnet_free_addresses WHERE subnet_id = $1 AND address_offset IN (
    SELECT address_offset FROM subnet_free_addresses WHERE subnet_id = $1
    ORDER BY address_offset LIMIT $2)
  RETURNING address_offset)sql";
constexpr char kAdvanceSubnet[] = R"sql(
  UPDATE subnets SET next_offset = next_offset + $2, addresses_in_use = addresses_in_use + $3
  WHERE subnet_id = $1)sql";

// The address is the subnet's base plus the offset; DNS names as EC2 forms them.
#define GANTRY_ENI_IP "set_masklen(s.cidr_block::inet + d.off, 32)"
#define GANTRY_ENI_MAC "('0a' || lpad(to_hex(nextval('eni_mac_sequence')), 10, '0'))::macaddr"
#define GANTRY_ENI_DNS "'ip-' || replace(host(" GANTRY_ENI_IP "), '.', '-') || $25"

// New tasks in request order, so queue_seq keeps arrival order for waiting ones.
constexpr char kInsertTasks[] =
    "INSERT INTO tasks (task_id, account_id, cluster, family, revision, task_group, started_by, "
    "cpu, memory, ephemeral_storage, subnet_ids, security_group_ids, assign_public_ip, "
    "enable_execute_command, overrides, tags, containers, client_token, host_id, "
    "availability_zone, subnet_id, eni_id, attachment_id, private_ipv4, mac_address, "
    "private_dns_name, holds_resources, last_status, desired_status, placed_at) "
    "SELECT d.id, d.account, d.cluster, d.family, d.rev, d.grp, d.started_by, d.cpu, d.mem, "
    "d.sto, string_to_array(d.subnets, ','), string_to_array(d.sgs, ','), d.public_ip, "
    "d.exec, d.overrides::jsonb, d.tags::jsonb, d.containers::jsonb, d.token, d.host_id, d.az, "
    "d.subnet_id, d.eni_id, d.att, "
    "CASE WHEN d.eni_id IS NULL THEN NULL ELSE " GANTRY_ENI_IP
    " END, "
    "CASE WHEN d.eni_id IS NULL THEN NULL ELSE " GANTRY_ENI_MAC
    " END, "
    "CASE WHEN d.eni_id IS NULL THEN NULL ELSE " GANTRY_ENI_DNS
    " END, "
    "d.host_id IS NOT NULL, 'PROVISIONING', 'RUNNING', "
    "CASE WHEN d.host_id IS NULL THEN NULL ELSE now() END "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::text[], "
    "$7::text[], $8::int4[], $9::int4[], $10::int4[], $11::text[], $12::text[], $13::bool[], "
    "$14::bool[], $15::text[], $16::text[], $17::text[], $18::text[], $19::int8[], $20::text[], "
    "$21::text[], $22::text[], $23::text[], $24::int4[]) WITH ORDINALITY "
    "AS d(id, account, cluster, family, rev, grp, started_by, cpu, mem, sto, subnets, sgs, "
    "public_ip, exec, overrides, tags, containers, token, host_id, az, subnet_id, eni_id, att, "
    "off, n) "
    "LEFT JOIN subnets s ON s.subnet_id = d.subnet_id ORDER BY d.n";

constexpr char kPlaceWaiting[] =
    "UPDATE tasks t SET host_id = d.host_id, availability_zone = d.az, subnet_id = d.subnet_id, "
    "eni_id = d.eni_id, attachment_id = d.att, private_ipv4 = " GANTRY_ENI_IP
    ", "
    "mac_address = " GANTRY_ENI_MAC
    ", private_dns_name = "
    "'ip-' || replace(host(" GANTRY_ENI_IP
    "), '.', '-') || $8, "
    "holds_resources = true, placed_at = now(), version = t.version + 1 "
    "FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[], $6::text[], "
    "$7::int4[]) AS d(task_id, host_id, az, subnet_id, eni_id, att, off) "
    "JOIN subnets s ON s.subnet_id = d.subnet_id "
    "WHERE t.task_id = d.task_id";
#undef GANTRY_ENI_IP
#undef GANTRY_ENI_MAC
#undef GANTRY_ENI_DNS

constexpr char kInsertEnis[] = R"sql(
  INSERT INTO network_interfaces (eni_id, account_id, subnet_id, address_offset, private_ipv4,
    mac_address, private_dns_name, security_group_ids, task_id)
  SELECT t.eni_id, t.account_id, t.subnet_id, d.off, t.private_ipv4, t.mac_address,
    t.private_dns_name, t.security_group_ids, t.task_id
  FROM unnest($1::text[], $2::int4[]) AS d(task_id, off) JOIN tasks t USING (task_id))sql";

const std::string kSelectRound =
    std::string("SELECT ") + internal::kTaskSelect + "WHERE t.task_id = ANY($1::text[])";

constexpr char kExpire[] = R"sql(
  UPDATE tasks t SET last_status = 'STOPPED', desired_status = 'STOPPED',
    stop_code = 'TaskFailedToStart', stopped_reason = d.reason, stopping_at = now(),
    stopped_at = now(), tags = '[]', version = t.version + 1
  FROM unnest($1::text[], $2::text[]) AS d(task_id, reason)
  WHERE t.task_id = d.task_id AND t.host_id IS NULL AND t.last_status = 'PROVISIONING'
  RETURNING t.task_id)sql";

std::string DnsSuffix(const std::string& region) {
  return region == "us-east-1" ? ".ec2.internal" : absl::StrCat(".", region, ".compute.internal");
}

struct Need {
  int32_t cpu = 0;
  int32_t memory = 0;
  int32_t storage = 0;
};

// A placement that survived so far, with what it needs and the address it got.
struct Pending {
  const RoundPlacement* placement = nullptr;
  Need need;
  bool is_new = false;
  std::optional<int32_t> offset;
  std::string eni_id;
  std::string attachment_id;
};

struct HostDeltas {
  std::vector<int64_t> ids;
  std::vector<int64_t> cpu, memory, storage, enis;
};

HostDeltas SumByHost(const std::vector<Pending*>& tasks) {
  std::map<int64_t, std::array<int64_t, 4>> sums;
  for (const Pending* task : tasks) {
    auto& sum = sums[task->placement->host_id];
    sum[0] += task->need.cpu;
    sum[1] += task->need.memory;
    sum[2] += task->need.storage;
    sum[3] += 1;
  }
  HostDeltas deltas;
  for (const auto& [id, sum] : sums) {
    deltas.ids.push_back(id);
    deltas.cpu.push_back(sum[0]);
    deltas.memory.push_back(sum[1]);
    deltas.storage.push_back(sum[2]);
    deltas.enis.push_back(sum[3]);
  }
  return deltas;
}

pqxx::result ApplyHostDeltas(pqxx::work& tx, const char* statement, const HostDeltas& deltas) {
  return tx.exec_prepared(statement, ToIntArray(deltas.ids), ToIntArray(deltas.cpu),
                          ToIntArray(deltas.memory), ToIntArray(deltas.storage),
                          ToIntArray(deltas.enis));
}

// Binds the round's tokens; returns the indexes of tokens bound earlier.
std::vector<size_t> BindTokens(pqxx::work& tx, const std::vector<TokenClaim>& tokens) {
  if (tokens.empty()) {
    return {};
  }
  std::vector<std::string> accounts, names, fingerprints, ids;
  for (const TokenClaim& claim : tokens) {
    accounts.push_back(claim.account_id);
    names.push_back(claim.client_token);
    fingerprints.push_back(claim.fingerprint);
    ids.push_back(absl::StrJoin(claim.task_ids, ","));
  }
  std::set<std::pair<std::string, std::string>> bound;
  for (const pqxx::row& row :
       tx.exec_prepared("placement_bind_tokens", ToTextArray(accounts), ToTextArray(names),
                        ToTextArray(fingerprints), ToTextArray(ids))) {
    bound.emplace(row[0].as<std::string>(), row[1].as<std::string>());
  }
  std::vector<size_t> lost;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!bound.contains({tokens[i].account_id, tokens[i].client_token})) {
      lost.push_back(i);
    }
  }
  return lost;
}

// Gives each task an address in its subnet: released offsets first (lowest first),
// then never-used ones from the subnet's high-water mark. Tasks left without one
// (the subnet filled up or was deleted) get no offset.
void AllocateAddresses(pqxx::work& tx, const std::vector<Pending*>& tasks,
                       std::vector<std::string>* stale_subnets) {
  std::map<std::string, std::vector<Pending*>> by_subnet;
  for (Pending* task : tasks) {
    by_subnet[task->placement->subnet_id].push_back(task);
  }
  for (auto& [subnet_id, members] : by_subnet) {
    pqxx::result locked = tx.exec_prepared("placement_lock_subnet", subnet_id);
    if (locked.empty()) {
      stale_subnets->push_back(subnet_id);
      continue;
    }
    int32_t next_offset = locked[0][0].as<int32_t>();
    int32_t address_count = locked[0][1].as<int32_t>();
    std::vector<int32_t> offsets;
    for (const pqxx::row& row : tx.exec_prepared("placement_take_freed", subnet_id,
                                                 static_cast<int64_t>(members.size()))) {
      offsets.push_back(row[0].as<int32_t>());
    }
    // The last usable offset is address_count - 2 (the last address is reserved).
    int32_t fresh = std::min<int32_t>(static_cast<int32_t>(members.size() - offsets.size()),
                                      address_count - 1 - next_offset);
    for (int32_t i = 0; i < fresh; ++i) {
      offsets.push_back(next_offset + i);
    }
    tx.exec_prepared0("placement_advance_subnet", subnet_id, fresh,
                      static_cast<int32_t>(offsets.size()));
    if (offsets.size() < members.size()) {
      stale_subnets->push_back(subnet_id);
    }
    for (size_t i = 0; i < offsets.size(); ++i) {
      members[i]->offset = offsets[i];
    }
  }
}

void InsertNewTasks(pqxx::work& tx, const Round& round,
                    const absl::flat_hash_set<std::string>& skip,
                    const absl::flat_hash_map<std::string, Pending*>& placed) {
  std::vector<std::optional<std::string>> c[24];
  for (const NewTask& task : round.new_tasks) {
    if (skip.contains(task.task_id)) {
      continue;
    }
    auto it = placed.find(task.task_id);
    const Pending* p = it == placed.end() ? nullptr : it->second;
    std::optional<std::string> none;
    std::string fields[] = {
        task.task_id, task.account_id, task.cluster, task.family, absl::StrCat(task.revision),
        task.group};
    for (int i = 0; i < 6; ++i) {
      c[i].push_back(fields[i]);
    }
    c[6].push_back(task.started_by);
    c[7].push_back(absl::StrCat(task.cpu_units));
    c[8].push_back(absl::StrCat(task.memory_mib));
    c[9].push_back(absl::StrCat(task.ephemeral_storage_gib));
    c[10].push_back(absl::StrJoin(task.subnet_ids, ","));
    c[11].push_back(absl::StrJoin(task.security_group_ids, ","));
    c[12].push_back(task.assign_public_ip ? "t" : "f");
    c[13].push_back(task.enable_execute_command ? "t" : "f");
    c[14].push_back(internal::ToJsonText(task.overrides));
    c[15].push_back(internal::TagsToJsonText(task.tags));
    c[16].push_back(internal::ContainersToJsonText(task.containers));
    c[17].push_back(none);  // client_token: kept in run_task_tokens
    c[18].push_back(p ? std::optional(absl::StrCat(p->placement->host_id)) : none);
    c[19].push_back(p ? std::optional(p->placement->availability_zone) : none);
    c[20].push_back(p ? std::optional(p->placement->subnet_id) : none);
    c[21].push_back(p ? std::optional(p->eni_id) : none);
    c[22].push_back(p ? std::optional(p->attachment_id) : none);
    c[23].push_back(p ? std::optional(absl::StrCat(*p->offset)) : none);
  }
  if (c[0].empty()) {
    return;
  }
  std::string a[24];
  for (int i = 0; i < 24; ++i) {
    a[i] = ToNullableTextArray(c[i]);
  }
  tx.exec_prepared0("placement_insert_tasks", a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8],
                    a[9], a[10], a[11], a[12], a[13], a[14], a[15], a[16], a[17], a[18], a[19],
                    a[20], a[21], a[22], a[23], DnsSuffix(round.region));
}

void PlaceWaitingTasks(pqxx::work& tx, const std::string& region,
                       const std::vector<Pending*>& tasks) {
  if (tasks.empty()) {
    return;
  }
  std::vector<std::string> ids, hosts, zones, subnets, enis, attachments;
  std::vector<int64_t> offsets;
  for (const Pending* task : tasks) {
    ids.push_back(task->placement->task_id);
    hosts.push_back(absl::StrCat(task->placement->host_id));
    zones.push_back(task->placement->availability_zone);
    subnets.push_back(task->placement->subnet_id);
    enis.push_back(task->eni_id);
    attachments.push_back(task->attachment_id);
    offsets.push_back(*task->offset);
  }
  tx.exec_prepared0("placement_place_waiting", ToTextArray(ids), ToTextArray(hosts),
                    ToTextArray(zones), ToTextArray(subnets), ToTextArray(enis),
                    ToTextArray(attachments), ToIntArray(offsets), DnsSuffix(region));
}

// The round's placements that still count, with what each task needs; new tasks'
// sizes come from the round, waiting tasks' from the claim below.
std::vector<Pending> CollectPending(const Round& round,
                                    const absl::flat_hash_set<std::string>& skipped) {
  absl::flat_hash_map<std::string, const NewTask*> new_tasks;
  for (const NewTask& task : round.new_tasks) {
    new_tasks[task.task_id] = &task;
  }
  std::vector<Pending> pending;
  pending.reserve(round.placements.size());
  for (const RoundPlacement& placement : round.placements) {
    if (skipped.contains(placement.task_id)) {
      continue;
    }
    Pending p;
    p.placement = &placement;
    if (auto it = new_tasks.find(placement.task_id); it != new_tasks.end()) {
      p.is_new = true;
      p.need = {it->second->cpu_units, it->second->memory_mib, it->second->ephemeral_storage_gib};
    }
    pending.push_back(std::move(p));
  }
  return pending;
}

// Claims the waiting tasks being placed (their size is what the database says); those
// taken or stopped by someone else are displaced. Returns every placement still live.
std::vector<Pending*> ClaimWaiting(pqxx::work& tx, std::vector<Pending>& pending,
                                   RoundResult* result) {
  std::vector<std::string> waiting_ids;
  for (const Pending& p : pending) {
    if (!p.is_new) {
      waiting_ids.push_back(p.placement->task_id);
    }
  }
  absl::flat_hash_map<std::string, Need> claimed;
  if (!waiting_ids.empty()) {
    for (const pqxx::row& row :
         tx.exec_prepared("placement_claim_waiting", ToTextArray(waiting_ids))) {
      claimed[row[0].as<std::string>()] = {row[1].as<int32_t>(), row[2].as<int32_t>(),
                                           row[3].as<int32_t>()};
    }
  }
  std::vector<Pending*> live;
  for (Pending& p : pending) {
    if (!p.is_new) {
      auto it = claimed.find(p.placement->task_id);
      if (it == claimed.end()) {
        result->displaced_task_ids.push_back(p.placement->task_id);
        continue;
      }
      p.need = it->second;
    }
    live.push_back(&p);
  }
  return live;
}

// A host that took some of the round's tasks: its public id and the sequence number of
// its first LAUNCH command in this round.
struct ReservedHost {
  std::string instance_id;
  int64_t first_sequence = 0;
};
using ReservedHosts = absl::flat_hash_map<int64_t, ReservedHost>;

// Reserves host capacity: all of a host's tasks in the round fit together, or none of
// them is placed there. Returns the placements whose host took them; `reserved` gets
// the hosts that did.
std::vector<Pending*> ReserveHosts(pqxx::work& tx, const std::vector<Pending*>& live,
                                   ReservedHosts* reserved, RoundResult* result) {
  HostDeltas deltas = SumByHost(live);
  if (!deltas.ids.empty()) {
    absl::flat_hash_map<int64_t, int64_t> tasks_per_host;
    for (size_t i = 0; i < deltas.ids.size(); ++i) {
      tasks_per_host[deltas.ids[i]] = deltas.enis[i];
    }
    tx.exec_prepared("placement_lock_hosts", ToIntArray(deltas.ids));
    for (const pqxx::row& row : ApplyHostDeltas(tx, "placement_reserve_hosts", deltas)) {
      const int64_t host_id = row[0].as<int64_t>();
      (*reserved)[host_id] = {row[1].as<std::string>(),
                              row[2].as<int64_t>() - tasks_per_host[host_id]};
    }
  }
  for (int64_t id : deltas.ids) {
    if (!reserved->contains(id)) {
      result->stale_hosts.push_back(id);
    }
  }
  std::vector<Pending*> hosted;
  for (Pending* p : live) {
    if (reserved->contains(p->placement->host_id)) {
      hosted.push_back(p);
    } else {
      result->displaced_task_ids.push_back(p->placement->task_id);
    }
  }
  return hosted;
}

// Gives the hosted placements their addresses; those left without one give their host
// share back. Returns the placements that are complete.
std::vector<Pending*> AddressTasks(pqxx::work& tx, const std::vector<Pending*>& hosted,
                                   RoundResult* result) {
  AllocateAddresses(tx, hosted, &result->stale_subnets);
  std::vector<Pending*> placed, unaddressed;
  for (Pending* p : hosted) {
    (p->offset.has_value() ? placed : unaddressed).push_back(p);
  }
  if (!unaddressed.empty()) {
    ApplyHostDeltas(tx, "placement_unreserve_hosts", SumByHost(unaddressed));
    for (Pending* p : unaddressed) {
      result->displaced_task_ids.push_back(p->placement->task_id);
    }
  }
  return placed;
}

// Inserts the round's new tasks (placed or waiting), places the waiting ones, inserts
// the ENIs. Returns the ids of the waiting tasks placed.
std::vector<std::string> WriteTasks(pqxx::work& tx, const Round& round,
                                    const absl::flat_hash_set<std::string>& skipped,
                                    const std::vector<Pending*>& placed) {
  absl::flat_hash_map<std::string, Pending*> placed_new;
  std::vector<Pending*> placed_waiting;
  std::vector<std::string> placed_waiting_ids, eni_task_ids;
  std::vector<int64_t> eni_offsets;
  for (Pending* p : placed) {
    p->eni_id = ids::NewEc2Id("eni");
    p->attachment_id = ids::NewUuid();
    if (p->is_new) {
      placed_new[p->placement->task_id] = p;
    } else {
      placed_waiting.push_back(p);
      placed_waiting_ids.push_back(p->placement->task_id);
    }
    eni_task_ids.push_back(p->placement->task_id);
    eni_offsets.push_back(*p->offset);
  }
  InsertNewTasks(tx, round, skipped, placed_new);
  PlaceWaitingTasks(tx, round.region, placed_waiting);
  if (!eni_task_ids.empty()) {
    tx.exec_prepared0("placement_insert_enis", ToTextArray(eni_task_ids), ToIntArray(eni_offsets));
  }
  return placed_waiting_ids;
}

// Queues a LAUNCH for every placed task, numbered per host in round order from the
// numbers ReserveHosts took, and notifies the hosts.
void QueueLaunches(pqxx::work& tx, const std::vector<Pending*>& placed, ReservedHosts& reserved) {
  if (placed.empty()) {
    return;
  }
  std::vector<internal::NewCommand> commands;
  std::vector<std::string> instance_ids;
  for (const Pending* p : placed) {
    ReservedHost& host = reserved.at(p->placement->host_id);
    commands.push_back(
        {p->placement->host_id, host.first_sequence++, "LAUNCH", p->placement->task_id});
    instance_ids.push_back(host.instance_id);
  }
  internal::InsertCommands(tx, commands);
  internal::NotifyHosts(tx, std::move(instance_ids));
}

// A row of kHosts or kHostSlice (their first eleven columns agree).
HostCapacity RowToHostCapacity(const pqxx::row& row) {
  HostCapacity host;
  host.host_id = row[0].as<int64_t>();
  host.availability_zone = row[1].as<std::string>();
  host.status = row[2].as<std::string>();
  host.total = {row[3].as<int32_t>(), row[4].as<int32_t>(), row[5].as<int32_t>(),
                row[6].as<int32_t>()};
  host.used = {row[7].as<int32_t>(), row[8].as<int32_t>(), row[9].as<int32_t>(),
               row[10].as<int32_t>()};
  return host;
}

std::vector<SubnetCapacity> ReadSubnetCapacity(pqxx::work& tx) {
  std::vector<SubnetCapacity> subnets;
  for (const pqxx::row& row : tx.exec_prepared("placement_subnets")) {
    subnets.push_back({row[0].as<std::string>(), row[1].as<std::string>(), row[2].as<int32_t>()});
  }
  return subnets;
}

}  // namespace

namespace internal {
const std::vector<Statement>& PlacementStatements() {
  static const std::vector<Statement> kStatements = {
      {"placement_hosts", kHosts},
      {"placement_host_slice", kHostSlice},
      {"placement_subnets", kSubnets},
      {"placement_group_counts", kGroupCounts},
      {"placement_waiting", kWaiting.c_str()},
      {"placement_bind_tokens", kBindTokens},
      {"placement_claim_waiting", kClaimWaiting},
      {"placement_lock_hosts", kLockHosts},
      {"placement_reserve_hosts", kReserveHosts},
      {"placement_unreserve_hosts", kUnreserveHosts},
      {"placement_lock_subnet", kLockSubnet},
      {"placement_take_freed", kTakeFreed},
      {"placement_advance_subnet", kAdvanceSubnet},
      {"placement_insert_tasks", kInsertTasks},
      {"placement_place_waiting", kPlaceWaiting},
      {"placement_insert_enis", kInsertEnis},
      {"placement_select_round", kSelectRound.c_str()},
      {"placement_expire", kExpire},
  };
  return kStatements;
}
}  // namespace internal

absl::StatusOr<CapacitySnapshot> LoadCapacity(Connection& connection) {
  return internal::InTransaction(
      connection, "load capacity", [&](pqxx::work& tx) -> absl::StatusOr<CapacitySnapshot> {
        CapacitySnapshot snapshot;
        for (const pqxx::row& row : internal::ScanTable(tx, "placement_hosts")) {
          snapshot.hosts.push_back(RowToHostCapacity(row));
        }
        snapshot.subnets = ReadSubnetCapacity(tx);
        for (const pqxx::row& row : tx.exec_prepared("placement_group_counts")) {
          snapshot.group_counts.push_back({row[0].as<std::string>(), row[1].as<std::string>(),
                                           row[2].as<std::string>(), row[3].as<std::string>(),
                                           row[4].as<int64_t>()});
        }
        return snapshot;
      });
}

absl::StatusOr<CapacitySlice> LoadCapacitySlice(Connection& connection, int64_t after_host_id,
                                                int limit) {
  return internal::InTransaction(
      connection, "load capacity slice", [&](pqxx::work& tx) -> absl::StatusOr<CapacitySlice> {
        CapacitySlice slice;
        for (const pqxx::row& row :
             tx.exec_prepared("placement_host_slice", after_host_id, limit)) {
          HostCapacity host = RowToHostCapacity(row);
          slice.last_host_id = host.host_id;
          if (host.status == "INACTIVE" || !row[11].as<bool>()) {
            slice.gone.push_back(host.host_id);
          } else {
            slice.hosts.push_back(std::move(host));
          }
        }
        slice.subnets = ReadSubnetCapacity(tx);
        return slice;
      });
}

absl::StatusOr<std::vector<TaskRow>> LoadWaitingTasks(Connection& connection, int limit) {
  return internal::InTransaction(
      connection, "load waiting tasks",
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<TaskRow>> {
        std::vector<TaskRow> tasks;
        for (const pqxx::row& row : tx.exec_prepared("placement_waiting", limit)) {
          GANTRY_ASSIGN_OR_RETURN(TaskRow task, internal::RowToTask(row));
          tasks.push_back(std::move(task));
        }
        return tasks;
      });
}

absl::StatusOr<RoundResult> CommitRound(Connection& connection, const Round& round) {
  return internal::InTransaction(
      connection, "commit placements", [&](pqxx::work& tx) -> absl::StatusOr<RoundResult> {
        RoundResult result;
        // Tasks of a call whose token was bound earlier are not created at all.
        absl::flat_hash_set<std::string> skipped;
        result.lost_tokens = BindTokens(tx, round.tokens);
        for (size_t index : result.lost_tokens) {
          for (const std::string& id : round.tokens[index].task_ids) {
            skipped.insert(id);
          }
        }
        std::vector<Pending> pending = CollectPending(round, skipped);
        std::vector<Pending*> live = ClaimWaiting(tx, pending, &result);
        ReservedHosts reserved;
        std::vector<Pending*> hosted = ReserveHosts(tx, live, &reserved, &result);
        std::vector<Pending*> placed = AddressTasks(tx, hosted, &result);
        std::vector<std::string> placed_waiting = WriteTasks(tx, round, skipped, placed);
        QueueLaunches(tx, placed, reserved);

        std::vector<std::string> touched = placed_waiting;
        for (const NewTask& task : round.new_tasks) {
          if (!skipped.contains(task.task_id)) {
            touched.push_back(task.task_id);
          }
        }
        if (!touched.empty()) {
          for (const pqxx::row& row :
               tx.exec_prepared("placement_select_round", ToTextArray(touched))) {
            GANTRY_ASSIGN_OR_RETURN(TaskRow task, internal::RowToTask(row));
            result.tasks.push_back(std::move(task));
          }
        }
        return result;
      });
}

absl::StatusOr<std::vector<std::string>> ExpireWaitingTasks(Connection& connection,
                                                            const std::vector<ExpiredTask>& tasks) {
  if (tasks.empty()) {
    return std::vector<std::string>();
  }
  return internal::InTransaction(
      connection, "expire waiting tasks",
      [&](pqxx::work& tx) -> absl::StatusOr<std::vector<std::string>> {
        std::vector<std::string> ids, reasons;
        for (const ExpiredTask& task : tasks) {
          ids.push_back(task.task_id);
          reasons.push_back(task.reason);
        }
        std::vector<std::string> stopped;
        for (const pqxx::row& row :
             tx.exec_prepared("placement_expire", ToTextArray(ids), ToTextArray(reasons))) {
          stopped.push_back(row[0].as<std::string>());
        }
        return stopped;
      });
}

}  // namespace gantry::storage
