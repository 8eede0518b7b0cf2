/* mail_compose, read back by an independent parser: Python's email package
 * (tests/servers/check_mime.py, run with /usr/bin/python3 through execv). */
#include "testutil.h"

#include <jansson.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver/mail.h"

#define PY "/usr/bin/python3"
#define CHECKER "tests/servers/check_mime.py"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	strcpy(tmpdir, "/tmp/test_mail.XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char p[128];
	snprintf(p, sizeof p, "%s/msg.eml", tmpdir);
	unlink(p);
	snprintf(p, sizeof p, "%s/want.json", tmpdir);
	unlink(p);
	rmdir(tmpdir);
	return 0;
}

static int have_python(void)
{
	return access(PY, X_OK) == 0 && access(CHECKER, R_OK) == 0;
}

/* Writes the message and the expectations, runs the checker; its exit
 * status (0 = all held). */
static int run_checker(const struct buf *msg, json_t *want)
{
	char mpath[128], jpath[128];
	snprintf(mpath, sizeof mpath, "%s/msg.eml", tmpdir);
	snprintf(jpath, sizeof jpath, "%s/want.json", tmpdir);
	FILE *f = fopen(mpath, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(msg->data, 1, msg->len, f), msg->len);
	fclose(f);
	assert_int_equal(json_dump_file(want, jpath, 0), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char *argv[] = {PY, CHECKER, mpath, jpath, NULL};
		execv(PY, argv);
		_exit(127);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

static const char *nordic_text =
	"Hej Åse!\n\nVeckans nyheter: primärvård, vårdval och läkarförsörjning.\n"
	"Norsk: fastlegeordningen, ærlig talt, første møte på Østlandet.\n"
	".\nFrom the chair\nTrailing space \nTrailing tab\t\n";

static void base_msg(struct mail_msg *m)
{
	memset(m, 0, sizeof *m);
	m->from_name = "Primärvårdsbulletinen SLF Stockholms läns distrikt";
	m->from_addr = "bulletin@example.org";
	m->to_name = "Åse Ødegård";
	m->to_addr = "ase@example.no";
	m->subject = "Veckans nyheter om primärvården – vecka 47";
	m->message_id = "2024-w47.ase@bulletin.example.org";
	m->date = 1700000000;
	m->text = nordic_text;
	m->html = "<p>Hej <b>Åse</b>! å ä ö æ ø</p>\n";
}

static json_t *base_want(const struct mail_msg *m)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s}", "subject", m->subject,
			 "from_name", m->from_name, "from_addr", m->from_addr, "to_name",
			 m->to_name, "to_addr", m->to_addr, "message_id", m->message_id, "date",
			 (json_int_t)m->date, "text", m->text, "html", m->html);
}

static size_t longest_line(const char *s)
{
	size_t best = 0;
	while (*s) {
		const char *e = strstr(s, "\r\n");
		size_t l = e ? (size_t)(e - s) : strlen(s);
		if (l > best)
			best = l;
		s += l + (e ? 2 : 0);
	}
	return best;
}

/* The headers (up to the blank line) contain a line starting with name. */
static int header_line_starts(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n");
	size_t nl = strlen(name);
	for (const char *p = msg; p && p < end; p = strstr(p, "\r\n"), p = p ? p + 2 : p)
		if (strncasecmp(p, name, nl) == 0)
			return 1;
	return 0;
}

static void test_nordic_roundtrip(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	struct mail_msg m;
	base_msg(&m);
	m.reply_to = "ordforande@example.org";
	m.list_id = "Primärvårdsbulletinen <bulletin.example.org>";
	m.list_unsubscribe = "mailto:unsubscribe@example.org?subject=unsubscribe";
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	json_t *w = base_want(&m);
	json_object_set_new(w, "reply_to", json_string(m.reply_to));
	json_object_set_new(w, "list_id", json_string(m.list_id));
	json_object_set_new(w, "list_unsubscribe",
			    json_string("<mailto:unsubscribe@example.org?subject=unsubscribe>"));
	assert_int_equal(run_checker(&out, w), 0);
	/* Headers are 7-bit: the Nordic text is encoded, not raw. */
	assert_null(strstr(out.data, "Åse"));
	assert_true(longest_line(out.data) <= 78);
	json_decref(w);
	buf_free(&out);
}

/* Without HTML (the run report): one text/plain part, no multipart. */
static void test_text_only(void **state)
{
	(void)state;
	struct mail_msg m;
	base_msg(&m);
	m.html = NULL;
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_null(strstr(out.data, "multipart"));
	assert_null(strstr(out.data, "text/html"));
	assert_non_null(strstr(out.data, "\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"));
	assert_non_null(strstr(out.data, "\r\nContent-Transfer-Encoding: quoted-printable\r\n"));
	buf_free(&out);
}

static void test_one_click_unsubscribe(void **state)
{
	(void)state;
	struct mail_msg m;
	base_msg(&m);
	m.list_unsubscribe = "mailto:avregistrera@example.org?subject=avregistrera, https://example.org/u/Åse";
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_non_null(strstr(out.data, "List-Unsubscribe:"));
	assert_non_null(strstr(out.data, "<mailto:avregistrera@example.org?subject=avregistrera>,")); /* folded: one header */
	assert_non_null(strstr(out.data, "<https://example.org/u/%C3%85se>"));
	assert_non_null(strstr(out.data, "\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
	buf_free(&out);
	/* mailto alone: no one-click header (it needs an https URL) */
	m.list_unsubscribe = "mailto:avregistrera@example.org";
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_null(strstr(out.data, "List-Unsubscribe-Post"));
	buf_free(&out);
}

static void test_header_injection(void **state)
{
	(void)state;
	struct mail_msg m;
	base_msg(&m);
	m.subject = "Veckans nyheter\r\nBcc: evil@x";
	m.to_name = "Åse\r\nBcc: evil@y";
	m.from_name = "Bulletin\nBcc: evil@z";
	m.list_id = "List\r\nBcc: evil@w <l.example.org>";
	m.list_unsubscribe = "https://example.org/u?x=1\r\nBcc: evil@v";
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_false(header_line_starts(out.data, "Bcc"));
	/* No bare CR or LF anywhere. */
	for (size_t i = 0; i < out.len; i++) {
		if (out.data[i] == '\r')
			assert_int_equal(out.data[i + 1], '\n');
		if (out.data[i] == '\n')
			assert_int_equal(out.data[i - 1], '\r');
	}
	if (have_python()) {
		json_t *w = base_want(&m);
		json_object_set_new(w, "subject", json_string("Veckans nyheter Bcc: evil@x"));
		json_object_set_new(w, "to_name", json_string("Åse Bcc: evil@y"));
		json_object_set_new(w, "from_name", json_string("Bulletin Bcc: evil@z"));
		json_object_set_new(w, "forbid_headers", json_pack("[s]", "Bcc"));
		assert_int_equal(run_checker(&out, w), 0);
		json_decref(w);
	}
	buf_free(&out);
}

static void test_long_lines(void **state)
{
	(void)state;
	size_t n = 5000;
	char *html = malloc(n + 1);
	assert_non_null(html);
	/* One line of 5000 bytes with two-byte characters at odd offsets. */
	for (size_t i = 0; i < n;) {
		if (i % 37 == 5 && i + 2 <= n) {
			memcpy(html + i, "ø", 2);
			i += 2;
		} else {
			html[i] = "<p>x "[i % 5];
			i++;
		}
	}
	html[n] = '\0';
	struct mail_msg m;
	base_msg(&m);
	m.html = html;
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_true(longest_line(out.data) <= 76);
	if (have_python()) {
		json_t *w = base_want(&m);
		assert_int_equal(run_checker(&out, w), 0);
		json_decref(w);
	}
	buf_free(&out);
	free(html);
}

static void test_long_subject_and_names(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	struct mail_msg m;
	base_msg(&m);
	m.subject = "Vårdval Stockholm: förslag om ändrade ersättningsnivåer för husläkarverksamhet, "
		    "remissvar från distriktsläkarföreningen och möten på Østlandet – æøå ÆØÅ äö ÄÖ";
	m.from_name = "Bulletin, SLF Stockholm"; /* ASCII with a special: quoted by libetpan */
	m.to_name = "Dr. Åse Ødegård-Nilsen";
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_true(longest_line(out.data) <= 78);
	/* Encoded words are at most 75 characters (RFC 2047). */
	for (const char *p = strstr(out.data, "=?"); p; p = strstr(p + 2, "=?")) {
		const char *e = strstr(p + 2, "?=");
		assert_non_null(e);
		const char *q = strstr(p + 10, "?=");
		assert_true(q - p + 2 <= 75);
		p = q;
	}
	json_t *w = base_want(&m);
	assert_int_equal(run_checker(&out, w), 0);
	json_decref(w);
	buf_free(&out);
}

static void test_invalid_utf8_and_crlf_body(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	struct mail_msg m;
	base_msg(&m);
	m.subject = "Trasig \xC3 text \xff slut";
	m.text = "rad ett\r\nrad två\r\n\r\nslut";
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	struct mail_msg valid = m;
	valid.subject = "Trasig \xEF\xBF\xBD text \xEF\xBF\xBD slut";
	json_t *w = base_want(&valid);
	assert_non_null(w);
	assert_int_equal(run_checker(&out, w), 0);
	json_decref(w);
	buf_free(&out);
}

static void test_boundary_in_body(void **state)
{
	(void)state;
	if (!have_python())
		skip();
	struct mail_msg m;
	base_msg(&m);
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	const char *b = strstr(out.data, "boundary=\"");
	assert_non_null(b);
	b += 10;
	char text[200];
	snprintf(text, sizeof text, "före\n--%.*s\nefter\n--%.*s--\n", (int)strcspn(b, "\""), b,
		 (int)strcspn(b, "\""), b);
	m.text = text;
	buf_reset(&out);
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	json_t *w = base_want(&m);
	assert_int_equal(run_checker(&out, w), 0);
	json_decref(w);
	buf_free(&out);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct mail_msg m;
	base_msg(&m);
	struct buf a = BUF_INIT, b = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &a, &err), 0);
	assert_int_equal(mail_compose(&m, &b, &err), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	assert_non_null(strstr(a.data, "\r\nPrecedence: bulk\r\n"));
	assert_non_null(strstr(a.data, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(a.data, "\r\nMIME-Version: 1.0\r\n"));
	assert_null(strstr(a.data, "List-Id"));
	assert_null(strstr(a.data, "Reply-To"));
	/* No name: the bare address, not an empty quoted string. */
	m.to_name = "  ";
	buf_reset(&b);
	assert_int_equal(mail_compose(&m, &b, &err), 0);
	assert_non_null(strstr(b.data, "\r\nTo: ase@example.no\r\n"));
	buf_free(&a);
	buf_free(&b);
}

static void test_rejects_bad_addresses(void **state)
{
	(void)state;
	struct mail_msg m;
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	base_msg(&m);
	m.to_addr = "ase@example.no\r\nBcc: evil@x";
	assert_int_equal(mail_compose(&m, &out, &err), -1);
	assert_non_null(strstr(err.msg, "recipient"));
	base_msg(&m);
	m.from_addr = "not an address";
	assert_int_equal(mail_compose(&m, &out, &err), -1);
	assert_non_null(strstr(err.msg, "sender"));
	base_msg(&m);
	m.reply_to = "<x@y.z>";
	assert_int_equal(mail_compose(&m, &out, &err), -1);
	base_msg(&m);
	m.message_id = "id with space@x";
	assert_int_equal(mail_compose(&m, &out, &err), -1);
	assert_non_null(strstr(err.msg, "Message-ID"));
	assert_int_equal(out.len, 0);
	buf_free(&out);
}


/* With a calendar: multipart/mixed, the digest (plain and HTML) first,
 * then the events attached as kalender.ics (text/calendar;
 * method=PUBLISH), which decodes to the VCALENDAR as given: Outlook shows
 * a calendar inside the alternative instead of the digest (issue 17). */
static void test_calendar_part(void **state)
{
	(void)state;
	const char *cal =
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bulletin//bulletin test//EN\r\n"
		"METHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:0123456789abcdef@example.org\r\n"
		"DTSTAMP:20240420T080000Z\r\nDTSTART:20240424T110000Z\r\n"
		"SUMMARY:Öppet hus på vårdcentralen\\, fastlegeordningen og første møte på Ø\r\n"
		" stlandet: åäö æøå\r\n"
		"DESCRIPTION:Region Stockholm\\nhttps://rs.example/oh\r\n"
		"END:VEVENT\r\nEND:VCALENDAR\r\n";
	struct mail_msg m;
	base_msg(&m);
	m.calendar = cal;
	m.calendar_name = "kalender.ics";
	struct buf out = BUF_INIT;
	struct err err = {{0}};
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_non_null(strstr(out.data, "Content-Type: text/calendar"));
	const char *mixed = strstr(out.data, "Content-Type: multipart/mixed");
	const char *alt = strstr(out.data, "Content-Type: multipart/alternative");
	const char *html = strstr(out.data, "Content-Type: text/html");
	const char *ics = strstr(out.data, "Content-Type: text/calendar");
	assert_true(mixed && alt && html && ics && mixed < alt && alt < html && html < ics);
	assert_non_null(strstr(ics, "attachment"));
	assert_non_null(strstr(ics, "kalender.ics"));
	/* libetpan quotes parameter values: method="PUBLISH", the same to MIME */
	assert_true(strstr(out.data, "method=\"PUBLISH\"") || strstr(out.data, "method=PUBLISH"));
	assert_true(longest_line(out.data) <= 998);
	/* the other parts are as before */
	assert_non_null(strstr(out.data, "Content-Type: text/plain"));
	assert_non_null(strstr(out.data, "Content-Type: text/html"));
	if (have_python()) {
		json_t *w = base_want(&m);
		json_object_set_new(w, "calendar", json_string(cal));
		assert_int_equal(run_checker(&out, w), 0);
		json_decref(w);
	}
	/* Without html the calendar is left out: a plain note has no parts. */
	buf_reset(&out);
	m.html = NULL;
	assert_int_equal(mail_compose(&m, &out, &err), 0);
	assert_null(strstr(out.data, "text/calendar"));
	buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nordic_roundtrip),
		cmocka_unit_test(test_text_only),
		cmocka_unit_test(test_one_click_unsubscribe),
		cmocka_unit_test(test_header_injection),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_subject_and_names),
		cmocka_unit_test(test_invalid_utf8_and_crlf_body),
		cmocka_unit_test(test_boundary_in_body),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_rejects_bad_addresses),
		cmocka_unit_test(test_calendar_part),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
