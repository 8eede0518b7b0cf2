/* Unsubscribe links that name the member (issue 13, part 6): the key
 * file, tokens (HMAC-SHA256 with nettle), each member's links, and the
 * footer's one link. */
#include "testutil.h"

#include <unistd.h>

#include "compose/compose.h"
#include "compose/greeting.h"
#include "core/buf.h"
#include "deliver/unsubscribe.h"

static void test_key_file(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_unsub.XXXXXX", path[128];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/state/unsubscribe.key", dir);
	struct unsub_key k1, k2;
	struct err err;
	assert_int_equal(unsub_key_load(path, 0, &k1, &err), -1); /* not made on a verify */
	assert_int_equal(unsub_key_load(path, 1, &k1, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 65);
	assert_int_equal(unsub_key_load(path, 1, &k2, &err), 0);
	assert_memory_equal(k1.k, k2.k, sizeof k1.k);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(unsub_key_load(path, 1, &k2, &err), -1);
	assert_non_null(strstr(err.msg, "chmod 600"));
	FILE *f = fopen(path, "w");
	fputs("not hex\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	assert_int_equal(unsub_key_load(path, 1, &k2, &err), -1);
	assert_non_null(strstr(err.msg, "hex digits"));
	unlink(path);
	snprintf(path, sizeof path, "%s/state", dir);
	rmdir(path);
	rmdir(dir);
}

static void test_tokens(void **state)
{
	(void)state;
	struct unsub_key k, other;
	memset(k.k, 0x42, sizeof k.k);
	memset(other.k, 0x43, sizeof other.k);
	const char *list = "Primärvårdsnytt <nyhetsbrev.example.se>";
	char *t = unsub_token(&k, list, "Asa.Lindström@Example.se");
	assert_non_null(t);
	/* URL-safe as it is: base64url and one dot, no padding */
	assert_int_equal(strspn(t, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_."),
			 strlen(t));
	char *a = unsub_token_verify(&k, list, t);
	assert_non_null(a);
	assert_string_equal(a, "asa.lindström@example.se"); /* ASCII lower case */
	free(a);
	/* the same member, any case: the same token */
	char *t2 = unsub_token(&k, list, "asa.LINDSTRöM@example.se");
	assert_string_equal(t, t2);
	free(t2);
	/* another key or list: not valid */
	assert_null(unsub_token_verify(&other, list, t));
	assert_null(unsub_token_verify(&k, "Annan lista", t));
	/* another member's address with this MAC: not valid */
	char *m2 = unsub_token(&k, list, "bjorn@example.no");
	char forged[512];
	snprintf(forged, sizeof forged, "%.*s%s", (int)(strchr(m2, '.') - m2), m2, strchr(t, '.'));
	assert_null(unsub_token_verify(&k, list, forged));
	/* damaged */
	t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
	assert_null(unsub_token_verify(&k, list, t));
	assert_null(unsub_token_verify(&k, list, ""));
	assert_null(unsub_token_verify(&k, list, "."));
	assert_null(unsub_token_verify(&k, list, "a.b.c"));
	assert_null(unsub_token_verify(&k, list, "!!!.???"));
	assert_null(unsub_token_verify(&k, list, NULL));
	free(m2);
	free(t);
}

static void test_links(void **state)
{
	(void)state;
	char *h, *f;
	assert_int_equal(unsub_links("mailto:nyhetsbrev@example.se?subject=avregistrera, "
				     "https://example.se/avregistrera",
				     "TOK.EN", &h, &f),
			 0);
	assert_string_equal(h, "mailto:nyhetsbrev@example.se?subject=avregistrera, "
			       "https://example.se/avregistrera?token=TOK.EN");
	assert_string_equal(f, "https://example.se/avregistrera?token=TOK.EN");
	free(h);
	free(f);
	assert_int_equal(unsub_links("https://example.se/cgi?list=pv mailto:a@example.se", "T", &h, &f), 0);
	assert_string_equal(h, "https://example.se/cgi?list=pv&token=T, mailto:a@example.se");
	assert_string_equal(f, "https://example.se/cgi?list=pv&token=T");
	free(h);
	free(f);
	/* mailto only: the footer's link is it */
	assert_int_equal(unsub_links("mailto:a@example.se", NULL, &h, &f), 0);
	assert_string_equal(h, "mailto:a@example.se");
	assert_string_equal(f, "mailto:a@example.se");
	free(h);
	free(f);
	assert_int_equal(unsub_links(NULL, "T", &h, &f), 0);
	assert_null(h);
	assert_null(f);
}

/* The footer has one link (two URLs once made one broken href). */
static void test_footer_link(void **state)
{
	(void)state;
	char *u = compose_unsubscribe_url("mailto:a@example.se, https://example.se/u", 0);
	assert_string_equal(u, "mailto:a@example.se");
	free(u);
	u = compose_unsubscribe_url("mailto:a@example.se, https://example.se/u", 1);
	assert_string_equal(u, "https://example.se/u");
	free(u);
	u = compose_unsubscribe_url("https://example.se/u", 0);
	assert_string_equal(u, "https://example.se/u");
	free(u);
	assert_null(compose_unsubscribe_url("ftp://x", 0));
	assert_null(compose_unsubscribe_url(NULL, 0));
	char *p = digest_fill_url("<a href=\"" DIGEST_UNSUBSCRIBE_SLOT "\">x</a> " DIGEST_UNSUBSCRIBE_SLOT,
				  "https://e.se/u?a=1&token=T\"x", 1);
	assert_string_equal(p, "<a href=\"https://e.se/u?a=1&#38;token=T&#34;x\">x</a> "
			       "https://e.se/u?a=1&#38;token=T&#34;x");
	free(p);
	p = digest_fill_url("Avregistrera: " DIGEST_UNSUBSCRIBE_SLOT "\n", "https://e.se/u?token=T", 0);
	assert_string_equal(p, "Avregistrera: https://e.se/u?token=T\n");
	free(p);
	p = digest_fill_url("no slot", "x", 0);
	assert_string_equal(p, "no slot");
	free(p);
}

/* The member named by a token found in a text: a returned original's
 * List-Unsubscribe header, a reply quoting the footer (issue 18 meets 13). */
static void test_token_find(void **state)
{
	(void)state;
	struct unsub_key k;
	memset(k.k, 0x42, sizeof k.k);
	const char *list = "nyhetsbrev@example.se";
	char *t = unsub_token(&k, list, "per.hansen@example.no");
	char *o = unsub_token(&k, "another list", "per.hansen@example.no");
	char text[2048];
	/* the header as deliver writes it */
	snprintf(text, sizeof text, "<mailto:avregistrera@example.se?subject=avregistrera>, "
				    "<https://example.se/avregistrera?list=a&token=%s>", t);
	char *a = unsub_token_find(&k, list, text);
	assert_non_null(a);
	assert_string_equal(a, "per.hansen@example.no");
	free(a);
	/* quoted in a reply's text, after a forged one and one of another list */
	snprintf(text, sizeof text, "Ta bort mig!\n> [7] https://x/?token=AAAA.BBBB\n"
				    "> [8] https://x/?token=%s\n> [9] https://example.se/u?token=%s)\n", o, t);
	a = unsub_token_find(&k, list, text);
	assert_non_null(a);
	assert_string_equal(a, "per.hansen@example.no");
	free(a);
	/* HTML as a client quotes it */
	snprintf(text, sizeof text, "<a href=\"https://example.se/u?x=1&amp;token=%s\">", t);
	a = unsub_token_find(&k, list, text);
	assert_non_null(a);
	free(a);
	/* nothing valid */
	assert_null(unsub_token_find(&k, list, "token="));
	assert_null(unsub_token_find(&k, list, "no token here"));
	snprintf(text, sizeof text, "token=%s", o);
	assert_null(unsub_token_find(&k, list, text));
	/* a bound on the work a hostile text can ask for */
	struct buf b = BUF_INIT;
	for (int i = 0; i < 40; i++)
		buf_puts(&b, "token=AAAA.BBBB ");
	buf_printf(&b, "token=%s", t);
	assert_null(unsub_token_find(&k, list, buf_str(&b)));
	buf_free(&b);
	free(o);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_file),
		cmocka_unit_test(test_tokens),
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_footer_link),
		cmocka_unit_test(test_token_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
