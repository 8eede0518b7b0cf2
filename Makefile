# bulletin: see README.md. `make`, `make check`, `make demo`, `make eval`,
# `make bench`, `make soak`, `make install`.
VERSION   = 0.1.0
PREFIX   ?= /usr/local
BUILD    ?= build
CC       ?= cc
# The shared folder (conformance suites, corpus) the tests read; they skip without it.
BULLETIN_SHARED ?= ../shared

# Flags come from pkg-config. libetpan is linked as plain -letpan: Debian's
# libetpan.pc adds a no-PIE link spec that breaks a PIE build.
PKGS      = libcurl libxml-2.0 libpcre2-8 sqlite3 libcmark inih jansson libidn2 zlib gnutls nettle
# A missing library is named, not hidden: make stops with the package to install.
PKG_MISSING := $(shell for p in $(PKGS) cmocka; do pkg-config --exists $$p || echo $$p; done)
ifneq ($(filter-out cmocka,$(PKG_MISSING)),)
  ifeq ($(filter deps,$(MAKECMDGOALS))$(filter demo check bench fuzz eval soak,$(MAKECMDGOALS)),)
    $(error pkg-config finds no $(filter-out cmocka,$(PKG_MISSING)): run `sudo make deps` (or sh scripts/deps.sh) first)
  endif
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -letpan -pthread
TEST_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
TEST_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN      = -Wall -Wextra -Werror -Wshadow -Wconversion -Wformat=2 -Wno-format-nonliteral -Wno-format-truncation # snprintf truncation is our bound, not a bug
# Debian's hardening defaults (dpkg-buildflags), for every build.
HARDEN    = -fstack-protector-strong -fPIE
HARDEN_LD = -pie -Wl,-z,relro,-z,now
CFLAGS   ?= -O2 -g
ifeq ($(SAN),1)
  CFLAGS  = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  LDFLAGS += -fsanitize=address,undefined
else
  HARDEN += -D_FORTIFY_SOURCE=2
endif
LDFLAGS  += $(HARDEN_LD)
ALL_CFLAGS = -std=c11 -pthread -D_GNU_SOURCE -DBULLETIN_VERSION='"$(VERSION)"' \
	-DBULLETIN_DATADIR='"$(PREFIX)/share/bulletin"' $(WARN) $(HARDEN) $(CFLAGS) -Ilib $(PKG_CFLAGS)

LIB_SRC  = $(wildcard lib/*/*.c)
CMD_SRC  = $(wildcard cmd/bulletin/*.c)
UNIT_SRC = $(wildcard tests/unit/test_*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CMD_OBJ  = $(CMD_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)

# `make V=1` shows the full compiler commands.
ifeq ($(V),1)
  Q =
else
  Q = @
endif

.PHONY: all deps check check-plain check-san demo eval bench fuzz screenshots install uninstall clean tests check-libxml2-new soak
all: $(BUILD)/bulletin

$(BUILD)/%.o: %.c $(wildcard lib/*/*.h cmd/bulletin/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CC      $<"
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

# BULLETIN_DATADIR is compiled in: `make install PREFIX=/opt/x` after a
# plain `make` recompiles the one file that uses it instead of installing
# a binary that looks in /usr/local.
$(BUILD)/datadir.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(PREFIX)/share/bulletin' | cmp -s - $@ || echo '$(PREFIX)/share/bulletin' > $@
$(BUILD)/lib/core/config.o: $(BUILD)/datadir.stamp
FORCE:

$(BUILD)/libbulletin.a: $(LIB_OBJ)
	@rm -f $@
	$(Q)ar rcs $@ $^

$(BUILD)/bulletin: $(CMD_OBJ) $(BUILD)/libbulletin.a
	@[ "$(V)" = 1 ] || echo "  LINK    $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $(CMD_OBJ) $(BUILD)/libbulletin.a $(PKG_LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libbulletin.a tests/unit/testutil.h
	@pkg-config --exists cmocka || { echo "pkg-config finds no cmocka: run \`sudo make deps\` (Debian: libcmocka-dev)" >&2; exit 1; }
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  TEST    $@"
	$(Q)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $< \
		$(BUILD)/libbulletin.a $(PKG_LIBS) $(TEST_LIBS)

# Fuzz targets also built as plain programs (tests/fuzz/replay.c feeds
# them files), so tests/integration/fuzz_corpus.sh runs their corpora,
# crash inputs included, in every build, the sanitizer build too.
REPLAY_TARGETS = fuzz_config fuzz_members fuzz_mustache fuzz_archive_json fuzz_mail fuzz_jsonl
REPLAY_BIN = $(REPLAY_TARGETS:%=$(BUILD)/fuzz-replay/%)

$(BUILD)/fuzz-replay/%: tests/fuzz/%.c tests/fuzz/replay.c tests/fuzz/fuzz_util.h $(BUILD)/libbulletin.a
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  REPLAY  $@"
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/fuzz $(LDFLAGS) -o $@ $< tests/fuzz/replay.c \
		$(BUILD)/libbulletin.a $(PKG_LIBS)

tests: $(BUILD)/bulletin $(UNIT_BIN) $(REPLAY_BIN)

# Installs missing Debian packages when run as root (otherwise names
# them): `make deps` what building and running need, nothing more; the
# demo's servers and the tests' tools come with `make demo` and `make check`.
deps:
	@sh scripts/deps.sh

# Sub-makes re-read pkg-config after deps may have installed the packages.
check:
	@sh scripts/deps.sh check
	@$(MAKE) --no-print-directory check-plain
	@$(MAKE) --no-print-directory BUILD=build/san SAN=1 check-san
	@sh tests/summary.sh build/results-plain.txt build/san/results-san.txt

check-plain: tests
	@sh tests/run.sh $(BUILD) plain > /dev/null || true
	@cp $(BUILD)/results.txt $(BUILD)/results-plain.txt

check-san: tests
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		sh tests/run.sh $(BUILD) san > /dev/null || true
	@cp $(BUILD)/results.txt $(BUILD)/results-san.txt

demo:
	@sh scripts/deps.sh demo
	@$(MAKE) --no-print-directory all
	@sh contrib/demo/run.sh $(BUILD)/bulletin

eval: deps
	@$(MAKE) --no-print-directory all
	@echo "bulletin rules eval -r feeds/primarvard.rules $(BULLETIN_SHARED)/corpus/public.tsv"
	@if [ -f $(BULLETIN_SHARED)/corpus/public.tsv ]; then $(BUILD)/bulletin rules eval -r feeds/primarvard.rules $(BULLETIN_SHARED)/corpus/public.tsv; \
	else echo "skipped: $(BULLETIN_SHARED)/corpus/public.tsv is not here (it ships beside the project's own checkout)"; fi

bench:
	@sh scripts/deps.sh bench
	@$(MAKE) --no-print-directory all
	@set -- tests/bench/*.sh; [ -f "$$1" ] || { echo "no benchmarks yet (tests/bench/ is empty)"; exit 0; }; \
	for b in "$$@"; do sh "$$b" $(BUILD)/bulletin || exit 1; done

# Crash campaigns (kill -9 at random moments, then check nothing was done
# twice or lost): tests/soak/*.sh, each given the binary. Not part of
# `make check` (minutes each). tests/soak/send_kill.sh is the one over
# send: members mailed exactly once, in doubt, twice (0), lost (0).
soak:
	@sh scripts/deps.sh check
	@$(MAKE) --no-print-directory all
	@for s in tests/soak/*.sh; do echo "  SOAK    $$s"; sh "$$s" $(BUILD)/bulletin || exit 1; done

# Coverage-guided fuzzing of every parser of outside input (clang's
# libFuzzer with ASan and UBSan): each of FUZZ_TARGETS (default: all of
# tests/fuzz/fuzz_*.c) for FUZZ_SECONDS, seeded from tests/fuzz/corpus/
# and the fixtures; a summary line per target (executions, cov:, crashes)
# at the end. A long campaign: make fuzz FUZZ_SECONDS=3600 FUZZ_TARGETS="a b".
# See tests/fuzz/README.md. Not part of `make check`.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BUILD = build/fuzz
FUZZ_CFLAGS = -std=c11 -pthread -D_GNU_SOURCE -DBULLETIN_VERSION='"$(VERSION)"' \
	-DBULLETIN_DATADIR='"/"' -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
	-Ilib -Itests/fuzz $(PKG_CFLAGS)
FUZZ_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/obj/%.o)
.SECONDARY: $(FUZZ_OBJ)

$(FUZZ_BUILD)/obj/%.o: %.c $(wildcard lib/*/*.h)
	@mkdir -p $(dir $@)
	@[ "$(V)" = 1 ] || echo "  CLANG   $<"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz_util.h $(FUZZ_OBJ)
	@[ "$(V)" = 1 ] || echo "  FUZZER  $@"
	$(Q)clang $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(PKG_LIBS)

fuzz: deps
	@command -v clang >/dev/null || { echo "make fuzz needs clang (Debian: clang)"; exit 1; }
	@$(MAKE) --no-print-directory $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/%)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_TARGETS)

# The parse tests built and run against another libxml2 installed under
# LIBXML2_PREFIX (public API only: a newer one must build and pass).
check-libxml2-new:
	@sh scripts/check-libxml2.sh "$(LIBXML2_PREFIX)"

# The demo's mail to an sv and an nb member in headless Chromium at 375 and
# 1280 px, light and dark (optional; needs the chromium package).
screenshots: demo
	@sh contrib/screenshots/run.sh

# `make install PREFIX=/usr/local DESTDIR=/tmp/stage`: the binary, the man
# pages, the shipped sources, rules and templates (share/bulletin) and the
# sample configuration, member list, crontab and systemd units
# (share/doc/bulletin, with /usr/local replaced by PREFIX). The binary looks
# in $(PREFIX)/share/bulletin (BULLETIN_DATADIR) as it was compiled: after
# changing PREFIX, `make clean` first.
DATADIR = $(PREFIX)/share/bulletin
DOCDIR  = $(PREFIX)/share/doc/bulletin
MANDIR  = $(PREFIX)/share/man
INSTALL_DIRS = $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(DATADIR)/feeds $(DESTDIR)$(DATADIR)/templates \
	$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(DOCDIR)
# The folders install makes (those not there before) are listed in
# DATADIR/installed-dirs, so that uninstall removes them again when they
# are empty, and never a folder that was there before.
install: all
	@made=""; for d in $(INSTALL_DIRS); do \
		while [ ! -d "$$d" ]; do made="$$made $$d"; d=$$(dirname "$$d"); done; \
	done; \
	install -d $(INSTALL_DIRS) && \
	m=$(DESTDIR)$(DATADIR)/installed-dirs; \
	{ cat "$$m" 2>/dev/null; printf '%s\n' $$made; } | grep . | sort -u > "$$m.new" && mv "$$m.new" "$$m"
	install -m 755 $(BUILD)/bulletin $(DESTDIR)$(PREFIX)/bin/bulletin
	install -m 644 feeds/* $(DESTDIR)$(DATADIR)/feeds/
	install -m 644 templates/* $(DESTDIR)$(DATADIR)/templates/
	install -m 644 doc/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 doc/*.5 $(DESTDIR)$(MANDIR)/man5/
	for f in contrib/config/bulletin.ini contrib/config/members.csv contrib/cron/bulletin.cron \
		contrib/systemd/bulletin.service contrib/systemd/bulletin.timer; do \
		sed 's|/usr/local/|$(PREFIX)/|g' $$f > $(DESTDIR)$(DOCDIR)/$$(basename $$f) && \
		chmod 644 $(DESTDIR)$(DOCDIR)/$$(basename $$f) || exit 1; \
	done

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/bulletin
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(wildcard doc/*.1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man5/,$(notdir $(wildcard doc/*.5)))
	@dirs=$$(cat $(DESTDIR)$(DATADIR)/installed-dirs 2>/dev/null); \
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR) && \
	for d in $$(printf '%s\n' $$dirs | sort -r); do \
		[ ! -d "$$d" ] || rmdir "$$d" 2>/dev/null || echo "uninstall: $$d is not empty; left in place"; \
	done

clean:
	rm -rf build
