/* A node's resources (node.h): sysconf for the online cores, /proc/meminfo for memory, and NVML's
 * C API through dlopen: nvmlInit_v2, nvmlDeviceGetCount_v2, then each device's name and memory,
 * nvmlShutdown. The few NVML declarations needed are copied here, as the driver's nvml.h gives
 * them, so that no CUDA header is needed to build. */
#include "jobs/node.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"

typedef int nvml_return; /* nvmlReturn_t: 0 is NVML_SUCCESS */
typedef struct nvml_device *nvml_device;
typedef struct nvml_memory {
	unsigned long long total, free, used;
} nvml_memory;

/* The NVML entry points used, resolved from the library. */
typedef struct nvml_api {
	nvml_return (*init)(void);
	nvml_return (*shutdown)(void);
	nvml_return (*count)(unsigned int *count);
	nvml_return (*handle)(unsigned int index, nvml_device *device);
	nvml_return (*name)(nvml_device device, char *name, unsigned int length);
	nvml_return (*memory)(nvml_device device, nvml_memory *memory);
} nvml_api;

const char *node_gpu_source_name(enum node_gpu_source source)
{
	switch (source) {
	case NODE_GPUS_NVML: return "nvml";
	case NODE_GPUS_DECLARED: return "declared";
	default: return "none";
	}
}

int node_meminfo_total(const char *text, uint64_t *bytes)
{
	const char *line = strstr(text, "MemTotal:");
	unsigned long long kib;
	if (!line || (line != text && line[-1] != '\n') ||
	    sscanf(line + strlen("MemTotal:"), "%llu kB", &kib) != 1)
		return CL_EINVAL;
	*bytes = (uint64_t)kib * 1024;
	return CL_OK;
}

static int read_memory(uint64_t *bytes)
{
	char text[4096];
	FILE *f = fopen("/proc/meminfo", "r");
	if (!f)
		return CL_EINTERNAL;
	size_t len = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[len] = '\0';
	return node_meminfo_total(text, bytes) == CL_OK ? CL_OK : CL_EINTERNAL;
}

/* Resolves the entry points; 0 when one is missing. */
static int nvml_resolve(void *lib, nvml_api *api)
{
	*(void **)&api->init = dlsym(lib, "nvmlInit_v2");
	*(void **)&api->shutdown = dlsym(lib, "nvmlShutdown");
	*(void **)&api->count = dlsym(lib, "nvmlDeviceGetCount_v2");
	*(void **)&api->handle = dlsym(lib, "nvmlDeviceGetHandleByIndex_v2");
	*(void **)&api->name = dlsym(lib, "nvmlDeviceGetName");
	*(void **)&api->memory = dlsym(lib, "nvmlDeviceGetMemoryInfo");
	return api->init && api->shutdown && api->count && api->handle && api->name && api->memory;
}

/* Reads device `i` into `gpu`; 0 when NVML fails on it. */
static int nvml_device_read(const nvml_api *api, unsigned int i, node_gpu *gpu)
{
	nvml_device dev;
	nvml_memory mem;
	if (api->handle(i, &dev) != 0 || api->memory(dev, &mem) != 0)
		return 0;
	if (api->name(dev, gpu->name, sizeof gpu->name) != 0)
		snprintf(gpu->name, sizeof gpu->name, "GPU %u", i);
	gpu->name[sizeof gpu->name - 1] = '\0';
	gpu->memory_bytes = mem.total;
	return 1;
}

static void nvml_read(const nvml_api *api, node_info *n)
{
	unsigned int count = 0;
	if (api->count(&count) != 0)
		return;
	if (count > NODE_MAX_GPUS)
		count = NODE_MAX_GPUS;
	/* A device NVML cannot read is left out, and so are those after it: device indices must
	 * stay those CUDA_VISIBLE_DEVICES means. */
	for (unsigned int i = 0; i < count && nvml_device_read(api, i, &n->gpus[i]); i++)
		n->gpu_count++;
	n->gpu_source = n->gpu_count > 0 ? NODE_GPUS_NVML : NODE_GPUS_NONE;
}

int node_nvml_gpus(node_info *n, const char *library)
{
	n->gpu_count = 0;
	n->gpu_source = NODE_GPUS_NONE;
	void *lib = dlopen(library, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return CL_OK;
	nvml_api api;
	if (nvml_resolve(lib, &api) && api.init() == 0) {
		nvml_read(&api, n);
		api.shutdown();
	}
	dlclose(lib);
	return CL_OK;
}

static void declare_gpus(node_info *n, int count)
{
	n->gpu_count = count > NODE_MAX_GPUS ? NODE_MAX_GPUS : count;
	n->gpu_source = n->gpu_count > 0 ? NODE_GPUS_DECLARED : NODE_GPUS_NONE;
	for (int i = 0; i < n->gpu_count; i++)
		n->gpus[i] = (node_gpu){"declared", 0};
}

int node_probe(node_info *n, int declared_gpus, const char *nvml_library)
{
	memset(n, 0, sizeof *n);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (cpus < 1 || read_memory(&n->memory_bytes) != CL_OK)
		return CL_EINTERNAL;
	n->cpus = (int)cpus;
	if (declared_gpus >= 0) {
		declare_gpus(n, declared_gpus);
		return CL_OK;
	}
	return node_nvml_gpus(n, nvml_library);
}
