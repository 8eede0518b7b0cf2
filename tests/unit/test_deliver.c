/* The pure parts of delivery: pacing for [mail] rate and the retry
 * backoff, on a made-up clock (no sleeping, no wall-clock asserts). */
#include "testutil.h"

#include "deliver/deliver.h"

static void test_pace_unlimited(void **state)
{
	(void)state;
	struct deliver_pace p = {0, 0};
	for (int i = 0; i < 5; i++)
		assert_true(deliver_pace_wait(&p, 100.0 + i * 0.001) == 0);
}

static void test_pace_spacing(void **state)
{
	(void)state;
	struct deliver_pace p = {120, 0}; /* one every 0.5 s */
	double now = 1000.0;
	assert_true(deliver_pace_wait(&p, now) == 0); /* the first goes at once */
	/* Sent instantly: each next one waits out the rest of its 0.5 s. */
	double w = deliver_pace_wait(&p, now + 0.1);
	assert_true(w > 0.399 && w < 0.401);
	w = deliver_pace_wait(&p, now + 0.5); /* slot at 1.0 */
	assert_true(w > 0.499 && w < 0.501);
	/* A slow server: no wait, and no burst to "catch up" afterwards. */
	assert_true(deliver_pace_wait(&p, now + 10.0) == 0);
	w = deliver_pace_wait(&p, now + 10.0);
	assert_true(w > 0.499 && w < 0.501);
	/* 120 starts in a simulated minute of instant sends, never more. */
	struct deliver_pace q = {120, 0};
	double t = 0;
	int starts = 0;
	while (1) {
		t += deliver_pace_wait(&q, t);
		if (t >= 60.0)
			break;
		starts++;
	}
	assert_int_equal(starts, 120);
}

static void test_backoff(void **state)
{
	(void)state;
	assert_int_equal(deliver_backoff_ms(2000, 1), 2000);
	assert_int_equal(deliver_backoff_ms(2000, 2), 4000);
	assert_int_equal(deliver_backoff_ms(2000, 3), 8000);
	assert_int_equal(deliver_backoff_ms(2000, 10), 60000); /* bounded */
	assert_int_equal(deliver_backoff_ms(0, 3), 0);         /* tests: at once */
	assert_int_equal(deliver_backoff_ms(-5, 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pace_unlimited),
		cmocka_unit_test(test_pace_spacing),
		cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
