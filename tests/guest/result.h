/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The result lines of the guest test programs, as run.sh counts them:
 * "PASS PREFIXname" or "FAIL PREFIXname: reason", flushed at once (a
 * program killed later keeps what it printed). A program defines
 * RESULT_PREFIX before including this, or has none; main() returns
 * failures ? 1 : 0.
 */
#ifndef FUSEPT_TEST_RESULT_H
#define FUSEPT_TEST_RESULT_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#ifndef RESULT_PREFIX
#define RESULT_PREFIX ""
#endif

static int failures;

static void result(int ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void result(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	if (ok) {
		printf("PASS " RESULT_PREFIX "%s\n", name);
	} else {
		failures++;
		printf("FAIL " RESULT_PREFIX "%s: ", name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		putchar('\n');
	}
	fflush(stdout);
}

#endif
