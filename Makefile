# kueri -- plain GNU make, no autotools.
#
#   make            build build/kueri
#   make test       deps, then every suite twice: plain and ASan+UBSan
#   make demo       deps, build, publish the bundled datasets, serve on :8080
#   make SANITIZE=1 build into build/san with AddressSanitizer + UBSan
#   make fuzz       libFuzzer harnesses (clang)
#   make bench      the benchmark (not part of make test)
#   make install    PREFIX=/usr/local DESTDIR=

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= cc
PKGS     = sqlite3 jansson libpcre2-8

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -lsqlite3 -ljansson -lpcre2-8)

WARN = -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wstrict-prototypes \
       -Wmissing-prototypes -Wformat=2 -Wvla -Wimplicit-fallthrough
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE -g $(WARN) -Iinclude $(PKG_CFLAGS) \
             -fstack-protector-strong -fPIE
LDFLAGS_ALL = -pie -Wl,-z,relro,-z,now
LIBS = $(PKG_LIBS) -lm

ifeq ($(SANITIZE),1)
BUILD = build/san
CFLAGS_ALL += -O1 -fno-omit-frame-pointer -fsanitize=address,undefined \
              -fno-sanitize-recover=undefined
LDFLAGS_ALL += -fsanitize=address,undefined
else
BUILD = build
CFLAGS_ALL += -O2 -D_FORTIFY_SOURCE=2
endif
CFLAGS_ALL += $(CFLAGS)
LDFLAGS_ALL += $(LDFLAGS)

# The data flow, one folder per stage: util (errors, sinks) → publish
# (CSV → verified rows → SQLite) → portal (the published database) →
# query (URL → SQL → rows → JSON/CSV) → fcgi (HTTP).  cli/ is thin mains.
LIB_SRC  = $(wildcard util/*.c portal/*.c publish/*.c query/*.c fcgi/*.c)
LIB_SRC += $(wildcard replica/*.c)
LIB_SRC += $(wildcard harvest/*.c)
LIB_SRC += $(wildcard inventory/*.c)
CLI_SRC  = $(wildcard cli/*.c)
TEST_SRC = $(wildcard tests/unit/test_*.c)
LIB_OBJ  = $(LIB_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  = $(CLI_SRC:%.c=$(BUILD)/%.o)
TEST_BIN = $(TEST_SRC:tests/unit/%.c=$(BUILD)/tests/%)
HEADERS  = $(wildcard include/*.h */*.h)

all: $(BUILD)/kueri $(TEST_BIN)

$(BUILD)/%.o: %.c $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/libkueri.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/kueri: $(CLI_OBJ) $(BUILD)/libkueri.a
	$(CC) $(LDFLAGS_ALL) -o $@ $(CLI_OBJ) $(BUILD)/libkueri.a $(LIBS)

# A test binary also depends on the test helpers it may include
# (tests/unit/qtest.h, kq_fixture.h, tap.h ...).
TEST_HEADERS = $(wildcard tests/unit/*.h)
$(BUILD)/tests/%: tests/unit/%.c $(TEST_HEADERS) $(BUILD)/libkueri.a $(HEADERS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Itests/unit $(LDFLAGS_ALL) -o $@ $< $(BUILD)/libkueri.a $(LIBS)

# deps: the only setup step; idempotent and quiet when all is present.
deps:
	@sh tools/deps.sh

# test: plain build, then sanitizer build; each runs every suite.
test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@sh tests/run.sh build build/san

check: all
	@sh tests/run.sh $(BUILD)

demo: deps all
	@sh tools/demo.sh

serve: all
	@sh tools/serve.sh "$(DB)" "$(PORT)"

bench: deps all
	@sh bench/run.sh

fuzz:
	@sh tests/fuzz/run.sh

install: $(BUILD)/kueri
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/kueri/nginx
	install -m 0755 $(BUILD)/kueri $(DESTDIR)$(PREFIX)/bin/kueri
	install -m 0644 nginx/kueri.conf nginx/kueri-http.conf nginx/lighttpd.conf \
		$(DESTDIR)$(PREFIX)/share/kueri/nginx/
	install -m 0644 nginx/kueri-front-http.conf nginx/kueri-front.conf \
		nginx/kueri-replica-http.conf nginx/rsyncd.conf \
		$(DESTDIR)$(PREFIX)/share/kueri/nginx/

clean:
	rm -rf build

.PHONY: all deps test check demo serve bench fuzz install clean
.SECONDARY:
