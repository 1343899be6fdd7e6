-- 002: which scenarios ran in a session, over which events, and what they
-- measured, so that a stored session still shows its experiment.
CREATE TABLE scenario_runs (
	session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
	run_no     INTEGER NOT NULL,                 -- 1, 2, ... per session
	name       TEXT    NOT NULL,                 -- scenarios/NAME.json
	first_seq  INTEGER NOT NULL,
	last_seq   INTEGER NOT NULL,
	figure     TEXT,                             -- the measurement (JSON)
	PRIMARY KEY (session_id, run_no)
) WITHOUT ROWID;
