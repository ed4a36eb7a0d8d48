-- Clusters and task definitions. Every resource belongs to an account (12-digit id);
-- names are unique per account.

CREATE TABLE clusters (
  account_id   text        NOT NULL,
  name         text        NOT NULL,
  status       text        NOT NULL
               CHECK (status IN ('ACTIVE', 'PROVISIONING', 'DEPROVISIONING', 'FAILED', 'INACTIVE')),
  -- What the creator asked for (settings, configuration, tags, capacity providers), as
  -- the ECS Cluster JSON shape.
  spec         jsonb       NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, name)
);

-- One row per family: the revision counter. Registering locks this row, which
-- serialises concurrent registrations of one family and keeps revisions gap-free.
CREATE TABLE task_definition_families (
  account_id     text NOT NULL,
  family         text NOT NULL,
  last_revision  integer NOT NULL CHECK (last_revision BETWEEN 1 AND 1000000),
  PRIMARY KEY (account_id, family)
);

CREATE TABLE task_definitions (
  account_id       text        NOT NULL,
  family           text        NOT NULL,
  revision         integer     NOT NULL CHECK (revision BETWEEN 1 AND 1000000),
  status           text        NOT NULL
                   CHECK (status IN ('ACTIVE', 'INACTIVE', 'DELETE_IN_PROGRESS')),
  -- The normalised ECS TaskDefinition JSON (request members only; computed members
  -- such as the ARN are derived when read).
  body             jsonb       NOT NULL,
  tags             jsonb       NOT NULL DEFAULT '[]',
  registered_at    timestamptz NOT NULL DEFAULT now(),
  registered_by    text        NOT NULL,
  deregistered_at  timestamptz,
  PRIMARY KEY (account_id, family, revision),
  FOREIGN KEY (account_id, family) REFERENCES task_definition_families (account_id, family),
  CHECK ((status = 'ACTIVE') = (deregistered_at IS NULL))
);

-- "Latest ACTIVE revision of a family" and "families with an ACTIVE revision".
CREATE INDEX task_definitions_active
  ON task_definitions (account_id, family, revision DESC)
  WHERE status = 'ACTIVE';

-- Listing by status in (family, revision) order.
CREATE INDEX task_definitions_by_status
  ON task_definitions (account_id, status, family, revision);
