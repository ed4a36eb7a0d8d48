-- Accounts and their access keys, for SigV4 authentication. The tables made before
-- this one keep account_id as text with no foreign key to accounts: their existing rows
-- name accounts that this table does not hold yet.

CREATE TABLE accounts (
  -- 12 digits, as an AWS account id, so ARNs look like AWS's.
  account_id  text        PRIMARY KEY CHECK (account_id ~ '^[0-9]{12}$'),
  name        text        NOT NULL UNIQUE CHECK (name <> ''),
  -- An admin account is the provider's: its keys may manage the fleet and the accounts
  -- (the API enforces this; storage only records it).
  is_admin    boolean     NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE access_keys (
  access_key_id  text        PRIMARY KEY,
  account_id     text        NOT NULL REFERENCES accounts (account_id),
  -- 'agent' keys may only register hosts, poll for commands and report task states; a
  -- leaked agent key cannot run tasks or read other accounts' resources.
  kind           text        NOT NULL CHECK (kind IN ('user', 'agent')),
  -- SigV4 verification needs the plaintext secret, so it cannot be hashed: gantryd seals
  -- it with AES-256-GCM under a key kept outside the database, with the access key id as
  -- associated data, so a sealed secret copied to another key's row does not open.
  sealed_secret  bytea       NOT NULL,
  status         text        NOT NULL DEFAULT 'Active' CHECK (status IN ('Active', 'Inactive')),
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- An account's keys in id order, and counting them against the per-account limit.
CREATE INDEX access_keys_by_account ON access_keys (account_id, access_key_id);
