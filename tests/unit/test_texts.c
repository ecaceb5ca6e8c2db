/*
 * Unit tests of the texts organizers read and the names administrators write: templates with
 * placeholders (text_template), Windows zone names (winzone, CLDR's windowsZones.xml) and
 * the once-a-day notice of ignored external requests (external_notice).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "external_notice.h"
#include "text_template.h"
#include "util.h"
#include "winzone.h"

static void test_template_check(void **state)
{
    (void)state;
    char bad[16];
    assert_true(text_template_check("{room} from {start} to {end}, {organizer}: {subject}", bad,
                                    sizeof(bad)));
    assert_true(
        text_template_check("no placeholders, {} { room } {{ or a lone {", bad, sizeof(bad)));
    assert_false(text_template_check("Busy from {strat}", bad, sizeof(bad)));
    assert_string_equal(bad, "strat");
    assert_false(text_template_check("{ROOM}", bad, sizeof(bad)));
    assert_string_equal(bad, "ROOM");
    assert_false(text_template_check("{a_very_long_placeholder_name}", bad, sizeof(bad)));
    assert_string_equal(bad, "a_very_long_pla"); /* cut to fit */
}

static void test_template_render(void **state)
{
    (void)state;
    struct text_template_values v = {.start = "2026-12-14 10:00",
                                     .end = "11:00",
                                     .organizer = "Alice",
                                     .room = "room-101",
                                     .subject = NULL};
    char *s = text_template_render("{room}: {start}-{end} for {organizer} ({subject}) {x} {", &v);
    assert_string_equal(s, "room-101: 2026-12-14 10:00-11:00 for Alice () {x} {");
    free(s);
    s = text_template_render("", &v);
    assert_string_equal(s, "");
    free(s);
}

static void test_winzone_cldr(void **state)
{
    (void)state;
    unsetenv("MEETINGD_WINDOWS_ZONES");
    if (access(winzone_path(), R_OK) != 0) {
        print_message("no %s: install unicode-cldr-core\n", winzone_path());
        fail();
    }
    char err[256];
    char *iana = winzone_to_iana("W. Europe Standard Time", err, sizeof(err));
    assert_non_null(iana);
    assert_string_equal(iana, "Europe/Berlin");
    free(iana);
    /* As people type it: case and runs of blanks do not matter. */
    iana = winzone_to_iana("w. europe  standard time", err, sizeof(err));
    assert_string_equal(iana, "Europe/Berlin");
    free(iana);
    iana = winzone_to_iana("Pacific Standard Time", err, sizeof(err));
    assert_string_equal(iana, "America/Los_Angeles");
    free(iana);
    assert_null(winzone_to_iana("Mars Standard Time", err, sizeof(err)));
    assert_non_null(strstr(err, "no such Windows zone"));
    assert_string_equal(winzone_from_iana("Europe/Berlin"), "W. Europe Standard Time");
    /* Not territory 001, still mapped back. */
    assert_string_equal(winzone_from_iana("Europe/Vienna"), "W. Europe Standard Time");
    assert_null(winzone_from_iana("Mars/Olympus_Mons"));
}

/* A map file is system data, but it is read like a server's answer: a DOCTYPE declaring an
 * external entity neither stops the reading nor loads anything (no network, no DTD, no
 * entity substitution); an entry that only the entity would fill stays empty. */
static void test_winzone_no_entities(void **state)
{
    (void)state;
    char path[] = "/tmp/winzone-test-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("<?xml version=\"1.0\"?>\n"
          "<!DOCTYPE supplementalData [\n"
          "  <!ENTITY ext SYSTEM \"file:///etc/hostname\">\n"
          "]>\n"
          "<supplementalData><windowsZones><mapTimezones>\n"
          "<mapZone other=\"Plain Time\" territory=\"001\" type=\"Europe/Paris\"/>\n"
          "<mapZone other=\"Odd Time\" territory=\"001\"><type>&ext;</type></mapZone>\n"
          "</mapTimezones></windowsZones></supplementalData>\n",
          f);
    fclose(f);
    setenv("MEETINGD_WINDOWS_ZONES", path, 1);
    char err[256];
    char *iana = winzone_to_iana("Plain Time", err, sizeof(err));
    assert_non_null(iana);
    assert_string_equal(iana, "Europe/Paris");
    free(iana);
    assert_null(winzone_to_iana("Odd Time", err, sizeof(err)));
    unlink(path);
    unsetenv("MEETINGD_WINDOWS_ZONES");
    /* Back to CLDR's file when the variable goes. */
    iana = winzone_to_iana("W. Europe Standard Time", err, sizeof(err));
    assert_string_equal(iana, "Europe/Berlin");
    free(iana);
}

static void test_external_notice_once_a_day(void **state)
{
    (void)state;
    time_t day1 = 1796176800; /* 2026-12-01 */
    assert_true(external_notice_due("room0", "guest@partner.example", day1));
    assert_false(external_notice_due("room0", "guest@partner.example", day1 + 60));
    assert_false(external_notice_due("room0", "GUEST@Partner.Example", day1 + 120));
    assert_true(external_notice_due("room1", "guest@partner.example", day1 + 180));
    assert_true(external_notice_due("room0", "other@partner.example", day1 + 240));
    assert_true(external_notice_due("room0", "guest@partner.example", day1 + 86400));
    assert_false(external_notice_due("room0", "guest@partner.example", day1 + 86400 + 60));
    /* Many organizers in one day: the set empties when full, never blocks a notice. */
    char org[64];
    for (int i = 0; i < 20000; i++) {
        snprintf(org, sizeof(org), "guest%d@partner.example", i);
        external_notice_due("room0", org, day1 + 86400 + 120);
    }
    assert_true(external_notice_due("room0", "new@partner.example", day1 + 86400 + 180));
}

int main(void)
{
    setenv("TZ", "UTC", 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_template_check),
        cmocka_unit_test(test_template_render),
        cmocka_unit_test(test_winzone_cldr),
        cmocka_unit_test(test_winzone_no_entities),
        cmocka_unit_test(test_external_notice_once_a_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
