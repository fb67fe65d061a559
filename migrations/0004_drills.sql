-- dr-drill: each drill is a row from the moment it starts (verdict 'running'), so a drill that was
-- killed is visible as such, and dr-status can say when the last passing drill was.
ALTER TABLE drills ADD COLUMN scope TEXT NOT NULL DEFAULT 'canary';
ALTER TABLE drills ADD COLUMN verdict TEXT NOT NULL DEFAULT 'running'
  CHECK (verdict IN ('running', 'passed', 'failed'));
ALTER TABLE drills ADD COLUMN rpo_records INTEGER;
ALTER TABLE drills ADD COLUMN os_user TEXT NOT NULL DEFAULT '';
ALTER TABLE drills ADD COLUMN host TEXT NOT NULL DEFAULT '';
ALTER TABLE drills ADD COLUMN pid INTEGER NOT NULL DEFAULT 0;
ALTER TABLE drills ADD COLUMN primary_cluster_id TEXT NOT NULL DEFAULT '';
ALTER TABLE drills ADD COLUMN standby_cluster_id TEXT NOT NULL DEFAULT '';
ALTER TABLE drills ADD COLUMN canary_topic TEXT NOT NULL DEFAULT '';
ALTER TABLE drills ADD COLUMN report_dir TEXT NOT NULL DEFAULT '';
ALTER TABLE drills ADD COLUMN reasons TEXT NOT NULL DEFAULT '';  -- why it failed, one per line
CREATE INDEX drills_by_verdict ON drills (verdict, started_ms);
