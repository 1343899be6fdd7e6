/*
 * gfp.c - gfp_t, the "get free pages" flags.
 *
 * Mirrors include/linux/gfp_types.h (the bit values, for a kernel without
 * KASAN_HW_TAGS or LOCKDEP), include/linux/gfp.h (gfp_zone(),
 * gfp_migratetype()) and include/trace/events/mmflags.h (how tracepoints
 * print a flag set). A flag set is written as in C: "GFP_KERNEL|__GFP_ZERO".
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "internal.h"

struct gfp_name {
	gfp_t mask;
	const char *name;
};

/*
 * Composite names first, then single bits, in the order of 6.18's
 * __def_gfpflag_names (include/trace/events/mmflags.h): printing takes the
 * first name whose bits are all set and removes them, as __print_flags()
 * does, so "GFP_KERNEL|__GFP_ZERO|__GFP_COMP" comes out as a real trace has it.
 */
static const struct gfp_name gfp_names[] = {
	{ GFP_TRANSHUGE,	"GFP_TRANSHUGE" },
	{ GFP_TRANSHUGE_LIGHT,	"GFP_TRANSHUGE_LIGHT" },
	{ GFP_HIGHUSER_MOVABLE,	"GFP_HIGHUSER_MOVABLE" },
	{ GFP_HIGHUSER,		"GFP_HIGHUSER" },
	{ GFP_USER,		"GFP_USER" },
	{ GFP_KERNEL_ACCOUNT,	"GFP_KERNEL_ACCOUNT" },
	{ GFP_KERNEL,		"GFP_KERNEL" },
	{ GFP_NOFS,		"GFP_NOFS" },
	{ GFP_ATOMIC,		"GFP_ATOMIC" },
	{ GFP_NOIO,		"GFP_NOIO" },
	{ GFP_NOWAIT,		"GFP_NOWAIT" },
	{ GFP_DMA,		"GFP_DMA" },
	{ GFP_DMA32,		"GFP_DMA32" },
	{ __GFP_RECLAIM,	"__GFP_RECLAIM" },
	/* TRACE_GFP_FLAGS_GENERAL, in bit order (__GFP_DMA and __GFP_DMA32 never print: GFP_DMA* came first) */
	{ __GFP_HIGHMEM,	"__GFP_HIGHMEM" },
	{ __GFP_MOVABLE,	"__GFP_MOVABLE" },
	{ __GFP_RECLAIMABLE,	"__GFP_RECLAIMABLE" },
	{ __GFP_HIGH,		"__GFP_HIGH" },
	{ __GFP_IO,		"__GFP_IO" },
	{ __GFP_FS,		"__GFP_FS" },
	{ __GFP_ZERO,		"__GFP_ZERO" },
	{ __GFP_DIRECT_RECLAIM,	"__GFP_DIRECT_RECLAIM" },
	{ __GFP_KSWAPD_RECLAIM,	"__GFP_KSWAPD_RECLAIM" },
	{ __GFP_WRITE,		"__GFP_WRITE" },
	{ __GFP_NOWARN,		"__GFP_NOWARN" },
	{ __GFP_RETRY_MAYFAIL,	"__GFP_RETRY_MAYFAIL" },
	{ __GFP_NOFAIL,		"__GFP_NOFAIL" },
	{ __GFP_NORETRY,	"__GFP_NORETRY" },
	{ __GFP_MEMALLOC,	"__GFP_MEMALLOC" },
	{ __GFP_COMP,		"__GFP_COMP" },
	{ __GFP_NOMEMALLOC,	"__GFP_NOMEMALLOC" },
	{ __GFP_HARDWALL,	"__GFP_HARDWALL" },
	{ __GFP_THISNODE,	"__GFP_THISNODE" },
	{ __GFP_ACCOUNT,	"__GFP_ACCOUNT" },
	{ __GFP_ZEROTAGS,	"__GFP_ZEROTAGS" },
};

#define NR_GFP_NAMES (sizeof(gfp_names) / sizeof(gfp_names[0]))

/* Aliases accepted on input only (never printed). */
static const struct gfp_name gfp_aliases[] = {
	{ __GFP_DMA,		"__GFP_DMA" },
	{ __GFP_DMA32,		"__GFP_DMA32" },
	{ GFP_HIGHUSER_MOVABLE,	"GFP_HIGHUSER_MOVABLE" },
};

static int gfp_lookup(const char *name, size_t len, gfp_t *out)
{
	size_t i;

	for (i = 0; i < NR_GFP_NAMES; i++)
		if (strlen(gfp_names[i].name) == len &&
		    strncmp(gfp_names[i].name, name, len) == 0) {
			*out = gfp_names[i].mask;
			return 0;
		}
	for (i = 0; i < sizeof(gfp_aliases) / sizeof(gfp_aliases[0]); i++)
		if (strlen(gfp_aliases[i].name) == len &&
		    strncmp(gfp_aliases[i].name, name, len) == 0) {
			*out = gfp_aliases[i].mask;
			return 0;
		}
	return -ENOENT;
}

/* A number in C syntax ("0x400", "0") also stands for its bits. */
static int gfp_number(const char *s, size_t len, gfp_t *out)
{
	char buf[24], *end;
	unsigned long v;

	if (len == 0 || len >= sizeof(buf) || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	v = strtoul(buf, &end, 0);
	if (*end || v > __GFP_BITS_MASK)
		return -EINVAL;
	*out = (gfp_t)v;
	return 0;
}

int gfp_parse(const char *text, gfp_t *gfp, struct mm_error *e)
{
	const char *p = text, *start;
	gfp_t acc = 0, bits;
	size_t len;

	if (!text)
		return mm_error_set(e, -EINVAL, "missing gfp flags");
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		start = p;
		while (*p && *p != '|' && *p != ' ' && *p != '\t')
			p++;
		len = (size_t)(p - start);
		if (len == 0)
			return mm_error_set(e, -EINVAL, "empty flag in gfp \"%s\"", text);
		if (gfp_lookup(start, len, &bits) && gfp_number(start, len, &bits))
			return mm_error_set(e, -EINVAL, "unknown gfp flag \"%.*s\"",
					    (int)len, start);
		acc |= bits;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		if (*p != '|')
			return mm_error_set(e, -EINVAL, "gfp flags must be joined with '|'");
		p++;
	}
	*gfp = acc;
	return 0;
}

static void append(char *buf, size_t len, size_t *pos, const char *s)
{
	int n;

	if (*pos >= len)
		return;
	n = snprintf(buf + *pos, len - *pos, "%s%s", *pos ? "|" : "", s);
	if (n > 0)
		*pos += (size_t)n;
}

void gfp_format(gfp_t gfp, char *buf, size_t len)
{
	size_t pos = 0, i;
	char rest[16];

	if (!len)
		return;
	buf[0] = '\0';
	if (!gfp) {
		snprintf(buf, len, "none");
		return;
	}
	for (i = 0; i < NR_GFP_NAMES && gfp; i++) {
		if ((gfp & gfp_names[i].mask) != gfp_names[i].mask)
			continue;
		append(buf, len, &pos, gfp_names[i].name);
		gfp &= ~gfp_names[i].mask;
	}
	if (gfp) {
		snprintf(rest, sizeof(rest), "0x%x", gfp);
		append(buf, len, &pos, rest);
	}
}

/*
 * gfp_zone() - the highest zone a request may use. The kernel packs this
 * table into GFP_ZONE_TABLE; on x86-64 there is no highmem, so __GFP_HIGHMEM
 * alone means Normal and __GFP_HIGHMEM|__GFP_MOVABLE means ZONE_MOVABLE.
 * Combinations the kernel calls bad (GFP_ZONE_BAD) give -EINVAL.
 * Kernel: include/linux/gfp.h, gfp_zone().
 */
int gfp_zone(gfp_t gfp)
{
	static const signed char table[16] = {
		[0]						= ZONE_NORMAL,
		[__GFP_DMA]					= ZONE_DMA,
		[__GFP_HIGHMEM]					= ZONE_NORMAL,
		[__GFP_DMA32]					= ZONE_DMA32,
		[__GFP_MOVABLE]					= ZONE_NORMAL,
		[__GFP_MOVABLE | __GFP_DMA]			= ZONE_DMA,
		[__GFP_MOVABLE | __GFP_HIGHMEM]			= ZONE_MOVABLE,
		[__GFP_MOVABLE | __GFP_DMA32]			= ZONE_DMA32,
		[__GFP_DMA | __GFP_HIGHMEM]			= -EINVAL,
		[__GFP_DMA | __GFP_DMA32]			= -EINVAL,
		[__GFP_DMA32 | __GFP_HIGHMEM]			= -EINVAL,
		[__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM]	= -EINVAL,
		[__GFP_MOVABLE | __GFP_DMA | __GFP_HIGHMEM]	= -EINVAL,
		[__GFP_MOVABLE | __GFP_DMA | __GFP_DMA32]	= -EINVAL,
		[__GFP_MOVABLE | __GFP_DMA32 | __GFP_HIGHMEM]	= -EINVAL,
		[GFP_ZONEMASK]					= -EINVAL,
	};

	return table[gfp & GFP_ZONEMASK];
}

/*
 * gfp_migratetype() - Movable, Reclaimable or Unmovable from the mobility
 * bits; both bits at once is not a valid request (-EINVAL).
 * Kernel: include/linux/gfp.h, gfp_migratetype().
 */
int gfp_migratetype(gfp_t gfp)
{
	if ((gfp & GFP_MOVABLE_MASK) == GFP_MOVABLE_MASK)
		return -EINVAL;
	return (int)((gfp & GFP_MOVABLE_MASK) >> GFP_MOVABLE_SHIFT);
}
