-- Ids of deleted access keys. A deleted key never comes back: not through
-- CreateAccessKey, and not through a gantryd whose data dir still holds it in
-- admin-credentials (that gantryd makes itself a new admin key instead). Tiny: a row
-- per deleted key, keys being few per account.
CREATE TABLE deleted_access_keys (
  access_key_id  text        PRIMARY KEY,
  account_id     text        NOT NULL,
  deleted_at     timestamptz NOT NULL DEFAULT now()
);
