/* A stand-in for libnvidia-ml.so.1 that test_node loads by path: two devices, as NVML's C API
 * answers for them. FAKE_NVML_FAIL_INIT in the environment makes nvmlInit_v2 fail. */
#include <stdlib.h>
#include <string.h>

typedef struct nvml_device *nvml_device;
typedef struct nvml_memory {
	unsigned long long total, free, used;
} nvml_memory;

static int devices[2];
static int live;

int nvmlInit_v2(void)
{
	if (getenv("FAKE_NVML_FAIL_INIT"))
		return 1;
	live = 1;
	return 0;
}

int nvmlShutdown(void)
{
	live = 0;
	return 0;
}

int nvmlDeviceGetCount_v2(unsigned int *count)
{
	*count = 2;
	return live ? 0 : 1;
}

int nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvml_device *device)
{
	if (!live || index >= 2)
		return 2;
	*device = (nvml_device)&devices[index];
	return 0;
}

int nvmlDeviceGetName(nvml_device device, char *name, unsigned int length)
{
	const char *names[2] = {"Fake GPU A100", "Fake GPU H100 80GB HBM3"};
	strncpy(name, names[(int *)device - devices], length);
	return 0;
}

int nvmlDeviceGetMemoryInfo(nvml_device device, nvml_memory *memory)
{
	memory->total = ((int *)device - devices + 1) * 40ull << 30;
	memory->free = memory->total;
	memory->used = 0;
	return 0;
}
