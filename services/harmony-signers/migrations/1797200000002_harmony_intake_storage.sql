-- Up Migration
-- No statement reads harmony_reports by host (detection reads harmony_hosts; pruning goes by id and reported_at), so
-- the (token_id, hostname, reported_at) index was one more B-tree insertion for every report for nothing.
DROP INDEX harmony_reports_host;

-- Every batch rewrites the row of each host it heard from and of each key it locked. With full pages a new row
-- version often had to go to another page, and then into every index (harmony_hosts' GIN index on blskeys too);
-- with room left on each page the update stays on the page (HOT) and no index is touched. The tables hold one row
-- per host and per key: the room costs little. (Applies to pages written from now on.)
ALTER TABLE harmony_hosts SET (fillfactor = 50);
ALTER TABLE harmony_keys SET (fillfactor = 50);

-- Down Migration
ALTER TABLE harmony_keys RESET (fillfactor);
ALTER TABLE harmony_hosts RESET (fillfactor);
CREATE INDEX harmony_reports_host ON harmony_reports (token_id, hostname, reported_at);
