/* One digest message composed with libetpan's MIME builder. libetpan has no
 * RFC 2047 encoder, so non-ASCII header text is encoded here; every header
 * value is cleaned first so outside data can never start a header line. */
#include "deliver/mail.h"
#include "core/hash.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libetpan/libetpan.h>

#include "core/address.h"
#include "core/text.h"

/* Longer names and subjects are cut (on a character boundary): a header is
 * for reading, and libetpan refuses quoted strings over 499 bytes. */
#define MAX_PHRASE 400
#define MAX_SUBJECT 900
/* Bytes of UTF-8 per encoded word: 36 bytes give 48 base64 characters, so a
 * word is 60 characters and still fits on the first line after "Subject: "
 * (libetpan folds before a word that would pass column 72). */
#define EW_BYTES 36

/* A header-safe copy of s: control characters (CR and LF above all)
 * become spaces, runs of spaces one space, invalid UTF-8 U+FFFD; trimmed,
 * cut to at most max bytes on a character boundary. NULL on out of memory. */
static char *clean_header(const char *s, size_t max)
{
	struct buf b = BUF_INIT;
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n = strlen((const char *)p);
	int rc = buf_puts(&b, "");
	while (rc == 0 && n > 0) {
		size_t l = utf8_decode((const char *)p, n, NULL);
		const char *out = (const char *)p;
		size_t outlen = l;
		if (l == 0) {
			out = "\xEF\xBF\xBD";
			outlen = 3;
			l = 1;
		} else if (l == 1 && (*p < 0x20 || *p == 0x7F)) {
			out = " ";
		}
		p += l;
		n -= l;
		if (*out == ' ' && (b.len == 0 || b.data[b.len - 1] == ' '))
			continue;
		if (b.len + outlen > max)
			break;
		rc = buf_append(&b, out, outlen);
	}
	while (rc == 0 && b.len > 0 && b.data[b.len - 1] == ' ')
		b.data[--b.len] = '\0';
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static int is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int put_b64(struct buf *b, const unsigned char *p, size_t n)
{
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i += 3) {
		unsigned v = (unsigned)p[i] << 16;
		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		char q[4] = {b64[(v >> 18) & 63], b64[(v >> 12) & 63],
			     i + 1 < n ? b64[(v >> 6) & 63] : '=', i + 2 < n ? b64[v & 63] : '='};
		rc = buf_append(b, q, 4);
	}
	return rc;
}

/* RFC 2047 B encoding of clean UTF-8 text s[0..n): encoded words separated
 * by single spaces (libetpan folds at those spaces), never splitting a
 * character. With cut_after_space (a run of words in a phrase), text too
 * long for one word is cut after a space where possible: decoders that
 * follow RFC 2047 drop the white space between encoded words, and Python's
 * address parser keeps it, so a cut after a space reads right in the first
 * and only doubles a space in the second. */
static int encode_words(struct buf *b, const char *s, size_t n, int cut_after_space)
{
	int first = 1;
	while (n > 0) {
		size_t take = 0, last_space = 0;
		while (take < n) {
			size_t l = utf8_decode(s + take, n - take, NULL);
			if (l == 0)
				l = 1; /* cannot happen after clean_header */
			if (take + l > EW_BYTES)
				break;
			take += l;
			if (s[take - 1] == ' ' && take < n)
				last_space = take;
		}
		if (cut_after_space && take < n && last_space > 0)
			take = last_space;
		if ((!first && buf_putc(b, ' ')) || buf_puts(b, "=?UTF-8?B?") ||
		    put_b64(b, (const unsigned char *)s, take) || buf_puts(b, "?="))
			return -1;
		first = 0;
		s += take;
		n -= take;
	}
	return 0;
}

static int atext_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      strchr("!#$%&'*+-/=?^_`{|}~", c)))
			return 0;
		if (c == '=' && i + 1 < n && s[i + 1] == '?')
			return 0;
	}
	return 1;
}

/* An RFC 5322 phrase (display name) from clean UTF-8: plain atoms stay as
 * they are, runs of other words become encoded words, so a name like
 * "Åse Ødegård" or "SLF Stockholms läns distrikt" keeps its spaces in
 * every reader. */
static int encode_phrase(struct buf *b, const char *s)
{
	size_t run_start = 0, run_end = 0;
	int in_run = 0, first = 1;
	const char *p = s;
	for (;;) {
		while (*p == ' ')
			p++;
		const char *w = p;
		while (*p && *p != ' ')
			p++;
		size_t wl = (size_t)(p - w);
		int plain = wl > 0 && atext_word(w, wl);
		if (in_run && (wl == 0 || plain)) {
			if ((!first && buf_putc(b, ' ')) ||
			    encode_words(b, s + run_start, run_end - run_start, 1))
				return -1;
			first = 0;
			in_run = 0;
		}
		if (wl == 0)
			return 0;
		if (plain) {
			if ((!first && buf_putc(b, ' ')) || buf_append(b, w, wl))
				return -1;
			first = 0;
		} else {
			if (!in_run)
				run_start = (size_t)(w - s);
			in_run = 1;
			run_end = (size_t)(p - s);
		}
	}
}

/* Text for an unstructured header: as is when plain ASCII, else encoded.
 * "=?" in plain text is encoded too so no reader mistakes it for a word. */
static char *header_text(const char *clean)
{
	struct buf b = BUF_INIT;
	int rc;
	if (is_ascii(clean) && !strstr(clean, "=?"))
		rc = buf_puts(&b, clean);
	else
		rc = encode_words(&b, clean, strlen(clean), 0);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* A field of the given type holding data (owned by the field on success;
 * freed here on failure). */
static int add_field(struct mailimf_fields *fs, int type, void *data)
{
	struct mailimf_field *f = mailimf_field_new(type, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
						    NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
						    NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (!f) {
		/* The field would have owned data; without it, data is ours. */
		switch (type) {
		case MAILIMF_FIELD_ORIG_DATE: mailimf_orig_date_free(data); break;
		case MAILIMF_FIELD_FROM: mailimf_from_free(data); break;
		case MAILIMF_FIELD_REPLY_TO: mailimf_reply_to_free(data); break;
		case MAILIMF_FIELD_TO: mailimf_to_free(data); break;
		case MAILIMF_FIELD_MESSAGE_ID: mailimf_message_id_free(data); break;
		case MAILIMF_FIELD_SUBJECT: mailimf_subject_free(data); break;
		case MAILIMF_FIELD_OPTIONAL_FIELD: mailimf_optional_field_free(data); break;
		default: break;
		}
		return -1;
	}
	switch (type) {
	case MAILIMF_FIELD_ORIG_DATE: f->fld_data.fld_orig_date = data; break;
	case MAILIMF_FIELD_FROM: f->fld_data.fld_from = data; break;
	case MAILIMF_FIELD_REPLY_TO: f->fld_data.fld_reply_to = data; break;
	case MAILIMF_FIELD_TO: f->fld_data.fld_to = data; break;
	case MAILIMF_FIELD_MESSAGE_ID: f->fld_data.fld_message_id = data; break;
	case MAILIMF_FIELD_SUBJECT: f->fld_data.fld_subject = data; break;
	case MAILIMF_FIELD_OPTIONAL_FIELD: f->fld_data.fld_optional_field = data; break;
	default: break;
	}
	if (mailimf_fields_add(fs, f) != MAILIMF_NO_ERROR) {
		mailimf_field_free(f);
		return -1;
	}
	return 0;
}

/* A custom header; value is already clean. */
static int add_custom(struct mailimf_fields *fs, const char *name, const char *value)
{
	char *n = strdup(name), *v = strdup(value);
	struct mailimf_optional_field *of = n && v ? mailimf_optional_field_new(n, v) : NULL;
	if (!of) {
		free(n);
		free(v);
		return -1;
	}
	return add_field(fs, MAILIMF_FIELD_OPTIONAL_FIELD, of);
}

/* A mailbox header (From, To, Reply-To). ASCII names go through libetpan's
 * mailbox writer, which quotes them as needed. libetpan would put a
 * multi-word encoded name inside quotes, where readers do not decode it, so
 * non-ASCII names are written as a custom field of our own making. */
static int add_mailbox(struct mailimf_fields *fs, int type, const char *hname, const char *name,
		       const char *addr)
{
	char *clean = clean_header(name, MAX_PHRASE);
	if (!clean)
		return -1;
	int rc = -1;
	if (!is_ascii(clean) || strstr(clean, "=?")) {
		struct buf b = BUF_INIT;
		if (encode_phrase(&b, clean) == 0 && buf_printf(&b, " <%s>", addr) == 0)
			rc = add_custom(fs, hname, buf_str(&b));
		buf_free(&b);
		free(clean);
		return rc;
	}
	/* An empty name means none: libetpan would write "" <addr>. */
	char *dn = NULL, *as = strdup(addr);
	int want_name = clean[0] != '\0';
	if (want_name)
		dn = strdup(clean);
	free(clean);
	struct mailimf_mailbox *mb = as && (dn || !want_name) ? mailimf_mailbox_new(dn, as) : NULL;
	if (!mb) {
		free(dn);
		free(as);
		return -1;
	}
	if (type == MAILIMF_FIELD_FROM) {
		struct mailimf_mailbox_list *ml = mailimf_mailbox_list_new_empty();
		if (!ml || mailimf_mailbox_list_add(ml, mb) != MAILIMF_NO_ERROR) {
			if (ml)
				mailimf_mailbox_list_free(ml);
			mailimf_mailbox_free(mb);
			return -1;
		}
		struct mailimf_from *fr = mailimf_from_new(ml);
		if (!fr) {
			mailimf_mailbox_list_free(ml);
			return -1;
		}
		return add_field(fs, type, fr);
	}
	struct mailimf_address *ad = mailimf_address_new(MAILIMF_ADDRESS_MAILBOX, mb, NULL);
	if (!ad) {
		mailimf_mailbox_free(mb);
		return -1;
	}
	struct mailimf_address_list *al = mailimf_address_list_new_empty();
	if (!al || mailimf_address_list_add(al, ad) != MAILIMF_NO_ERROR) {
		if (al)
			mailimf_address_list_free(al);
		mailimf_address_free(ad);
		return -1;
	}
	void *data = type == MAILIMF_FIELD_TO ? (void *)mailimf_to_new(al)
					      : (void *)mailimf_reply_to_new(al);
	if (!data) {
		mailimf_address_list_free(al);
		return -1;
	}
	return add_field(fs, type, data);
}

/* Message-ID is ours (no outside data), but it still must be one token. */
static int msgid_valid(const char *s)
{
	if (!s || !*s || strlen(s) > 250 || !strchr(s, '@'))
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7F || strchr("<>()[]\\\",;:", *s))
			return 0;
	return 1;
}

/* List-Unsubscribe takes <URL>: anything outside printable ASCII, and the
 * characters that would end or split the bracket, are percent-encoded. */
static char *unsub_value(const char *url)
{
	struct buf b = BUF_INIT;
	int rc = buf_putc(&b, '<');
	for (const unsigned char *p = (const unsigned char *)url; *p && rc == 0; p++) {
		if (*p <= ' ' || *p >= 0x7F || *p == '<' || *p == '>' || *p == '"' || *p == ',')
			rc = buf_printf(&b, "%%%02X", *p);
		else
			rc = buf_putc(&b, (char)*p);
	}
	if (rc == 0)
		rc = buf_putc(&b, '>');
	if (rc != 0 || b.len > 900) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

/* List-Id: "phrase <id>"; the phrase is encoded when not ASCII. */
static char *list_id_value(const char *raw)
{
	char *clean = clean_header(raw, MAX_PHRASE);
	if (!clean)
		return NULL;
	char *lt = strrchr(clean, '<');
	if (!lt || is_ascii(clean)) {
		if (!is_ascii(clean)) {
			free(clean);
			return NULL;
		}
		return clean;
	}
	struct buf b = BUF_INIT;
	*lt = '\0';
	size_t l = strlen(clean);
	while (l > 0 && clean[l - 1] == ' ')
		clean[--l] = '\0';
	int rc = encode_phrase(&b, clean);
	*lt = '<';
	if (rc == 0 && !is_ascii(lt))
		rc = -1;
	if (rc == 0)
		rc = buf_printf(&b, "%s%s", b.len ? " " : "", lt);
	free(clean);
	if (rc != 0) {
		buf_free(&b);
		return NULL;
	}
	return buf_steal(&b);
}

static int build_fields(const struct mail_msg *m, struct mailimf_fields *fs, struct err *err)
{
	struct mailimf_date_time *dt = mailimf_get_date(m->date);
	struct mailimf_orig_date *od = dt ? mailimf_orig_date_new(dt) : NULL;
	if (!od) {
		if (dt)
			mailimf_date_time_free(dt);
		return err_set(err, "mail: out of memory");
	}
	if (add_field(fs, MAILIMF_FIELD_ORIG_DATE, od) != 0)
		return err_set(err, "mail: out of memory");

	if (add_mailbox(fs, MAILIMF_FIELD_FROM, "From", m->from_name, m->from_addr) != 0 ||
	    add_mailbox(fs, MAILIMF_FIELD_TO, "To", m->to_name, m->to_addr) != 0 ||
	    (m->reply_to && add_mailbox(fs, MAILIMF_FIELD_REPLY_TO, "Reply-To", NULL, m->reply_to) != 0))
		return err_set(err, "mail: out of memory");

	char *subj = clean_header(m->subject, MAX_SUBJECT);
	char *enc = subj ? header_text(subj) : NULL;
	free(subj);
	struct mailimf_subject *sj = enc ? mailimf_subject_new(enc) : NULL;
	if (!sj) {
		free(enc);
		return err_set(err, "mail: out of memory");
	}
	if (add_field(fs, MAILIMF_FIELD_SUBJECT, sj) != 0)
		return err_set(err, "mail: out of memory");

	char *mid = strdup(m->message_id);
	struct mailimf_message_id *mi = mid ? mailimf_message_id_new(mid) : NULL;
	if (!mi) {
		free(mid);
		return err_set(err, "mail: out of memory");
	}
	if (add_field(fs, MAILIMF_FIELD_MESSAGE_ID, mi) != 0)
		return err_set(err, "mail: out of memory");

	if (m->list_id) {
		char *v = list_id_value(m->list_id);
		int rc = v ? add_custom(fs, "List-Id", v) : -1;
		free(v);
		if (rc != 0)
			return err_set(err, "mail: List-Id \"%.80s\" is not usable", m->list_id);
	}
	if (m->list_unsubscribe) {
		/* One or more URLs, separated by commas or spaces (mailto and
		 * https). An https one gets RFC 8058's one-click header: mail
		 * clients then offer unsubscribing with one POST. */
		struct buf v = BUF_INIT;
		int rc = 0, https = 0;
		char *copy = strdup(m->list_unsubscribe), *save = NULL;
		for (char *u = copy ? strtok_r(copy, ", \t", &save) : NULL; u && !rc;
		     u = strtok_r(NULL, ", \t", &save)) {
			if (strncmp(u, "mailto:", 7) && strncmp(u, "https://", 8))
				continue;
			https |= !strncmp(u, "https://", 8);
			char *one = unsub_value(u);
			rc = !one || (v.len && buf_puts(&v, ", ") < 0) || buf_puts(&v, one) < 0;
			free(one);
		}
		free(copy);
		if (!rc && v.len)
			rc = add_custom(fs, "List-Unsubscribe", v.data);
		if (!rc && v.len && https)
			rc = add_custom(fs, "List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
		buf_free(&v);
		if (rc != 0)
			return err_set(err, "mail: List-Unsubscribe URL is not usable");
	}
	/* Tell vacation responders and list software this is a bulk digest. */
	if (add_custom(fs, "Precedence", "bulk") != 0 ||
	    add_custom(fs, "Auto-Submitted", "auto-generated") != 0)
		return err_set(err, "mail: out of memory");
	return 0;
}

/* Quoted-printable of our own: libetpan's encoder writes a line's trailing
 * white space twice (once plain, once as =20). Every line end becomes CRLF;
 * encoded lines are at most 76 octets; "." and "From " never start a line,
 * so neither SMTP dot handling nor mbox "From " quoting can alter a body. */
static int qp_encode(struct buf *out, const char *s)
{
	size_t col = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '\r' || *p == '\n') {
			if (*p == '\r' && p[1] == '\n')
				p++;
			if (buf_puts(out, "\r\n"))
				return -1;
			col = 0;
			continue;
		}
		int ws = *p == ' ' || *p == '\t';
		int at_eol = p[1] == '\0' || p[1] == '\r' || p[1] == '\n';
		int literal = (*p > ' ' && *p < 0x7F && *p != '=') || (ws && !at_eol);
		if (col + (literal ? 1 : 3) > 75) {
			if (buf_puts(out, "=\r\n"))
				return -1;
			col = 0;
		}
		if (col == 0 && (*p == '.' || (*p == 'F' && strncmp((const char *)p, "From ", 5) == 0)))
			literal = 0;
		if (literal ? buf_putc(out, (char)*p) : buf_printf(out, "=%02X", *p))
			return -1;
		col += literal ? 1 : 3;
	}
	return 0;
}

static int add_param(struct mailmime_content *ct, const char *name, const char *value)
{
	char *pn = strdup(name), *pv = strdup(value);
	struct mailmime_parameter *par = pn && pv ? mailmime_parameter_new(pn, pv) : NULL;
	if (!par) {
		free(pn);
		free(pv);
		return -1;
	}
	if (clist_append(ct->ct_parameters, par) != 0) {
		mailmime_parameter_free(par);
		return -1;
	}
	return 0;
}

/* A text/<sub> part, charset=utf-8, quoted-printable, the body already
 * encoded in enc (referenced, not copied: it must outlive the write).
 * method (text/calendar's iTIP method) may be NULL; with filename the
 * part is an attachment of that name. */
static struct mailmime *text_part(const char *sub, const struct buf *enc, const char *method,
				  const char *filename)
{
	char type[32];
	snprintf(type, sizeof type, "text/%s", sub);
	struct mailmime_content *ct = mailmime_content_new_with_str(type);
	if (!ct)
		return NULL;
	if (add_param(ct, "charset", "utf-8") || (method && add_param(ct, "method", method)) ||
	    (filename && add_param(ct, "name", filename))) {
		mailmime_content_free(ct);
		return NULL;
	}
	char *fn = filename ? strdup(filename) : NULL;
	struct mailmime_fields *mf =
		!filename ? mailmime_fields_new_encoding(MAILMIME_MECHANISM_QUOTED_PRINTABLE)
		: fn	  ? mailmime_fields_new_filename(MAILMIME_DISPOSITION_TYPE_ATTACHMENT, fn,
							 MAILMIME_MECHANISM_QUOTED_PRINTABLE)
			  : NULL;
	if (!mf && fn)
		free(fn);
	if (!mf) {
		mailmime_content_free(ct);
		return NULL;
	}
	struct mailmime *part = mailmime_new_empty(ct, mf);
	if (!part) {
		mailmime_fields_free(mf);
		mailmime_content_free(ct);
		return NULL;
	}
	part->mm_data.mm_single = mailmime_data_new_data(MAILMIME_MECHANISM_QUOTED_PRINTABLE, 1,
							 buf_str(enc), enc->len);
	if (!part->mm_data.mm_single) {
		mailmime_free(part);
		return NULL;
	}
	return part;
}

/* libetpan always adds a random boundary parameter: its value replaced
 * by b (0, or -1 out of memory). */
static int set_boundary(struct mailmime *mp, const char *b)
{
	for (clistiter *it = clist_begin(mp->mm_content_type->ct_parameters); it;
	     it = clist_next(it)) {
		struct mailmime_parameter *par = clist_content(it);
		if (strcasecmp(par->pa_name, "boundary") != 0)
			continue;
		char *v = strdup(b);
		if (!v)
			return -1;
		free(par->pa_value);
		par->pa_value = v;
	}
	return 0;
}

static int write_mem(void *data, const char *s, size_t n)
{
	/* libetpan takes 0 as failure, anything else as success. */
	return buf_append(data, s, n) == 0 ? 1 : 0;
}

int mail_compose(const struct mail_msg *m, struct buf *out, struct err *err)
{
	if (!m->from_addr || !mail_address_valid(m->from_addr))
		return err_set(err, "mail: sender address \"%.80s\" is not valid",
			       m->from_addr ? m->from_addr : "");
	if (!m->to_addr || !mail_address_valid(m->to_addr))
		return err_set(err, "mail: recipient address \"%.80s\" is not valid",
			       m->to_addr ? m->to_addr : "");
	if (m->reply_to && !mail_address_valid(m->reply_to))
		return err_set(err, "mail: Reply-To address \"%.80s\" is not valid", m->reply_to);
	if (!msgid_valid(m->message_id))
		return err_set(err, "mail: Message-ID \"%.80s\" is not valid",
			       m->message_id ? m->message_id : "");

	struct mailimf_fields *fs = mailimf_fields_new_empty();
	if (!fs)
		return err_set(err, "mail: out of memory");
	if (build_fields(m, fs, err) != 0) {
		mailimf_fields_free(fs);
		return -1;
	}
	struct mailmime *msg = mailmime_new_message_data(NULL);
	if (!msg) {
		mailimf_fields_free(fs);
		return err_set(err, "mail: out of memory");
	}
	mailmime_set_imf_fields(msg, fs);

	int rc = -1;
	struct buf enc[3] = {BUF_INIT, BUF_INIT, BUF_INIT};
	/* "=_" never occurs in quoted-printable output (every "=" there is
	 * followed by hex or a line end), so no body can contain the boundary
	 * whatever the feeds say; hashing the Message-ID keeps output
	 * reproducible. */
	unsigned long long h = fnv1a_str(FNV1A_INIT, m->message_id);
	char bnd[40];
	snprintf(bnd, sizeof bnd, "=_bulletin_%016llx", h);
	if (!m->html) { /* a plain note (the run report): one text/plain part */
		struct mailmime *part;
		if (qp_encode(&enc[0], m->text ? m->text : "") != 0 ||
		    !(part = text_part("plain", &enc[0], NULL, NULL)))
			goto out;
		if (mailmime_smart_add_part(msg, part) != MAILIMF_NO_ERROR) {
			mailmime_free(part);
			goto out;
		}
		goto write;
	}
	/* With events: multipart/mixed, the digest first and the events
	 * attached; Outlook shows a text/calendar inside the alternative
	 * instead of the digest. */
	struct mailmime *top = msg;
	if (m->calendar) {
		struct mailmime *mixed = mailmime_multiple_new("multipart/mixed");
		if (!mixed)
			goto out;
		char mb[48];
		snprintf(mb, sizeof mb, "=_bulletin_mixed_%016llx", h);
		if (set_boundary(mixed, mb) || mailmime_smart_add_part(msg, mixed) != MAILIMF_NO_ERROR) {
			mailmime_free(mixed);
			goto out;
		}
		top = mixed;
	}
	struct mailmime *alt = mailmime_multiple_new("multipart/alternative");
	if (!alt)
		goto out;
	if (set_boundary(alt, bnd) || mailmime_smart_add_part(top, alt) != MAILIMF_NO_ERROR) {
		mailmime_free(alt);
		goto out;
	}
	/* Parts in order of preference: plain first, HTML last. */
	const char *subs[2] = {"plain", "html"};
	const char *bodies[2] = {m->text ? m->text : "", m->html ? m->html : ""};
	for (int i = 0; i < 2; i++) {
		if (qp_encode(&enc[i], bodies[i]) != 0)
			goto out;
		struct mailmime *part = text_part(subs[i], &enc[i], NULL, NULL);
		if (!part)
			goto out;
		if (mailmime_smart_add_part(alt, part) != MAILIMF_NO_ERROR) {
			mailmime_free(part);
			goto out;
		}
	}
	if (m->calendar) {
		/* RFC 6047: readers offer to add the events. */
		char *fname = clean_header(m->calendar_name ? m->calendar_name : "calendar.ics", 64);
		struct mailmime *part = NULL;
		if (fname && *fname && is_ascii(fname) && qp_encode(&enc[2], m->calendar) == 0)
			part = text_part("calendar", &enc[2], "PUBLISH", fname);
		free(fname);
		if (!part)
			goto out;
		if (mailmime_smart_add_part(top, part) != MAILIMF_NO_ERROR) {
			mailmime_free(part);
			goto out;
		}
	}
write:;
	size_t start = out->len;
	int col = 0;
	if (mailmime_write_driver(write_mem, out, &col, msg) != MAILIMF_NO_ERROR) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		mailmime_free(msg);
		for (int i = 0; i < 3; i++)
			buf_free(&enc[i]);
		return err_set(err, "mail: libetpan could not write the message");
	}
	rc = 0;
out:
	mailmime_free(msg);
	for (int i = 0; i < 3; i++)
		buf_free(&enc[i]);
	if (rc != 0)
		return err_set(err, "mail: out of memory");
	return 0;
}
