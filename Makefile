# tcpfate — build, run and test.  `make help` lists the targets.
.DELETE_ON_ERROR:
.DEFAULT_GOAL := all

# SANITIZE=1: userspace built with ASan and UBSan (objects in build/san); tools stay plain.
ifeq ($(SANITIZE),1)
OUTPUT := build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
VARIANT := sanitize
else
OUTPUT := build
SAN_FLAGS :=
VARIANT := plain
endif
TOOLS := build
CLANG ?= clang
BPFTOOL ?= $(shell command -v bpftool || echo /usr/sbin/bpftool)
CC ?= cc
ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/' -e 's/ppc64le/powerpc/' -e 's/s390x/s390/')
VMLINUX_DIR := vmlinux/$(ARCH)
VERSION := 0.1.0

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wmissing-prototypes -Wstrict-prototypes
CFLAGS ?= -O2 -g
ALL_CFLAGS := $(CFLAGS) $(SAN_FLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -DTCPFATE_VERSION='"$(VERSION)"' \
	-Ibpf -Iuser -I$(OUTPUT) -MMD -MP
LDLIBS := -lbpf -lelf -lz -lm -lpthread -lsqlite3 -ljansson
SERVER_LIBS := -lmicrohttpd -lcap

# Userspace sources, by what they may be linked into.  TESTABLE: pure (no skeleton,
# no kernel, no threads), linked into the unit tests and fuzzers too.  RUNTIME: need
# the BPF skeleton, a thread or a socket; linked into ./tcpfate only.
USER_SRCS := $(sort $(wildcard user/*.c user/*/*.c))
RUNTIME_SRCS := user/main.c user/kernel/loader.c user/kernel/rings.c user/kernel/privileges.c \
	user/live/monitor.c user/metrics/http.c user/record/recorder.c user/report/command.c
TESTABLE_SRCS := $(filter-out $(RUNTIME_SRCS),$(USER_SRCS))
TESTABLE_OBJS := $(TESTABLE_SRCS:user/%.c=$(OUTPUT)/%.o)
RUNTIME_OBJS := $(RUNTIME_SRCS:user/%.c=$(OUTPUT)/%.o)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(OUTPUT)/tests/%)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(TOOLS)/tests/%)

# Debian packages needed to build and to run the tests.
BUILD_PKGS := clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev make gcc pkg-config libmicrohttpd-dev \
	libsqlite3-dev libjansson-dev libcap-dev
TEST_PKGS := iproute2 nftables jq procps nodejs curl python3 prometheus systemd man-db sqlite3 chromium valgrind \
	nginx

.PHONY: all help deps test-deps kernel-deps bench-deps run test test-kernels unit bench fuzz soak soak-record clean vmlinux \
	install uninstall FORCE

PREFIX ?= /usr/local
DESTDIR ?=
SBINDIR := $(PREFIX)/sbin
MAN8DIR := $(PREFIX)/share/man/man8
UNITDIR ?= $(PREFIX)/lib/systemd/system
DATADIR := $(PREFIX)/share/tcpfate

all: tcpfate

help:
	@echo "make            build ./tcpfate"
	@echo "make run        install build dependencies if missing, build, run the live monitor (root)"
	@echo "make test       install test dependencies if missing, run every test: unit, scenario, kernel matrix (root)"
	@echo "make test KERNELS=   unit and scenario tests on this machine's kernel only"
	@echo "make unit       unit tests only (no root)"
	@echo "make test-kernels  the kernel matrix only: every suite inside Debian's 6.1 and 6.12 under qemu, 5.10 refused"
	@echo "make bench      overhead benchmark against tcplife and tcpstates (root, ~7.5 min)"
	@echo "make install   install binary, man page, systemd unit, rules (PREFIX, DESTDIR)"
	@echo "make soak       minutes of churn with 100k open connections (SOAK_SECONDS, SOAK_OPEN), then soak-record"
	@echo "make soak-record  a minute of churn recorded: nothing dropped, file size per failure and per 1M ok"
	@echo "make test SANITIZE=1   the whole suite against an ASan+UBSan build"
	@echo "make fuzz       libFuzzer+ASan+UBSan over the parsers (FUZZ_SECONDS per target)"
	@echo "make vmlinux    regenerate vmlinux/$(ARCH)/vmlinux.h from this kernel's BTF"
	@echo "V=1             show the commands"

# Installs what is missing, once; a no-op when everything is there.
deps:
	$(Q)./tests/install-deps.sh $(BUILD_PKGS)

test-deps: deps
	$(Q)./tests/install-deps.sh $(TEST_PKGS)

# qemu and what builds a guest's initramfs (tests/kernels/guest.sh).
KERNEL_PKGS := qemu-system-x86 busybox-static cpio kmod
kernel-deps:
	$(Q)./tests/install-deps.sh $(KERNEL_PKGS)

$(OUTPUT) $(OUTPUT)/tests:
	$(Q)mkdir -p $@

# -mcpu=v3 for atomic exchange (kernel 5.12+): the final accounting's claims.
# BPF objects (tcpfate's and the benchmark's empty hooks): CO-RE against the committed vmlinux.h.
BPF_CFLAGS = -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -I$(VMLINUX_DIR) -mcpu=v3 -Wall -Werror

$(OUTPUT)/tcpfate.bpf.o: bpf/tcpfate.bpf.c bpf/tcpfate.h $(wildcard bpf/*.bpf.h) $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -Ibpf -c $< -o $@

$(OUTPUT)/tcpfate.skel.h: $(OUTPUT)/tcpfate.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcpfate_bpf > $@

# The same programs without any kfunc reference, for kernels before 6.2 (bpf/scan.bpf.h says why).
# The loader opens it through tcpfate_bpf's skeleton, so both must lay out the same programs, maps
# and variables: the skeletons, names and object bytes aside, must be identical.
$(OUTPUT)/tcpfate-nokfunc.bpf.o: bpf/tcpfate.bpf.c bpf/tcpfate.h $(wildcard bpf/*.bpf.h) $(VMLINUX_DIR)/vmlinux.h | $(OUTPUT)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DTF_NO_KFUNCS -Ibpf -c $< -o $@

$(OUTPUT)/tcpfate_nokfunc.skel.h: $(OUTPUT)/tcpfate-nokfunc.bpf.o $(OUTPUT)/tcpfate.skel.h
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name tcpfate_nokfunc_bpf > $@.tmp
	$(Q)for f in $(OUTPUT)/tcpfate.skel.h $@.tmp; do \
		sed -e '/^static inline const void \*tcpfate.*elf_bytes(size_t \*sz)$$/,$$d' -e 's/tcpfate_nokfunc_bpf/tcpfate_bpf/g; s/TCPFATE_NOKFUNC_BPF/TCPFATE_BPF/g' $$f >$$f.layout; \
	done; \
	diff -u $(OUTPUT)/tcpfate.skel.h.layout $@.tmp.layout || { echo "the two BPF objects differ in layout"; exit 1; }
	$(Q)mv $@.tmp $@

$(RUNTIME_OBJS): $(OUTPUT)/tcpfate.skel.h $(OUTPUT)/tcpfate_nokfunc.skel.h

$(OUTPUT)/%.o: user/%.c | $(OUTPUT)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(ALL_CFLAGS) -c $< -o $@

# ./tcpfate is relinked when the build variant (plain or sanitized) changes.
build/.variant: FORCE
	@mkdir -p build; [ "$$(cat $@ 2>/dev/null)" = "$(VARIANT)" ] || echo $(VARIANT) > $@

tcpfate: $(TESTABLE_OBJS) $(RUNTIME_OBJS) build/.variant
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) $(SAN_FLAGS) $(filter %.o,$^) $(LDLIBS) $(SERVER_LIBS) -o $@

$(OUTPUT)/tests/test_%: tests/unit/test_%.c tests/unit/check.h $(TESTABLE_OBJS) | $(OUTPUT)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Itests/unit $< $(TESTABLE_OBJS) $(LDLIBS) $(SAN_FLAGS) -o $@

$(TOOLS)/bench/churn: bench/churn.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(TOOLS)/bench
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -MMD -MP $< -lpthread -o $@

# Empty programs on tcpfate's hooks: the benchmark's bound for any tracer on them.
$(TOOLS)/bench/hooks.bpf.o: bench/hooks.bpf.c $(VMLINUX_DIR)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(TOOLS)/bench
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(TOOLS)/bench/hooks.skel.h: $(TOOLS)/bench/hooks.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name hooks_bpf > $@

$(TOOLS)/bench/hooks: bench/hooks.c $(TOOLS)/bench/hooks.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -I$(TOOLS)/bench -MMD -MP $< -lbpf -lelf -lz -o $@

$(TOOLS)/tests/%: tests/tools/%.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(TOOLS)/tests
	$(Q)$(CC) $(CFLAGS) $(WARNINGS) -std=gnu11 -D_GNU_SOURCE -Ibpf -Iuser -MMD -MP $< -o $@

run: deps all
	./tcpfate $(ARGS)

unit: $(UNIT_BINS)
	$(Q)TEST_BIN_DIR=$(OUTPUT)/tests ./tests/run.sh --unit

# Everything: unit and scenario tests here, then every suite again inside each kernel of KERNELS
# (Debian's, under qemu: tests/kernels/guest.sh).  KERNELS= runs this machine's suites only.
# With SANITIZE=1 every sanitizer report (tcpfate, unit tests) counts as a failed test.
KERNELS ?= 5.10 6.1 6.12
TEST_NEEDS := test-deps all $(UNIT_BINS) $(TOOL_BINS) $(TOOLS)/bench/churn $(if $(strip $(KERNELS)),kernel-deps)
test: $(TEST_NEEDS)
	$(Q)TEST_BIN_DIR=$(OUTPUT)/tests SANITIZE=$(SANITIZE) TEST_KERNELS="$(KERNELS)" ./tests/run.sh

# The kernel matrix alone.
test-kernels: $(TEST_NEEDS) kernel-deps
	$(Q)TEST_BIN_DIR=$(OUTPUT)/tests TEST_KERNELS="$(KERNELS)" ./tests/run.sh --kernels

# Minutes of churn with many open connections: exact counts, no loss, flat memory.
soak: test-deps all $(TOOL_BINS) $(TOOLS)/bench/churn
	$(Q)./tests/soak.sh
	$(Q)./tests/soak_record.sh

# The recording alone at full churn (also the second half of make soak).
soak-record: test-deps all $(TOOLS)/bench/churn
	$(Q)./tests/soak_record.sh

# Side-by-side overhead against no tracer, tcplife and tcpstates (about 8 minutes).
bench-deps: deps
	$(Q)./tests/install-deps.sh libbpf-tools

bench: bench-deps all $(TOOLS)/bench/churn $(TOOLS)/bench/hooks
	$(Q)./bench/run.sh

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MAN8DIR) $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 tcpfate $(DESTDIR)$(SBINDIR)/tcpfate
	install -m 0644 docs/tcpfate.8 $(DESTDIR)$(MAN8DIR)/tcpfate.8
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/tcpfate.service > $(DESTDIR)$(UNITDIR)/tcpfate.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tcpfate.service
	install -m 0644 docs/tcpfate-rules.yml $(DESTDIR)$(DATADIR)/tcpfate-rules.yml

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/tcpfate $(DESTDIR)$(MAN8DIR)/tcpfate.8 $(DESTDIR)$(UNITDIR)/tcpfate.service
	rm -rf $(DESTDIR)$(DATADIR)

# libFuzzer with ASan and UBSan over the parsers; FUZZ_SECONDS per target.
FUZZ_SECONDS ?= 60
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE \
	-DTCPFATE_VERSION='"$(VERSION)"' -Ibpf -Iuser
FUZZ_TARGETS := $(OUTPUT)/fuzz/fuzz_jsonl $(OUTPUT)/fuzz/fuzz_args

$(OUTPUT)/fuzz/%: tests/fuzz/%.c $(TESTABLE_SRCS) | $(OUTPUT)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(OUTPUT)/fuzz
	$(Q)$(CLANG) $(FUZZ_FLAGS) $< $(TESTABLE_SRCS) $(LDLIBS) -o $@

fuzz: deps $(FUZZ_TARGETS)
	$(Q)for t in $(FUZZ_TARGETS); do \
		mkdir -p $(OUTPUT)/fuzz/corpus-$$(basename $$t); \
		echo "fuzz: $$t for $(FUZZ_SECONDS)s"; \
		if ! $$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=1 \
			-artifact_prefix=$(OUTPUT)/fuzz/ $(OUTPUT)/fuzz/corpus-$$(basename $$t) tests/fuzz/seeds \
			>$(OUTPUT)/fuzz/$$(basename $$t).log 2>&1; then \
			tail -30 $(OUTPUT)/fuzz/$$(basename $$t).log; echo "fuzz: $$t found a crash"; exit 1; \
		fi; \
		grep -E 'stat::(number_of_executed_units|new_units_added)' $(OUTPUT)/fuzz/$$(basename $$t).log; \
	done

vmlinux:
	$(Q)mkdir -p $(VMLINUX_DIR)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $(VMLINUX_DIR)/vmlinux.h

clean:
	rm -rf $(OUTPUT) tcpfate

-include $(wildcard $(OUTPUT)/*.d $(OUTPUT)/*/*.d $(OUTPUT)/tests/*.d $(OUTPUT)/bench/*.d)
