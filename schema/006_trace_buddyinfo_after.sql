-- 006: the /proc/buddyinfo a capture bundle takes after its trace, beside the
-- one taken before (trace_sessions.buddyinfo): the last point at which a
-- re-simulation's free lists are compared with the real machine's.
ALTER TABLE trace_sessions ADD COLUMN buddyinfo_after TEXT;
