-- Requests for a container's log (gantryctl logs) on their way to the task's agent and
-- back (agent.proto, LogRequest and SubmitLogs). The gantryd holding the caller's call
-- deletes its row once answered or given up; rows a crashed gantryd left behind are
-- deleted after ten minutes by the next request. UNLOGGED: nothing here needs to survive
-- a database crash.
CREATE UNLOGGED TABLE log_requests (
  request_id    text        PRIMARY KEY,
  host_id       bigint      NOT NULL REFERENCES hosts (host_id),
  task_id       text        NOT NULL,
  container     text        NOT NULL,
  start_offset  bigint      NOT NULL CHECK (start_offset >= -1),
  max_bytes     integer     NOT NULL CHECK (max_bytes > 0),
  wait_ms       integer     NOT NULL CHECK (wait_ms >= 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  delivered_at  timestamptz,
  answered_at   timestamptz,
  data          bytea,
  next_offset   bigint,
  error         text
);
-- A poll reads its host's undelivered requests.
CREATE INDEX log_requests_undelivered ON log_requests (host_id) WHERE delivered_at IS NULL;
CREATE INDEX log_requests_by_age ON log_requests (created_at);
