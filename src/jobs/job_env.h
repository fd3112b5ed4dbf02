/* A job's environment, one builder for every executor: the server's own environment less its
 * own settings (CROWDLOOP_*, MLFLOW_*, which may hold secrets such as the first admin's
 * password) and less what the spec sets, then the spec's entries. The local executor gives it
 * to the job's process; the Slurm executor to sbatch, whose --export=ALL hands it on. */
#ifndef CROWDLOOP_JOBS_JOB_ENV_H
#define CROWDLOOP_JOBS_JOB_ENV_H

/* The environment of a job: `base` (the server's, NULL-terminated) filtered, then `spec_env`
 * (NULL-terminated "KEY=VALUE" entries, may be NULL), then CUDA_VISIBLE_DEVICES=`cuda` when
 * `cuda` is not NULL. One allocation (free it) whose pointers borrow base's and spec_env's
 * strings; NULL when out of memory. */
char **job_env_build(char *const *base, char *const *spec_env, const char *cuda);

#endif
