/* libetpan's mailimap, with the certificate checks it leaves to us. */
#include "mailbox/imap.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <libetpan/libetpan.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct imap {
	mailimap *s;
	char host[256];
	int has_move, has_uidplus;
	char delim; /* hierarchy delimiter; 0 until known */
};

/* ---- errors ---- */

/* The server's last words (bounded, control bytes out) after what. */
static int fail(struct imap *m, int kind, int r, struct err *err, const char *what)
{
	char said[200] = "";
	const char *resp = m && m->s ? m->s->imap_response : NULL;
	if (resp) {
		size_t k = 0;
		for (const char *p = resp; *p && k + 1 < sizeof said; p++)
			said[k++] = (unsigned char)*p < 0x20 ? ' ' : *p;
		said[k] = '\0';
	}
	static const struct {
		int code;
		const char *text;
	} codes[] = {
		{MAILIMAP_ERROR_STREAM, "the connection broke"},
		{MAILIMAP_ERROR_CONNECTION_REFUSED, "connection refused"},
		{MAILIMAP_ERROR_SSL, "TLS handshake failed"},
		{MAILIMAP_ERROR_LOGIN, "login refused"},
		{MAILIMAP_ERROR_PARSE, "an answer bulletin could not read"},
		{MAILIMAP_ERROR_STARTTLS, "STARTTLS failed"},
	};
	const char *why = "refused";
	for (size_t i = 0; i < sizeof codes / sizeof *codes; i++)
		if (codes[i].code == r)
			why = codes[i].text;
	err_set(err, "IMAP %s: %s: %s%s%s", m ? m->host : "", what, why, *said ? ": " : "", said);
	return kind;
}

/* A broken connection is worth another try later; a NO or BAD is not. */
static int kind_of(int r)
{
	return r == MAILIMAP_ERROR_STREAM || r == MAILIMAP_ERROR_CONNECTION_REFUSED ||
			       r == MAILIMAP_ERROR_FATAL || r == MAILIMAP_ERROR_SSL
		       ? IMAP_TEMP
		       : IMAP_SETUP;
}

/* ---- the URL ---- */

static int parse_url(const char *url, int *tls, char *host, size_t hostlen, uint16_t *port,
		     struct err *err)
{
	const char *p;
	if (!strncasecmp(url, "imaps://", 8))
		*tls = 1, p = url + 8;
	else if (!strncasecmp(url, "imap://", 7))
		*tls = 0, p = url + 7;
	else
		return err_set(err, "mailbox url \"%.100s\" must start with imaps:// or imap://", url);
	size_t hl;
	const char *rest;
	if (*p == '[') { /* [IPv6] */
		const char *close = strchr(p, ']');
		if (!close)
			return err_set(err, "mailbox url \"%.100s\": no ] after the address", url);
		hl = (size_t)(close - p - 1);
		rest = close + 1;
		p++;
	} else {
		hl = strcspn(p, ":/?#");
		rest = p + hl;
	}
	if (!hl || hl >= hostlen || memchr(p, '@', hl))
		return err_set(err, "mailbox url \"%.100s\": no host (and no user@ in it: the user "
			       "goes in user =)", url);
	memcpy(host, p, hl);
	host[hl] = '\0';
	*port = *tls ? 993 : 143;
	if (*rest == ':') {
		char *end;
		long v = strtol(rest + 1, &end, 10);
		if (end == rest + 1 || v < 1 || v > 65535 || (*end && *end != '/'))
			return err_set(err, "mailbox url \"%.100s\": bad port", url);
		*port = (uint16_t)v;
		rest = end;
	}
	if (*rest && strcmp(rest, "/"))
		return err_set(err, "mailbox url \"%.100s\": name the folder with folder =, not in "
			       "the URL", url);
	return 0;
}

static int loopback(const char *host)
{
	return !strcmp(host, "127.0.0.1") || !strcmp(host, "::1") || !strcasecmp(host, "localhost");
}

static int is_ip(const char *host)
{
	return strchr(host, ':') || strspn(host, "0123456789.") == strlen(host);
}

/* ---- TLS ---- */

static void sni(struct mailstream_ssl_context *ctx, void *data)
{
	const char *host = data;
	/* RFC 6066: no IP literals in server_name */
	if (!is_ip(host))
		mailstream_ssl_set_server_name(ctx, (char *)host);
}

/* libetpan hands back the peer's chain without judging it: verified here,
 * before anything secret is sent. */
static int verify_peer(struct imap *m, const char *ca_file, struct err *err)
{
	carray *chain = mailstream_get_certificate_chain(m->s->imap_stream);
	gnutls_x509_crt_t crts[16];
	unsigned n = 0, status = 0;
	gnutls_x509_trust_list_t tl = NULL;
	int rc = IMAP_SETUP;
	if (!chain || carray_count(chain) == 0) {
		err_set(err, "IMAP %s: the server sent no certificate", m->host);
		goto out;
	}
	for (unsigned i = 0; i < carray_count(chain) && n < 16; i++) {
		MMAPString *der = carray_get(chain, i);
		gnutls_datum_t d = {(unsigned char *)der->str, (unsigned)der->len};
		if (gnutls_x509_crt_init(&crts[n]) < 0)
			break;
		if (gnutls_x509_crt_import(crts[n], &d, GNUTLS_X509_FMT_DER) < 0) {
			gnutls_x509_crt_deinit(crts[n]);
			err_set(err, "IMAP %s: a certificate of the server cannot be read", m->host);
			goto out;
		}
		n++;
	}
	if (gnutls_x509_trust_list_init(&tl, 0) < 0) {
		err_set(err, "IMAP %s: out of memory", m->host);
		goto out;
	}
	int added = ca_file ? gnutls_x509_trust_list_add_trust_file(tl, ca_file, NULL,
								    GNUTLS_X509_FMT_PEM, 0, 0)
			    : gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
	if (added <= 0) {
		err_set(err, "IMAP %s: no trusted certificates in %s", m->host,
			ca_file ? ca_file : "the system's store (install ca-certificates)");
		goto out;
	}
	gnutls_typed_vdata_st vd[2] = {
		{GNUTLS_DT_DNS_HOSTNAME, (unsigned char *)m->host, 0},
		{GNUTLS_DT_KEY_PURPOSE_OID, (unsigned char *)GNUTLS_KP_TLS_WWW_SERVER, 0},
	};
	int r = gnutls_x509_trust_list_verify_crt2(tl, crts, n, vd, 2, 0, &status, NULL);
	if (r < 0 || status) {
		gnutls_datum_t why = {NULL, 0};
		if (r < 0 || gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509,
									   &why, 0) < 0)
			err_set(err, "IMAP %s: the certificate cannot be verified", m->host);
		else
			err_set(err, "IMAP %s: the certificate is not trusted: %s", m->host,
				(const char *)why.data);
		gnutls_free(why.data);
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	if (tl)
		gnutls_x509_trust_list_deinit(tl, 1);
	if (chain)
		mailstream_certificate_chain_free(chain);
	return rc;
}

/* ---- the session ---- */

static int capabilities(struct imap *m, struct err *err)
{
	struct mailimap_capability_data *cap = NULL;
	int r = mailimap_capability(m->s, &cap);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "CAPABILITY");
	mailimap_capability_data_free(cap);
	return 0;
}

static int has_cap(struct imap *m, const char *name)
{
	return mailimap_has_extension(m->s, (char *)name) > 0;
}

int imap_open(const struct imap_opts *o, struct imap **out, struct err *err)
{
	*out = NULL;
	int tls = 0;
	uint16_t port = 0;
	struct imap *m = calloc(1, sizeof *m);
	if (!m)
		return err_set(err, "out of memory"), IMAP_TEMP;
	if (parse_url(o->url, &tls, m->host, sizeof m->host, &port, err) < 0) {
		free(m);
		return IMAP_SETUP;
	}
	if (tls && o->tls_none) {
		free(m);
		return err_set(err, "mailbox url %s with tls = none: say imap:// for plain IMAP",
			       o->url), IMAP_SETUP;
	}
	if (!o->user || !o->password) {
		free(m);
		return err_set(err, "mailbox %s: set user and password_file (or password_env) in "
			       "[mailbox]", o->url), IMAP_SETUP;
	}
	m->s = mailimap_new(0, NULL);
	if (!m->s) {
		free(m);
		return err_set(err, "out of memory"), IMAP_TEMP;
	}
	mailimap_set_timeout(m->s, o->timeout > 0 ? o->timeout : 60);
	int r = tls ? mailimap_ssl_connect_with_callback(m->s, m->host, port, sni, m->host)
		    : mailimap_socket_connect(m->s, m->host, port);
	int rc = 0;
	if (r != MAILIMAP_NO_ERROR_NON_AUTHENTICATED && r != MAILIMAP_NO_ERROR_AUTHENTICATED) {
		rc = fail(m, IMAP_TEMP, r, err, tls ? "connecting with TLS" : "connecting");
		goto fail;
	}
	if (!tls && !o->tls_none) {
		if ((rc = capabilities(m, err)))
			goto fail;
		if (has_cap(m, "STARTTLS")) {
			r = mailimap_socket_starttls_with_callback(m->s, sni, m->host);
			if (r != MAILIMAP_NO_ERROR) {
				rc = fail(m, IMAP_SETUP, r, err, "STARTTLS");
				goto fail;
			}
			tls = 1;
		} else if (!loopback(m->host)) {
			err_set(err, "IMAP %s: the server offers no STARTTLS; use imaps:// (or tls = "
				"none in [mailbox] to send the password in the clear)", m->host);
			rc = IMAP_SETUP;
			goto fail;
		}
	}
	if (tls && (rc = verify_peer(m, o->ca_file, err)))
		goto fail;
	r = mailimap_login(m->s, o->user, o->password);
	if (r != MAILIMAP_NO_ERROR) {
		rc = fail(m, r == MAILIMAP_ERROR_LOGIN ? IMAP_SETUP : kind_of(r), r, err, "LOGIN");
		goto fail;
	}
	/* Capabilities may change after login. */
	if ((rc = capabilities(m, err)))
		goto fail;
	m->has_move = has_cap(m, "MOVE");
	m->has_uidplus = mailimap_has_uidplus(m->s) > 0;
	*out = m;
	return 0;
fail:
	mailimap_free(m->s);
	free(m);
	return rc;
}

void imap_close(struct imap *m)
{
	if (!m)
		return;
	mailimap_logout(m->s);
	mailimap_free(m->s);
	free(m);
}

const char *imap_move_method(const struct imap *m)
{
	return m->has_move ? "MOVE" : m->has_uidplus ? "COPY+UID EXPUNGE" : "COPY (not expunged)";
}

void imap_no_move(struct imap *m)
{
	m->has_move = 0;
}

/* ---- folders ---- */

static int delimiter(struct imap *m, struct err *err)
{
	if (m->delim)
		return 0;
	clist *l = NULL;
	int r = mailimap_list(m->s, "", "", &l);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "LIST");
	m->delim = '/';
	if (l && clist_begin(l)) {
		struct mailimap_mailbox_list *mb = clist_content(clist_begin(l));
		if (mb->mb_delimiter)
			m->delim = mb->mb_delimiter;
	}
	if (l)
		mailimap_list_result_free(l);
	return 0;
}

int imap_folder_ensure(struct imap *m, const char *name, char **server_name, struct err *err)
{
	*server_name = NULL;
	int rc = delimiter(m, err);
	if (rc)
		return rc;
	char *n = strdup(name);
	if (!n)
		return err_set(err, "out of memory"), IMAP_TEMP;
	for (char *p = n; *p; p++)
		if (*p == '/')
			*p = m->delim;
	clist *l = NULL;
	int r = mailimap_list(m->s, "", n, &l);
	int found = r == MAILIMAP_NO_ERROR && l && clist_count(l) > 0;
	if (l)
		mailimap_list_result_free(l);
	if (r != MAILIMAP_NO_ERROR) {
		free(n);
		return fail(m, kind_of(r), r, err, "LIST");
	}
	if (!found) {
		r = mailimap_create(m->s, n);
		if (r != MAILIMAP_NO_ERROR) {
			rc = fail(m, kind_of(r), r, err, "CREATE");
			err_prefix(err, "folder %s", n);
			free(n);
			return rc;
		}
		/* so that the chair's mail program shows it */
		mailimap_subscribe(m->s, n);
	}
	*server_name = n;
	return 0;
}

int imap_select(struct imap *m, const char *folder, uint32_t *uidvalidity, struct err *err)
{
	int r = mailimap_select(m->s, folder);
	if (r != MAILIMAP_NO_ERROR) {
		int rc = fail(m, kind_of(r), r, err, "SELECT");
		err_prefix(err, "folder %s", folder);
		return rc;
	}
	*uidvalidity = m->s->imap_selection_info ? m->s->imap_selection_info->sel_uidvalidity : 0;
	return 0;
}

int imap_uids(struct imap *m, int deleted, uint32_t **uids, size_t *n, struct err *err)
{
	*uids = NULL;
	*n = 0;
	struct mailimap_search_key *key = mailimap_search_key_new(
		deleted ? MAILIMAP_SEARCH_KEY_DELETED : MAILIMAP_SEARCH_KEY_UNDELETED, NULL, NULL,
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL,
		NULL, NULL, NULL, NULL, 0, NULL, NULL, NULL);
	if (!key)
		return err_set(err, "out of memory"), IMAP_TEMP;
	clist *res = NULL;
	int r = mailimap_uid_search(m->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "UID SEARCH");
	size_t cnt = (size_t)clist_count(res), k = 0;
	uint32_t *v = malloc((cnt ? cnt : 1) * sizeof *v);
	if (!v) {
		mailimap_search_result_free(res);
		return err_set(err, "out of memory"), IMAP_TEMP;
	}
	for (clistiter *it = clist_begin(res); it; it = clist_next(it))
		v[k++] = *(uint32_t *)clist_content(it);
	mailimap_search_result_free(res);
	/* servers answer in any order */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint32_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*uids = v;
	*n = k;
	return 0;
}

static struct mailimap_set *uid_set(const uint32_t *uids, size_t n)
{
	struct mailimap_set *set = mailimap_set_new_empty();
	for (size_t i = 0; set && i < n;) {
		size_t j = i;
		while (j + 1 < n && uids[j + 1] == uids[j] + 1)
			j++;
		if (mailimap_set_add_interval(set, uids[i], uids[j]) != MAILIMAP_NO_ERROR) {
			mailimap_set_free(set);
			return NULL;
		}
		i = j + 1;
	}
	return set;
}

/* ---- fetch ---- */

void imap_msgs_free(struct imap_msg *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].data);
	free(v);
}

static int section_is(const struct mailimap_msg_att_body_section *b, int type)
{
	const struct mailimap_section_spec *sp = b->sec_section ? b->sec_section->sec_spec : NULL;
	return sp && sp->sec_type == MAILIMAP_SECTION_SPEC_SECTION_MSGTEXT &&
	       sp->sec_data.sec_msgtext && sp->sec_data.sec_msgtext->sec_type == type;
}

int imap_fetch(struct imap *m, const uint32_t *uids, size_t n, size_t header_max,
	       size_t text_max, struct imap_msg **out, size_t *nout, struct err *err)
{
	*out = NULL;
	*nout = 0;
	if (!n)
		return 0;
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_fetch_type *ft = mailimap_fetch_type_new_fetch_att_list_empty();
	if (!set || !ft ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_uid()) ||
	    mailimap_fetch_type_new_fetch_att_list_add(ft, mailimap_fetch_att_new_rfc822_size()) ||
	    mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_body_peek_section_partial(
				mailimap_section_new_header(), 0, (uint32_t)header_max)) ||
	    mailimap_fetch_type_new_fetch_att_list_add(
		    ft, mailimap_fetch_att_new_body_peek_section_partial(
				mailimap_section_new_text(), 0, (uint32_t)text_max))) {
		if (set)
			mailimap_set_free(set);
		if (ft)
			mailimap_fetch_type_free(ft);
		return err_set(err, "out of memory"), IMAP_TEMP;
	}
	clist *res = NULL;
	int r = mailimap_uid_fetch(m->s, set, ft, &res);
	mailimap_set_free(set);
	mailimap_fetch_type_free(ft);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "UID FETCH");
	struct imap_msg *v = calloc((size_t)clist_count(res) + 1, sizeof *v);
	size_t k = 0;
	int rc = v ? 0 : (err_set(err, "out of memory"), IMAP_TEMP);
	for (clistiter *it = clist_begin(res); it && rc == 0; it = clist_next(it)) {
		struct mailimap_msg_att *att = clist_content(it);
		const char *hdr = NULL, *txt = NULL;
		size_t hl = 0, tl = 0;
		struct imap_msg *msg = &v[k];
		for (clistiter *a = clist_begin(att->att_list); a; a = clist_next(a)) {
			struct mailimap_msg_att_item *item = clist_content(a);
			if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC)
				continue;
			struct mailimap_msg_att_static *st = item->att_data.att_static;
			if (st->att_type == MAILIMAP_MSG_ATT_UID) {
				msg->uid = st->att_data.att_uid;
			} else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
				msg->size = st->att_data.att_rfc822_size;
			} else if (st->att_type == MAILIMAP_MSG_ATT_BODY_SECTION) {
				struct mailimap_msg_att_body_section *b = st->att_data.att_body_section;
				const char *part = b->sec_body_part ? b->sec_body_part : "";
				size_t len = b->sec_body_part ? b->sec_length : 0;
				if (section_is(b, MAILIMAP_SECTION_MSGTEXT_HEADER))
					hdr = part, hl = len;
				else if (section_is(b, MAILIMAP_SECTION_MSGTEXT_TEXT))
					txt = part, tl = len;
			}
		}
		if (!msg->uid)
			continue; /* an unsolicited FETCH (flags) */
		if (hl > header_max)
			hl = header_max;
		if (tl > text_max)
			tl = text_max;
		msg->data = malloc(hl + tl + 1);
		if (!msg->data) {
			rc = (err_set(err, "out of memory"), IMAP_TEMP);
			break;
		}
		if (hl)
			memcpy(msg->data, hdr, hl);
		if (tl)
			memcpy(msg->data + hl, txt, tl);
		msg->len = hl + tl;
		msg->data[msg->len] = '\0';
		k++;
	}
	mailimap_fetch_list_free(res);
	if (rc) {
		imap_msgs_free(v, k);
		return rc;
	}
	*out = v;
	*nout = k;
	return 0;
}

/* ---- move ---- */

int imap_expunge(struct imap *m, const uint32_t *uids, size_t n, struct err *err)
{
	if (!n || !m->has_uidplus)
		return 0;
	struct mailimap_set *set = uid_set(uids, n);
	if (!set)
		return err_set(err, "out of memory"), IMAP_TEMP;
	int r = mailimap_uid_expunge(m->s, set);
	mailimap_set_free(set);
	return r == MAILIMAP_NO_ERROR ? 0 : fail(m, kind_of(r), r, err, "UID EXPUNGE");
}

/* UID STORE +FLAGS.SILENT (\Deleted) of uids, then their UID EXPUNGE. */
int imap_delete(struct imap *m, const uint32_t *uids, size_t n, struct err *err)
{
	if (!n)
		return 0;
	struct mailimap_set *set = uid_set(uids, n);
	struct mailimap_flag_list *fl = mailimap_flag_list_new_empty();
	struct mailimap_store_att_flags *sa = NULL;
	if (fl && mailimap_flag_list_add(fl, mailimap_flag_new_deleted()) == MAILIMAP_NO_ERROR)
		sa = mailimap_store_att_flags_new_add_flags_silent(fl);
	else if (fl)
		mailimap_flag_list_free(fl);
	if (!sa || !set) {
		if (sa)
			mailimap_store_att_flags_free(sa);
		if (set)
			mailimap_set_free(set);
		return err_set(err, "out of memory"), IMAP_TEMP;
	}
	int r = mailimap_uid_store(m->s, set, sa);
	mailimap_store_att_flags_free(sa);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "UID STORE +FLAGS (\\Deleted)");
	return imap_expunge(m, uids, n, err);
}

int imap_copy(struct imap *m, const uint32_t *uids, size_t n, const char *dest, struct err *err)
{
	if (!n)
		return 0;
	struct mailimap_set *set = uid_set(uids, n);
	if (!set)
		return err_set(err, "out of memory"), IMAP_TEMP;
	int r = m->has_move ? mailimap_uid_move(m->s, set, dest) : mailimap_uid_copy(m->s, set, dest);
	mailimap_set_free(set);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, m->has_move ? "UID MOVE" : "UID COPY");
	return 0;
}

int imap_move(struct imap *m, const uint32_t *uids, size_t n, const char *dest, struct err *err)
{
	int rc = imap_copy(m, uids, n, dest, err);
	if (rc || m->has_move)
		return rc;
	return imap_delete(m, uids, n, err);
}

int imap_has_message(struct imap *m, const char *folder, const char *message_id, int *found,
		     struct err *err)
{
	*found = 0;
	int r = mailimap_examine(m->s, folder);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "EXAMINE");
	char *name = strdup("Message-ID"), *value = strdup(message_id);
	struct mailimap_search_key *key =
		name && value ? mailimap_search_key_new_header(name, value) : NULL;
	if (!key) {
		free(name);
		free(value);
		return err_set(err, "out of memory"), IMAP_TEMP;
	}
	clist *res = NULL;
	r = mailimap_uid_search(m->s, NULL, key, &res);
	mailimap_search_key_free(key);
	if (r != MAILIMAP_NO_ERROR)
		return fail(m, kind_of(r), r, err, "UID SEARCH HEADER");
	*found = clist_count(res) > 0;
	mailimap_search_result_free(res);
	return 0;
}
