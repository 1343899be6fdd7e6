-- 004: events are found by type, page and address through event_keys, one
-- row per key per block of 1024 events, instead of one index entry per event
-- in each of three indexes (the recorder spent two thirds of its time in them).
--
-- A block is the events seq (block << 10) .. (block << 10) + 1023 of a session.
-- kind 0: key is an event type; kind 1: key is pfn >> 6, the 256 KiB frame of a
-- pfn; kind 2: key is vaddr >> 21 (arithmetic), the 2 MiB region of a virtual
-- address. A block listed under a key holds at least one event with that key;
-- the events themselves are then read by seq from the events table:
--
--   SELECT e.* FROM event_keys k CROSS JOIN events e
--    WHERE k.session_id = 1 AND k.kind = 1 AND k.key = 4660 >> 6
--      AND e.session_id = 1 AND e.seq BETWEEN k.block << 10 AND (k.block << 10) + 1023
--      AND e.pfn = 4660 ORDER BY k.block, e.seq;
DROP INDEX events_by_type;
DROP INDEX events_by_pfn;
DROP INDEX events_by_vaddr;

CREATE TABLE event_keys (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	kind       INTEGER NOT NULL,                 -- 0 type, 1 pfn >> 6, 2 vaddr >> 21
	key        INTEGER NOT NULL,
	block      INTEGER NOT NULL,                 -- seq >> 10
	PRIMARY KEY (session_id, kind, key, block)
) WITHOUT ROWID;

INSERT INTO event_keys
SELECT DISTINCT session_id, 0, type, seq >> 10 FROM events;
INSERT INTO event_keys
SELECT DISTINCT session_id, 1, pfn >> 6, seq >> 10 FROM events WHERE pfn IS NOT NULL;
INSERT INTO event_keys
SELECT DISTINCT session_id, 2, vaddr >> 21, seq >> 10 FROM events WHERE vaddr IS NOT NULL;
