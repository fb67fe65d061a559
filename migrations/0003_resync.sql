-- dr-resync (failback): what each run planned per partition and how far it got, so a run killed
-- half way is finished by the next one without saving, deleting or seeding anything twice.
-- resync_id is the audit row (failovers.kind = 'resync') of the run that made the plan.
CREATE TABLE resync_partitions (
  resync_id         INTEGER NOT NULL REFERENCES failovers(failover_id),
  topic             TEXT NOT NULL,     -- on the old primary (the failed-over link's source topic)
  partition         INTEGER NOT NULL,
  new_topic         TEXT NOT NULL,     -- its name on the new primary
  action            TEXT NOT NULL CHECK (action IN ('keep', 'wipe', 'recreate')),
  step              TEXT NOT NULL CHECK (step IN ('planned', 'saved', 'wiped', 'seeded', 'done')),
  old_end           INTEGER NOT NULL,  -- the old primary's end offset when the plan was made
  common_end        INTEGER NOT NULL,  -- old primary offset after the last record the new primary also holds
  new_common_end    INTEGER NOT NULL,  -- new primary offset after its copy of that record
  diverged_records  INTEGER NOT NULL,
  updated_ms        INTEGER NOT NULL,
  PRIMARY KEY (resync_id, topic, partition)
) WITHOUT ROWID;

-- One resync of a link at a time: the run holding the lease, and when it last said it was alive.
CREATE TABLE resync_leases (
  link_id           INTEGER PRIMARY KEY REFERENCES links(link_id),
  resync_id         INTEGER NOT NULL,
  host              TEXT NOT NULL,
  pid               INTEGER NOT NULL,
  heartbeat_ms      INTEGER NOT NULL
);
