# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS = request token identity origin
WORLD      ?= $(BUILD)/world
CMAKE_ARGS ?=

.PHONY: all deps configure build test demo world asan test-asan fuzz bench bench-portal bench-module soak clean format package test-package

all: build

deps:
	@scripts/install-deps

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DSITHSD_BUILD_TESTS=ON $(CMAKE_ARGS)

configure: deps $(BUILD)/build.ninja

build: configure
	cmake --build $(BUILD)

# Every suite through ctest; output shown on failure; ctest's summary line printed last.
test: build
	scripts/run-tests $(BUILD)

# The Debian packages of what `make` built, one per CPack component: build/NAME_VERSION_ARCH.deb
# (packaging/CMakeLists.txt). Old ones are removed first, so that test-package sees only these.
package: build
	rm -f $(BUILD)/*.deb
	cd $(BUILD) && cpack -G DEB
	@ls $(BUILD)/*.deb

# CI: lintian on the package, then install it, use it as an unprivileged user through socket
# activation, and purge it (nothing may be left behind). Refuses to run where sithsd is installed.
# Then sithsd-testkit from outside the tree: a portal project of its own, installed packages only,
# its Playwright and pytest suites as root and as another uid at once (scripts/test-testkit-package).
test-package: package
	scripts/test-package $(BUILD)
	scripts/test-testkit-package $(BUILD)

world: build
	ca-test/make-world $(WORLD) --module $(BUILD)/ca-test/softcard/libsoftcard.so

demo: world
	@scripts/demo $(BUILD) $(WORLD)

# clang-tidy with the check set of .clang-tidy on the product code: zero findings (CI).
tidy: configure
	scripts/run-tidy $(BUILD)

# The ASan+UBSan build and its tests (CI's second pass).
$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSITHSD_SANITIZE=ON \
	  -DSITHSD_BUILD_BENCH=OFF -DSITHSD_WERROR=ON $(CMAKE_ARGS)

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD)

test-asan: asan
	scripts/run-tests $(ASAN_BUILD)

# libFuzzer (clang): each target FUZZ_SECONDS (default 600) on the committed corpus. New inputs land
# in $(FUZZ_BUILD)/found/TARGET; those that add coverage are then merged into the committed corpus
# (tests/fuzz/corpus/TARGET, -merge=1), and bench/fuzz-report writes the figures (executions,
# coverage, crashes) into docs/PERFORMANCE.md. Fails when a target crashes.
$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSITHSD_FUZZ=ON \
	  -DSITHSD_BUILD_BENCH=OFF $(CMAKE_ARGS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/found/$$t $(FUZZ_BUILD)/artifacts; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s (log: $(FUZZ_BUILD)/fuzz-$$t.log)"; \
	  $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/artifacts/$$t- \
	    $(FUZZ_BUILD)/found/$$t tests/fuzz/corpus/$$t >$(FUZZ_BUILD)/fuzz-$$t.log 2>&1; \
	  tail -n 12 $(FUZZ_BUILD)/fuzz-$$t.log | grep -E '^(#|Done|stat::number|stat::new|SUMMARY|==)' || true; \
	  $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -merge=1 tests/fuzz/corpus/$$t $(FUZZ_BUILD)/found/$$t \
	    >$(FUZZ_BUILD)/merge-$$t.log 2>&1 || { cat $(FUZZ_BUILD)/merge-$$t.log; exit 1; }; \
	done
	bench/fuzz-report $(FUZZ_BUILD) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# Benchmarks: one table, also written to docs/PERFORMANCE.md (figures only; nothing fails on time).
bench: build
	bench/run-bench $(BUILD)

# The portal at scale: logins/s on one and two sithsd-portal nodes sharing Redis, with and without
# the OCSP cache, beside the bare verifier (a series with an error answer fails the run).
bench-portal: build
	bench/run-portal-bench $(BUILD)

# TLS client login through libsithsd-pkcs11.so against the soft card module loaded straight into
# NSS's strsclnt (TLS 1.3 and 1.2); writes its block of docs/PERFORMANCE.md.
bench-module: build
	bench/module-handshake $(BUILD)

# Load and soak (SOAK_SECONDS, default 600): figures, and a failure on lost or mixed-up answers.
soak: build
	bench/run-soak $(BUILD)

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
