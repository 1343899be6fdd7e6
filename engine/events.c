/*
 * events.c - event type names. The names mirror the kernel's tracepoints
 * where one exists (mm_page_alloc, mm_page_alloc_extfrag, ...).
 */
#include <string.h>

#include "mmlab.h"

static const char *const event_type_names[MM_EV_NR_TYPES] = {
	[MM_EV_NONE] = NULL,
#define MM_EV_NAME(name) [MM_EV_##name] = #name,
	MM_EVENT_TYPES(MM_EV_NAME)
#undef MM_EV_NAME
};

const char *mm_event_type_name(int type)
{
	if (type <= MM_EV_NONE || type >= MM_EV_NR_TYPES)
		return NULL;
	return event_type_names[type];
}

int mm_event_type_from_name(const char *name)
{
	for (int t = MM_EV_NONE + 1; t < MM_EV_NR_TYPES; t++)
		if (strcmp(event_type_names[t], name) == 0)
			return t;
	return MM_EV_NONE;
}

void mm_event_init(struct mm_event *ev, int type)
{
	ev->type = type;
	ev->cpu = ev->node = ev->zone = ev->order = MM_NA;
	ev->migratetype = ev->level = MM_NA;
	ev->gfp = 0;
	ev->pfn = ev->vaddr = ev->paddr = ev->size = MM_NA_U64;
	ev->value = MM_NA;
	ev->detail = NULL;
}
