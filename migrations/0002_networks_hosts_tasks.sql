-- Networks (VPCs, subnets, security groups), hosts, tasks and their ENIs.
--
-- The database, not only the code, keeps the scheduler's invariants:
-- * a host never holds more than it has: CHECK (x_used BETWEEN 0 AND x_total);
-- * no address is given twice: UNIQUE (subnet_id, address_offset) on
--   network_interfaces, and offsets are never reserved ones (CHECK below);
-- * MAC addresses are unique: drawn from a sequence, and UNIQUE says so.

CREATE TABLE vpcs (
  vpc_id       text        PRIMARY KEY,
  account_id   text        NOT NULL,
  cidr_block   cidr        NOT NULL
               CHECK (family(cidr_block) = 4 AND masklen(cidr_block) BETWEEN 16 AND 28),
  state        text        NOT NULL DEFAULT 'available' CHECK (state IN ('pending', 'available')),
  created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX vpcs_by_account ON vpcs (account_id, vpc_id);

CREATE TABLE subnets (
  subnet_id          text        PRIMARY KEY,
  account_id         text        NOT NULL,
  vpc_id             text        NOT NULL REFERENCES vpcs (vpc_id),
  cidr_block         cidr        NOT NULL
                     CHECK (family(cidr_block) = 4 AND masklen(cidr_block) BETWEEN 16 AND 28),
  availability_zone  text        NOT NULL,
  -- 2^(32 - prefix). Offsets 0-3 and address_count-1 are reserved (as in AWS), so
  -- usable offsets are 4 .. address_count-2.
  address_count      integer     NOT NULL CHECK (address_count BETWEEN 16 AND 65536),
  -- Allocation without scanning: offsets below next_offset have been handed out at
  -- least once; those released since wait in subnet_free_addresses. A new address is
  -- a released one if any, else next_offset (then incremented).
  next_offset        integer     NOT NULL DEFAULT 4
                     CHECK (next_offset BETWEEN 4 AND address_count - 1),
  addresses_in_use   integer     NOT NULL DEFAULT 0
                     CHECK (addresses_in_use BETWEEN 0 AND address_count - 5),
  state              text        NOT NULL DEFAULT 'available'
                     CHECK (state IN ('pending', 'available')),
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subnets_by_account ON subnets (account_id, subnet_id);
CREATE INDEX subnets_by_vpc ON subnets (vpc_id);

CREATE TABLE subnet_free_addresses (
  subnet_id       text    NOT NULL REFERENCES subnets (subnet_id) ON DELETE CASCADE,
  address_offset  integer NOT NULL CHECK (address_offset >= 4),
  PRIMARY KEY (subnet_id, address_offset)
);

CREATE TABLE security_groups (
  group_id     text        PRIMARY KEY,
  account_id   text        NOT NULL,
  vpc_id       text        NOT NULL REFERENCES vpcs (vpc_id),
  group_name   text        NOT NULL,
  description  text        NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now()
);
-- EC2: group names are unique per VPC, case-insensitively.
CREATE UNIQUE INDEX security_groups_name ON security_groups (vpc_id, lower(group_name));
CREATE INDEX security_groups_by_account ON security_groups (account_id, group_id);

-- Hosts (ECS container instances) form one fleet shared by every cluster, as
-- Fargate's does. host_id is the compact key the scheduler uses; instance_id the
-- public one (container-instance ARN).
CREATE TABLE hosts (
  host_id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  instance_id        text        NOT NULL UNIQUE,
  availability_zone  text        NOT NULL,
  status             text        NOT NULL CHECK (status IN ('ACTIVE', 'DRAINING', 'INACTIVE')),
  cpu_total          integer     NOT NULL CHECK (cpu_total > 0),
  memory_total       integer     NOT NULL CHECK (memory_total > 0),
  storage_total      integer     NOT NULL CHECK (storage_total > 0),
  eni_total          integer     NOT NULL CHECK (eni_total > 0),
  cpu_used           integer     NOT NULL DEFAULT 0 CHECK (cpu_used BETWEEN 0 AND cpu_total),
  memory_used        integer     NOT NULL DEFAULT 0 CHECK (memory_used BETWEEN 0 AND memory_total),
  storage_used       integer     NOT NULL DEFAULT 0 CHECK (storage_used BETWEEN 0 AND storage_total),
  eni_used           integer     NOT NULL DEFAULT 0 CHECK (eni_used BETWEEN 0 AND eni_total),
  agent_version      text        NOT NULL DEFAULT '',
  host_name          text        NOT NULL DEFAULT '',
  registered_at      timestamptz NOT NULL DEFAULT now(),
  last_seen_at       timestamptz NOT NULL DEFAULT now(),
  -- Bumped on every change, as ECS's container instance version.
  version            bigint      NOT NULL DEFAULT 1
);

CREATE SEQUENCE eni_mac_sequence AS bigint MAXVALUE 1099511627775;

CREATE TABLE tasks (
  task_id            text        PRIMARY KEY CHECK (task_id ~ '^[0-9a-f]{32}$'),
  account_id         text        NOT NULL,
  cluster            text        NOT NULL,
  family             text        NOT NULL,
  revision           integer     NOT NULL,
  -- Placement order of tasks waiting for capacity.
  queue_seq          bigint      GENERATED ALWAYS AS IDENTITY,
  task_group         text        NOT NULL,
  started_by         text,
  last_status        text        NOT NULL CHECK (last_status IN ('PROVISIONING', 'PENDING',
                       'ACTIVATING', 'RUNNING', 'DEACTIVATING', 'STOPPING', 'DEPROVISIONING',
                       'STOPPED')),
  desired_status     text        NOT NULL CHECK (desired_status IN ('RUNNING', 'STOPPED')),
  cpu                integer     NOT NULL CHECK (cpu > 0),
  memory             integer     NOT NULL CHECK (memory > 0),
  ephemeral_storage  integer     NOT NULL CHECK (ephemeral_storage BETWEEN 20 AND 200),
  -- What RunTask asked for: candidate subnets (their zones are the candidate zones)
  -- and the security groups the ENI gets.
  subnet_ids         text[]      NOT NULL,
  security_group_ids text[]      NOT NULL,
  assign_public_ip   boolean     NOT NULL DEFAULT false,
  overrides          jsonb       NOT NULL DEFAULT '{}',
  tags               jsonb       NOT NULL DEFAULT '[]',
  -- [ECS Container, ...]: one per container definition, fixed at creation.
  containers         jsonb       NOT NULL,
  enable_execute_command boolean NOT NULL DEFAULT false,
  client_token       text,
  -- Placement: set together when the task is placed, kept after release so a
  -- stopped task describes as it ran.
  host_id            bigint      REFERENCES hosts (host_id),
  availability_zone  text,
  subnet_id          text,
  eni_id             text,
  attachment_id      text,
  private_ipv4       inet,
  mac_address        macaddr,
  private_dns_name   text,
  -- True from placement until the task's host resources and address are released.
  holds_resources    boolean     NOT NULL DEFAULT false,
  -- Set once the host's agent has the launch command (the agent protocol).
  delivered_at       timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  placed_at          timestamptz,
  pull_started_at    timestamptz,
  pull_stopped_at    timestamptz,
  started_at         timestamptz,
  stopping_at        timestamptz,
  execution_stopped_at timestamptz,
  stopped_at         timestamptz,
  stop_code          text,
  stopped_reason     text,
  version            bigint      NOT NULL DEFAULT 1,
  FOREIGN KEY (account_id, cluster) REFERENCES clusters (account_id, name),
  FOREIGN KEY (account_id, family, revision)
    REFERENCES task_definitions (account_id, family, revision),
  CHECK ((host_id IS NULL) = (eni_id IS NULL)),
  CHECK (NOT holds_resources OR host_id IS NOT NULL),
  CHECK ((last_status = 'STOPPED') = (stopped_at IS NOT NULL)),
  CHECK (last_status <> 'STOPPED' OR NOT holds_resources)
);
-- The durable queue of tasks waiting for capacity, in arrival order.
CREATE INDEX tasks_waiting ON tasks (queue_seq)
  WHERE host_id IS NULL AND last_status = 'PROVISIONING';
CREATE INDEX tasks_by_cluster ON tasks (account_id, cluster, desired_status, task_id);
CREATE INDEX tasks_by_family ON tasks (account_id, cluster, family, desired_status, task_id);
CREATE INDEX tasks_by_started_by ON tasks (account_id, cluster, started_by, task_id)
  WHERE started_by IS NOT NULL;
CREATE INDEX tasks_by_host ON tasks (host_id, task_id) WHERE host_id IS NOT NULL;
CREATE INDEX tasks_holding ON tasks (task_group, availability_zone) WHERE holds_resources;

-- ENIs that exist now: one per placed task until its resources are released.
CREATE TABLE network_interfaces (
  eni_id             text        PRIMARY KEY,
  account_id         text        NOT NULL,
  subnet_id          text        NOT NULL REFERENCES subnets (subnet_id),
  address_offset     integer     NOT NULL CHECK (address_offset >= 4),
  private_ipv4       inet        NOT NULL,
  mac_address        macaddr     NOT NULL UNIQUE,
  private_dns_name   text        NOT NULL,
  security_group_ids text[]      NOT NULL,
  task_id            text        NOT NULL UNIQUE REFERENCES tasks (task_id),
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (subnet_id, address_offset),
  UNIQUE (subnet_id, private_ipv4)
);

-- RunTask idempotency: a token binds to the request's fingerprint and its tasks.
CREATE TABLE run_task_tokens (
  account_id   text        NOT NULL,
  client_token text        NOT NULL,
  fingerprint  text        NOT NULL,
  task_ids     text[]      NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, client_token)
);
