-- Up Migration

-- Maintenance windows (issue 17): alerts they match are recorded, not notified; a summary is posted when an
-- occurrence ends. `times` is the window's schedule as given (weekly / cron + duration / one-off, with a time zone);
-- every occurrence that ended at or before `closed_until` has been closed (its summary committed).
CREATE TABLE alerter_maintenance (
  id text PRIMARY KEY,
  name text NOT NULL,
  matchers jsonb NOT NULL,
  times jsonb NOT NULL,
  origin text NOT NULL CHECK (origin IN ('config', 'api', 'chat')),
  author text NOT NULL,
  reason text NOT NULL,
  created_at timestamptz NOT NULL,
  closed_until timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX alerter_maintenance_live ON alerter_maintenance (closed_until);

-- The alerts an occurrence held back (occurrence = 'maintenance:<window id>@<start>'), for its summary; an
-- occurrence's rows are deleted when it closes.
CREATE TABLE alerter_maintenance_muted (
  occurrence text NOT NULL,
  episode_id text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (occurrence, episode_id)
);
