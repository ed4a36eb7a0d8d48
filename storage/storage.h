// Storage: Gantry's durable state in PostgreSQL (via libpqxx), and the only place
// that holds SQL.
//
// - Connection: one libpq connection with every statement prepared at connect time.
//   A connection and what is made from it belong to one thread at a time.
// - Database: a fixed pool of worker threads, each owning one Connection, fed by a
//   bounded queue. Submit() never blocks: a full queue is UNAVAILABLE.
// - Migrate(): applies migrations/NNNN_*.sql in order, each in its own transaction
//   under an advisory lock, recording a SHA-256 checksum; a changed, already-applied
//   file stops startup.
// - Operations (clusters, task definitions): free functions taking a Connection&.
//   Each state change is one transaction. They block on the database and are meant to
//   run on a Database worker (or a test's own thread).
//
// Errors: libpqxx exceptions never leave this module. Unique violation ->
// ALREADY_EXISTS; foreign-key violation -> FAILED_PRECONDITION; serialization failure
// or deadlock -> retried (bounded), then ABORTED; broken connection -> UNAVAILABLE
// (the next use reconnects); in-doubt commit -> UNKNOWN; anything else -> INTERNAL.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "gantry/v1/ecs_tasks.pb.h"
#include "gantry/v1/ecs_types.pb.h"

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace pqxx {
class connection_base;
}  // namespace pqxx

namespace gantry::storage {

// Bounds on every statement of a Connection's session (zero: as the connection string
// or the server sets it),
// applied again after each reconnect. A statement over `statement_timeout` is
// DEADLINE_EXCEEDED; a lock wait over `lock_timeout` is UNAVAILABLE.
struct ConnectionLimits {
  absl::Duration statement_timeout = absl::ZeroDuration();
  absl::Duration lock_timeout = absl::ZeroDuration();
};

class Connection {
 public:
  // Connects and prepares every statement. UNAVAILABLE when the server is unreachable.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(std::string conninfo,
                                                          ConnectionLimits limits = {});
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The live connection, reconnecting (and re-preparing) first if it was lost.
  // UNAVAILABLE when the server cannot be reached. For storage's own use.
  absl::StatusOr<pqxx::connection_base*> Get();
  // Drops the connection after a broken-connection error; Get() reconnects.
  void MarkBroken();

 private:
  // pqxx::connection_base has no virtual destructor: delete the concrete type.
  struct Deleter {
    void operator()(pqxx::connection_base* conn) const;
  };
  Connection(std::string conninfo, ConnectionLimits limits);
  std::string conninfo_;
  ConnectionLimits limits_;
  std::unique_ptr<pqxx::connection_base, Deleter> conn_;
};

class Database {
 public:
  struct Options {
    std::string conninfo;
    int workers = 4;
    // Requests waiting for a worker beyond this are refused with UNAVAILABLE.
    int queue_capacity = 4096;
  };
  // Opens one connection per worker and starts the workers.
  static absl::StatusOr<std::unique_ptr<Database>> Open(const Options& options);
  // Shutdown(), then destroys the connections.
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Queues `work` to run on a worker with that worker's connection. Never blocks.
  // UNAVAILABLE when the queue is full or the database is shutting down; `work` is
  // then dropped without being called.
  absl::Status Submit(std::function<void(Connection&)> work);

  // Stops accepting work, runs what is queued, joins the workers. Idempotent.
  void Shutdown();

 private:
  explicit Database(Options options);
  void WorkerLoop(Connection* connection);

  const Options options_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::vector<std::thread> workers_;
  absl::Mutex mu_;
  std::deque<std::function<void(Connection&)>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
};

// ---- Migrations ----------------------------------------------------------------

struct Migration {
  int32_t version = 0;  // NNNN from the file name
  std::string name;     // the rest of the file name, without .sql
  std::string sql;
};

// The migrations/ files compiled into the binary, in version order.
const std::vector<Migration>& BuiltinMigrations();

// Applies every migration not yet applied, in order; each in its own transaction under
// a transaction-scoped advisory lock, so concurrent starters are safe. Returns the
// versions applied now. FAILED_PRECONDITION when an applied migration's checksum
// differs from the file's, or the database has migrations this binary does not know.
absl::StatusOr<std::vector<int32_t>> Migrate(Connection& connection,
                                             const std::vector<Migration>& migrations);

// ---- Clusters -----------------------------------------------------------------

struct ClusterRow {
  std::string account_id;
  std::string name;
  std::string status;
  // What the creator asked for: settings, configuration, tags, capacity providers,
  // default strategy, service-connect defaults (other members unset).
  gantry::v1::Cluster spec;
  absl::Time created_at;
  // Filled by GetClusters: tasks RUNNING, and tasks not yet RUNNING nor stopped.
  int32_t running_tasks = 0;
  int32_t pending_tasks = 0;
};

// Creates an ACTIVE cluster, or returns the existing ACTIVE one of that name unchanged
// (ECS's CreateCluster is idempotent).
absl::StatusOr<ClusterRow> CreateCluster(Connection& connection, std::string_view account_id,
                                         std::string_view name, const gantry::v1::Cluster& spec);

// The clusters among `names` that exist, in no particular order; with their task
// counts when `with_task_counts` (an extra query over the clusters' live tasks).
absl::StatusOr<std::vector<ClusterRow>> GetClusters(Connection& connection,
                                                    std::string_view account_id,
                                                    const std::vector<std::string>& names,
                                                    bool with_task_counts = false);

// Cluster names in ascending order, strictly after `after`, at most `limit`.
absl::StatusOr<std::vector<std::string>> ListClusterNames(Connection& connection,
                                                          std::string_view account_id,
                                                          std::string_view after, int limit);

// ---- Task definitions -------------------------------------------------------

struct TaskDefinitionRow {
  std::string account_id;
  std::string family;
  int32_t revision = 0;
  std::string status;               // ACTIVE, INACTIVE, DELETE_IN_PROGRESS
  gantry::v1::TaskDefinition body;  // the normalised definition (members 1-17)
  std::vector<gantry::v1::Tag> tags;
  absl::Time registered_at;
  std::string registered_by;
  std::optional<absl::Time> deregistered_at;
};

// Stores `body` as the next revision of its family (body.family()), in one
// transaction. Revisions start at 1 and stay gap-free under concurrent registrations
// of one family: the family row is locked while its counter moves.
// RESOURCE_EXHAUSTED when the family has reached 1,000,000 revisions.
absl::StatusOr<TaskDefinitionRow> RegisterTaskDefinition(Connection& connection,
                                                         std::string_view account_id,
                                                         const gantry::v1::TaskDefinition& body,
                                                         const std::vector<gantry::v1::Tag>& tags,
                                                         std::string_view registered_by);

// One revision, or with no revision the latest ACTIVE one. NOT_FOUND otherwise.
absl::StatusOr<TaskDefinitionRow> GetTaskDefinition(Connection& connection,
                                                    std::string_view account_id,
                                                    std::string_view family,
                                                    std::optional<int32_t> revision);

// ACTIVE -> INACTIVE, setting deregistered_at; an INACTIVE revision is returned as is.
// NOT_FOUND when the revision does not exist.
absl::StatusOr<TaskDefinitionRow> DeregisterTaskDefinition(Connection& connection,
                                                           std::string_view account_id,
                                                           std::string_view family,
                                                           int32_t revision);

struct TaskDefinitionKey {
  std::string family;
  int32_t revision = 0;
  friend bool operator==(const TaskDefinitionKey&, const TaskDefinitionKey&) = default;
};

struct ListTaskDefinitionsQuery {
  std::optional<std::string> family;  // exact family (ECS's familyPrefix)
  std::string status = "ACTIVE";
  bool descending = false;
  std::optional<TaskDefinitionKey> after;  // keyset cursor: strictly after this key
  int limit = 100;
};

// Keys ordered by (family, revision), ascending or descending.
absl::StatusOr<std::vector<TaskDefinitionKey>> ListTaskDefinitions(
    Connection& connection, std::string_view account_id, const ListTaskDefinitionsQuery& query);

struct ListFamiliesQuery {
  std::string prefix;
  // ACTIVE: at least one ACTIVE revision; INACTIVE: none; ALL (or empty): every family.
  std::string status = "ALL";
  std::string after;  // strictly after this family name
  int limit = 100;
};

absl::StatusOr<std::vector<std::string>> ListTaskDefinitionFamilies(Connection& connection,
                                                                    std::string_view account_id,
                                                                    const ListFamiliesQuery& query);

// ---- Networks (networks.cc) ----------------------------------------------------

struct VpcRow {
  std::string vpc_id;
  std::string account_id;
  std::string cidr_block;  // canonical, e.g. "10.0.0.0/16"
  std::string state;
  absl::Time created_at;
};

struct SubnetRow {
  std::string subnet_id;
  std::string account_id;
  std::string vpc_id;
  std::string cidr_block;
  std::string availability_zone;
  int32_t usable_addresses = 0;  // 2^(32-prefix) - 5
  int32_t addresses_in_use = 0;
  std::string state;
  absl::Time created_at;
};

struct SecurityGroupRow {
  std::string group_id;
  std::string account_id;
  std::string vpc_id;
  std::string group_name;
  std::string description;
  absl::Time created_at;
};

// Creates a VPC with a canonical /16../28 `cidr_block` and its security group named
// "default" (as EC2 does), in one transaction. Ids are generated here.
absl::StatusOr<VpcRow> CreateVpc(Connection& connection, std::string_view account_id,
                                 std::string_view cidr_block);
// The VPCs among `vpc_ids` (all of the account's when empty), ordered by id.
absl::StatusOr<std::vector<VpcRow>> GetVpcs(Connection& connection, std::string_view account_id,
                                            const std::vector<std::string>& vpc_ids);

// Creates a subnet: NOT_FOUND for an unknown VPC; INVALID_ARGUMENT when the CIDR is
// not inside the VPC's or overlaps another subnet of the VPC (the VPC row is locked
// while checking, so concurrent creations cannot overlap).
absl::StatusOr<SubnetRow> CreateSubnet(Connection& connection, std::string_view account_id,
                                       std::string_view vpc_id, std::string_view cidr_block,
                                       std::string_view availability_zone);
// The subnets among `subnet_ids` that exist (all of the account's when empty), by id.
absl::StatusOr<std::vector<SubnetRow>> GetSubnets(Connection& connection,
                                                  std::string_view account_id,
                                                  const std::vector<std::string>& subnet_ids);
// NOT_FOUND for an unknown subnet; FAILED_PRECONDITION while any address in it is in
// use (naming how many).
absl::Status DeleteSubnet(Connection& connection, std::string_view account_id,
                          std::string_view subnet_id);

// NOT_FOUND for an unknown VPC; ALREADY_EXISTS when the VPC has a group of that name
// (case-insensitive).
absl::StatusOr<SecurityGroupRow> CreateSecurityGroup(Connection& connection,
                                                     std::string_view account_id,
                                                     std::string_view vpc_id,
                                                     std::string_view group_name,
                                                     std::string_view description);
// The groups among `group_ids` that exist (all of the account's when empty), by id.
absl::StatusOr<std::vector<SecurityGroupRow>> GetSecurityGroups(
    Connection& connection, std::string_view account_id, const std::vector<std::string>& group_ids);

// The availability zones `account_id` sees: every zone that has a host which is not
// INACTIVE (the fleet is shared by all accounts), and the zones of the account's
// subnets. Distinct, in ascending order.
absl::StatusOr<std::vector<std::string>> GetAvailabilityZones(Connection& connection,
                                                              std::string_view account_id);

// A task's ENI as it exists now (from placement until the task's address is released).
struct NetworkInterfaceRow {
  struct Group {
    std::string group_id;
    std::optional<std::string> group_name;  // unset when the account has no such group
  };
  std::string eni_id;
  std::string account_id;
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  std::string private_ipv4;  // e.g. "10.0.1.23"
  std::string mac_address;   // e.g. "0a:1b:2c:3d:4e:5f"
  std::string private_dns_name;
  std::string task_id;
  std::string attachment_id;           // the ECS attachment (the task's attachments[].id)
  std::vector<Group> security_groups;  // in the order RunTask gave them
};

// The ENIs among `eni_ids` that exist in the account (all of the account's when
// empty), by id.
absl::StatusOr<std::vector<NetworkInterfaceRow>> GetNetworkInterfaces(
    Connection& connection, std::string_view account_id, const std::vector<std::string>& eni_ids);

// ---- Hosts (hosts.cc) ---------------------------------------------------------

struct HostResources {
  int32_t cpu_units = 0;
  int32_t memory_mib = 0;
  int32_t ephemeral_storage_gib = 0;
  int32_t enis = 0;
};

struct HostRow {
  int64_t host_id = 0;      // compact key used by the scheduler
  std::string instance_id;  // 32 hex digits, the id in the container-instance ARN
  std::string availability_zone;
  std::string status;  // ACTIVE, DRAINING, INACTIVE
  HostResources total;
  HostResources used;
  std::string agent_version;
  std::string host_name;
  absl::Time registered_at;
  absl::Time last_seen_at;
  int64_t version = 1;
  // False once the host was declared lost (missed heartbeats); set again when its agent
  // reconnects.
  bool agent_connected = true;
  std::optional<absl::Time> lost_at;
  int32_t running_tasks = 0;  // tasks holding resources with lastStatus RUNNING
  int32_t pending_tasks = 0;  // tasks holding resources in any other status
};

struct NewHost {
  std::string availability_zone;
  HostResources total;
  std::string agent_version;
  std::string host_name;
};

// Registers a new ACTIVE host with nothing used; generates its instance id.
absl::StatusOr<HostRow> RegisterHost(Connection& connection, const NewHost& host);
// The hosts among `instance_ids` that exist, with their task counts.
absl::StatusOr<std::vector<HostRow>> GetHosts(Connection& connection,
                                              const std::vector<std::string>& instance_ids);
// ACTIVE <-> DRAINING for the hosts among `instance_ids` that exist (others are left
// out of the result); a host already in `status` is returned unchanged. Returns them
// as GetHosts does. INVALID_ARGUMENT for another status.
absl::StatusOr<std::vector<HostRow>> UpdateHostStatus(Connection& connection,
                                                      const std::vector<std::string>& instance_ids,
                                                      std::string_view status);
// Instance ids in ascending order strictly after `after`, at most `limit`, optionally
// only those with `status`.
absl::StatusOr<std::vector<std::string>> ListHostIds(Connection& connection,
                                                     std::optional<std::string> status,
                                                     std::string_view after, int limit);

// ---- Tasks (tasks.cc, placements.cc) ------------------------------------------

// A task as RunTask creates it, before placement.
struct NewTask {
  std::string task_id;  // 32 lowercase hex digits
  std::string account_id;
  std::string cluster;
  std::string family;
  int32_t revision = 0;
  std::string group;
  std::optional<std::string> started_by;
  int32_t cpu_units = 0;
  int32_t memory_mib = 0;
  int32_t ephemeral_storage_gib = 20;
  std::vector<std::string> subnet_ids;  // candidates; their zones are the candidate zones
  std::vector<std::string> security_group_ids;
  bool assign_public_ip = false;
  bool enable_execute_command = false;
  gantry::v1::TaskOverride overrides;
  std::vector<gantry::v1::Tag> tags;
  // One per container definition: name, image, cpu, memory, container ARN (fixed at
  // creation).
  std::vector<gantry::v1::Container> containers;
};

// Where a placed task runs and the ENI it got.
struct TaskPlacement {
  int64_t host_id = 0;
  std::string instance_id;  // the host's public id
  std::string availability_zone;
  std::string subnet_id;
  std::string eni_id;
  std::string attachment_id;
  std::string private_ipv4;
  std::string mac_address;
  std::string private_dns_name;
};

struct TaskRow {
  NewTask spec;
  std::optional<TaskPlacement> placement;  // unset while waiting for capacity
  bool holds_resources = false;
  std::string last_status;
  std::string desired_status;
  absl::Time created_at;
  std::optional<absl::Time> placed_at;
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
  std::optional<absl::Time> started_at;
  std::optional<absl::Time> stopping_at;
  std::optional<absl::Time> execution_stopped_at;
  std::optional<absl::Time> stopped_at;
  std::optional<std::string> stop_code;
  std::optional<std::string> stopped_reason;
  int64_t version = 1;
  // When the host's agent received the launch command; unset before.
  std::optional<absl::Time> delivered_at;
  // From its essential containers' health (lifecycle::TaskHealth), as last reported.
  std::string health_status = "UNKNOWN";
};

// Tasks as DescribeTasks reads them: those among `task_ids` in the cluster.
absl::StatusOr<std::vector<TaskRow>> GetTasks(Connection& connection, std::string_view account_id,
                                              std::string_view cluster,
                                              const std::vector<std::string>& task_ids);

struct ListTasksQuery {
  std::string cluster;
  std::optional<std::string> family;
  std::optional<std::string> started_by;
  std::optional<std::string> instance_id;  // container instance
  std::string desired_status = "RUNNING";
  std::string after;  // keyset cursor: task ids strictly after this
  int limit = 100;
};
// Task ids in ascending order.
absl::StatusOr<std::vector<std::string>> ListTaskIds(Connection& connection,
                                                     std::string_view account_id,
                                                     const ListTasksQuery& query);

struct StopResult {
  TaskRow task;
  // The task's host resources and address were released now: capacity appeared.
  bool released = false;
};
// StopTask. A task whose launch no agent has received yet (waiting for capacity, or
// placed but not delivered) stops at once: STOPPED, resources and address released,
// its pending LAUNCH command deleted, all in one transaction. Otherwise desiredStatus
// becomes STOPPED and a STOP command is queued for the host's agent (with NOTIFY), as
// lifecycle::RequestStop: stoppingAt is the request's time and the first stop code and
// reason win. Stopping a stopped task, or one already desired STOPPED, returns it
// unchanged. NOT_FOUND when the cluster has no such task.
absl::StatusOr<StopResult> StopTask(Connection& connection, std::string_view account_id,
                                    std::string_view cluster, std::string_view task_id,
                                    std::string_view stop_code, std::string_view reason);

// The tasks a clientToken created, or nullopt when the token is unused.
struct TokenBinding {
  std::string fingerprint;
  std::vector<std::string> task_ids;
};
absl::StatusOr<std::optional<TokenBinding>> GetRunTaskToken(Connection& connection,
                                                            std::string_view account_id,
                                                            std::string_view client_token);
// The tasks with these ids (any cluster of the account), in no particular order.
absl::StatusOr<std::vector<TaskRow>> GetTasksById(Connection& connection,
                                                  std::string_view account_id,
                                                  const std::vector<std::string>& task_ids);
// The same across all accounts (task ids are unique); for the agent protocol, whose
// hosts run tasks of every account.
absl::StatusOr<std::vector<TaskRow>> GetTasksByIdInAnyAccount(
    Connection& connection, const std::vector<std::string>& task_ids);

// ---- Placement rounds (placements.cc) -------------------------------------------

// The scheduler's view of capacity, read in one snapshot. Hosts that are INACTIVE or
// whose agent is not connected (lost) are left out: they take no tasks, and hold none (a
// lost host's tasks were stopped when it was lost).
struct HostCapacity {
  int64_t host_id = 0;
  std::string availability_zone;
  std::string status;  // ACTIVE or DRAINING
  HostResources total;
  HostResources used;
};
struct SubnetCapacity {
  std::string subnet_id;
  std::string availability_zone;
  int32_t free_addresses = 0;
};
struct GroupZoneCount {
  std::string account_id;
  std::string cluster;
  std::string group;
  std::string availability_zone;
  int64_t tasks = 0;
};
struct CapacitySnapshot {
  std::vector<HostCapacity> hosts;
  std::vector<SubnetCapacity> subnets;
  std::vector<GroupZoneCount> group_counts;  // tasks holding resources
};
absl::StatusOr<CapacitySnapshot> LoadCapacity(Connection& connection);

// Part of the view, re-read between full loads: up to `limit` hosts with ids above
// `after_host_id` in id order, and every subnet. Hosts that LoadCapacity leaves out
// (INACTIVE, agent not connected) come in `gone`.
struct CapacitySlice {
  std::vector<HostCapacity> hosts;
  std::vector<int64_t> gone;
  std::vector<SubnetCapacity> subnets;
  int64_t last_host_id = 0;  // the highest id read; 0 when none
};
absl::StatusOr<CapacitySlice> LoadCapacitySlice(Connection& connection, int64_t after_host_id,
                                                int limit);

// Tasks waiting for capacity (PROVISIONING, not placed), oldest first, at most `limit`.
absl::StatusOr<std::vector<TaskRow>> LoadWaitingTasks(Connection& connection, int limit);

struct RoundPlacement {
  std::string task_id;
  int64_t host_id = 0;
  std::string subnet_id;
  std::string availability_zone;
};
struct TokenClaim {
  std::string account_id;
  std::string client_token;
  std::string fingerprint;
  std::vector<std::string> task_ids;  // the new tasks of that RunTask call
};
// What one scheduler round commits, in one transaction.
struct Round {
  std::string region;  // for ENI DNS names
  std::vector<TokenClaim> tokens;
  std::vector<NewTask> new_tasks;  // inserted; waiting unless placed below
  // Placements of new tasks and of tasks already waiting in the database.
  std::vector<RoundPlacement> placements;
};
struct RoundResult {
  // Indexes into Round::tokens already bound by an earlier call: their tasks were
  // not inserted.
  std::vector<size_t> lost_tokens;
  // Placements refused by the database (the view was stale: host full or no longer
  // ACTIVE, subnet out of addresses, waiting task taken or stopped by someone else).
  // New tasks among them were inserted as waiting.
  std::vector<std::string> displaced_task_ids;
  std::vector<int64_t> stale_hosts;
  std::vector<std::string> stale_subnets;
  // Every inserted task and every placed task, as committed.
  std::vector<TaskRow> tasks;
};
// Commits a round: binds tokens, claims waiting tasks (SKIP LOCKED), reserves host
// capacity with conditional updates (a host that no longer fits, is no longer ACTIVE or
// whose agent is not connected refuses all of the round's tasks for it), allocates
// addresses (released ones first, then never-used ones; no scan), inserts tasks and
// ENIs, and queues a LAUNCH command for every placed task (numbered per host in round
// order, NOTIFY at commit). Correct whatever the caller's view says: the checks are in
// SQL and in constraints.
absl::StatusOr<RoundResult> CommitRound(Connection& connection, const Round& round);

struct ExpiredTask {
  std::string task_id;
  std::string reason;
};
// Waiting tasks that ran out of time: STOPPED with TaskFailedToStart and `reason`.
// Tasks placed or stopped meanwhile are left alone. Returns the ids stopped.
absl::StatusOr<std::vector<std::string>> ExpireWaitingTasks(Connection& connection,
                                                            const std::vector<ExpiredTask>& tasks);

// ---- Fleet capacity (capacity.cc) ------------------------------------------------

// One host as the capacity view sees it, lost or not.
struct FleetHost {
  int64_t host_id = 0;
  std::string availability_zone;
  std::string status;  // ACTIVE, DRAINING, INACTIVE
  bool agent_connected = true;
  HostResources total;
  HostResources used;
};

struct FleetSubnet {
  std::string subnet_id;
  std::string vpc_id;
  std::string availability_zone;
  std::string cidr_block;
  int32_t usable_addresses = 0;  // 2^(32-prefix) - 5
  int32_t addresses_in_use = 0;
};

// Placed tasks that are not STOPPED, by zone and lastStatus.
struct ZoneStatusCount {
  std::string availability_zone;
  std::string last_status;
  int32_t tasks = 0;
};

// A task waiting for capacity: what placement needs to explain it.
struct WaitingTask {
  std::string task_id;
  std::string account_id;
  std::string cluster;
  // Of the cluster the view counts (every task when it counts all). Tasks of other
  // clusters are there because they are ahead in the queue: they take room first.
  bool counted = true;
  std::string group;
  HostResources needs;  // enis = 1
  std::vector<std::string> subnet_ids;
  absl::Time created_at;
};

struct FleetSnapshot {
  absl::Time taken_at;  // the snapshot's time (its transaction's start)
  std::vector<FleetHost> hosts;
  std::vector<FleetSubnet> subnets;  // by zone, then id
  std::vector<ZoneStatusCount> placed_tasks;
  // Waiting tasks per zone of their candidate subnets (a task counts once per zone).
  std::vector<std::pair<std::string, int32_t>> waiting_by_zone;
  int32_t waiting_total = 0;  // counted ones only
  // The oldest waiting tasks of every cluster in queue order, at most the limit asked for.
  std::vector<WaitingTask> waiting;
  // Tasks holding resources per spread group and zone, as the scheduler reads them.
  std::vector<GroupZoneCount> group_counts;
};

// Which tasks a capacity view counts: one cluster's, or (unset) every task.
struct ClusterKey {
  std::string account_id;
  std::string name;
};

// Every host, every subnet, task counts, group counts and the oldest `waiting_limit`
// waiting tasks (of every cluster: those of other clusters ahead in the queue take room
// first), in
// one REPEATABLE READ, read-only transaction, so the figures agree with each other (a
// task counted as placed holds exactly the share its host's `used` includes). NOT_FOUND
// when `cluster` is given and does not exist.
absl::StatusOr<FleetSnapshot> ReadFleetSnapshot(Connection& connection,
                                                const std::optional<ClusterKey>& cluster,
                                                int waiting_limit);

// ---- The agent protocol (agents.cc) ----------------------------------------------
//
// Commands are rows of host_commands, numbered per host under the host's row lock (so
// sequence order is commit order). CommitRound adds a LAUNCH command for every task it
// places; StopTask adds a STOP command for a task an agent already received. Every
// transaction that adds commands also sends NOTIFY on kCommandsChannel with the hosts'
// instance ids (comma-separated, several notifications when many), delivered at commit;
// so does MarkLostHosts for the hosts it declares lost (their polls must learn it).
// Other changes every replica must follow share the channel, as tokens with a prefix:
// log requests and answers (kLogRequestToken, kLogAnswerToken) and access keys
// (kAccessKeyToken).

inline constexpr char kCommandsChannel[] = "gantry_commands";

// A container's state as its agent reports it.
struct ContainerReport {
  std::string name;
  std::string status;  // PENDING, RUNNING, STOPPED
  std::optional<int32_t> exit_code;
  std::string reason;
  std::string runtime_id;
  std::string image_digest;
  std::string health_status;
  std::vector<gantry::v1::NetworkBinding> network_bindings;
};

// A task's state as its agent reports it (lifecycle::Report plus the containers).
struct TaskReport {
  std::string task_id;
  std::string status;  // a lifecycle TaskStatus name
  absl::Time at;
  std::optional<std::string> reason;
  std::optional<absl::Time> pull_started_at;
  std::optional<absl::Time> pull_stopped_at;
  std::vector<ContainerReport> containers;
};

enum class ReportOutcome {
  kApplied,    // the task moved forward or its containers changed
  kDuplicate,  // nothing new
  kStale,      // older than what is stored
  kUnknown,    // no such task on this host (or not a task status): the agent should stop it
};

struct ReportResult {
  std::string task_id;
  ReportOutcome outcome = ReportOutcome::kStale;
  std::string desired_status;  // RUNNING or STOPPED; STOPPED for kUnknown
};

struct ReportsApplied {
  std::vector<ReportResult> results;  // one per report, in order
  // Some task reached STOPPED and gave its host share and address back.
  bool released = false;
};

// Applies reports from the agent of host `instance_id`, oldest first, in one
// transaction: each through lifecycle::ApplyReport under the task's row lock. A report
// naming a container that is essential in the task definition as STOPPED while the
// task is desired RUNNING (and has run: before that it is a failure to start, which
// ApplyReport records as TaskFailedToStart with the agent's reason) first records a
// stop (EssentialContainerExited, "Essential container in task exited"). Reaching
// STOPPED releases the task's host share and address (never earlier) and deletes its
// pending commands. Reported container states, exit codes, reasons and runtime ids
// are stored on the task (not from a stale report; a container's status never moves
// back); a duplicate report that changes containers counts as kApplied.
// NOT_FOUND for an unknown host.
absl::StatusOr<ReportsApplied> ApplyTaskReports(Connection& connection,
                                                std::string_view instance_id,
                                                const std::vector<TaskReport>& reports);

struct ReconnectResult {
  HostRow host;
  // Reported tasks the agent must stop: desired STOPPED, already STOPPED, or unknown.
  std::vector<std::string> stop_task_ids;
  // Tasks that were on the host, whose launch the agent had acknowledged, and that it
  // no longer holds: now STOPPED (TaskFailedToStart if they never ran, else
  // InfrastructureHealth) with a reason naming the host.
  std::vector<std::string> lost_task_ids;
  bool released = false;  // capacity came back
};

// An agent reconnecting with the tasks it holds, in one transaction: marks the host
// connected and seen (a lost host comes back empty, its status as it was, so it takes
// tasks again unless DRAINING), applies `reports` as
// ApplyTaskReports would, stops the tasks it lost. Tasks whose launch command is still
// pending are left alone: the agent gets that command again. NOT_FOUND for an unknown
// host.
absl::StatusOr<ReconnectResult> ReconnectHost(Connection& connection, std::string_view instance_id,
                                              const std::vector<TaskReport>& reports);

// What a LAUNCH command carries beyond the task row.
struct LaunchDetails {
  gantry::v1::TaskDefinition definition;  // the task's revision, normalised
  std::string vpc_id;
  std::string vpc_cidr_block;
  std::string subnet_cidr_block;
  std::vector<std::string> security_group_ids;
};

struct PendingCommand {
  int64_t sequence = 0;
  std::string kind;  // LAUNCH or STOP
  TaskRow task;
  std::optional<LaunchDetails> launch;  // set for LAUNCH
};

struct PolledCommands {
  std::string host_status;  // ACTIVE, DRAINING, INACTIVE
  bool agent_connected = true;
  std::vector<PendingCommand> commands;
  // Commands beyond this answer may be pending: the read stopped at `limit`, or it
  // dropped launches or found commands deleted meanwhile (so `commands` can be empty
  // while more wait). When set, the caller must not treat the host as having nothing
  // pending: read again (after handing these out).
  bool more_pending = false;
};

// The host's pending commands with sequence > `acked_sequence`, oldest first, at most
// `limit`, after deleting those <= `acked_sequence` (the acknowledgement), in one
// transaction that never writes the host row (heartbeats are RecordHeartbeats' job). LAUNCH tasks
// are marked delivered (delivered_at) as they are first handed out (handing one out again writes
// nothing), so a later StopTask goes through the agent; a launch whose task stopped meanwhile is
// dropped (deleted) instead of handed out. NOT_FOUND for an unknown host; FAILED_PRECONDITION,
// deleting nothing, when `acked_sequence` was never issued to the host (at or above
// its next sequence number: "ackedSequence: N was never issued to host X; the highest
// issued is M"); the agent should register again and acknowledge from 0.
absl::StatusOr<PolledCommands> TakeCommands(Connection& connection, std::string_view instance_id,
                                            int64_t acked_sequence, int limit);

// Deletes the host's commands with sequence <= `acked_sequence`. NOT_FOUND for an
// unknown host; FAILED_PRECONDITION, deleting nothing, as TakeCommands when
// `acked_sequence` was never issued.
absl::Status AckCommands(Connection& connection, std::string_view instance_id,
                         int64_t acked_sequence);

// Heartbeats: last_seen_at = now() for these hosts (unknown ids are ignored), in one
// transaction that never waits for a lock. A host whose last_seen_at is less than
// `min_age` old is left as it is (rewriting it gains nothing); a host whose row another
// transaction holds is skipped and, when `locked_ids` is given, listed there (replacing
// its contents on success; it may be `&instance_ids`). The caller must record those
// again on its next tick, or a host whose row was busy loses that heartbeat.
absl::Status RecordHeartbeats(Connection& connection, const std::vector<std::string>& instance_ids,
                              absl::Duration min_age = absl::Seconds(1),
                              std::vector<std::string>* locked_ids = nullptr);

struct LostHost {
  std::string instance_id;
  std::vector<std::string> stopped_task_ids;
};

// Declares lost every connected host not seen for `timeout` (at most `limit` per call,
// oldest first; rows locked by another gantryd are skipped): agent_connected = false,
// lost_at = now(), pending commands deleted, and every task on it that is not STOPPED
// goes to STOPPED with stopCode InfrastructureHealth (TaskFailedToStart if it never
// ran) and stoppedReason "Host <instance id> was lost: no heartbeat for <timeout>"
// (unless a stop was requested before: the first stop code and reason win), releasing
// its host share and address; NOTIFY on kCommandsChannel names the lost hosts, so every
// gantryd wakes their held polls. One transaction per call. Never waits for a host,
// task or command lock: a host with a task or command that another transaction holds
// is left for the next call.
absl::StatusOr<std::vector<LostHost>> MarkLostHosts(Connection& connection, absl::Duration timeout,
                                                    int limit);

// Listens for kCommandsChannel notifications on a connection and thread of its own.
// Calls `on_hosts` with the instance ids of each notification, and `on_reset` after
// every (re)connection: notifications sent while it was not listening are lost, so the
// caller must then assume any host may have pending commands. Reconnects with backoff.
// A connection that died silently is noticed too: after 5 s without a notification the
// listener probes it (SELECT 1) and reconnects when that fails; the connection uses TCP
// keepalives unless `conninfo` sets its own. Callbacks run on the listener's thread and
// must not block for long.
class CommandListener {
 public:
  // Connects and sends LISTEN before returning (notifications committed after Start
  // returns are not missed), then calls on_reset from the listener's thread.
  // UNAVAILABLE when that first connection fails.
  static absl::StatusOr<std::unique_ptr<CommandListener>> Start(
      std::string conninfo, std::function<void(const std::vector<std::string>&)> on_hosts,
      std::function<void()> on_reset);
  ~CommandListener();  // Stop()
  CommandListener(const CommandListener&) = delete;
  CommandListener& operator=(const CommandListener&) = delete;
  // Stops listening and joins the thread. Idempotent.
  void Stop();

 private:
  class Impl;
  explicit CommandListener(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- Accounts and access keys (accounts.cc) ------------------------------------

struct AccountRow {
  std::string account_id;  // 12 digits
  std::string name;
  bool is_admin = false;
  absl::Time created_at;
};

struct AccessKeyRow {
  std::string access_key_id;  // AKIA...
  std::string account_id;
  std::string kind;               // "user" | "agent"
  std::string sealed_secret;      // auth::SecretBox::Seal bytes; storage never looks inside
  std::string status = "Active";  // "Active" | "Inactive"
  absl::Time created_at;          // set by the database; ignored when creating
};

// Notification token on kCommandsChannel: "key:" + an access key id, sent by the
// transaction that stores or deletes that key, so that every gantryd replica's key ring
// follows.
inline constexpr char kAccessKeyToken[] = "key:";

// An account holds at most this many access keys, Active or Inactive.
inline constexpr int kMaxAccessKeysPerAccount = 10;

// Creates an account with its cluster named `default` (`default_cluster`), in one
// transaction. ALREADY_EXISTS when the id or the name is taken, the message naming
// which ("account 123456789012 already exists", "account name \"N\" already exists").
// Storage does not validate: an id that is not 12 digits or an empty name breaks a CHECK
// of the table, which is INTERNAL.
absl::StatusOr<AccountRow> CreateAccount(Connection& connection, std::string_view account_id,
                                         std::string_view name, bool is_admin,
                                         const gantry::v1::Cluster& default_cluster);

// For the startup admin account: creates the account when no account has this id and
// returns it. An existing account is returned unchanged (`name` is not applied), except
// that is_admin becomes true when `is_admin` asks for it. One transaction; idempotent and
// safe for several gantryd replicas starting at once. ALREADY_EXISTS when another account
// has the name.
absl::StatusOr<AccountRow> EnsureAccount(Connection& connection, std::string_view account_id,
                                         std::string_view name, bool is_admin);

// NOT_FOUND "account 123456789012 not found".
absl::StatusOr<AccountRow> GetAccount(Connection& connection, std::string_view account_id);

// Every account, ordered by account_id.
absl::StatusOr<std::vector<AccountRow>> ListAccounts(Connection& connection);

// Stores a new key (`key.created_at` is ignored) and returns it as stored, notifying
// kAccessKeyToken + its id. NOT_FOUND
// naming the account when it does not exist; ALREADY_EXISTS when the key id is taken;
// RESOURCE_EXHAUSTED naming kMaxAccessKeysPerAccount when the account already has that
// many keys; FAILED_PRECONDITION when a key of that id was deleted. One transaction holding the
// account's row lock, so concurrent creations for one account cannot exceed the limit. A kind or
// status outside the table's CHECKs is INTERNAL.
absl::StatusOr<AccessKeyRow> CreateAccessKey(Connection& connection, const AccessKeyRow& key);

// For the startup admin key: stores `key` as CreateAccessKey does unless a key with its
// id exists, and returns the stored row, which may differ from `key` in every column but
// the id (another secret, another account). NOT_FOUND and RESOURCE_EXHAUSTED (the limit
// holds here too) as CreateAccessKey; idempotent.
absl::StatusOr<AccessKeyRow> EnsureAccessKey(Connection& connection, const AccessKeyRow& key);

// Whether a key of this id was deleted (DeleteAccessKey).
absl::StatusOr<bool> AccessKeyWasDeleted(Connection& connection, std::string_view access_key_id);

// The key as stored. NOT_FOUND "access key AKIA... not found".
absl::StatusOr<AccessKeyRow> GetAccessKey(Connection& connection, std::string_view access_key_id);

// The keys of one account (of every account when `account_id` is empty), ordered by
// account_id, then access_key_id. An account that does not exist has no keys.
absl::StatusOr<std::vector<AccessKeyRow>> ListAccessKeys(Connection& connection,
                                                         std::string_view account_id);

// Deletes a key and returns the row it had, notifying kAccessKeyToken + its id. Its id
// is remembered: storing a key of that id again is FAILED_PRECONDITION.
// NOT_FOUND "access key AKIA... not found".
absl::StatusOr<AccessKeyRow> DeleteAccessKey(Connection& connection,
                                             std::string_view access_key_id);

// ---- Task metrics (task_metrics.cc) -------------------------------------------------

// One task's resource usage as its agent sampled it (agent.proto, TaskMetrics).
struct TaskMetricsSample {
  std::string task_id;
  absl::Time sampled_at;
  int64_t interval_ms = 0;
  double cpu_utilized = 0;
  double cpu_seconds = 0;
  double memory_utilized_mib = 0;
  int64_t network_rx_bytes = 0;
  int64_t network_tx_bytes = 0;
  double network_rx_rate = 0;
  double network_tx_rate = 0;
  int64_t storage_read_bytes = 0;
  int64_t storage_write_bytes = 0;
  double ephemeral_utilized_mib = 0;
};

// A task with its latest stored sample: what the task reserved and its labels come from
// the task's row.
struct TaskMetricsRow {
  std::string task_id;
  std::string account_id;
  std::string cluster;
  std::string family;
  int revision = 0;
  std::string last_status;
  int cpu = 0;                              // units
  int memory = 0;                           // MiB
  int ephemeral_storage_gib = 0;            // GiB
  std::optional<TaskMetricsSample> sample;  // unset: nothing reported yet
};

// Keeps the latest sample of each task that was placed on host `instance_id` (samples
// of other tasks, of an unknown host, and samples not newer than the stored one are
// skipped), in one statement. Returns the tasks whose sample was stored, by task id.
// A task id given twice keeps its newest sample.
absl::StatusOr<std::vector<TaskMetricsRow>> StoreTaskMetrics(
    Connection& connection, std::string_view instance_id,
    const std::vector<TaskMetricsSample>& samples);

// The tasks among `task_ids` in the account's cluster, each with its latest sample, by
// task id. Tasks that do not exist there are left out.
absl::StatusOr<std::vector<TaskMetricsRow>> GetTaskMetrics(
    Connection& connection, std::string_view account_id, std::string_view cluster,
    const std::vector<std::string>& task_ids);

// ---- Log requests (task_logs.cc) -------------------------------------------------

// Notification tokens on kCommandsChannel besides instance ids: a log request for a
// host's agent ("logs:" + instance id) and an agent's answer ("answer:" + request id).
inline constexpr char kLogRequestToken[] = "logs:";
inline constexpr char kLogAnswerToken[] = "answer:";

struct LogRequestRow {
  std::string request_id;
  std::string task_id;
  std::string account_id;  // read by TakeLogRequests (the task's ARN); ignored by Create
  std::string cluster;     // the same
  std::string container;
  int64_t start_offset = -1;  // -1: the last max_bytes
  int32_t max_bytes = 0;
  int32_t wait_ms = 0;
};

struct LogAnswer {
  std::string data;  // raw bytes
  int64_t next_offset = 0;
  std::string error;  // empty: none
};

// Records a request for the agent of the host the task was placed on and notifies
// kLogRequestToken + its instance id; returns that instance id. FAILED_PRECONDITION when
// the task has no host (not placed yet) or its host was lost (no agent to ask).
// Requests older than ten minutes are deleted.
absl::StatusOr<std::string> CreateLogRequest(Connection& connection, const LogRequestRow& request);

// The host's requests not handed out yet, now marked handed out (each goes out once),
// oldest first, at most 1000.
absl::StatusOr<std::vector<LogRequestRow>> TakeLogRequests(Connection& connection,
                                                           std::string_view instance_id);

// Stores the agent's answer and notifies kLogAnswerToken + the request id. NOT_FOUND
// when the host has no such request (it was given up, or was for another host).
absl::Status SubmitLogAnswer(Connection& connection, std::string_view instance_id,
                             std::string_view request_id, const LogAnswer& answer);

// The answer, when there is one, and the request is deleted; nullopt while unanswered.
// NOT_FOUND when the request does not exist.
absl::StatusOr<std::optional<LogAnswer>> TakeLogAnswer(Connection& connection,
                                                       std::string_view request_id);

// Deletes the request (its caller gave up). No-op when it does not exist.
absl::Status DeleteLogRequest(Connection& connection, std::string_view request_id);

}  // namespace gantry::storage
