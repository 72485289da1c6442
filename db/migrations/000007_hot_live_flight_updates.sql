-- The processor rewrites the live row of nearly every aircraft on every delivery. Those updates
-- can be HOT (the new row version goes on the same page and no index entry is written) only when
-- no indexed column changes and the page has room. last_contact changes on every update, so its
-- index made every update write three index entries; and full pages left no room.
--
-- The sweeper's silent-flight query now scans live_flights, which holds one row per aircraft heard
-- in the last 20 minutes (10,000 to 13,000 at the world's peak): a few milliseconds once a minute,
-- against the 45 ms the index and full pages cost each 10,000-state delivery.
--
-- The new fillfactor applies to pages filled from now on; the table's rows turn over within hours.

DROP INDEX live_flights_last_contact_idx;
ALTER TABLE live_flights SET (fillfactor = 50);
