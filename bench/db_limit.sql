-- gantry-bench's database limit: a pgbench script doing, for :batch placements in one
-- transaction, the SQL a placement round minimally needs, on tables shaped like Gantry's
-- (schema gantry_bench_dblimit, which gantry-bench creates and drops):
--   1. one UPDATE reserving capacity on up to :batch random hosts, locked in id order
--      first (as Gantry does, so concurrent rounds queue instead of deadlocking);
--   2. one INSERT of :batch task rows (random 32-hex ids, a real task's containers JSON
--      parsed per row as Gantry's text parameters are);
--   3. one INSERT of their :batch ENI rows, each with a unique address and MAC.
-- Variables (pgbench -D): batch, hosts. Runs with -M prepared, so variables are parameters.
\set round random(1, 9000000000000000000)
BEGIN;
WITH picked AS (
  SELECT DISTINCT 1 + floor(random() * (:hosts)::int)::bigint AS host_id
  FROM generate_series(1, (:batch)::int)),
locked AS (
  SELECT h.host_id FROM gantry_bench_dblimit.hosts h JOIN picked p ON p.host_id = h.host_id
  ORDER BY h.host_id FOR NO KEY UPDATE OF h)
UPDATE gantry_bench_dblimit.hosts h
SET cpu_used = h.cpu_used + 512, memory_used = h.memory_used + 1024,
    storage_used = h.storage_used + 20, eni_used = h.eni_used + 1, version = h.version + 1
FROM locked l
WHERE h.host_id = l.host_id AND h.cpu_used + 512 <= h.cpu_total
  AND h.memory_used + 1024 <= h.memory_total AND h.storage_used + 20 <= h.storage_total
  AND h.eni_used + 1 <= h.eni_total;
INSERT INTO gantry_bench_dblimit.tasks
  (task_id, host_id, availability_zone, cpu, memory, last_status, placed_at, containers)
SELECT md5((:round)::bigint::text || '/' || g::text), 1 + ((:round)::bigint + g) % (:hosts)::int,
  'bench-' || chr(97 + g % 3), 512, 1024, 'PROVISIONING', now(), s.containers::jsonb
FROM generate_series(1, (:batch)::int) AS g, gantry_bench_dblimit.sample s;
INSERT INTO gantry_bench_dblimit.network_interfaces
  (eni_id, task_id, subnet_id, private_ipv4, mac_address)
SELECT 'eni-' || substr(md5('eni/' || (:round)::bigint::text || '/' || g::text), 1, 17),
  md5((:round)::bigint::text || '/' || g::text), 'subnet-' || (g % 9)::text,
  '10.0.0.0'::inet + nextval('gantry_bench_dblimit.address_seq'),
  ('0a' || lpad(to_hex(nextval('gantry_bench_dblimit.mac_seq')), 10, '0'))::macaddr
FROM generate_series(1, (:batch)::int) AS g;
END;
