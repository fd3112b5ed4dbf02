/* A job's environment (job_env.h). */
#include "jobs/job_env.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether a server's entry stays out of a job's environment: one the spec sets, or the
 * server's own settings; a job gets those the spec gives it. */
static int env_overridden(const char *entry, char *const *env, const char *cuda)
{
	size_t key = strcspn(entry, "=");
	if (!strncmp(entry, "CROWDLOOP_", 10) || !strncmp(entry, "MLFLOW_", 7))
		return 1;
	if (cuda && key == strlen("CUDA_VISIBLE_DEVICES") &&
	    !strncmp(entry, "CUDA_VISIBLE_DEVICES", key))
		return 1;
	for (size_t i = 0; env && env[i]; i++)
		if (strcspn(env[i], "=") == key && !strncmp(env[i], entry, key))
			return 1;
	return 0;
}

char **job_env_build(char *const *base, char *const *spec_env, const char *cuda)
{
	size_t n = 0, extra = 0;
	while (base && base[n])
		n++;
	while (spec_env && spec_env[extra])
		extra++;
	size_t cuda_len = cuda ? strlen(cuda) + 32 : 0;
	char **envp = malloc((n + extra + 2) * sizeof *envp + cuda_len);
	if (!envp)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (!env_overridden(base[i], spec_env, cuda))
			envp[k++] = base[i];
	for (size_t i = 0; i < extra; i++)
		envp[k++] = spec_env[i];
	if (cuda) {
		char *entry = (char *)(envp + n + extra + 2);
		snprintf(entry, cuda_len, "CUDA_VISIBLE_DEVICES=%s", cuda);
		envp[k++] = entry;
	}
	envp[k] = NULL;
	return envp;
}
