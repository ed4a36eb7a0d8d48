-- Indexes for queries that would otherwise visit every task a cluster ever had.

-- Cluster task counts (DescribeClusters): only live tasks.
CREATE INDEX tasks_live_by_cluster ON tasks (account_id, cluster, last_status)
  WHERE last_status <> 'STOPPED';

-- Group spread counts when the scheduler loads its view: index-only over the tasks
-- that hold resources.
DROP INDEX tasks_holding;
CREATE INDEX tasks_holding ON tasks (account_id, cluster, task_group, availability_zone)
  WHERE holds_resources;
