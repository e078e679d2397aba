-- Up Migration
-- No statement reads harmony_reports by host (detection reads harmony_hosts; pruning goes by id and reported_at), so
-- the (token_id, hostname, reported_at) index was one more B-tree insertion for every report for nothing.
DROP INDEX harmony_reports_host;

-- Down Migration
CREATE INDEX harmony_reports_host ON harmony_reports (token_id, hostname, reported_at);
