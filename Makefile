# The two commands of the quick start, and the pieces they are made of.
#   make run    install what is missing, build, and serve a demo on http://127.0.0.1:8080
#   make test   install what is missing, build, and pass every test (also under ASan+UBSan)
#   make bench  the load benchmarks of bench/ (figures in docs/BENCHMARKS.md)

JOBS    ?= $(shell nproc)
DATA    ?= data/demo
LISTEN  ?= 127.0.0.1:8080

.PHONY: all deps build build-asan web run test test-release test-asan bench clean

all: build

deps:
	@bash scripts/deps.sh

build: deps
	@cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	@cmake --build build -j $(JOBS)

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

test: test-release test-asan

bench: build
	bash bench/run.sh

clean:
	rm -rf build build-asan web/dist
