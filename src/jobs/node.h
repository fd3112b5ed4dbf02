/* A node's resources: the CPU slots and memory of this machine, read from the system, and its
 * GPUs, found through NVML when the NVIDIA driver is installed (libnvidia-ml.so.1 is loaded with
 * dlopen, so the build has no CUDA dependency), or declared (`crowdloop serve --gpus N`). */
#ifndef CROWDLOOP_JOBS_NODE_H
#define CROWDLOOP_JOBS_NODE_H

#include <stdint.h>

#define NODE_MAX_GPUS 64
#define NODE_NVML_LIBRARY "libnvidia-ml.so.1"

enum node_gpu_source {
	NODE_GPUS_NONE,	    /* no driver, or a driver with no device */
	NODE_GPUS_NVML,	    /* found through NVML */
	NODE_GPUS_DECLARED, /* declared: counted, not found */
};

typedef struct node_gpu {
	char name[96];	       /* "NVIDIA H100 80GB HBM3"; "declared" for a declared device */
	uint64_t memory_bytes; /* total device memory; 0 when declared */
} node_gpu;

typedef struct node_info {
	int cpus;	       /* online CPU slots */
	uint64_t memory_bytes; /* MemTotal */
	int gpu_count;
	enum node_gpu_source gpu_source;
	node_gpu gpus[NODE_MAX_GPUS]; /* devices 0..gpu_count-1, in NVML's order */
} node_info;

/* Fills `n` from this machine. `declared_gpus` >= 0 overrides what NVML finds (0: none);
 * < 0 asks NVML. `nvml_library` is NODE_NVML_LIBRARY, or a path (tests). CL_OK, or
 * CL_EINTERNAL when cores or memory cannot be read; a missing NVML is not an error. */
int node_probe(node_info *n, int declared_gpus, const char *nvml_library);

/* Reads MemTotal from the text of /proc/meminfo, in bytes; CL_EINVAL when absent. */
int node_meminfo_total(const char *text, uint64_t *bytes);

/* Finds GPUs through the NVML library `library` into `n` (gpu_count, gpus, gpu_source). CL_OK
 * with none when the library or a device cannot be loaded: a machine without the driver. */
int node_nvml_gpus(node_info *n, const char *library);

/* The name of a gpu source: "none", "nvml", "declared". */
const char *node_gpu_source_name(enum node_gpu_source source);

#endif
