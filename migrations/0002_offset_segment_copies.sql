-- The offset mapping keeps every copy of a record, not only the first: a mirror restarted after a
-- crash or an outage copies records again, and translation resumes a group after the LAST copy
-- where that skips nothing (fewer re-deliveries). Two copies of a run can start at the same
-- source offset, so a row is identified by its target start too (a target offset holds one record).
CREATE TABLE offset_segments_v2 (
  link_id           INTEGER NOT NULL REFERENCES links(link_id),
  source_topic      TEXT NOT NULL,
  partition         INTEGER NOT NULL,
  source_start      INTEGER NOT NULL,
  target_start      INTEGER NOT NULL,
  length            INTEGER NOT NULL CHECK (length > 0),
  first_timestamp_ms INTEGER NOT NULL,
  last_timestamp_ms INTEGER NOT NULL,
  PRIMARY KEY (link_id, source_topic, partition, source_start, target_start)
) WITHOUT ROWID;

INSERT INTO offset_segments_v2 (link_id, source_topic, partition, source_start, target_start, length,
                                first_timestamp_ms, last_timestamp_ms)
  SELECT link_id, source_topic, partition, source_start, target_start, length, first_timestamp_ms, last_timestamp_ms
  FROM offset_segments;

DROP TABLE offset_segments;
ALTER TABLE offset_segments_v2 RENAME TO offset_segments;

-- Persisting a run finds the row it extends by its target offsets (rows never overlap there).
CREATE INDEX offset_segments_by_target ON offset_segments (link_id, source_topic, partition, target_start);
