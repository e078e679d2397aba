-- Up Migration
-- Every delivery row is written twice: claimed ('attempting'), then marked 'sent' moments later. Neither state,
-- ref, updated_at nor lease_until is indexed, so the mark can be a HOT update (no new primary-key entry, less WAL)
-- when the row's page has room for the new version; at the default fillfactor (100) the claims that follow fill the
-- page first and no mark was HOT. Half-full pages: every mark HOT in a claim/mark burst, and the old versions are
-- pruned in place, so the table grows by little (6 % in that burst; its primary key 35 % smaller). New pages only.
ALTER TABLE notify_deliveries SET (fillfactor = 50);

-- Down Migration
ALTER TABLE notify_deliveries RESET (fillfactor);
