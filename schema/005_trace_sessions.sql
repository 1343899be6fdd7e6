-- 005: sessions imported from a real kernel's trace (POST .../import-trace).
-- Their events are rows of events as any session's (type = the tracepoint;
-- event types of tracepoints the engine does not have take ids from 10000
-- up in event_types); what a trace line carries beyond the typed columns is
-- in trace_events; what the import found is in trace_sessions.
CREATE TABLE trace_sessions (
	session_id  INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
	status      TEXT    NOT NULL DEFAULT 'importing'
	            CHECK (status IN ('importing', 'ready')),
	summary     TEXT,                            -- the import's figures (JSON)
	zoneinfo    TEXT,                            -- /proc texts taken before the trace
	buddyinfo   TEXT,
	pagetypeinfo TEXT,
	slabinfo    TEXT,
	resimulation TEXT                            -- the last POST .../resimulate (JSON)
);

CREATE TABLE trace_events (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	seq        INTEGER NOT NULL,
	ts_ns      INTEGER NOT NULL,                 -- the trace's timestamp
	pid        INTEGER NOT NULL,
	task       TEXT    NOT NULL,
	line       INTEGER NOT NULL,                 -- line number in the uploaded text
	flags      TEXT,                             -- irqs-off, need-resched, ... ("d..1.")
	PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;
