-- 001: sessions, their op log and events, event type names, snapshots.
-- Addresses (vaddr, paddr) are 64-bit values stored in INTEGER columns as
-- their two's-complement bit pattern; the events_readable view prints them
-- in hex. A NULL field means "does not apply to this event type".

CREATE TABLE sessions (
	id             INTEGER PRIMARY KEY,
	name           TEXT    NOT NULL,
	created        TEXT    NOT NULL,             -- ISO 8601, UTC
	machine        TEXT    NOT NULL,             -- normalised machine config (JSON)
	engine_version TEXT    NOT NULL,
	seed           INTEGER NOT NULL,
	state          TEXT    NOT NULL DEFAULT 'live'
	               CHECK (state IN ('live', 'closed', 'crashed')),
	last_seq       INTEGER NOT NULL DEFAULT 0,   -- last committed event
	last_op        INTEGER NOT NULL DEFAULT 0,   -- last committed op
	parent_id      INTEGER REFERENCES sessions(id),
	parent_seq     INTEGER
);

-- The command log: every operation applied, in order, as JSON.
CREATE TABLE ops (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	op_no      INTEGER NOT NULL,                 -- 1, 2, 3, ... per session
	first_seq  INTEGER,                          -- events this op caused, NULL when none
	last_seq   INTEGER,
	op         TEXT    NOT NULL,
	PRIMARY KEY (session_id, op_no)
) WITHOUT ROWID;

CREATE TABLE event_types (
	id   INTEGER PRIMARY KEY,
	name TEXT NOT NULL UNIQUE
);

CREATE TABLE events (
	session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,                -- 1, 2, 3, ... per session, no gaps
	op_no       INTEGER NOT NULL,                -- 0 for the machine's own boot
	type        INTEGER NOT NULL REFERENCES event_types(id),
	cpu         INTEGER,
	node        INTEGER,
	zone        INTEGER,
	"order"     INTEGER,
	migratetype INTEGER,
	level       INTEGER,
	gfp         INTEGER,
	pfn         INTEGER,
	vaddr       INTEGER,
	paddr       INTEGER,
	size        INTEGER,
	value       INTEGER,
	detail      TEXT,
	PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

CREATE INDEX events_by_type  ON events (session_id, type, seq);
CREATE INDEX events_by_pfn   ON events (session_id, pfn)   WHERE pfn IS NOT NULL;
CREATE INDEX events_by_vaddr ON events (session_id, vaddr) WHERE vaddr IS NOT NULL;
CREATE INDEX events_by_paddr ON events (session_id, paddr) WHERE paddr IS NOT NULL;
CREATE INDEX events_by_op    ON events (session_id, op_no);

-- Serialised machine state after event seq, so a seek starts near its target.
CREATE TABLE snapshots (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	op_no      INTEGER NOT NULL,
	state      BLOB    NOT NULL,
	PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

-- For people using the sqlite3 shell: names instead of numbers, hex addresses.
CREATE VIEW events_readable AS
SELECT e.session_id, e.seq, e.op_no, t.name AS type,
       e.cpu, e.node,
       CASE e.zone WHEN 0 THEN 'DMA' WHEN 1 THEN 'DMA32' WHEN 2 THEN 'Normal'
                   WHEN 3 THEN 'Movable' WHEN 4 THEN 'Device' END AS zone,
       e."order",
       CASE e.migratetype WHEN 0 THEN 'Unmovable' WHEN 1 THEN 'Movable'
                          WHEN 2 THEN 'Reclaimable' WHEN 3 THEN 'HighAtomic'
                          WHEN 4 THEN 'Isolate' END AS migratetype,
       e.level, printf('0x%x', e.gfp) AS gfp, e.pfn,
       printf('0x%016x', e.vaddr) AS vaddr,
       printf('0x%x', e.paddr) AS paddr,
       e.size, e.value, e.detail
  FROM events e JOIN event_types t ON t.id = e.type;
