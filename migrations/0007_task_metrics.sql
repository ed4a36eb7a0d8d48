-- The latest resource usage of each task, as its agent reported it (agent.proto,
-- TaskMetrics). Every running task's row is rewritten every few seconds, so:
--   UNLOGGED: these writes skip the WAL. A database crash empties the table and the
--     next reports fill it again; losing a few seconds of telemetry is acceptable,
--     paying WAL for every sample of every task is not.
--   fillfactor 50 and no index but the key: updates stay HOT (no index writes, the new
--     row version goes into the same page).
-- A task's row goes with the task.
CREATE UNLOGGED TABLE task_metrics (
  task_id                 text        PRIMARY KEY REFERENCES tasks (task_id) ON DELETE CASCADE,
  sampled_at              timestamptz NOT NULL,
  interval_ms             bigint      NOT NULL CHECK (interval_ms >= 0),
  cpu_utilized            double precision NOT NULL,
  cpu_seconds             double precision NOT NULL,
  memory_utilized_mib     double precision NOT NULL,
  network_rx_bytes        bigint      NOT NULL,
  network_tx_bytes        bigint      NOT NULL,
  network_rx_rate         double precision NOT NULL,
  network_tx_rate         double precision NOT NULL,
  storage_read_bytes      bigint      NOT NULL,
  storage_write_bytes     bigint      NOT NULL,
  ephemeral_utilized_mib  double precision NOT NULL
) WITH (fillfactor = 50);
