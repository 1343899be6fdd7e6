/*
 * error.c - errno names and the error record that engine calls fill.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "mmlab.h"

int mm_error_set(struct mm_error *e, int err, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return err;
	e->err = err;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return err;
}

const char *mm_errno_name(int err)
{
	switch (-err) {
	case 0:		return "OK";
	case EINVAL:	return "EINVAL";
	case ENOMEM:	return "ENOMEM";
	case EFAULT:	return "EFAULT";
	case ENOENT:	return "ENOENT";
	case EBUSY:	return "EBUSY";
	case EEXIST:	return "EEXIST";
	case ENOSPC:	return "ENOSPC";
	case ERANGE:	return "ERANGE";
	case EPERM:	return "EPERM";
	case ENXIO:	return "ENXIO";
	case EIO:	return "EIO";
	case E2BIG:	return "E2BIG";
	case EOVERFLOW:	return "EOVERFLOW";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EALREADY:	return "EALREADY";
	case ESRCH:	return "ESRCH";
	case EAGAIN:	return "EAGAIN";
	default:	return "E?";
	}
}
