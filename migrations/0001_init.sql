-- kafka-dr state file, schema version 1.
-- Times are milliseconds since the epoch (UTC). Offsets are Kafka offsets (int64).

-- Every Kafka cluster kafka-dr has talked to, by its cluster id (the identity tools check).
CREATE TABLE clusters (
  cluster_id        TEXT PRIMARY KEY,
  alias             TEXT NOT NULL UNIQUE,
  bootstrap_servers TEXT NOT NULL DEFAULT '',
  first_seen_ms     INTEGER NOT NULL,
  last_seen_ms      INTEGER NOT NULL
);

-- A link is one mirroring direction. A failover fences it: state 'failed_over', epoch + 1.
CREATE TABLE links (
  link_id           INTEGER PRIMARY KEY,
  name              TEXT NOT NULL UNIQUE,
  source_cluster_id TEXT NOT NULL REFERENCES clusters(cluster_id),
  target_cluster_id TEXT NOT NULL REFERENCES clusters(cluster_id),
  rename_template   TEXT NOT NULL DEFAULT '{topic}',
  epoch             INTEGER NOT NULL DEFAULT 1,
  state             TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'failed_over', 'retired')),
  state_reason      TEXT NOT NULL DEFAULT '',
  created_ms        INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL
);

-- Which source topic is mirrored to which target topic on a link.
CREATE TABLE topic_map (
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  source_topic      TEXT NOT NULL,
  target_topic      TEXT NOT NULL,
  partitions        INTEGER NOT NULL,
  created_ms        INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL,
  PRIMARY KEY (link_id, source_topic)
) WITHOUT ROWID;

-- The offset mapping: runs where source and target offsets both advance by one.
-- Source offsets source_start .. source_start+length-1 landed at target_start .. target_start+length-1.
CREATE TABLE offset_segments (
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  source_topic      TEXT NOT NULL,
  partition         INTEGER NOT NULL,
  source_start      INTEGER NOT NULL,
  target_start      INTEGER NOT NULL,
  length            INTEGER NOT NULL CHECK (length > 0),
  first_timestamp_ms INTEGER NOT NULL,
  last_timestamp_ms INTEGER NOT NULL,
  PRIMARY KEY (link_id, source_topic, partition, source_start)
) WITHOUT ROWID;

-- Source records that were not delivered and skipped (abort.on.send.failure=false): never silent.
CREATE TABLE skipped_records (
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  source_topic      TEXT NOT NULL,
  partition         INTEGER NOT NULL,
  source_offset     INTEGER NOT NULL,
  error             TEXT NOT NULL,
  recorded_ms       INTEGER NOT NULL,
  PRIMARY KEY (link_id, source_topic, partition, source_offset)
) WITHOUT ROWID;

-- Committed offsets of source consumer groups, read by the mirror's checkpointer: a row when an
-- offset changes (bounded history: 7 days, and always the newest row).
CREATE TABLE group_checkpoints (
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  group_id          TEXT NOT NULL,
  source_topic      TEXT NOT NULL,
  partition         INTEGER NOT NULL,
  checkpoint_ms     INTEGER NOT NULL,
  source_offset     INTEGER NOT NULL,
  PRIMARY KEY (link_id, group_id, source_topic, partition, checkpoint_ms)
) WITHOUT ROWID;

-- When the checkpointer last read each group's committed offsets (rows above change only when an
-- offset moves, so this says how fresh they are).
CREATE TABLE group_checkpoint_reads (
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  group_id          TEXT NOT NULL,
  read_ms           INTEGER NOT NULL,
  PRIMARY KEY (link_id, group_id)
) WITHOUT ROWID;

-- Audit of failovers and resyncs: who, when, options, full plan, result.
CREATE TABLE failovers (
  failover_id       INTEGER PRIMARY KEY,
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  kind              TEXT NOT NULL CHECK (kind IN ('failover', 'resync')),
  at_ms             INTEGER,        -- dr-failover --at
  groups_pattern    TEXT,           -- dr-failover --groups
  started_ms        INTEGER NOT NULL,
  finished_ms       INTEGER,
  os_user           TEXT NOT NULL,
  host              TEXT NOT NULL,
  arguments         TEXT NOT NULL,  -- JSON
  plan              TEXT NOT NULL,  -- JSON
  result            TEXT,           -- JSON
  outcome           TEXT CHECK (outcome IN ('done', 'partial', 'refused', 'failed'))
);

-- Drill history: what was measured each time the failover was rehearsed.
CREATE TABLE drills (
  drill_id          INTEGER PRIMARY KEY,
  started_ms        INTEGER NOT NULL,
  finished_ms       INTEGER,
  scenario          TEXT NOT NULL,
  rpo_ms            INTEGER,
  rto_ms            INTEGER,
  records_lost      INTEGER,
  records_duplicated INTEGER,
  report            TEXT            -- JSON
);

-- Heartbeats of running dr-mirror processes.
CREATE TABLE mirror_instances (
  instance_id       TEXT PRIMARY KEY,  -- host:pid:start_ms
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  link_epoch        INTEGER NOT NULL,
  host              TEXT NOT NULL,
  pid               INTEGER NOT NULL,
  started_ms        INTEGER NOT NULL,
  heartbeat_ms      INTEGER NOT NULL,
  status            TEXT NOT NULL
);
