-- The processor now stores callsigns in upper case, as ICAO writes them, and the dashboard's
-- search matches them as stored; callsigns written before in another case become findable.
-- Only rows that change are rewritten.

UPDATE live_flights SET callsign = upper(callsign) WHERE callsign <> upper(callsign);
UPDATE flight_histories SET callsign = upper(callsign) WHERE callsign <> upper(callsign);
