// ktext.js - the text of a tracepoint's fields as the kernel prints it (the
// TP_printk() formats of include/trace/events/compaction.h and migrate.h in
// Linux 6.18), read into an object. The same text is the detail of a live
// session's compaction and migrate events and of an imported trace's lines
// (daemon/ftrace.c keeps it verbatim both ways), so this one reader serves
// both.
//
//   zone_start=0x1000 migrate_pfn=0x1000 free_pfn=0xffe00 zone_end=0x100000, mode=sync
//     -> { zone_start: 4096, migrate_pfn: 4096, free_pfn: 1047040, zone_end: 1048576, mode: 'sync' }
//   range=(0x100000 ~ 0x100200) nr_scanned=512 nr_taken=0
//     -> { range: [1048576, 1049088], nr_scanned: 512, nr_taken: 0 }
//   node=0 zone=Normal   order=-1 ret=continue
//     -> { node: 0, zone: 'Normal', order: -1, ret: 'continue' }
//
// Numbers: decimal ("-1", "512") and "0x" hex become Numbers (pfns fit a
// double); anything else stays a string, hex printed without "0x" too
// (set_migration_pte's addr=7fe918a8b000), since it cannot be told from a name.

const NUMBER = /^-?\d+$/;
const HEX = /^0x[0-9a-f]+$/i;

function value(text) {
  if (NUMBER.test(text)) return Number(text);
  if (HEX.test(text)) return parseInt(text, 16);
  return text;
}

// The fields of @text: key -> Number, string, or [from, to] for "(a ~ b)".
export function parseFields(text) {
  const out = {};
  if (typeof text !== 'string') return out;
  const re = /([A-Za-z_][A-Za-z0-9_]*)=(\(([^)]*)\)|[^\s,]*)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m[3] !== undefined) {
      const parts = m[3].split('~').map((p) => value(p.trim()));
      out[m[1]] = parts.length === 2 ? parts : m[3];
    } else {
      out[m[1]] = value(m[2]);
    }
  }
  return out;
}
