-- The agent protocol: durable per-host command queues, heartbeats and host loss.
--
-- Commands are numbered per host from hosts.next_command_seq, taken under the host's
-- row lock, so sequence order is commit order and an agent acknowledging sequence N
-- never skips a command that commits later with a smaller number.

ALTER TABLE hosts
  -- False once the host missed heartbeats for the host timeout (it is lost): nothing
  -- is placed there and its tasks are stopped. A reconnecting agent sets it again.
  ADD COLUMN agent_connected  boolean     NOT NULL DEFAULT true,
  ADD COLUMN lost_at          timestamptz,
  ADD COLUMN next_command_seq bigint      NOT NULL DEFAULT 1 CHECK (next_command_seq >= 1);

-- No index on last_seen_at: every heartbeat writes it, and an index on it would make
-- every heartbeat a non-HOT update that writes a new entry in every index of hosts.
-- The lost-host sweep reads the whole table instead, once per tick: cheap at 10,000
-- rows.

-- The agent protocol's per-host queries (reconnect, host loss) want a host's live
-- tasks; tasks_by_host also holds every task the host ever ran.
CREATE INDEX tasks_live_by_host ON tasks (host_id, task_id) WHERE last_status <> 'STOPPED';

-- Pending commands: a row lives from the commit that creates it until the host's agent
-- acknowledges its sequence number (or the host is lost).
CREATE TABLE host_commands (
  host_id     bigint      NOT NULL REFERENCES hosts (host_id),
  seq         bigint      NOT NULL CHECK (seq >= 1),
  kind        text        NOT NULL CHECK (kind IN ('LAUNCH', 'STOP')),
  task_id     text        NOT NULL REFERENCES tasks (task_id),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (host_id, seq)
);
CREATE INDEX host_commands_by_task ON host_commands (task_id);
