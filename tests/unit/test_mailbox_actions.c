/* What the mailbox does with a classified message, against a real store:
 * bounces counted and the bounced mark (hard_bounces across two digests),
 * unsubscribe replies (members only, one confirmation), the chair's
 * commands; members found by the tokens of their unsubscribe links; then
 * the send path's filter, the roster of `bulletin members` and the
 * reasons it prints. */
#include "testutil.h"

#include <sys/stat.h>
#include <unistd.h>

#include "compose/memberstatus.h"
#include "core/buf.h"
#include "core/log.h"
#include "deliver/members.h"
#include "deliver/unsubscribe.h"
#include "mailbox/actions.h"
#include "mailbox/roster.h"
#include "mailbox/tokens.h"
#include "store/store.h"

struct fx {
	char dir[64], db[96], csv[96];
	struct config cfg;
	struct source src[1];
	struct store *s;
	struct mb_members *members;
	struct mailbox_stats st;
	struct mb_act_ctx ctx;
	int64_t d1, d2;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	snprintf(f->dir, sizeof f->dir, "/tmp/bulletin-mbact-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->db, sizeof f->db, "%s/b.db", f->dir);
	snprintf(f->csv, sizeof f->csv, "%s/members.csv", f->dir);
	FILE *c = fopen(f->csv, "w");
	fputs("email,name,language,status\nanna@example.se,Anna Berg,sv,\nper@example.no,Per Hansen,nb,\n"
	      "ole@example.no,Ole Nygård,nn,\nbo@example.se,Bo Sjöberg,,paused\n",
	      c);
	fclose(c);
	f->src[0].name = "lakartidningen";
	f->cfg = (struct config){.members_file = f->csv, .mb_hard_bounces = 2, .language = "sv",
				 .title = "Primärvårdsnytt", .from_address = "nyhetsbrev@example.se",
				 .sources = f->src, .nsources = 1};
	struct err e;
	assert_int_equal(store_open(f->db, &f->s, &e), 0);
	struct digest_row d = {.period_start = 1, .period_end = 2, .created = 1000};
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	f->d1 = d.id;
	d.created = 2000;
	assert_int_equal(store_digest_insert(f->s, &d, &e), 0);
	f->d2 = d.id;
	assert_int_equal(store_delivery_set(f->s, f->d1, "anna@example.se", DELIVERY_SENT, "m1.anna@x",
					    NULL, 1000, &e), 0);
	assert_int_equal(store_delivery_set(f->s, f->d2, "anna@example.se", DELIVERY_SENT, "m2.anna@x",
					    NULL, 2000, &e), 0);
	assert_int_equal(mb_members_load(&f->cfg, f->s, &f->members, &e), 0);
	f->ctx = (struct mb_act_ctx){.cfg = &f->cfg, .s = f->s, .members = f->members, .st = &f->st,
				     .now = 3000};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mb_members_free(f->members);
	store_close(f->s);
	char cmd[200];
	snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Acts on r as message key; returns the record (state, answer, ...). */
static struct mb_record act(struct fx *f, const struct mb_result *r, const char *key)
{
	struct mb_record rec = {0};
	struct err e;
	if (mb_act(&f->ctx, r, key, &rec, &e) < 0)
		fail_msg("mb_act: %s", e.msg);
	return rec;
}

static struct mb_result bounce(enum mb_class cls, const char *id, const char *rcpt, const char *st)
{
	struct mb_result r = {.cls = cls};
	if (id)
		snprintf(r.orig_ids[r.norig_ids++], sizeof r.orig_ids[0], "%s", id);
	snprintf(r.recipient, sizeof r.recipient, "%s", rcpt ? rcpt : "");
	snprintf(r.status, sizeof r.status, "%s", st);
	snprintf(r.diagnostic, sizeof r.diagnostic, "550 %s user unknown", st);
	return r;
}

static int bounced(struct fx *f, const char *a)
{
	struct err e;
	return store_member_bounced(f->s, a, &e);
}

static void test_bounces_two_digests(void **state)
{
	struct fx *f = *state;
	struct mb_result r = bounce(MB_BOUNCE_HARD, "m1.anna@x", NULL, "5.1.1");
	struct mb_record rec = act(f, &r, "b1");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.address, "anna@example.se");
	assert_null(rec.answer); /* a bounce is never answered */
	mb_record_free(&rec);
	rec = act(f, &r, "b1"); /* the same message again: counted once */
	mb_record_free(&rec);
	rec = act(f, &r, "b2"); /* a second report of the same digest */
	mb_record_free(&rec);
	assert_int_equal(f->st.bounces, 2);
	assert_int_equal(bounced(f, "anna@example.se"), 0);
	struct err e;
	struct member_state ms;
	assert_int_equal(store_member_state_get(f->s, "ANNA@example.se", &ms, &e), 0);
	assert_int_equal(ms.hard, 2);
	assert_int_equal(ms.hard_digests, 1);
	struct buf b = BUF_INIT;
	assert_int_equal(member_state_reason(&ms, "en", &b), 0);
	assert_string_equal(buf_str(&b), "2 hard bounces, 5.1.1");
	member_state_free(&ms);
	/* the next digest's bounce: marked */
	r = bounce(MB_BOUNCE_HARD, "m2.anna@x", NULL, "5.1.1");
	rec = act(f, &r, "b3");
	mb_record_free(&rec);
	assert_int_equal(bounced(f, "anna@example.se"), 1);
	assert_int_equal(f->st.bounced, 1);
	assert_int_equal(store_member_state_get(f->s, "anna@example.se", &ms, &e), 0);
	buf_reset(&b);
	assert_int_equal(member_state_reason(&ms, "en", &b), 0);
	assert_non_null(strstr(buf_str(&b), "marked bounced on "));
	assert_non_null(strstr(buf_str(&b), ": 3 hard bounces in 2 digests, last 5.1.1 (550 5.1.1 user unknown)"));
	assert_int_equal(member_kind(&ms), MK_BOUNCED);
	buf_reset(&b);
	assert_int_equal(member_state_reason(&ms, "sv", &b), 0);
	assert_non_null(strstr(buf_str(&b), "3 hårda studsar i 2 utskick, senast 5.1.1"));
	member_state_free(&ms);
	/* the send path leaves her out */
	struct member_list ml;
	struct member_filter_counts c;
	assert_int_equal(members_load(f->csv, &ml, &e), 0);
	assert_int_equal(members_filter_active(&ml, f->s, 0, &c, &e), 0);
	assert_int_equal(c.bounced, 1);
	assert_int_equal(c.paused, 1);
	for (size_t i = 0; i < ml.n; i++)
		assert_string_not_equal(ml.v[i].email, "anna@example.se");
	member_list_free(&ml);
	/* resubscribed: forgotten, mailed again */
	assert_int_equal(store_member_reset(f->s, "anna@example.se", &e), 1);
	assert_int_equal(bounced(f, "anna@example.se"), 0);
	buf_free(&b);
}

static void test_soft_and_unknown(void **state)
{
	struct fx *f = *state;
	for (int i = 0; i < 5; i++) {
		char key[16];
		snprintf(key, sizeof key, "s%d", i);
		struct mb_result r = bounce(MB_BOUNCE_SOFT, NULL, "per@example.no", "4.2.2");
		struct mb_record rec = act(f, &r, key);
		assert_string_equal(rec.state, "done");
		mb_record_free(&rec);
	}
	assert_int_equal(bounced(f, "per@example.no"), 0); /* soft bounces are counted only */
	struct mb_result r = bounce(MB_BOUNCE_HARD, "no.such.id@x", "stranger@example.org", "5.1.1");
	struct mb_record rec = act(f, &r, "u1");
	assert_string_equal(rec.state, "left"); /* no member: a person looks */
	assert_int_equal(f->st.unknown, 1);
	mb_record_free(&rec);
	struct err e;
	struct member_state ms;
	assert_int_equal(store_member_state_get(f->s, "per@example.no", &ms, &e), 0);
	struct buf b = BUF_INIT;
	member_state_reason(&ms, "en", &b);
	assert_string_equal(buf_str(&b), "5 soft bounces, 4.2.2");
	member_state_free(&ms);
	buf_free(&b);
}

static void test_one_hard_bounce_setting(void **state)
{
	struct fx *f = *state;
	f->cfg.mb_hard_bounces = 1;
	struct mb_result r = bounce(MB_BOUNCE_HARD, NULL, "ole@example.no", "5.2.1");
	struct mb_record rec = act(f, &r, "o1");
	mb_record_free(&rec);
	assert_int_equal(bounced(f, "ole@example.no"), 1);
}

static struct mb_result reply(const char *from)
{
	struct mb_result r = {.cls = MB_UNSUBSCRIBE};
	snprintf(r.from, sizeof r.from, "%s", from);
	snprintf(r.why, sizeof r.why, "the subject asks to unsubscribe");
	return r;
}

static void test_unsubscribe_reply(void **state)
{
	struct fx *f = *state;
	struct mb_result r = reply("per@example.no");
	struct mb_record rec = act(f, &r, "u1");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.answer, "pending");
	assert_string_equal(rec.answer_to, "per@example.no");
	assert_true(!strncmp(rec.detail, "Du er meldt av Primärvårdsnytt\n\nHei!", 35));
	mb_record_free(&rec);
	struct err e;
	struct unsubscribe u;
	assert_int_equal(store_unsubscribe_get(f->s, "per@example.no", &u, &e), 1);
	assert_string_equal(u.how, "reply");
	unsubscribe_free(&u);
	/* asking again: done, no second confirmation */
	rec = act(f, &r, "u2");
	assert_string_equal(rec.state, "done");
	assert_null(rec.answer);
	mb_record_free(&rec);
	/* nn, and a member without a language gets the digest's */
	r = reply("ole@example.no");
	rec = act(f, &r, "u3");
	assert_true(!strncmp(rec.detail, "Du er meld av", 13));
	mb_record_free(&rec);
	r = reply("bo@example.se");
	rec = act(f, &r, "u4");
	assert_true(!strncmp(rec.detail, "Du är avregistrerad från Primärvårdsnytt", 40));
	mb_record_free(&rec);
	/* not a member: nothing changes */
	r = reply("stranger@example.org");
	rec = act(f, &r, "u5");
	assert_string_equal(rec.state, "left");
	assert_null(rec.answer);
	assert_int_equal(store_unsubscribe_get(f->s, "stranger@example.org", NULL, &e), 0);
	mb_record_free(&rec);
	assert_int_equal(f->st.unsubscribed, 3);
}

static void add_cmd(struct mb_result *r, enum mb_op op, const char *name, const char *addr)
{
	struct mb_cmd *c = &r->cmds[r->ncmds++];
	c->op = op;
	snprintf(c->name, sizeof c->name, "%s", name ? name : "");
	snprintf(c->address, sizeof c->address, "%s", addr ? addr : "");
}

static void test_chair_commands(void **state)
{
	struct fx *f = *state;
	struct err e;
	assert_int_equal(store_unsubscribe_add(f->s, "per@example.no", "reply", 10, &e), 1);
	struct mb_result r = {.cls = MB_CHAIR};
	snprintf(r.from, sizeof r.from, "ordforande@example.se");
	snprintf(r.subject, sizeof r.subject, "Medlemmar");
	add_cmd(&r, MB_ADD, "Märta Ödegård", "marta@example.se");
	add_cmd(&r, MB_ADD, "Per Hansen", "per@example.no");   /* he left himself */
	add_cmd(&r, MB_ADD, "Anna Berg", "anna@example.se");   /* already */
	add_cmd(&r, MB_REMOVE, NULL, "ole@example.no");
	add_cmd(&r, MB_REMOVE, NULL, "stranger@example.org");
	add_cmd(&r, MB_PAUSE, "lakartidningen", NULL);
	add_cmd(&r, MB_PAUSE, "nosuch", NULL);
	snprintf(r.other_lines[r.nother++], sizeof r.other_lines[0], "Hej!");
	struct mb_record rec = act(f, &r, "c1");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.answer, "pending");
	assert_string_equal(rec.answer_to, "ordforande@example.se");
	const char *want[] = {"Re: Medlemmar\n\n",
			      "- lagt till: Märta Ödegård <marta@example.se>\n",
			      "- avregistrerade sig själv, inte tillagd: Per Hansen <per@example.no>\n",
			      "- redan medlem: Anna Berg <anna@example.se>\n",
			      "- borttagen: ole@example.no\n",
			      "- inte medlem, inget gjort: stranger@example.org\n",
			      "- pausad källa: lakartidningen\n",
			      "- ingen källa med det namnet: nosuch\n",
			      "- förstod inte: Hej!\n"};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++)
		if (!strstr(rec.detail, want[i]))
			fail_msg("the answer lacks \"%s\":\n%s", want[i], rec.detail);
	mb_record_free(&rec);
	assert_int_equal(store_source_paused(f->s, "lakartidningen", &e), 1);
	struct unsubscribe u;
	assert_int_equal(store_unsubscribe_get(f->s, "ole@example.no", &u, &e), 1);
	assert_string_equal(u.how, "chair");
	unsubscribe_free(&u);
	/* removed by the chair, added by the chair: back */
	struct mb_result r2 = {.cls = MB_CHAIR};
	snprintf(r2.from, sizeof r2.from, "ordforande@example.se");
	add_cmd(&r2, MB_ADD, "Ole Nygård", "ole@example.no");
	add_cmd(&r2, MB_RESUME, "lakartidningen", NULL);
	rec = act(f, &r2, "c2");
	assert_non_null(strstr(rec.detail, "- lagt till igen: Ole Nygård <ole@example.no>"));
	mb_record_free(&rec);
	assert_int_equal(store_unsubscribe_get(f->s, "ole@example.no", NULL, &e), 0);
	assert_int_equal(store_source_paused(f->s, "lakartidningen", &e), 0);
	/* the send path: Märta joins, Per stays out */
	struct member_list ml;
	struct member_filter_counts c;
	assert_int_equal(members_load(f->csv, &ml, &e), 0);
	assert_int_equal(members_filter_active(&ml, f->s, 0, &c, &e), 0);
	assert_int_equal(c.added, 1);
	int marta = 0;
	for (size_t i = 0; i < ml.n; i++) {
		assert_string_not_equal(ml.v[i].email, "per@example.no");
		marta |= !strcmp(ml.v[i].email, "marta@example.se") && !strcmp(ml.v[i].name, "Märta Ödegård");
	}
	assert_true(marta);
	member_list_free(&ml);
	/* the roster */
	struct roster ro;
	assert_int_equal(roster_build(&f->cfg, f->s, &ro, &e), 0);
	assert_int_equal(ro.n, 5);
	for (size_t i = 0; i < ro.n; i++) {
		const struct roster_row *m = &ro.v[i];
		if (!strcmp(m->email, "per@example.no"))
			assert_string_equal(m->status, "unsubscribed");
		if (!strcmp(m->email, "bo@example.se")) {
			assert_string_equal(m->status, "paused");
			assert_string_equal(m->reason, "in the member list");
		}
		if (!strcmp(m->email, "marta@example.se")) {
			assert_string_equal(m->status, "active");
			assert_false(m->from_list);
			assert_true(!strncmp(m->reason, "added by the chair's mail on ", 29));
		}
	}
	assert_int_equal(ro.counts[0], 3); /* anna, ole, marta */
	roster_free(&ro);
}

/* A fake token scheme: "t=NAME" in the value names NAME@example.no. */
static int fake_token(void *ctx, const char *lu, char *out, size_t outlen)
{
	(void)ctx;
	const char *t = strstr(lu, "t=");
	if (!t)
		return 0;
	snprintf(out, outlen, "%.*s@example.no", (int)strcspn(t + 2, "@>&,"), t + 2);
	return 1;
}

/* The List-Unsubscribe token, when the digests carry one: a bounce whose
 * Message-ID was rewritten, a reply to a per-member address. */
static void test_token(void **state)
{
	struct fx *f = *state;
	f->ctx.token_member = fake_token;
	struct mb_result r = bounce(MB_BOUNCE_HARD, "rewritten@relay", "forwarded@elsewhere.org", "5.1.1");
	snprintf(r.list_unsubscribe, sizeof r.list_unsubscribe, "<https://example.se/u?t=per>");
	struct mb_record rec = act(f, &r, "t1");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.address, "per@example.no");
	assert_non_null(strstr(rec.detail, "by the List-Unsubscribe token"));
	mb_record_free(&rec);
	struct mb_result u = reply("someone.else@example.org");
	snprintf(u.to_unsubscribe, sizeof u.to_unsubscribe, "avregistrera+t=ole@example.se");
	rec = act(f, &u, "t2");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.answer_to, "ole@example.no");
	mb_record_free(&rec);
}

/* The real scheme (issue 13's tokens under the key beside the store): a
 * bounce of a forwarded address whose Message-ID a relay rewrote finds the
 * member by the token in the original's List-Unsubscribe; a reply written
 * from another address that quotes the member's own link unsubscribes that
 * member, who gets the confirmation; a forged or foreign token finds
 * nobody. */
static void test_real_token(void **state)
{
	struct fx *f = *state;
	struct mb_tokens t = {.list = "nyhetsbrev@example.se"};
	memset(t.key.k, 7, sizeof t.key.k);
	f->ctx.token_member = mb_token_member;
	f->ctx.token_ctx = &t;
	char *per = unsub_token(&t.key, t.list, "Per@example.no");
	char *ole = unsub_token(&t.key, t.list, "ole@example.no");
	char *stranger = unsub_token(&t.key, t.list, "stranger@example.org");
	struct unsub_key other;
	memset(other.k, 8, sizeof other.k);
	char *forged = unsub_token(&other, t.list, "anna@example.se");
	struct mb_result r =
		bounce(MB_BOUNCE_HARD, "rewritten@relay", "per@forwarded.example.com", "5.1.1");
	snprintf(r.list_unsubscribe, sizeof r.list_unsubscribe,
		 "<mailto:avregistrera@example.se?subject=avregistrera>, <https://example.se/u?token=%s>",
		 per);
	struct mb_record rec = act(f, &r, "rt1");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.address, "per@example.no");
	assert_non_null(strstr(rec.detail, "by the List-Unsubscribe token"));
	mb_record_free(&rec);
	/* a token that is not ours, or of no member: nobody */
	snprintf(r.list_unsubscribe, sizeof r.list_unsubscribe, "<https://example.se/u?token=%s>",
		 forged);
	rec = act(f, &r, "rt2");
	assert_string_equal(rec.state, "left");
	mb_record_free(&rec);
	snprintf(r.list_unsubscribe, sizeof r.list_unsubscribe, "<https://example.se/u?token=%s>",
		 stranger);
	rec = act(f, &r, "rt3");
	assert_string_equal(rec.state, "left");
	mb_record_free(&rec);
	/* a reply from elsewhere quoting Ole's link */
	struct mb_result u = reply("ole.privat@example.org");
	snprintf(u.list_unsubscribe, sizeof u.list_unsubscribe, "token=%s", ole);
	rec = act(f, &u, "rt4");
	assert_string_equal(rec.state, "done");
	assert_string_equal(rec.address, "ole@example.no");
	assert_string_equal(rec.answer_to, "ole@example.no");
	mb_record_free(&rec);
	struct err e;
	assert_int_equal(store_unsubscribe_get(f->s, "ole@example.no", NULL, &e), 1);
	/* quoting a forged link: nothing changes */
	u = reply("mallory@example.org");
	snprintf(u.list_unsubscribe, sizeof u.list_unsubscribe, "token=%s", forged);
	rec = act(f, &u, "rt5");
	assert_string_equal(rec.state, "left");
	assert_string_equal(rec.detail,
			    "asks to unsubscribe; not a member, nor does the link it quotes name one");
	assert_null(strstr(rec.detail, forged));
	mb_record_free(&rec);
	assert_int_equal(store_unsubscribe_get(f->s, "anna@example.se", NULL, &e), 0);
	free(per);
	free(ole);
	free(stranger);
	free(forged);
}

/* The key beside the store: none (no token looked up), a private one, one
 * others can read (refused, as send refuses it). */
static void test_tokens_load(void **state)
{
	struct fx *f = *state;
	char key[128];
	snprintf(key, sizeof key, "%s/unsubscribe.key", f->dir);
	f->cfg.unsub_key_path = key;
	struct mb_tokens t;
	struct err e;
	assert_int_equal(mb_tokens_load(&f->cfg, &t, &e), 0);
	FILE *k = fopen(key, "w");
	for (int i = 0; i < 32; i++)
		fputs("07", k);
	fputs("\n", k);
	fclose(k);
	assert_int_equal(chmod(key, 0600), 0);
	assert_int_equal(mb_tokens_load(&f->cfg, &t, &e), 1);
	assert_string_equal(t.list, "nyhetsbrev@example.se"); /* no list_id: the sender */
	assert_int_equal(t.key.k[31], 7);
	char *tok = unsub_token(&t.key, t.list, "anna@example.se"), out[256], v[512];
	snprintf(v, sizeof v, "<https://example.se/u?token=%s>", tok);
	assert_int_equal(mb_token_member(&t, v, out, sizeof out), 1);
	assert_string_equal(out, "anna@example.se");
	assert_int_equal(mb_token_member(&t, v, out, 10), 0); /* no room: nobody */
	free(tok);
	assert_int_equal(chmod(key, 0644), 0);
	assert_int_equal(mb_tokens_load(&f->cfg, &t, &e), -1);
	assert_non_null(strstr(e.msg, "readable by others"));
	f->cfg.unsub_key_path = NULL;
}

int main(void)
{
	log_set_level(LOG_LVL_ERROR);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bounces_two_digests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_soft_and_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_hard_bounce_setting, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsubscribe_reply, setup, teardown),
		cmocka_unit_test_setup_teardown(test_chair_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tokens_load, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
