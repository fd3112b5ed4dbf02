/* Unit tests of jobs/node: cores and memory read from this machine, MemTotal parsed, GPUs found
 * through a stand-in NVML library with two devices, none when the library is missing or its
 * init fails, and a declared count overriding NVML. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/node.h"
#include "util/err.h"

static void test_system(void **state)
{
	(void)state;
	node_info n;
	assert_int_equal(node_probe(&n, -1, "/nonexistent/libnvidia-ml.so.1"), CL_OK);
	assert_int_equal(n.cpus, sysconf(_SC_NPROCESSORS_ONLN));
	assert_true(n.memory_bytes > (64ull << 20));
	assert_int_equal(n.gpu_count, 0);
	assert_string_equal(node_gpu_source_name(n.gpu_source), "none");
}

static void test_meminfo(void **state)
{
	(void)state;
	uint64_t bytes = 0;
	assert_int_equal(node_meminfo_total("MemTotal:       16384 kB\nMemFree: 1 kB\n", &bytes),
			 0);
	assert_int_equal(bytes, 16384ull * 1024);
	assert_int_equal(node_meminfo_total("MemFree: 1 kB\nHugeMemTotal: 5 kB\n", &bytes),
			 CL_EINVAL);
	assert_int_equal(node_meminfo_total("MemTotal: lots\n", &bytes), CL_EINVAL);
}

static void test_nvml(void **state)
{
	(void)state;
	node_info n;
	assert_int_equal(node_probe(&n, -1, FAKE_NVML_PATH), CL_OK);
	assert_int_equal(n.gpu_source, NODE_GPUS_NVML);
	assert_int_equal(n.gpu_count, 2);
	assert_string_equal(n.gpus[0].name, "Fake GPU A100");
	assert_string_equal(n.gpus[1].name, "Fake GPU H100 80GB HBM3");
	assert_int_equal(n.gpus[0].memory_bytes, 40ull << 30);
	assert_int_equal(n.gpus[1].memory_bytes, 80ull << 30);
	setenv("FAKE_NVML_FAIL_INIT", "1", 1);
	assert_int_equal(node_nvml_gpus(&n, FAKE_NVML_PATH), CL_OK);
	unsetenv("FAKE_NVML_FAIL_INIT");
	assert_int_equal(n.gpu_count, 0);
	assert_int_equal(n.gpu_source, NODE_GPUS_NONE);
}

static void test_declared(void **state)
{
	(void)state;
	node_info n;
	assert_int_equal(node_probe(&n, 3, FAKE_NVML_PATH), CL_OK);
	assert_int_equal(n.gpu_source, NODE_GPUS_DECLARED);
	assert_int_equal(n.gpu_count, 3);
	assert_string_equal(n.gpus[2].name, "declared");
	assert_int_equal(node_probe(&n, 0, FAKE_NVML_PATH), CL_OK);
	assert_int_equal(n.gpu_count, 0);
	assert_int_equal(n.gpu_source, NODE_GPUS_NONE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_system),
	    cmocka_unit_test(test_meminfo),
	    cmocka_unit_test(test_nvml),
	    cmocka_unit_test(test_declared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
