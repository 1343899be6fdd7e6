#!/bin/sh
# gen-ops.sh TOP OUTDIR - fuzz_ops's dictionary and seeds, made from the op
# tables of daemon/ops*.c, so that every op (and an op added later) is in
# the corpus from the first run: OUTDIR/ops.list (one op a line),
# OUTDIR/fuzz_ops.dict (tests/fuzz/fuzz_ops.dict, then every op and field
# name, a sample value of each field and a few more values: a range's ends,
# a name that is not there) and OUTDIR/seeds/op-NAME (one op
# with a sample value for each of its fields whose kind is known below; an
# unknown field is left out and the op falls back on its default or refuses,
# which still reaches it), plus OUTDIR/seeds/all-ops (every op in one batch).
set -eu
top=$1 out=$2
mkdir -p "$out/seeds"
rm -f "$out"/seeds/op-*

cat "$top"/daemon/ops*.c | awk -v out="$out" -v dict0="$top/tests/fuzz/fuzz_ops.dict" '
	BEGIN {
		# A value that each field takes (api.md "Operations").
		split("gfp:\"GFP_KERNEL\" order:0 node:0 cpu:0 pfn:4096 vaddr:\"0xffff888000100000\" " \
		      "access:\"write\" pid:1 user:false start:\"0xffff888000100000\" length:4096 " \
		      "stride:4096 count:4 pattern:\"random\" scope:\"page\" addr:\"0xffff888000100000\" " \
		      "name:\"fuzz\" prot:\"rw-\" flags:\"\" until:\"done\" without_identity:false " \
		      "enable:true kexec:false paddr:1048576 size:64 align:8 cache:\"kmalloc-64\" " \
		      "caller:\"fuzz\" device_mask_bits:32 dir:\"to_device\" dma_addr:1048576 " \
		      "kind:\"random\" seed:1 min:8 max:64 free:1 start_pfn:4096 nr_pages:16 " \
		      "value:20 ms:500 file:\"fuzz\" offset:4096 memcg:\"/\" oom_score_adj:-500 mode:1", kv, " ")
		# More values worth a token: the ends of a range, a name that is not there.
		split("oom_score_adj:-1000 oom_score_adj:1000 mode:3 memcg:\"/fuzz\" offset:0 file:\"missing\"", ev, " ")
		for (i in kv) {
			c = index(kv[i], ":")
			sample[substr(kv[i], 1, c - 1)] = substr(kv[i], c + 1)
		}
	}
	# static const char *const x_fields[] = { "a", "b", ... };  (may span lines)
	/static const char \*const [a-z_0-9]+\[\] = \{/ { collecting = 1; text = "" }
	collecting {
		text = text $0
		if (index($0, "};")) {
			collecting = 0
			name = text; sub(/.*const /, "", name); sub(/\[\].*/, "", name)
			list = text; sub(/^[^{]*\{/, "", list); sub(/\}.*/, "", list)
			n = split(list, parts, ",")
			fields[name] = ""
			for (i = 1; i <= n; i++)
				if (match(parts[i], /"[a-z_0-9]+"/))
					fields[name] = fields[name] " " substr(parts[i], RSTART + 1, RLENGTH - 2)
		}
		next
	}
	# { "op_name", x_fields, op_fn },
	/^\t\{ "[a-z_0-9]+", [a-z_0-9]+, [a-z_0-9]+ \},/ {
		op = $0; sub(/^\t\{ "/, "", op); sub(/".*/, "", op)
		fl = $0; sub(/^\t\{ "[a-z_0-9]+", /, "", fl); sub(/,.*/, "", fl)
		ops[++nops] = op
		opfields[op] = fields[fl]
	}
	# token(V): the JSON text V as a dictionary word, its quotes escaped.
	function token(v) {
		gsub(/"/, "\\\"", v)
		if (!(v in tokens)) {
			tokens[v] = 1
			printf "\"%s\"\n", v > (out "/fuzz_ops.dict")
		}
	}
	END {
		while ((getline line < dict0) > 0) print line > (out "/fuzz_ops.dict")
		print "# Generated from the op tables of daemon/ops*.c by tests/fuzz/gen-ops.sh" > (out "/fuzz_ops.dict")
		all = "["
		for (k = 1; k <= nops; k++) {
			op = ops[k]
			print op > (out "/ops.list")
			printf "\"\\\"%s\\\"\"\n", op > (out "/fuzz_ops.dict")
			seed = "{\"op\":\"" op "\""
			n = split(opfields[op], f, " ")
			for (i = 1; i <= n; i++) {
				if (!(f[i] in said)) {
					said[f[i]] = 1
					printf "\"\\\"%s\\\"\"\n", f[i] > (out "/fuzz_ops.dict")
					if (f[i] in sample)
						token(sample[f[i]])
				}
				if (f[i] in sample)
					seed = seed ",\"" f[i] "\":" sample[f[i]]
			}
			seed = seed "}"
			printf "%s", seed > (out "/seeds/op-" op)
			all = all (k > 1 ? "," : "") seed
		}
		printf "%s]", all > (out "/seeds/all-ops")
		for (i in ev) {
			c = index(ev[i], ":")
			if (substr(ev[i], 1, c - 1) in said)
				token(substr(ev[i], c + 1))
		}
		if (!nops) { print "gen-ops.sh: no op found in daemon/ops*.c" > "/dev/stderr"; exit 1 }
	}'
