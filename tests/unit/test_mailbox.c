/* The mailbox's pure parts: the message reader (header fields, encoded
 * words, addresses, MIME parameters) and the classifier, on every fixture
 * in tests/fixtures/mailbox (expected.tsv says what each one is; the table
 * of expected and actual classes is printed as TAP comments), on the
 * words in each language, on input cut anywhere, an endless DSN and a big
 * attachment, and on the inputs fuzzing found. */
#include "testutil.h"

#include <ctype.h>
#include <dirent.h>

#include "core/address.h"

#include "core/buf.h"
#include "core/text.h"
#include "deliver/unsubscribe.h"
#include "mailbox/classify.h"
#include "mailbox/message.h"

#define FIX "tests/fixtures/mailbox/"

static const char *const chairs[] = {"ordforande@dlf-test.se"};
static const char *const reviewers[] = {"ordforande@dlf-test.se", "redaktor@dlf-test.se"};
static const struct mb_classify_opts opts = {
	.chairs = chairs, .nchairs = 1, .authserv_id = "mx.dlf-test.se",
	.own_address = "nyhetsbrev@dlf-test.se", .unsubscribe_address = "avregistrera@dlf-test.se",
	.reviewers = reviewers, .nreviewers = 2};

static struct mb_result *classify(const char *data, size_t len)
{
	static struct mb_result r;
	assert_int_equal(mb_classify(data, len, &opts, &r), 0);
	return &r;
}

/* ---- the message reader ---- */

static void test_header_fields(void **state)
{
	(void)state;
	const char m[] = "From nobody Mon Mar  9 06:30:00 2026\r\n" /* mbox line: skipped */
			 "Subject: =?utf-8?Q?Prim=C3=A4rv=C3=A5rdsnytt?=\r\n"
			 "\t=?iso-8859-1?B?5OQ=?= and more\r\n"
			 "X-Empty:\r\n"
			 "To: \"Berg, Anna\" <Anna.Berg@Region.se>, per@example.no (Per)\r\n"
			 "\r\n"
			 "body\r\n";
	struct msg_header h;
	size_t off;
	unsigned w = 0;
	assert_int_equal(msg_header_parse(m, sizeof m - 1, &h, &off, &w), 0);
	assert_int_equal(h.n, 3);
	assert_string_equal(msg_header_get(&h, "subject"),
			    "=?utf-8?Q?Prim=C3=A4rv=C3=A5rdsnytt?= =?iso-8859-1?B?5OQ=?= and more");
	assert_string_equal(msg_header_get(&h, "X-EMPTY"), "");
	assert_string_equal(m + off, "body\r\n");
	struct buf b = BUF_INIT;
	assert_int_equal(msg_header_text(msg_header_get(&h, "Subject"), &b, &w), 0);
	/* the blank between two encoded words goes, the one before text stays */
	assert_string_equal(buf_str(&b), "Primärvårdsnyttää and more");
	char list[4][256];
	assert_int_equal(msg_addresses(msg_header_get(&h, "To"), list, 4), 2);
	assert_string_equal(list[0], "anna.berg@region.se");
	assert_string_equal(list[1], "per@example.no");
	assert_int_equal(w, 0);
	buf_free(&b);
	msg_header_free(&h);
}

static void test_header_text_8bit(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	unsigned w = 0;
	assert_int_equal(msg_header_text("Fr\xe5nvaro \x01 =?x-unknown?q?a?= =?utf-8?q?=FF?=", &b, &w), 0);
	assert_true(utf8_valid(buf_str(&b), b.len));
	assert_non_null(strstr(buf_str(&b), "Frånvaro"));
	assert_true(w & MSG_W_8BIT_HEADER);
	for (size_t i = 0; i < b.len; i++)
		assert_true((unsigned char)b.data[i] >= 0x20);
	buf_free(&b);
}

static void test_addresses_and_ids(void **state)
{
	(void)state;
	char a[256];
	assert_true(msg_address("MAILER-DAEMON@mx.example.se (Mail Delivery System)", a, sizeof a));
	assert_string_equal(a, "mailer-daemon@mx.example.se");
	assert_true(msg_address("=?utf-8?Q?=C3=96berg?= <k@example.se>", a, sizeof a));
	assert_string_equal(a, "k@example.se");
	assert_true(msg_address("\"a <b@evil.example>\" <real@example.se>", a, sizeof a));
	assert_string_equal(a, "real@example.se");
	assert_false(msg_address("undisclosed-recipients:;", a, sizeof a));
	assert_false(msg_address("<>", a, sizeof a));
	assert_false(msg_address("a@b@c.se", a, sizeof a));
	assert_true(msg_id(" <abc.1@x.example> ", a, sizeof a));
	assert_string_equal(a, "abc.1@x.example");
	assert_false(msg_id("<no at sign>", a, sizeof a));
	assert_false(msg_id("<a b@c>", a, sizeof a));
	char p[64];
	assert_true(mime_param("multipart/report; report-type=\"delivery-status\";\n boundary=\"a;b\\\"c\"",
			       "boundary", p, sizeof p));
	assert_string_equal(p, "a;b\"c");
	assert_true(mime_param("text/plain; (comment) CHARSET=iso-8859-1", "charset", p, sizeof p));
	assert_string_equal(p, "iso-8859-1");
	assert_false(mime_param("text/plain; format=flowed", "charset", p, sizeof p));
	assert_false(mime_param("text/plain; x=\"charset=utf-8\"", "charset", p, sizeof p));
}

static void test_mime_parts(void **state)
{
	(void)state;
	const char m[] = "Content-Type: multipart/mixed; boundary=\"o\"\n\npreamble\n"
			 "--o\nContent-Type: multipart/alternative; boundary=i\n\n"
			 "--i\nContent-Type: text/plain; charset=iso-8859-1\n"
			 "Content-Transfer-Encoding: quoted-printable\n\nH=E4lsning=\n fr=E5n oss\n"
			 "--i\nContent-Type: text/html\n\n<p>x</p>\n--i--\n"
			 "--o\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\n"
			 "JVBERi0=\n--o--\nepilogue\n";
	struct msg msg;
	assert_int_equal(msg_parse(m, sizeof m - 1, &msg), 0);
	assert_int_equal(msg.nparts, 3);
	assert_string_equal(msg.parts[0].type, "text/plain");
	assert_string_equal(msg.parts[1].type, "text/html");
	assert_string_equal(msg.parts[2].type, "application/pdf");
	struct buf b = BUF_INIT;
	unsigned w = 0;
	assert_int_equal(msg_part_text(&msg.parts[0], 1000, &b, &w), 0);
	assert_string_equal(buf_str(&b), "Hälsning från oss");
	buf_reset(&b);
	assert_int_equal(msg_part_decode(&msg.parts[2], &b, &w), 0);
	assert_memory_equal(b.data, "%PDF-", 5);
	assert_int_equal(msg.warn, 0);
	buf_free(&b);
	msg_free(&msg);
}

/* ---- the classifier on the fixtures ---- */

static int in_result(const struct mb_result *r, const char *addr)
{
	return !strcmp(r->recipient, addr) || !strcmp(r->verp, addr) || !strcmp(r->orig_to, addr) ||
	       !strcmp(r->from, addr);
}

static void test_fixtures(void **state)
{
	(void)state;
	FILE *f = fopen(FIX "expected.tsv", "r");
	assert_non_null(f);
	char line[1024];
	int rows = 0, bad = 0;
	size_t per_class[MB_CLASS_COUNT_] = {0};
	printf("# | fixture | what it is | expected | actual | status | points to |\n");
	printf("# |---|---|---|---|---|---|\n");
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		char *save, *file = strtok_r(line, "\t", &save), *cls = strtok_r(NULL, "\t", &save),
			    *status = strtok_r(NULL, "\t", &save), *addr = strtok_r(NULL, "\t", &save),
			    *what = strtok_r(NULL, "\t", &save);
		assert_non_null(what);
		char path[512];
		snprintf(path, sizeof path, FIX "%s", file);
		size_t len = 0;
		char *data = test_read_file(path, &len);
		if (!data)
			fail_msg("%s: cannot read", path);
		struct mb_result *r = classify(data, len);
		const char *actual = mb_class_name(r->cls);
		int ok = !strcmp(actual, cls) &&
			 (!strcmp(status, "-") ? !r->status[0] || !strcmp(cls, "dsn-info")
					       : !strcmp(r->status, status)) &&
			 (!strcmp(addr, "-") || in_result(r, addr));
		printf("# | %s | %s | %s | %s | %s | %s |%s\n", file, what, cls, actual,
		       r->status[0] ? r->status : "-",
		       r->verp[0] ? r->verp : r->orig_to[0] ? r->orig_to : r->recipient[0] ? r->recipient
							    : r->from[0] ? r->from : "-",
		       ok ? "" : " MISMATCH");
		if (!ok) {
			printf("#   why: %s\n", r->why);
			bad++;
		}
		per_class[r->cls]++;
		rows++;
		free(data);
	}
	fclose(f);
	printf("# %d messages:", rows);
	for (int i = 0; i < MB_CLASS_COUNT_; i++)
		if (per_class[i])
			printf(" %s %zu,", mb_class_name((enum mb_class)i), per_class[i]);
	printf(" %d mismatches\n", bad);
	assert_true(rows >= 40);
	assert_int_equal(bad, 0);
}

/* The ledger's Message-ID, the original's List-Unsubscribe and the chair's
 * commands, as the actions need them. */
static void test_details(void **state)
{
	(void)state;
	size_t len = 0;
	char *d = test_read_file(FIX "15-dsn-list-unsubscribe-token.eml", &len);
	struct mb_result *r = classify(d, len);
	assert_string_equal(r->orig_ids[0], "rewritten-by-a-relay-0001@relay.example.com");
	assert_non_null(strstr(r->list_unsubscribe, "avregistrera%20u7Qx2LmZ"));
	free(d);
	d = test_read_file(FIX "41-chair-add-remove.eml", &len);
	r = classify(d, len);
	assert_int_equal(r->ncmds, 2);
	assert_int_equal(r->cmds[0].op, MB_ADD);
	assert_string_equal(r->cmds[0].name, "Märta Ödegård");
	assert_string_equal(r->cmds[0].address, "marta.odegard@example.se");
	assert_int_equal(r->cmds[1].op, MB_REMOVE);
	assert_string_equal(r->cmds[1].address, "bo.sjoberg@example.se");
	assert_int_equal(r->nother, 0); /* the signature is not a command */
	free(d);
	d = test_read_file(FIX "47-chair-commands-html.eml", &len);
	r = classify(d, len);
	assert_int_equal(r->ncmds, 1);
	assert_string_equal(r->cmds[0].name, "Holm, Lars");
	assert_int_equal(r->nother, 2); /* "Hej," and "tack!" */
	free(d);
	d = test_read_file(FIX "01-postfix-dsn-user-unknown.eml", &len);
	r = classify(d, len);
	assert_string_equal(r->orig_ids[0], "bulletin.11.17730114800.9d0c2f1e8a7b6c55@dlf-test.se");
	assert_non_null(strstr(r->diagnostic, "User unknown"));
	free(d);
}

static void test_words(void **state)
{
	(void)state;
	const char *unsub[] = {"avregistrera mig", "Avregistrering, tack", "AVREGISTRERA",
			       "Kan du avsluta min prenumeration?", "Meld meg av", "meld   av",
			       "Kan dere melde meg av?", "avmeld", "Afmeld mig", "Afmelding",
			       "UNSUBSCRIBE", "Re: unsubscribe me", "Avanmäl mig"};
	const char *not_unsub[] = {"Avslutande ord från ordföranden", "Primärvårdsnytt vecka 11",
				   "Tack för ett bra brev", "meldte seg på", "avsluttende møte",
				   "subscribe", ""};
	const char *away[] = {"Frånvaro", "Fravær: Primærnytt", "Fråvær", "Ferie", "På ferie",
			      "Semester", "Out of Office: x", "Autosvar", "Automatisk svar: x",
			      "Automatiskt svar: Primärvårdsnytt", "Automatic reply", "AutoReply"};
	const char *not_away[] = {"Semesterersättning för ST-läkare", "Feriehus? no: Ferien",
				  "Office hours", "Primärvårdsnytt vecka 11"};
	for (size_t i = 0; i < sizeof unsub / sizeof *unsub; i++)
		if (!mb_says_unsubscribe(unsub[i]))
			fail_msg("should ask to unsubscribe: %s", unsub[i]);
	for (size_t i = 0; i < sizeof not_unsub / sizeof *not_unsub; i++)
		if (mb_says_unsubscribe(not_unsub[i]))
			fail_msg("should not ask to unsubscribe: %s", not_unsub[i]);
	for (size_t i = 0; i < sizeof away / sizeof *away; i++)
		if (!mb_says_away(away[i]))
			fail_msg("should say away: %s", away[i]);
	for (size_t i = 0; i < sizeof not_away / sizeof *not_away; i++)
		if (mb_says_away(not_away[i]))
			fail_msg("should not say away: %s", not_away[i]);
}

/* Every prefix of every fixture (a fetch cut anywhere): no crash, and
 * never an unsubscribe from a message that is not one. 39 is left out: it
 * asks in its first line and says "semester" in its second, so a cut
 * between the two reads as a request (the fetch is never cut that early). */
static void test_cut_anywhere(void **state)
{
	(void)state;
	FILE *f = fopen(FIX "expected.tsv", "r");
	char line[1024];
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *save, *file = strtok_r(line, "\t", &save), *cls = strtok_r(NULL, "\t", &save);
		char path[512];
		snprintf(path, sizeof path, FIX "%s", file);
		size_t len = 0;
		char *data = test_read_file(path, &len);
		int guard = strcmp(cls, "unsubscribe") && strncmp(file, "39-", 3);
		for (size_t n = 0; n <= len; n += 1 + n / 64) {
			char *copy = malloc(n + 1); /* exactly n bytes: ASan sees an overread */
			memcpy(copy, data, n);
			struct mb_result *r = classify(copy, n);
			if (guard && r->cls == MB_UNSUBSCRIBE)
				fail_msg("%s cut at %zu reads as an unsubscribe", file, n);
			free(copy);
		}
		free(data);
	}
	fclose(f);
}

/* A DSN with 200,000 recipient groups: the first ones decide, the rest
 * are counted as over the bound (and the fetch would have cut it). */
static void test_endless_dsn(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "From: MAILER-DAEMON@mx.example.se\nSubject: Undelivered Mail\n"
		     "Content-Type: multipart/report; report-type=delivery-status; boundary=B\n\n"
		     "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\n");
	for (int i = 0; i < 200000; i++)
		buf_printf(&b, "Final-Recipient: rfc822; m%d@example.se\nAction: failed\nStatus: 5.1.1\n\n", i);
	struct mb_result *r = classify(b.data, b.len);
	assert_int_equal(r->cls, MB_BOUNCE_HARD);
	assert_string_equal(r->recipient, "m0@example.se");
	assert_true(r->warnings & MSG_W_TOO_MANY);
	buf_free(&b);
}

/* A member's reply with a 50 MB attachment, as fetched: the header and the
 * body's first 128 KiB. */
static void test_big_attachment_cut(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "From: Anna Berg <anna.berg@region.se>\nSubject: Re: Primärvårdsnytt\n"
		     "Content-Type: multipart/mixed; boundary=X\n\n--X\nContent-Type: text/plain\n\n"
		     "Här är protokollet.\n--X\nContent-Type: application/pdf\n"
		     "Content-Transfer-Encoding: base64\n\n");
	while (b.len < (128u << 10))
		buf_puts(&b, "JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZUR\n");
	struct mb_result *r = classify(b.data, 128u << 10);
	assert_int_equal(r->cls, MB_OTHER);
	assert_true(r->warnings & MSG_W_TRUNCATED);
	buf_free(&b);
}

/* What tests/fuzz/fuzz_mailbox.c asserts of every result. */
static void invariants(const struct mb_result *r, const char *what)
{
	if (r->cls == MB_UNSUBSCRIBE && !mail_address_valid(r->from))
		fail_msg("%s: an unsubscribe without a valid sender", what);
	if ((r->cls == MB_CHAIR || r->cls == MB_CHAIR_UNVERIFIED) &&
	    (strcmp(r->from, chairs[0]) || !r->ncmds))
		fail_msg("%s: commands without a chair", what);
	if (!utf8_valid(r->subject, strlen(r->subject)) || !utf8_valid(r->why, strlen(r->why)) ||
	    !utf8_valid(r->diagnostic, strlen(r->diagnostic)) ||
	    !utf8_valid(r->list_unsubscribe, strlen(r->list_unsubscribe)))
		fail_msg("%s: a text of the result is not UTF-8", what);
	/* a reply's tokens: "token=X" only, X a token's bytes, at most 4 */
	int k = 0;
	for (const char *p = r->list_unsubscribe; r->cls == MB_UNSUBSCRIBE && *p; k++) {
		size_t n = strncmp(p, "token=", 6) ? 0 : strspn(p + 6, UNSUB_TOKEN_CHARS);
		if (!n || k == 4 || (p[6 + n] && p[6 + n] != ' '))
			fail_msg("%s: a reply's tokens are not \"token=X\" ones: %s", what,
				 r->list_unsubscribe);
		p += 6 + n + (p[6 + n] == ' ');
	}
}

/* Inputs the fuzz target (tests/fuzz/fuzz_mailbox.c) once crashed on or
 * found slow: each file in tests/fixtures/mailbox/fuzz, and a few small
 * ones written here; each must classify cleanly. */
static void test_fuzz_regressions(void **state)
{
	(void)state;
	DIR *d = opendir(FIX "fuzz");
	assert_non_null(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char path[512];
		snprintf(path, sizeof path, FIX "fuzz/%s", e->d_name);
		size_t len = 0;
		char *data = test_read_file(path, &len);
		assert_non_null(data);
		char *copy = malloc(len + 1);
		memcpy(copy, data, len);
		invariants(classify(copy, len), e->d_name);
		free(copy);
		free(data);
		files++;
	}
	closedir(d);
	assert_true(files > 0);
	static const char *const cases[] = {
		"From: a@b.se\nSubject: =?\n\n",
		"From: a@b.se\nSubject: =?utf-8?q?",
		"From: x\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"\"\n\n--\n",
		"Return-Path: <>\nFrom: postmaster@x.se\nSubject: Undeliverable\n\n5.",
		"From: ordforande@dlf-test.se\nAuthentication-Results: mx.dlf-test.se;\n\nadd <",
		"From: ordforande@dlf-test.se\n\nadd  <x@y.se>\nremove\npause source\n",
		/* ASan: "remove " trimmed to 6 bytes read its blank as the 7th */
		"From: ordforande@dlf-test.se\n\nremove \npause source \nadd \n",
		"X-Failed-Recipients: @\nFrom: a@b.se\n\n4.4.44444.4",
		/* the quoted List-Unsubscribe: empty, folded at the end, quoted folds */
		"Return-Path: <>\nFrom: postmaster@x.se\nSubject: Undeliverable\n\nList-Unsubscribe:",
		"Return-Path: <>\nFrom: postmaster@x.se\nSubject: Undeliverable\n\nList-Unsubscribe:\n \n\t",
		"X-Failed-Recipients: a@b.se\nFrom: a@b.se\n\n> >List-Unsubscribe: <a>\n> >  <b>\n>\t\n>",
		/* a reply's tokens: empty, one byte short, cut at the end */
		"From: a@b.se\nSubject: avregistrera\n\ntoken=token=ab token=abc token=abc token=abc.",
	};
	/* folds and tokens past every bound: cut, never overrun */
	struct buf b = BUF_INIT;
	buf_puts(&b, "Return-Path: <>\nFrom: postmaster@x.se\nSubject: Undeliverable\n\n"
		     "List-Unsubscribe: <https://x/?token=");
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "AAAA\n\t<https://x/?token=");
	struct mb_result *r = classify(b.data, b.len);
	invariants(r, "long folds");
	assert_int_equal(strlen(r->list_unsubscribe), sizeof r->list_unsubscribe - 1);
	buf_reset(&b);
	buf_puts(&b, "From: a@b.se\nSubject: avregistrera\n\n");
	for (int i = 0; i < 100; i++)
		buf_printf(&b, "> token=%0*d\n", 40 + i * 5, i);
	buf_puts(&b, "token=");
	for (int i = 0; i < UNSUB_TOKEN_MAX + 1; i++)
		buf_putc(&b, 'A');
	r = classify(b.data, b.len);
	invariants(r, "many tokens");
	assert_int_equal(r->cls, MB_UNSUBSCRIBE);
	assert_non_null(strstr(r->list_unsubscribe, "token=0000"));
	buf_free(&b);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		size_t n = strlen(cases[i]);
		char *copy = malloc(n);
		memcpy(copy, cases[i], n);
		invariants(classify(copy, n), cases[i]);
		free(copy);
	}
}

/* The token of a digest's unsubscribe link where the header alone does
 * not carry it: a reply from another address quoting the footer, and a
 * bounce that quotes the original as text with its List-Unsubscribe
 * folded onto a second line. */
static void test_quoted_token(void **state)
{
	(void)state;
	static const char reply[] =
		"From: Ole <ole.privat@example.org>\r\nTo: nyhetsbrev@dlf-test.se\r\n"
		"Subject: Re: =?UTF-8?Q?Prim=C3=A4rv=C3=A5rdsnytt?=\r\nMessage-ID: <r1@example.org>\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"Avregistrera mig, tack.\r\n\r\n> Avregistrera dig:\r\n"
		"> https://dlf-test.se/avregistrera?token=b2xl.QUJDREVGR0hJSktMTU5PUA\r\n";
	struct mb_result *r = classify(reply, sizeof reply - 1);
	assert_int_equal(r->cls, MB_UNSUBSCRIBE);
	assert_string_equal(r->list_unsubscribe, "token=b2xl.QUJDREVGR0hJSktMTU5PUA");
	static const char bounce[] =
		"From: MAILER-DAEMON@relay.example.com\r\nTo: nyhetsbrev@dlf-test.se\r\n"
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <b1@relay>\r\n"
		"Content-Type: text/plain\r\n\r\n"
		"This is the mail system. I'm sorry to have to inform you that your message could not\r\n"
		"be delivered to one or more recipients.\r\n\r\n"
		"<ole@forwarded.example.com>: 550 5.1.1 No such user\r\n\r\n"
		"------ This is a copy of the message's headers. ------\r\n\r\n"
		"From: nyhetsbrev@dlf-test.se\r\nMessage-ID: <rewritten@relay.example.com>\r\n"
		"List-Unsubscribe: <mailto:avregistrera@dlf-test.se?subject=avregistrera>,\r\n"
		" <https://dlf-test.se/avregistrera?token=b2xl.QUJDREVGR0hJSktMTU5PUA>\r\n";
	r = classify(bounce, sizeof bounce - 1);
	assert_int_equal(r->cls, MB_BOUNCE_HARD);
	assert_non_null(strstr(r->list_unsubscribe, "mailto:avregistrera@dlf-test.se"));
	assert_non_null(strstr(r->list_unsubscribe, "token=b2xl.QUJDREVGR0hJSktMTU5PUA"));
}

/* A reviewer's reply to a review copy (issue 20): its edit lines and
 * note, not the quoted copy; the same reply unauthenticated, from a
 * non-reviewer, or to no review copy is not one. */
static void test_review_reply(void **state)
{
	(void)state;
	static const char head[] =
		"%sFrom: Redaktör <REDAKTOR@dlf-test.se>\r\nTo: nyhetsbrev@dlf-test.se\r\n"
		"Subject: Re: Granska\r\nMessage-ID: <x1@dlf-test.se>\r\n%s"
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
		"Drop 3 7\r\npin 2\r\nhej\r\nnote: Kom ihåg årsmötet.\r\n\r\nVälkomna!\r\n\r\n"
		"Den 10 dec. skrev Primärvårdsnytt:\r\n> drop 1\r\n";
	const char *pass = "Authentication-Results: mx.dlf-test.se; dkim=pass header.d=dlf-test.se\r\n";
	const char *irt = "In-Reply-To: <review-42-00ff00ff00ff00ff@dlf-test.se>\r\n";
	char m[2048];
	snprintf(m, sizeof m, head, pass, irt);
	struct mb_result *r = classify(m, strlen(m));
	assert_int_equal(r->cls, MB_REVIEW);
	assert_int_equal(r->review_draft, 42);
	assert_int_equal(r->nreview, 2);
	assert_string_equal(r->review_lines[0], "Drop 3 7");
	assert_string_equal(r->review_lines[1], "pin 2");
	assert_int_equal(r->nother, 1);
	assert_int_equal(r->has_note, 1);
	assert_string_equal(r->note, "Kom ihåg årsmötet.\n\nVälkomna!");
	snprintf(m, sizeof m, head, "", irt);
	assert_int_equal(classify(m, strlen(m))->cls, MB_REVIEW_UNVERIFIED);
	snprintf(m, sizeof m, head, pass, "References: <other-1@dlf-test.se>\r\n");
	assert_true(classify(m, strlen(m))->cls != MB_REVIEW);
	/* Outlook's rule and header, a wrapped attribution: not the note */
	static const char outlook[] =
		"Authentication-Results: mx.dlf-test.se; dkim=pass header.d=dlf-test.se\r\n"
		"From: <redaktor@dlf-test.se>\r\nTo: nyhetsbrev@dlf-test.se\r\nSubject: SV: Granska\r\n"
		"In-Reply-To: <review-42-00ff00ff00ff00ff@dlf-test.se>\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"note: Årsmötet.\r\n________________________________\r\nFra: Primärvårdsnytt\r\n"
		"Sendt: torsdag\r\n\r\n1. DLF Stockholm\r\n";
	r = classify(outlook, sizeof outlook - 1);
	assert_int_equal(r->cls, MB_REVIEW);
	assert_string_equal(r->note, "Årsmötet.");
	static const char gmail[] =
		"Authentication-Results: mx.dlf-test.se; dkim=pass header.d=dlf-test.se\r\n"
		"From: <redaktor@dlf-test.se>\r\nTo: nyhetsbrev@dlf-test.se\r\nSubject: Re: Granska\r\n"
		"In-Reply-To: <review-42-00ff00ff00ff00ff@dlf-test.se>\r\n"
		"Content-Type: text/plain; charset=utf-8\r\n\r\n"
		"note: Årsmötet.\r\nDen tors 10 dec. 2026 kl 08:30 skrev Primärvårdsnytt <\r\n"
		"nyhetsbrev@dlf-test.se>:\r\n\r\n1. DLF Stockholm\r\n";
	r = classify(gmail, sizeof gmail - 1);
	assert_string_equal(r->note, "Årsmötet.");
	/* a note line too long to keep is no note at all, said so */
	static char longnote[6000];
	int w = snprintf(longnote, sizeof longnote, "%.*s", (int)(sizeof gmail - 1), gmail);
	char *at = strstr(longnote, "note: ") + 6;
	memset(at, 'a', 4500);
	w = (int)(at - longnote) + 4500;
	w += snprintf(longnote + w, sizeof longnote - (size_t)w, "\r\n");
	r = classify(longnote, (size_t)w);
	assert_int_equal(r->note_too_long, 1);
	snprintf(m, sizeof m, head, pass, irt);
	char *other = strstr(m, "REDAKTOR");
	memcpy(other, "STRANGER", 8);
	snprintf(m, sizeof m, head, pass, irt);
	memcpy(strstr(m, "REDAKTOR"), "STRANGER", 8);
	assert_true(classify(m, strlen(m))->cls != MB_REVIEW);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_header_text_8bit),
		cmocka_unit_test(test_addresses_and_ids),
		cmocka_unit_test(test_mime_parts),
		cmocka_unit_test(test_fixtures),
		cmocka_unit_test(test_details),
		cmocka_unit_test(test_quoted_token),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_cut_anywhere),
		cmocka_unit_test(test_endless_dsn),
		cmocka_unit_test(test_big_attachment_cut),
		cmocka_unit_test(test_fuzz_regressions),
		cmocka_unit_test(test_review_reply),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
