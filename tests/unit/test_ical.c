/* The text/calendar part: RFC 5545 structure, TEXT escaping, folding at 75
 * octets between UTF-8 characters, the cap on events. */
#include "testutil.h"

#include <jansson.h>

#include "core/buf.h"
#include "compose/ical.h"

static json_t *event(const char *uid, const char *title, const char *url, const char *start,
		     const char *end)
{
	json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:[s,s]}", "uid", uid, "title", title,
			      "start", start, "sources_text", "Region Stockholm och Läkartidningen",
			      "sources", "Region Stockholm", "Läkartidningen");
	if (url)
		json_object_set_new(e, "url", json_string(url));
	if (end)
		json_object_set_new(e, "end", json_string(end));
	return e;
}

static json_t *model_with(json_t *events)
{
	return json_pack("{s:s, s:o, s:b}", "generated", "2024-04-20T08:00:00Z", "events", events,
			 "has_events", json_array_size(events) > 0);
}

/* Every line ends in CRLF and is at most 75 octets; a continuation line
 * (leading space) never starts inside a UTF-8 character; the lines are
 * valid UTF-8 one by one. Returns the unfolded text (LF line ends). */
static char *check_and_unfold(const char *cal)
{
	struct buf u = BUF_INIT;
	const char *p = cal;
	while (*p) {
		const char *e = strstr(p, "\r\n");
		if (!e)
			fail_msg("line without CRLF: %.40s", p);
		size_t n = (size_t)(e - p);
		if (n > 75)
			fail_msg("line of %zu octets: %.*s", n, (int)n, p);
		assert_null(memchr(p, '\n', n));
		assert_null(memchr(p, '\r', n));
		/* each physical line is whole characters */
		if (n && ((unsigned char)p[n - 1] & 0xC0) == 0xC0)
			fail_msg("line ends in a lead byte: %.*s", (int)n, p);
		if (*p == ' ') {
			if (((unsigned char)p[1] & 0xC0) == 0x80)
				fail_msg("continuation starts inside a character: %.*s", (int)n, p);
			if (u.len && u.data[u.len - 1] == '\n')
				u.data[--u.len] = '\0';
			buf_append(&u, p + 1, n - 1);
		} else {
			buf_append(&u, p, n);
		}
		buf_putc(&u, '\n');
		p = e + 2;
	}
	return buf_steal(&u);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		n++;
	return n;
}

static void test_structure(void **state)
{
	(void)state;
	json_t *ev = json_array();
	json_array_append_new(ev, event("00000000000000aa", "Öppet hus på vårdcentralen",
					"https://rs.example/oh", "2024-04-24T11:00:00Z",
					"2024-04-24T14:00:00Z"));
	json_array_append_new(ev, event("00000000000000bb", "Legevakt-møte", "javascript:alert(1)",
					"2024-05-02T08:00:00Z", NULL));
	json_t *m = model_with(ev);
	char *cal;
	assert_int_equal(ical_from_model(m, "Bulletin <bulletin@slf.example.se>", &cal), 1);
	char *u = check_and_unfold(cal);
	assert_int_equal(strncmp(u, "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:", 35), 0);
	assert_non_null(strstr(u, "\nMETHOD:PUBLISH\n"));
	assert_int_equal(count(u, "BEGIN:VEVENT\n"), 2);
	assert_int_equal(count(u, "END:VEVENT\n"), 2);
	assert_non_null(strstr(u, "\nUID:00000000000000aa@slf.example.se\n"));
	assert_int_equal(count(u, "\nDTSTAMP:20240420T080000Z\n"), 2);
	assert_non_null(strstr(u, "\nDTSTART:20240424T110000Z\nDTEND:20240424T140000Z\n"));
	assert_non_null(strstr(u, "\nDTSTART:20240502T080000Z\nORGANIZER:mailto:bulletin@slf.example.se\n"
				  "SUMMARY:Legevakt-møte\n"));
	assert_int_equal(count(u, "DTEND"), 1);
	assert_non_null(strstr(u, "\nSUMMARY:Öppet hus på vårdcentralen\n"));
	/* http(s) only: no URL line for the javascript: link, nor in DESCRIPTION */
	assert_int_equal(count(u, "\nURL:"), 1);
	assert_non_null(strstr(u, "\nURL:https://rs.example/oh\n"));
	assert_null(strstr(u, "javascript"));
	assert_non_null(strstr(u, "\nDESCRIPTION:Region Stockholm och Läkartidningen\\nhttps://rs.example/oh\n"));
	assert_non_null(strstr(u, "\nEND:VCALENDAR\n"));
	assert_int_equal(strcmp(u + strlen(u) - strlen("END:VCALENDAR\n"), "END:VCALENDAR\n"), 0);
	free(u);
	free(cal);
	/* no sender domain: "bulletin" */
	assert_int_equal(ical_from_model(m, NULL, &cal), 1);
	assert_non_null(strstr(cal, "UID:00000000000000aa@bulletin\r\n"));
	free(cal);
	json_decref(m);
}

/* The mail's events come from the association (ORGANIZER, its name from
 * the model's association_name) and carry LOCATION where the agenda knows
 * the place: the association's own entries from "upcoming" join the
 * items' events, each uid once; an entry without a day stays out (issue 17). */
static void test_organizer_location_agenda(void **state)
{
	(void)state;
	json_t *ev = json_array();
	json_array_append_new(ev, event("item-00000000000000aa", "Öppet hus", "https://rs.example/oh",
					"2024-04-24T11:00:00Z", "2024-04-24T14:00:00Z"));
	json_t *m = model_with(ev);
	json_object_set_new(m, "association_name", json_string("Distriktsläkarna \"DLF\"; Stockholm"));
	json_t *lines = json_array();
	/* the item's event again (an agenda line): once */
	json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "uid", "item-00000000000000aa",
					       "title", "Öppet hus", "start", "2024-04-24T11:00:00Z",
					       "span", "timed", "all_day", 0, "kind", "event"));
	json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}", "uid", "cal-styrelse-2024",
					       "title", "Styrelsemöte", "start", "2024-05-06T15:00:00Z",
					       "end", "2024-05-06T17:00:00Z", "place", "Läkarnas hus, sal B",
					       "span", "timed", "all_day", 0, "kind", "entry"));
	json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "uid", "cal-arsmote-2024",
					       "title", "Årsmöte", "start", "2024-05-31T22:00:00Z",
					       "span", "month", "all_day", 1, "kind", "entry"));
	json_array_append_new(lines, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "uid", "cal-dag-2024",
					       "title", "Allmänläkardagen", "start", "2024-05-19T22:00:00Z",
					       "span", "day", "all_day", 1, "kind", "entry"));
	json_object_set_new(m, "upcoming", json_pack("{s:o}", "lines", lines));
	char *cal;
	assert_int_equal(ical_from_model(m, "Nyhetsbrev <nyhetsbrev@dlf.example.se>", &cal), 1);
	char *u = check_and_unfold(cal);
	assert_int_equal(count(u, "BEGIN:VEVENT\n"), 3);
	assert_int_equal(count(u, "UID:item-00000000000000aa@"), 1);
	assert_int_equal(count(u, "\nORGANIZER;CN=\"Distriktsläkarna DLF; Stockholm\":mailto:nyhetsbrev@dlf.example.se\n"), 3);
	assert_non_null(strstr(u, "\nUID:cal-styrelse-2024@dlf.example.se\n"));
	assert_non_null(strstr(u, "\nLOCATION:Läkarnas hus\\, sal B\n"));
	assert_int_equal(count(u, "\nLOCATION:"), 1);
	assert_non_null(strstr(u, "\nDTSTART;VALUE=DATE:20240520\nDTEND;VALUE=DATE:20240521\n"));
	assert_null(strstr(u, "Årsmöte"));
	free(u);
	free(cal);
	/* no plain sender address: no ORGANIZER */
	assert_int_equal(ical_from_model(m, NULL, &cal), 1);
	assert_null(strstr(cal, "ORGANIZER"));
	free(cal);
	json_decref(m);
}

static void test_no_events(void **state)
{
	(void)state;
	json_t *m = model_with(json_array());
	char *cal = (char *)"x";
	assert_int_equal(ical_from_model(m, "a@b.se", &cal), 0);
	assert_null(cal);
	json_decref(m);
	m = json_object();
	assert_int_equal(ical_from_model(m, "a@b.se", &cal), 0);
	assert_null(cal);
	json_decref(m);
}

static void test_text_escaping(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	assert_int_equal(ical_text(&b, "Möte; vård, och \\ snedstreck\r\nny rad\nen till\x01\ttab"),
			 0);
	assert_string_equal(buf_str(&b),
			    "Möte\\; vård\\, och \\\\ snedstreck\\nny rad\\nen till\ttab");
	buf_reset(&b);
	assert_int_equal(ical_text(&b, "trasig \xC3 utf-8"), 0);
	assert_string_equal(buf_str(&b), "trasig \xEF\xBF\xBD utf-8");
	buf_free(&b);
	/* an escaped title in a whole calendar */
	json_t *ev = json_array();
	json_array_append_new(ev, event("01", "Möte; vård, \"och\" \\ mer\nrad", NULL,
					"2024-04-24T11:00:00Z", NULL));
	json_t *m = model_with(ev);
	char *cal;
	assert_int_equal(ical_from_model(m, "a@b.se", &cal), 1);
	char *u = check_and_unfold(cal);
	assert_non_null(strstr(u, "\nSUMMARY:Möte\\; vård\\, \"och\" \\\\ mer\\nrad\n"));
	/* no link: the description is the sources alone */
	assert_non_null(strstr(u, "\nDESCRIPTION:Region Stockholm och Läkartidningen\n"));
	free(u);
	free(cal);
	json_decref(m);
}

static void test_folding_long_swedish_title(void **state)
{
	(void)state;
	/* two-byte characters at every offset, and a three-byte one */
	const char *title =
		"Öppet möte om primärvårdens framtid: vårdcentralernas läkarförsörjning och "
		"fastläkarreformen och regionens strategi för nära vård – välkomna till "
		"Läkarhuset på Södermalm åäöÅÄÖ åäöÅÄÖ åäöÅÄÖ åäöÅÄÖ åäöÅÄÖ åäöÅÄÖ ø æ";
	for (int shift = 0; shift < 3; shift++) {
		char t[512];
		snprintf(t, sizeof t, "%.*s%s", shift, "xx", title);
		json_t *ev = json_array();
		json_array_append_new(ev, event("02", t, "https://rs.example/ett/mycket/langt/"
						"lank/som/ocksa/maste/vikas/over/flera/rader?x=1",
						"2024-04-24T11:00:00Z", NULL));
		json_t *m = model_with(ev);
		char *cal;
		assert_int_equal(ical_from_model(m, "a@b.se", &cal), 1);
		char *u = check_and_unfold(cal);
		char want[600];
		snprintf(want, sizeof want, "\nSUMMARY:%s\n", t);
		if (!strstr(u, want))
			fail_msg("unfolded SUMMARY differs:\n%s", u);
		assert_non_null(strstr(u, "\nURL:https://rs.example/ett/mycket/langt/lank/som/ocksa/"
					  "maste/vikas/over/flera/rader?x=1\n"));
		/* it was folded */
		assert_true(count(cal, "\r\n ") >= 3);
		free(u);
		free(cal);
		json_decref(m);
	}
	/* ical_line on its own: 200 two-byte characters */
	struct buf b = BUF_INIT;
	char v[401];
	for (int i = 0; i < 200; i++)
		memcpy(v + 2 * i, "ö", 2);
	v[400] = '\0';
	assert_int_equal(ical_line(&b, "SUMMARY", v), 0);
	char *u = check_and_unfold(buf_str(&b));
	assert_int_equal(strncmp(u, "SUMMARY:", 8), 0);
	assert_int_equal(strncmp(u + 8, v, 400), 0);
	assert_string_equal(u + 408, "\n");
	free(u);
	buf_free(&b);
}

static void test_at_most_50_events(void **state)
{
	(void)state;
	json_t *ev = json_array();
	for (int i = 0; i < 60; i++) {
		char uid[8];
		snprintf(uid, sizeof uid, "%02d", i);
		json_array_append_new(ev, event(uid, "Möte", "https://e.se/", "2024-04-24T11:00:00Z",
						NULL));
	}
	json_t *m = model_with(ev);
	char *cal;
	assert_int_equal(ical_from_model(m, "a@b.se", &cal), 1);
	assert_int_equal(count(cal, "BEGIN:VEVENT\r\n"), ICAL_MAX_EVENTS);
	assert_non_null(strstr(cal, "UID:49@b.se\r\n"));
	assert_null(strstr(cal, "UID:50@b.se\r\n"));
	free(cal);
	json_decref(m);
}

/* calendar.ics's events: days as VALUE=DATE (the Stockholm day, the end
 * the day after), SEQUENCE, CREATED, LAST-MODIFIED, LOCATION, the name a
 * subscription shows; an empty calendar is still a calendar. */
static void test_write_days_sequence_name(void **state)
{
	(void)state;
	struct ical_event v[] = {
		{.uid = "cal-arsmote-2027", .start = 1801436400 /* 2027-01-31T23:00Z */,
		 .end = 1801522800, .all_day = 1, .summary = "Årsmöte DLF Sthlm", .sequence = 0,
		 .created = 1800000000, .modified = 1800000000,
		 .description = "Någon gång i februari 2027"},
		{.uid = "cal-natt-2027", .start = 1819396800 /* 2027-08-27T20:00Z */,
		 .end = 1819411200, .summary = "Nattmöte", .location = "Läkarnas hus, plan 2; sal B",
		 .url = "https://example.se/natt", .sequence = 3, .created = 1800000000,
		 .modified = 1810000000},
		{.uid = NULL, .start = 1818964800, .summary = "no uid: left out", .sequence = -1},
	};
	struct ical_opts o = {.from_address = "nyhetsbrev@dlf.example.se", .dtstamp = 1802000000,
			      .name = "Primärvårdsnytt: på gång"};
	char *cal;
	assert_int_equal(ical_write(v, 3, &o, &cal), 1);
	char *u = check_and_unfold(cal);
	assert_non_null(strstr(u, "\nNAME:Primärvårdsnytt: på gång\nX-WR-CALNAME:Primärvårdsnytt: på gång\n"));
	assert_non_null(strstr(u, "\nREFRESH-INTERVAL;VALUE=DURATION:PT12H\n"));
	assert_int_equal(count(u, "BEGIN:VEVENT"), 2);
	assert_non_null(strstr(u, "\nUID:cal-arsmote-2027@dlf.example.se\nDTSTAMP:20270207T113320Z\n"
				  "DTSTART;VALUE=DATE:20270201\nDTEND;VALUE=DATE:20270202\nSEQUENCE:0\n"
				  "CREATED:20270115T080000Z\nLAST-MODIFIED:20270115T080000Z\n"));
	assert_non_null(strstr(u, "\nDTSTART:20270827T200000Z\nDTEND:20270828T000000Z\nSEQUENCE:3\n"));
	assert_non_null(strstr(u, "\nLAST-MODIFIED:20270511T014640Z\n"));
	assert_non_null(strstr(u, "\nLOCATION:Läkarnas hus\\, plan 2\\; sal B\n"));
	assert_non_null(strstr(u, "\nDESCRIPTION:Någon gång i februari 2027\n"));
	assert_null(strstr(u, "no uid"));
	free(u);
	free(cal);
	/* nothing to show: 0 for a mail part, a calendar for a subscription */
	assert_int_equal(ical_write(v + 2, 1, &o, &cal), 0);
	assert_null(cal);
	o.empty_ok = 1;
	assert_int_equal(ical_write(NULL, 0, &o, &cal), 1);
	assert_non_null(strstr(cal, "X-WR-CALNAME"));
	assert_null(strstr(cal, "VEVENT"));
	free(cal);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_organizer_location_agenda),
		cmocka_unit_test(test_no_events),
		cmocka_unit_test(test_text_escaping),
		cmocka_unit_test(test_folding_long_swedish_title),
		cmocka_unit_test(test_at_most_50_events),
		cmocka_unit_test(test_write_days_sequence_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
