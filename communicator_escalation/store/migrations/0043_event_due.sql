-- A ticket event may record a date staff committed to (e.g. a scheduled fix's ETA): the only source
-- a draft takes a fix or workaround date from.
ALTER TABLE ticket_events ADD COLUMN due timestamptz;
