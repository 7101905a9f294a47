# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 600
FUZZ_TARGETS = request token identity origin
WORLD      ?= $(BUILD)/world
CMAKE_ARGS ?=

.PHONY: all deps configure build test demo world asan test-asan fuzz clean format

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

world: build
	ca-test/make-world $(WORLD) --module $(BUILD)/ca-test/softcard/libsoftcard.so

demo: world
	@scripts/demo $(BUILD) $(WORLD)

# The ASan+UBSan build and its tests (CI's second pass).
$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSITHSD_SANITIZE=ON \
	  -DSITHSD_BUILD_BENCH=OFF -DSITHSD_WERROR=ON $(CMAKE_ARGS)

asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD)

test-asan: asan
	scripts/run-tests $(ASAN_BUILD)

# libFuzzer (clang): each target FUZZ_SECONDS (default 600) on the committed corpus; new inputs
# land in $(FUZZ_BUILD)/found/TARGET (copy the interesting ones to tests/fuzz/corpus/TARGET).
$(FUZZ_BUILD)/build.ninja:
	CC=clang CXX=clang++ cmake -S . -B $(FUZZ_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSITHSD_FUZZ=ON \
	  -DSITHSD_BUILD_BENCH=OFF $(CMAKE_ARGS)

fuzz: deps $(FUZZ_BUILD)/build.ninja
	cmake --build $(FUZZ_BUILD) --target $(addprefix fuzz_,$(FUZZ_TARGETS))
	@for t in $(FUZZ_TARGETS); do \
	  mkdir -p $(FUZZ_BUILD)/found/$$t; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  $(FUZZ_BUILD)/tests/fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    $(FUZZ_BUILD)/found/$$t tests/fuzz/corpus/$$t || exit 1; \
	done

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
