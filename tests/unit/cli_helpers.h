/* Shared by the command-line tests, which run the real binaries. */
#ifndef TEST_CLI_HELPERS_H
#define TEST_CLI_HELPERS_H

#include <stdio.h>
#include <stdlib.h>

/* The whole of a file the test's commands wrote, NUL-terminated (free it). */
static inline char *cli_slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = calloc(1, (size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

#endif
