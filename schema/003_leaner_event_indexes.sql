-- 003: fewer indexes for the recorder to keep up to date on every event.
-- Addresses are found by vaddr, or by pfn (a physical address is pfn << 12);
-- the events of an op by its seq range, which the ops table holds.
DROP INDEX events_by_paddr;
DROP INDEX events_by_op;
