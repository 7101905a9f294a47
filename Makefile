# The two commands of the README: `make demo` and `make test`. Everything else is a helper.
BUILD      ?= build
ASAN_BUILD ?= build-asan
WORLD      ?= $(BUILD)/world
CMAKE_ARGS ?=

.PHONY: all deps configure build test demo world asan test-asan clean format

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

format:
	git ls-files '*.cpp' '*.hpp' | xargs clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
