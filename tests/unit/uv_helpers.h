/*
 * Test helpers for code on a libuv loop: run the loop until a condition
 * holds or a deadline passes, and capture mesh log lines to assert that a
 * fault and its recovery were logged.
 */
#ifndef TEST_UV_HELPERS_H
#define TEST_UV_HELPERS_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "mesh/log.h"

typedef bool (*test_cond_fn)(void *ctx);

struct test_uv_wait {
	test_cond_fn cond;
	void *ctx;
	bool expired;
};

static void test_uv_deadline_cb(uv_timer_t *t)
{
	((struct test_uv_wait *)t->data)->expired = true;
	uv_stop(t->loop);
}

/* Runs before the loop blocks for I/O: a condition a timer callback just
 * made true must not wait for the next I/O event or the deadline. */
static void test_uv_check_cb(uv_prepare_t *p)
{
	struct test_uv_wait *w = p->data;

	if (w->cond && w->cond(w->ctx))
		uv_stop(p->loop);
}

/* Run loop until cond(ctx) is true or timeout_ms passed. Returns cond's
 * final value. cond NULL: run for timeout_ms. */
static inline bool test_uv_run_until(uv_loop_t *loop, test_cond_fn cond, void *ctx,
				     unsigned int timeout_ms)
{
	struct test_uv_wait w = { cond, ctx, false };
	uv_timer_t deadline;
	uv_prepare_t check;

	uv_timer_init(loop, &deadline);
	uv_prepare_init(loop, &check);
	deadline.data = &w;
	check.data = &w;
	uv_timer_start(&deadline, test_uv_deadline_cb, timeout_ms, 0);
	uv_prepare_start(&check, test_uv_check_cb);
	while (!w.expired && !(cond && cond(ctx)))
		uv_run(loop, UV_RUN_ONCE);
	uv_timer_stop(&deadline);
	uv_prepare_stop(&check);
	uv_close((uv_handle_t *)&deadline, NULL);
	uv_close((uv_handle_t *)&check, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return cond ? cond(ctx) : true;
}

/* Let pending close callbacks run, then close the loop; false if handles
 * are still open (a leak of the code under test). */
static void test_uv_walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}

static void test_uv_count_open(uv_handle_t *h, void *arg)
{
	if (!uv_is_closing(h))
		(*(unsigned int *)arg)++;
}

/* Handles not closed by the code under test, active or not (uv_loop_alive
 * alone would miss a leaked idle timer). */
static inline unsigned int test_uv_open_handles(uv_loop_t *loop)
{
	unsigned int n = 0;

	uv_walk(loop, test_uv_count_open, &n);
	return n;
}

static inline bool test_uv_loop_close(uv_loop_t *loop)
{
	bool clean;

	for (int i = 0; i < 10; i++)
		uv_run(loop, UV_RUN_NOWAIT);
	clean = uv_loop_alive(loop) == 0 && test_uv_open_handles(loop) == 0;
	if (!clean) {
		uv_print_all_handles(loop, stderr);
		uv_walk(loop, test_uv_walk_close, NULL);
		uv_run(loop, UV_RUN_DEFAULT);
	}
	uv_loop_close(loop);
	return clean;
}

/* ---- log capture -------------------------------------------------------- */

struct test_log {
	char *text;      /* every captured line, "level component: message\n" */
	size_t len;
	size_t cap;
	bool echo;       /* also print to stderr (TEST_LOG_ECHO=1) */
};

static void test_log_sink(void *ctx, enum mesh_log_level level, const char *component,
			  const char *message)
{
	struct test_log *tl = ctx;
	char line[700];
	int n = snprintf(line, sizeof(line), "%s %s: %s\n", mesh_log_level_name(level),
			 component, message);

	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (tl->len + (size_t)n + 1 > tl->cap) {
		size_t cap = (tl->cap ? tl->cap * 2 : 4096) + (size_t)n;
		char *p = realloc(tl->text, cap);

		if (!p)
			return;
		tl->text = p;
		tl->cap = cap;
	}
	memcpy(tl->text + tl->len, line, (size_t)n + 1);
	tl->len += (size_t)n;
	if (tl->echo)
		fputs(line, stderr);
}

static inline void test_log_start(struct test_log *tl)
{
	const char *echo = getenv("TEST_LOG_ECHO");

	memset(tl, 0, sizeof(*tl));
	tl->echo = echo && *echo == '1';
	mesh_log_set_level(MESH_LOG_DEBUG);
	mesh_log_set_sink(test_log_sink, tl);
}

static inline void test_log_stop(struct test_log *tl)
{
	mesh_log_set_sink(NULL, NULL);
	mesh_log_set_level(MESH_LOG_INFO);
	free(tl->text);
	memset(tl, 0, sizeof(*tl));
}

/* True if some captured line contains needle. */
static inline bool test_log_has(const struct test_log *tl, const char *needle)
{
	return tl->text && strstr(tl->text, needle) != NULL;
}

/* Forget what was captured so far (to assert on what comes next). */
static inline void test_log_clear(struct test_log *tl)
{
	tl->len = 0;
	if (tl->text)
		tl->text[0] = '\0';
}

#endif
