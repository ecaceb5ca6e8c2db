/*
 * Unit tests of backoff: the retry delay of one mailbox, and the pauses mailboxes share per
 * key (server, budget owner, credentials) with one probe when a pause ends. The clock is the
 * caller's, so every test states its own "now".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>

#include "backoff.h"

static struct backoff *exact(bool once)
{
    struct backoff_options o;
    backoff_options_default(&o, once);
    o.jitter = 0.0; /* exact values to compare */
    return backoff_new(&o);
}

static void test_delay_doubles_and_caps(void **state)
{
    struct backoff *b = exact(false);
    assert_float_equal(backoff_delay(b, 1, false, 0), 1.0, 1e-9);
    assert_float_equal(backoff_delay(b, 2, false, 0), 2.0, 1e-9);
    assert_float_equal(backoff_delay(b, 4, false, 0), 8.0, 1e-9);
    assert_float_equal(backoff_delay(b, 100, false, 0), 180.0, 1e-9);
    backoff_free(b);
    b = exact(true);
    assert_float_equal(backoff_delay(b, 1, false, 0), 0.5, 1e-9);
    assert_float_equal(backoff_delay(b, 3, false, 0), 2.0, 1e-9);
    backoff_free(b);
}

static void test_delay_long_wait(void **state)
{
    struct backoff *b = exact(false);
    assert_float_equal(backoff_delay(b, 1, true, 0), 60.0, 1e-9);
    assert_float_equal(backoff_delay(b, 8, true, 0), 128.0, 1e-9); /* past the minimum */
    backoff_free(b);
}

static void test_delay_honours_server(void **state)
{
    struct backoff *b = exact(true);
    assert_float_equal(backoff_delay(b, 1, false, 1500), 1.5, 1e-9);
    assert_float_equal(backoff_delay(b, 1, false, 100), 0.5, 1e-9); /* own delay is longer */
    /* Honoured up to an hour, also for the largest value a header can give. */
    assert_float_equal(backoff_delay(b, 1, false, 7200000), 3600.0, 1e-9);
    assert_float_equal(backoff_delay(b, 1, false, 0xffffffffu), 3600.0, 1e-9);
    backoff_free(b);
}

static void test_jitter_stays_in_range(void **state)
{
    struct backoff *b = backoff_new(NULL);
    for (int i = 0; i < 1000; i++) {
        double d = backoff_delay(b, 1, false, 0);
        assert_true(d >= 0.8 && d <= 1.2);
        d = backoff_delay(b, 1, true, 0);
        assert_true(d >= 48.0 && d <= 72.0);
    }
    backoff_free(b);
}

static void test_unknown_key_waits_nothing(void **state)
{
    struct backoff *b = exact(false);
    assert_float_equal(backoff_wait(b, "server", 100.0), 0.0, 1e-9);
    assert_float_equal(backoff_wait(b, NULL, 100.0), 0.0, 1e-9);
    backoff_clear(b, "server"); /* nothing to clear is fine */
    backoff_claim(b, "server", 100.0);
    assert_float_equal(backoff_wait(b, "server", 100.0), 0.0, 1e-9);
    backoff_free(b);
}

/* Two mailboxes on one key: a pause set by one holds the other back too. */
static void test_shared_pause(void **state)
{
    struct backoff *b = exact(false);
    backoff_pause(b, "https://ews", 100.0, 30.0);
    assert_float_equal(backoff_wait(b, "https://ews", 100.0), 30.0, 1e-9);
    assert_float_equal(backoff_wait(b, "https://ews", 120.0), 10.0, 1e-9);
    assert_float_equal(backoff_wait(b, "https://other", 120.0), 0.0, 1e-9);
    /* A shorter pause never shortens a longer one. */
    backoff_pause(b, "https://ews", 110.0, 5.0);
    assert_float_equal(backoff_wait(b, "https://ews", 120.0), 10.0, 1e-9);
    /* A longer one extends it. */
    backoff_pause(b, "https://ews", 120.0, 60.0);
    assert_float_equal(backoff_wait(b, "https://ews", 120.0), 60.0, 1e-9);
    backoff_free(b);
}

/* When a pause ends, one mailbox probes and the others wait for its outcome. */
static void test_one_probe_after_a_pause(void **state)
{
    struct backoff *b = exact(false);
    backoff_pause(b, "budget:room@example.com", 0.0, 10.0);
    assert_float_equal(backoff_wait(b, "budget:room@example.com", 10.0), 0.0, 1e-9);
    backoff_claim(b, "budget:room@example.com", 10.0);
    /* The second asker waits for the probe. */
    assert_float_equal(backoff_wait(b, "budget:room@example.com", 10.5), 1.0, 1e-9);
    /* The probe failed: a new pause for everyone. */
    backoff_pause(b, "budget:room@example.com", 11.0, 20.0);
    assert_float_equal(backoff_wait(b, "budget:room@example.com", 11.0), 20.0, 1e-9);
    backoff_claim(b, "budget:room@example.com", 31.0);
    /* The probe succeeded: everyone goes. */
    backoff_clear(b, "budget:room@example.com");
    assert_float_equal(backoff_wait(b, "budget:room@example.com", 31.0), 0.0, 1e-9);
    backoff_free(b);
}

/* A probe whose mailbox never reports stops holding the others back. */
static void test_probe_expires(void **state)
{
    struct backoff *b = exact(false);
    backoff_pause(b, "k", 0.0, 1.0);
    backoff_claim(b, "k", 2.0);
    assert_float_equal(backoff_wait(b, "k", 3.0), 1.0, 1e-9);
    assert_float_equal(backoff_wait(b, "k", 2.0 + 300.0), 0.0, 1e-9);
    backoff_free(b);
}

/* A probe whose poll failed on another key ends with that poll: its key is free again at
 * once (a mailbox waited probe_s for its own budget's probe), a pause stays. */
static void test_probe_end(void **state)
{
    (void)state;
    struct backoff *b = exact(false);
    backoff_pause(b, "budget", 0.0, 1.0);
    backoff_claim(b, "budget", 2.0);
    assert_float_equal(backoff_wait(b, "budget", 2.5), 1.0, 1e-9);
    backoff_probe_end(b, "budget");
    assert_float_equal(backoff_wait(b, "budget", 2.5), 0.0, 1e-9);
    backoff_pause(b, "server", 3.0, 4.0);
    backoff_probe_end(b, "server");
    assert_float_equal(backoff_wait(b, "server", 4.0), 3.0, 1e-9);
    backoff_probe_end(b, "never-seen");
    backoff_free(b);
}

/* Refused credentials: minutes, growing with each refusal in a row; success resets. */
static void test_refused_credentials(void **state)
{
    struct backoff *b = exact(false);
    const char *key = "https://ews|NTLM|svc";
    bool first = false;
    assert_false(backoff_refusing(b, key));
    assert_float_equal(backoff_refused(b, key, 0.0, &first), 60.0, 1e-9);
    assert_true(first);
    assert_true(backoff_refusing(b, key));
    assert_float_equal(backoff_wait(b, key, 30.0), 30.0, 1e-9);
    /* A second mailbox whose login was already on its way is refused too: not "first". */
    assert_float_equal(backoff_refused(b, key, 1.0, &first), 120.0, 1e-9);
    assert_false(first);
    assert_float_equal(backoff_refused(b, key, 200.0, &first), 240.0, 1e-9);
    for (int i = 0; i < 20; i++)
        backoff_refused(b, key, 1000.0, &first);
    assert_float_equal(backoff_wait(b, key, 1000.0), 3600.0, 1e-9);
    backoff_clear(b, key);
    assert_false(backoff_refusing(b, key));
    assert_float_equal(backoff_refused(b, key, 5000.0, &first), 60.0, 1e-9);
    assert_true(first);
    backoff_free(b);
}

/* Credentials nobody has tried yet: the first caller probes, the others wait for it; once
 * the server accepted them, no probe is needed again. */
static void test_untried_credentials_probe_once(void **state)
{
    struct backoff *b = exact(false);
    const char *key = "credentials https://ex/EWS ntlm svc";
    backoff_claim_untried(b, key, 100.0);
    assert_float_equal(backoff_wait(b, key, 100.0), 1.0, 1e-9); /* recheck_s */
    backoff_clear(b, key);                                      /* the probe got through */
    assert_float_equal(backoff_wait(b, key, 100.0), 0.0, 1e-9);
    backoff_claim_untried(b, key, 101.0); /* accepted before: not untried any more */
    assert_float_equal(backoff_wait(b, key, 101.0), 0.0, 1e-9);
    backoff_free(b);
}

static void test_compressed_options(void **state)
{
    struct backoff_options o;
    backoff_options_default(&o, false);
    o.credentials_base_s = 0.001;
    o.jitter = 0.0;
    struct backoff *b = backoff_new(&o);
    bool first;
    assert_float_equal(backoff_refused(b, "c", 0.0, &first), 0.001, 1e-12);
    assert_float_equal(backoff_options(b)->credentials_base_s, 0.001, 1e-12);
    backoff_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_delay_doubles_and_caps),
        cmocka_unit_test(test_delay_long_wait),
        cmocka_unit_test(test_delay_honours_server),
        cmocka_unit_test(test_jitter_stays_in_range),
        cmocka_unit_test(test_unknown_key_waits_nothing),
        cmocka_unit_test(test_shared_pause),
        cmocka_unit_test(test_one_probe_after_a_pause),
        cmocka_unit_test(test_probe_expires),
        cmocka_unit_test(test_probe_end),
        cmocka_unit_test(test_refused_credentials),
        cmocka_unit_test(test_untried_credentials_probe_once),
        cmocka_unit_test(test_compressed_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
