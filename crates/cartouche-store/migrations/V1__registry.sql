-- Cartouche registry, schema version 1.
--
-- Every `body` is a record framed exactly as the sled store frames it (a format byte,
-- the SHA-256 of the payload, the payload, possibly DEFLATE-compressed): the checksum is
-- verified on every read, and `cartouche store migrate` copies records between the two
-- stores byte for byte. Columns beside `body` are keys and what the database must
-- compare (a log size, a plugin version). Text keys sort bytewise (COLLATE "C"), as
-- sled's keys do, whatever the database's locale.

-- Store-wide markers (the record format version).
CREATE TABLE store_meta (
    key text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

-- The size of the issuance log: one row, locked (SELECT ... FOR UPDATE) by every write
-- that appends to the log, counts a certificate number or must be checked against the
-- state it changes. It is the registry's writer lock across all nodes.
CREATE TABLE log_head (
    id integer PRIMARY KEY CHECK (id = 1),
    size bigint NOT NULL CHECK (size >= 0)
);
INSERT INTO log_head (id, size) VALUES (1, 0);

-- One leaf of the issuance log: the entry with the tree hashes its append completed.
CREATE TABLE log_leaves (
    idx bigint PRIMARY KEY CHECK (idx >= 0),
    body bytea NOT NULL
);

-- The latest signed checkpoint; `size` keeps two nodes from moving it backwards.
CREATE TABLE log_checkpoint (
    id integer PRIMARY KEY CHECK (id = 1),
    size bigint NOT NULL,
    body bytea NOT NULL
);

CREATE TABLE certificates (
    number text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

-- The last number issued per country and year ("FR-2026"), updated in the issuing
-- transaction: numbers have no gaps (a sequence would leave one at every rollback).
CREATE TABLE counters (
    country_year text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE idempotency (
    scoped_key text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE signing_keys (
    kid text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE tokens (
    secret_sha256 text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE audit (
    id bigserial PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE photos (
    sha256 text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE plugins (
    id text COLLATE "C" NOT NULL,
    seq integer NOT NULL,
    version text COLLATE "C" NOT NULL,
    body bytea NOT NULL,
    PRIMARY KEY (id, seq),
    UNIQUE (id, version)
);

-- Derived bytes: compiled plugins (keyed by component hash and engine), federation
-- state (outbox, conflicts, bundle sequence).
CREATE TABLE artifacts (
    key text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE service_keys (
    purpose text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);

CREATE TABLE witness (
    origin text COLLATE "C" PRIMARY KEY,
    body bytea NOT NULL
);
