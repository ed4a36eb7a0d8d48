#include "tests/support/invariants.h"

#include <exception>

#include <pqxx/pqxx>

namespace gantry::testing {
namespace {

struct Check {
  const char* name;
  // Returns one row per violation, its first column describing it.
  const char* sql;
};

const Check kChecks[] = {
    {"host usage matches its tasks", R"sql(
      SELECT h.instance_id || ' used ' || h.cpu_used || '/' || h.memory_used || '/' ||
             h.storage_used || '/' || h.eni_used || ' but tasks hold ' ||
             coalesce(t.cpu, 0) || '/' || coalesce(t.mem, 0) || '/' || coalesce(t.sto, 0) ||
             '/' || coalesce(t.n, 0)
      FROM hosts h LEFT JOIN (
        SELECT host_id, sum(cpu) AS cpu, sum(memory) AS mem, sum(ephemeral_storage) AS sto,
               count(*) AS n
        FROM tasks WHERE holds_resources GROUP BY host_id) t USING (host_id)
      WHERE h.cpu_used <> coalesce(t.cpu, 0) OR h.memory_used <> coalesce(t.mem, 0)
         OR h.storage_used <> coalesce(t.sto, 0) OR h.eni_used <> coalesce(t.n, 0))sql"},
    {"host within capacity", R"sql(
      SELECT instance_id || ' over capacity' FROM hosts
      WHERE cpu_used > cpu_total OR memory_used > memory_total OR storage_used > storage_total
         OR eni_used > eni_total)sql"},
    {"holding task has its ENI", R"sql(
      SELECT t.task_id || ' holds resources without a matching ENI'
      FROM tasks t LEFT JOIN network_interfaces n ON n.task_id = t.task_id
      WHERE t.holds_resources AND (n.eni_id IS NULL OR n.eni_id <> t.eni_id
         OR n.private_ipv4 <> t.private_ipv4 OR n.subnet_id <> t.subnet_id))sql"},
    {"ENI belongs to a holding task", R"sql(
      SELECT n.eni_id || ' of task ' || n.task_id || ' whose task holds nothing'
      FROM network_interfaces n JOIN tasks t USING (task_id) WHERE NOT t.holds_resources)sql"},
    {"address inside subnet and not reserved", R"sql(
      SELECT n.eni_id || ' has ' || host(n.private_ipv4) || ' outside usable ' ||
             s.cidr_block::text
      FROM network_interfaces n JOIN subnets s USING (subnet_id)
      WHERE NOT (n.private_ipv4 << s.cidr_block)
         OR n.private_ipv4 - network(s.cidr_block)::inet < 4
         OR n.private_ipv4 - network(s.cidr_block)::inet > s.address_count - 2
         OR n.private_ipv4 - network(s.cidr_block)::inet <> n.address_offset)sql"},
    {"address held once", R"sql(
      SELECT host(private_ipv4) || ' held ' || count(*) || ' times'
      FROM network_interfaces GROUP BY subnet_id, private_ipv4 HAVING count(*) > 1)sql"},
    {"zones agree", R"sql(
      SELECT t.task_id || ' in ' || t.availability_zone || ' on a host in ' ||
             h.availability_zone || ' with a subnet in ' || s.availability_zone
      FROM tasks t JOIN hosts h USING (host_id) JOIN subnets s ON s.subnet_id = t.subnet_id
      WHERE t.holds_resources AND (t.availability_zone <> h.availability_zone
         OR t.availability_zone <> s.availability_zone))sql"},
    {"subnet usage matches its ENIs", R"sql(
      SELECT s.subnet_id || ' counts ' || s.addresses_in_use || ' in use but has ' ||
             coalesce(n.count, 0) || ' ENIs'
      FROM subnets s LEFT JOIN (SELECT subnet_id, count(*) FROM network_interfaces
                                GROUP BY subnet_id) n USING (subnet_id)
      WHERE s.addresses_in_use <> coalesce(n.count, 0))sql"},
    {"free addresses are free", R"sql(
      SELECT f.subnet_id || ' offset ' || f.address_offset || ' is free and in use or unused'
      FROM subnet_free_addresses f JOIN subnets s USING (subnet_id)
      WHERE f.address_offset >= s.next_offset OR EXISTS (
        SELECT 1 FROM network_interfaces n
        WHERE n.subnet_id = f.subnet_id AND n.address_offset = f.address_offset))sql"},
    {"stopped tasks hold nothing", R"sql(
      SELECT task_id || ' is STOPPED but holds resources' FROM tasks
      WHERE last_status = 'STOPPED' AND holds_resources)sql"},
    {"command is for a task on its host", R"sql(
      SELECT 'command ' || c.host_id || '/' || c.seq || ' for task ' || c.task_id ||
             ' on host ' || coalesce(t.host_id::text, 'none')
      FROM host_commands c JOIN tasks t USING (task_id)
      WHERE t.host_id IS DISTINCT FROM c.host_id)sql"},
    {"stopped tasks have no pending commands", R"sql(
      SELECT c.kind || ' ' || c.host_id || '/' || c.seq || ' for STOPPED task ' || c.task_id
      FROM host_commands c JOIN tasks t USING (task_id) WHERE t.last_status = 'STOPPED')sql"},
    {"command numbers below the host's next", R"sql(
      SELECT 'command ' || c.host_id || '/' || c.seq || ' not below next ' || h.next_command_seq
      FROM host_commands c JOIN hosts h USING (host_id) WHERE c.seq >= h.next_command_seq)sql"},
    {"a lost host has no pending commands", R"sql(
      SELECT c.kind || ' ' || c.host_id || '/' || c.seq || ' pending on lost host ' ||
             h.instance_id
      FROM host_commands c JOIN hosts h USING (host_id) WHERE NOT h.agent_connected)sql"},
    {"a lost host holds nothing", R"sql(
      SELECT t.task_id || ' is ' || t.last_status || ' on lost host ' || h.instance_id
      FROM tasks t JOIN hosts h USING (host_id)
      WHERE NOT h.agent_connected AND t.last_status <> 'STOPPED')sql"},
};

}  // namespace

std::vector<std::string> SchedulerInvariantViolations(const std::string& conninfo) {
  std::vector<std::string> violations;
  try {
    pqxx::connection connection(conninfo);
    pqxx::read_transaction tx(connection);
    for (const Check& check : kChecks) {
      for (const pqxx::row& row : tx.exec(check.sql)) {
        violations.push_back(std::string(check.name) + ": " + row[0].as<std::string>());
      }
    }
  } catch (const std::exception& error) {
    violations.push_back(std::string("cannot check invariants: ") + error.what());
  }
  return violations;
}

}  // namespace gantry::testing
