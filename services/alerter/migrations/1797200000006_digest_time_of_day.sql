-- Up Migration

-- A daily digest at a local time of day (issue 17, `$subscribe osmosis-1 daily 09:00 Europe/Zurich`): the time and
-- the IANA time zone its days are read in. An owner's daily subscriptions share one (the alerter keeps them so);
-- hourly and immediate ones keep the defaults, which are also those of the subscriptions made before: 00:00 UTC.
ALTER TABLE alerter_alert_subscriptions
  ADD COLUMN at text NOT NULL DEFAULT '00:00' CHECK (at ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
  ADD COLUMN timezone text NOT NULL DEFAULT 'UTC';

-- Down Migration
ALTER TABLE alerter_alert_subscriptions DROP COLUMN timezone, DROP COLUMN at;
