/* The Slurm executor (slurm.h): sbatch, scontrol and scancel run through jobs/command.h, each
 * argument its own argv entry and each run with a time limit. What this file knows of Slurm is
 * its commands' options and the words of `scontrol show job -o -d`. */
#include "jobs/slurm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs/command.h"
#include "jobs/job_env.h"

extern char **environ;

#define SCRIPT_NAME "crowdloop-slurm.sh"
#define EXIT_PREFIX "crowdloop-exit."
#define PATH_MAX_LEN 512

/* The batch script: runs its arguments as the job's command and leaves its exit status next to
 * it, for when the controller has forgotten the job. Fixed text: nothing is ever put into it. */
static const char batch_script[] =
    "#!/bin/sh\n"
    "# crowdloop's Slurm batch script: runs its arguments as the job's command, then writes the\n"
    "# command's exit status to " EXIT_PREFIX "$SLURM_JOB_ID in the directory it started in.\n"
    "exit_file=\"$PWD/" EXIT_PREFIX "$SLURM_JOB_ID\"\n"
    "# A job given no GPU sees none, also where the cluster does not fence devices off.\n"
    "[ -n \"${SLURM_JOB_GPUS-}\" ] || { CUDA_VISIBLE_DEVICES=; export CUDA_VISIBLE_DEVICES; }\n"
    "\"$@\"\n"
    "status=$?\n"
    "printf '%s\\n' \"$status\" >\"$exit_file.tmp\" && mv -f \"$exit_file.tmp\" \"$exit_file\"\n"
    "exit \"$status\"\n";

/* Copies the first line of `text` into `out`, for a message. */
static void first_line(char *out, size_t size, const char *text)
{
	size_t n = strcspn(text, "\n");
	if (n >= size)
		n = size - 1;
	memcpy(out, text, n);
	out[n] = '\0';
}

/* Runs `argv` with the commands' time limit into a result allocated here (free it); NULL with
 * `err` filled when it could not run or did not end. */
static command_result *run_in(char *const *argv, int pass_fd, char *const *envp, cl_error *err)
{
	command_result *res = malloc(sizeof *res);
	if (!res) {
		cl_fail(err, CL_ENOMEM, "out_of_memory", "no memory for %s's answer", argv[0]);
		return NULL;
	}
	command_call call = {argv, pass_fd, SLURM_COMMAND_TIMEOUT_MS, envp};
	if (command_run(&call, res, err) != CL_OK) {
		free(res);
		return NULL;
	}
	return res;
}

static command_result *run(char *const *argv, int pass_fd, cl_error *err)
{
	return run_in(argv, pass_fd, NULL, err);
}

/* ---- reading scontrol ---- */

/* Where the value of `key` starts in `line`: the first (or the last) " key=" or a leading
 * "key=". NULL when absent. */
static const char *field_find(const char *line, const char *key, int last)
{
	size_t klen = strlen(key);
	const char *found = NULL;
	for (const char *p = line; (p = strstr(p, key)); p++) {
		if ((p == line || p[-1] == ' ') && p[klen] == '=') {
			found = p + klen + 1;
			if (!last)
				break;
		}
	}
	return found;
}

/* Whether `p` starts a field: " Word=" where Word is letters, digits and _ : / */
static int field_starts(const char *p)
{
	if (*p != ' ')
		return 0;
	p++;
	size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_:/");
	return n > 0 && p[n] == '=';
}

/* Copies the value of `key` into `out`: up to the next field, so a value may hold spaces (a
 * path). "" when absent; 1 when found, 0 otherwise. */
static int field_get(const char *line, const char *key, int last, char *out, size_t size)
{
	const char *v = field_find(line, key, last);
	out[0] = '\0';
	if (!v)
		return 0;
	size_t n = 0;
	while (v[n] && v[n] != '\n' && !field_starts(v + n))
		n++;
	while (n > 0 && v[n - 1] == ' ')
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	return 1;
}

/* Slurm's job states: what each means here. A state not listed counts as running: a job is
 * never taken for ended on a word this file does not know. */
static const struct {
	const char *name;
	enum slurm_state state;
	enum slurm_end end;
} slurm_states[] = {
    {"PENDING", SLURM_QUEUED, SLURM_END_NONE},
    {"REQUEUED", SLURM_QUEUED, SLURM_END_NONE},
    {"REQUEUE_HOLD", SLURM_QUEUED, SLURM_END_NONE},
    {"REQUEUE_FED", SLURM_QUEUED, SLURM_END_NONE},
    {"RESV_DEL_HOLD", SLURM_QUEUED, SLURM_END_NONE},
    {"COMPLETED", SLURM_DONE, SLURM_EXITED},
    {"FAILED", SLURM_DONE, SLURM_EXITED},
    {"CANCELLED", SLURM_DONE, SLURM_CANCELLED},
    {"TIMEOUT", SLURM_DONE, SLURM_TIMED_OUT},
    {"DEADLINE", SLURM_DONE, SLURM_TIMED_OUT},
    {"NODE_FAIL", SLURM_DONE, SLURM_FAILED},
    {"BOOT_FAIL", SLURM_DONE, SLURM_FAILED},
    {"OUT_OF_MEMORY", SLURM_DONE, SLURM_FAILED},
    {"PREEMPTED", SLURM_DONE, SLURM_FAILED},
    {"REVOKED", SLURM_DONE, SLURM_FAILED},
    {"SPECIAL_EXIT", SLURM_DONE, SLURM_FAILED},
};

/* Moves `job` to what Slurm's state word says. */
static void state_apply(slurm_job *job, const char *word, int code, int sig)
{
	enum slurm_state state = SLURM_RUNNING;
	enum slurm_end end = SLURM_END_NONE;
	for (size_t i = 0; i < sizeof slurm_states / sizeof slurm_states[0]; i++)
		if (!strcmp(word, slurm_states[i].name)) {
			state = slurm_states[i].state;
			end = slurm_states[i].end;
		}
	if (state != SLURM_DONE) {
		/* A cancelled job stays stopping until Slurm says it ended. */
		if (job->state != SLURM_STOPPING)
			job->state = state;
		return;
	}
	job->exit_code = code;
	if (end == SLURM_EXITED && sig) {
		end = SLURM_SIGNALED;
		job->signal = sig;
	}
	job->end = end;
	job->state = SLURM_DONE;
}

int slurm_gpus_expand(const char *idx, char *out, size_t size)
{
	size_t len = 0;
	out[0] = '\0';
	for (const char *p = idx; *p;) {
		char *end;
		long lo = strtol(p, &end, 10), hi = lo;
		if (end == p || lo < 0)
			return CL_EINVAL;
		if (*end == '-') {
			p = end + 1;
			hi = strtol(p, &end, 10);
			if (end == p || hi < lo || hi - lo > 1024)
				return CL_EINVAL;
		}
		for (long i = lo; i <= hi; i++) {
			int n = snprintf(out + len, size - len, "%s%ld", len ? "," : "", i);
			if (n < 0 || (size_t)n >= size - len)
				return CL_EINVAL;
			len += (size_t)n;
		}
		if ((*end != ',' && *end != '\0') || (*end == ',' && !end[1]))
			return CL_EINVAL;
		p = *end == ',' ? end + 1 : end;
	}
	return CL_OK;
}

/* The GPU indices of the detail "GRES=gpu:2(IDX:0-1)" into job->gpus. Slurm drops the detail
 * once the job ends: what was read while it ran is kept. */
static void gpus_read(slurm_job *job, const char *line)
{
	char gres[128], idx[64], gpus[sizeof job->gpus];
	if (!field_get(line, "GRES", 0, gres, sizeof gres))
		return;
	const char *p = strstr(gres, "IDX:");
	if (!p)
		return;
	first_line(idx, sizeof idx, p + 4);
	idx[strcspn(idx, ")")] = '\0';
	if (slurm_gpus_expand(idx, gpus, sizeof gpus) == CL_OK)
		memcpy(job->gpus, gpus, sizeof gpus);
}

int slurm_show_parse(slurm_job *job, const char *line)
{
	char word[sizeof job->slurm_state], exit_code[32];
	if (!field_get(line, "JobState", 0, word, sizeof word) || !word[0])
		return CL_EINVAL;
	snprintf(job->slurm_state, sizeof job->slurm_state, "%s", word);
	field_get(line, "Reason", 0, job->reason, sizeof job->reason);
	if (!strcmp(job->reason, "None"))
		job->reason[0] = '\0';
	field_get(line, "NodeList", 0, job->nodes, sizeof job->nodes);
	if (!strcmp(job->nodes, "(null)"))
		job->nodes[0] = '\0';
	gpus_read(job, line);
	/* The command's arguments come before WorkDir and may look like fields: take the last. */
	if (!job->workdir[0])
		field_get(line, "WorkDir", 1, job->workdir, sizeof job->workdir);
	int code = 0, sig = 0;
	if (field_get(line, "ExitCode", 0, exit_code, sizeof exit_code))
		sscanf(exit_code, "%d:%d", &code, &sig);
	state_apply(job, word, code, sig);
	return CL_OK;
}

/* ---- the exit-status file ---- */

/* The job's end once the controller has forgotten it: its exit-status file, else cancelled
 * when we cancelled it (the script never got to write), else lost. */
static void forgotten(slurm_job *job)
{
	char path[PATH_MAX_LEN + 64], text[32] = "";
	snprintf(path, sizeof path, "%s/" EXIT_PREFIX "%lld", job->workdir, (long long)job->id);
	int fd = job->workdir[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	ssize_t n = fd >= 0 ? read(fd, text, sizeof text - 1) : -1;
	if (fd >= 0)
		close(fd);
	char *end;
	long code = n > 0 ? (text[n] = '\0', strtol(text, &end, 10)) : -1;
	snprintf(job->slurm_state, sizeof job->slurm_state, "%s", "(forgotten)");
	job->state = SLURM_DONE;
	if (n > 0 && end != text && code >= 0 && code <= 255) {
		job->end = SLURM_EXITED;
		job->exit_code = (int)code;
	} else {
		job->end = job->cancel_sent ? SLURM_CANCELLED : SLURM_LOST;
	}
}

/* ---- poll, adopt, cancel, find ---- */

/* Letters, digits, '.', '_', '-': a name that reads the same in every Slurm option. */
static int name_ok(const char *name)
{
	size_t n = strlen(name);
	return n > 0 && n <= SLURM_NAME_MAX &&
	       strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
		   n;
}

enum slurm_state slurm_poll(slurm_job *job)
{
	if (job->state == SLURM_DONE)
		return job->state;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)job->id);
	char *argv[] = {"scontrol", "show", "job", "-o", "-d", id, NULL};
	cl_error err = {0};
	command_result *res = run(argv, -1, &err);
	job->error[0] = '\0';
	if (!res) {
		snprintf(job->error, sizeof job->error, "%s", err.message);
		return job->state;
	}
	if (res->status == 0) {
		if (slurm_show_parse(job, res->out) != CL_OK)
			snprintf(job->error, sizeof job->error,
				 "scontrol: an answer without JobState");
	} else if (strstr(res->err, "Invalid job id")) {
		forgotten(
		    job); /* only this answer means it: a controller that is down says another */
	} else {
		first_line(job->error, sizeof job->error,
			   res->err[0] ? res->err : "scontrol failed");
	}
	free(res);
	return job->state;
}

int slurm_adopt(slurm_job *job, int64_t id, const char *workdir)
{
	memset(job, 0, sizeof *job);
	if (id <= 0 || (workdir && strlen(workdir) >= sizeof job->workdir))
		return CL_EINVAL;
	job->id = id;
	job->adopted = 1;
	job->state = SLURM_QUEUED;
	if (workdir)
		snprintf(job->workdir, sizeof job->workdir, "%s", workdir);
	slurm_poll(job);
	if (job->error[0])
		return CL_EUNAVAIL;
	return job->end == SLURM_LOST ? CL_ENOTFOUND : CL_OK;
}

int slurm_cancel(slurm_job *job, cl_error *err)
{
	cl_error ignored;
	if (!err)
		err = &ignored;
	if (job->state == SLURM_DONE)
		return CL_OK;
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)job->id);
	char *argv[] = {"scancel", id, NULL};
	command_result *res = run(argv, -1, err);
	if (!res)
		return err->code;
	int ended = strstr(res->err, "already completing or completed") ||
		    strstr(res->err, "Invalid job id");
	int rc = CL_OK;
	if (res->status != 0 && !ended)
		rc = cl_fail(err, CL_EUNAVAIL, "slurm_cancel", "scancel %s: %.200s", id, res->err);
	free(res);
	if (rc == CL_OK) {
		job->cancel_sent = 1;
		job->state = SLURM_STOPPING;
	}
	return rc;
}

int slurm_find(const char *job_name, int64_t *id, cl_error *err)
{
	cl_error ignored;
	if (!err)
		err = &ignored;
	if (!job_name || !name_ok(job_name))
		return cl_fail(err, CL_EINVAL, "bad_job",
			       "a job name is letters, digits, '.', '_' and '-'");
	char *argv[] = {"squeue", "-h", "-t", "all", "-n", (char *)job_name, "-o", "%i", NULL};
	command_result *res = run(argv, -1, err);
	if (!res)
		return err->code;
	int rc = CL_ENOTFOUND;
	*id = 0;
	if (res->status != 0)
		rc = cl_fail(err, CL_EUNAVAIL, "slurm_unavailable", "squeue: %.200s", res->err);
	for (char *p = res->out, *end; rc == CL_ENOTFOUND && *p; p = end) {
		long long n = strtoll(p, &end, 10);
		if (n > *id)
			*id = n;
		end += strcspn(end, "\n");
		end += *end == '\n';
	}
	if (rc == CL_ENOTFOUND && *id > 0)
		rc = CL_OK;
	free(res);
	return rc;
}

/* ---- start ---- */

/* `path` made absolute against the server's directory (sbatch resolves relative ones against
 * --chdir). No '%': Slurm would read it as a pattern in --output. 0, or -1. */
static int absolute(const char *path, char *out, size_t size)
{
	char cwd[PATH_MAX_LEN];
	if (strchr(path, '%'))
		return -1;
	if (path[0] == '/')
		return snprintf(out, size, "%s", path) < (int)size ? 0 : -1;
	if (!getcwd(cwd, sizeof cwd))
		return -1;
	return snprintf(out, size, "%s/%s", cwd, path) < (int)size ? 0 : -1;
}

/* Writes the batch script into the working directory; 0, or an errno. Written aside and renamed
 * into place, so that a submission of another job in the same directory never reads half of it. */
static int script_write(const char *path)
{
	char tmp[PATH_MAX_LEN + 48];
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return errno;
	ssize_t n = write(fd, batch_script, sizeof batch_script - 1);
	int rc = n == (ssize_t)sizeof batch_script - 1 ? 0 : (n < 0 ? errno : EIO);
	if (rc == 0 && fchmod(fd, 0700) != 0)
		rc = errno;
	close(fd);
	if (rc == 0 && rename(tmp, path) != 0)
		rc = errno;
	if (rc != 0)
		unlink(tmp);
	return rc;
}

/* Makes the log owner-only before Slurm opens it (to append, keeping its mode): what a job
 * prints may be secret. 0, or an errno. */
static int log_create(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* A pipe holding the job's environment for --export-file ("KEY=VALUE\0" each); its read end,
 * or -1 (CL_EINVAL in `err` for a bad or too large environment). The whole of it fits the
 * pipe's buffer, so it is written before sbatch starts. */
static int env_pipe(const slurm_spec *spec, cl_error *err)
{
	size_t total = 0;
	for (size_t i = 0; spec->env && spec->env[i]; i++) {
		if (!strchr(spec->env[i], '=') || spec->env[i][0] == '=') {
			cl_fail(err, CL_EINVAL, "bad_job", "an environment entry is not KEY=VALUE");
			return -1;
		}
		total += strlen(spec->env[i]) + 1;
	}
	if (total > SLURM_ENV_MAX) {
		cl_fail(err, CL_EINVAL, "bad_job", "the job's environment is over %d bytes",
			SLURM_ENV_MAX);
		return -1;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) != 0) {
		cl_fail(err, CL_EINTERNAL, "job_start", "pipe: %s", strerror(errno));
		return -1;
	}
	int ok = 1;
	for (size_t i = 0; ok && spec->env && spec->env[i]; i++)
		ok = write(p[1], spec->env[i], strlen(spec->env[i]) + 1) ==
		     (ssize_t)strlen(spec->env[i]) + 1;
	close(p[1]);
	if (!ok) {
		close(p[0]);
		cl_fail(err, CL_EINTERNAL, "job_start", "the environment could not be passed");
		return -1;
	}
	return p[0];
}

/* sbatch's options, each its own argv entry. */
typedef struct sbatch_opts {
	char name[80], chdir[PATH_MAX_LEN + 16], output[PATH_MAX_LEN + 16];
	char cpus[32], mem[40], gres[32], time[32], partition[80];
	char script[PATH_MAX_LEN + 32];
} sbatch_opts;

/* Fills `argv` (room for 16 + the command's argc + 1) for `spec`, with `workdir` and `log`
 * already made absolute. */
static void sbatch_argv(char **argv, sbatch_opts *o, const slurm_spec *spec, const char *workdir,
			const char *log)
{
	size_t k = 0;
	argv[k++] = "sbatch";
	argv[k++] = "--parsable";
	argv[k++] = "--no-requeue";	  /* a node's failure never runs the job twice */
	argv[k++] = "--open-mode=append"; /* a retry's log follows the earlier one's */
	argv[k++] = "--export=ALL";
	argv[k++] = "--export-file=3";
	snprintf(o->name, sizeof o->name, "--job-name=%s",
		 spec->job_name ? spec->job_name : "crowdloop");
	snprintf(o->chdir, sizeof o->chdir, "--chdir=%s", workdir);
	snprintf(o->output, sizeof o->output, "--output=%s", log);
	snprintf(o->cpus, sizeof o->cpus, "--cpus-per-task=%d", spec->cpus > 0 ? spec->cpus : 1);
	argv[k++] = o->name;
	argv[k++] = o->chdir;
	argv[k++] = o->output;
	argv[k++] = o->cpus;
	if (spec->mem_bytes > 0) {
		snprintf(o->mem, sizeof o->mem, "--mem=%lldM",
			 (long long)((spec->mem_bytes + (1 << 20) - 1) >> 20));
		argv[k++] = o->mem;
	}
	if (spec->gpus > 0) {
		snprintf(o->gres, sizeof o->gres, "--gres=gpu:%d", spec->gpus);
		argv[k++] = o->gres;
	}
	if (spec->time_limit_ms > 0) {
		snprintf(o->time, sizeof o->time, "--time=%lld",
			 (long long)((spec->time_limit_ms + 59999) / 60000));
		argv[k++] = o->time;
	}
	if (spec->partition) {
		snprintf(o->partition, sizeof o->partition, "--partition=%s", spec->partition);
		argv[k++] = o->partition;
	}
	snprintf(o->script, sizeof o->script, "%s/" SCRIPT_NAME, workdir);
	argv[k++] = o->script;
	for (size_t i = 0; spec->argv[i]; i++)
		argv[k++] = spec->argv[i];
	argv[k] = NULL;
}

/* What sbatch answered: the job id into `job`, or its refusal into `err`. */
static int sbatch_answer(slurm_job *job, const command_result *res, cl_error *err)
{
	char message[200];
	first_line(message, sizeof message, res->err);
	if (res->status != 0 && strstr(res->err, "Unable to contact"))
		return cl_fail(err, CL_EUNAVAIL, "slurm_unavailable", "%s", message);
	if (res->status != 0)
		return cl_fail(err, CL_EINVAL, "slurm_refused", "%s",
			       message[0] ? message : "sbatch failed");
	char *end;
	long long id = strtoll(res->out, &end, 10);
	if (id <= 0 || (*end != '\0' && *end != '\n' && *end != ';'))
		return cl_fail(err, CL_EINTERNAL, "slurm_submit", "sbatch answered \"%.100s\"",
			       res->out);
	job->id = id;
	return CL_OK;
}

/* What a spec must hold before anything is written or run. */
static int spec_check(const slurm_spec *spec, char *workdir, char *log, cl_error *err)
{
	if (!spec->argv || !spec->argv[0] || !spec->workdir || !spec->log_path)
		return cl_fail(err, CL_EINVAL, "bad_job",
			       "a job needs a command, a directory and a log");
	if ((spec->job_name && !name_ok(spec->job_name)) ||
	    (spec->partition && !name_ok(spec->partition)))
		return cl_fail(err, CL_EINVAL, "bad_job",
			       "a job or partition name is letters, digits, '.', '_' and '-'");
	if (spec->cpus < 0 || spec->gpus < 0 || spec->mem_bytes < 0 || spec->time_limit_ms < 0)
		return cl_fail(err, CL_EINVAL, "bad_job", "a job asks for a negative resource");
	if (absolute(spec->workdir, workdir, PATH_MAX_LEN) != 0 ||
	    absolute(spec->log_path, log, PATH_MAX_LEN) != 0)
		return cl_fail(err, CL_EINVAL, "bad_job",
			       "a job's directory or log path is too long or holds a '%%'");
	return CL_OK;
}

int slurm_start(slurm_job *job, const slurm_spec *spec, cl_error *err)
{
	char workdir[PATH_MAX_LEN], log[PATH_MAX_LEN];
	cl_error ignored;
	if (!err)
		err = &ignored;
	memset(job, 0, sizeof *job);
	int rc = spec_check(spec, workdir, log, err);
	if (rc != CL_OK)
		return rc;
	sbatch_opts opts;
	size_t argc = 0;
	while (spec->argv[argc])
		argc++;
	char **argv = malloc((argc + 17) * sizeof *argv);
	if (!argv)
		return cl_fail(err, CL_ENOMEM, "out_of_memory", "no memory for sbatch's arguments");
	sbatch_argv(argv, &opts, spec, workdir, log);
	const char *failed_path = log;
	int file_rc = log_create(log);
	if (!file_rc) {
		failed_path = opts.script;
		file_rc = script_write(opts.script);
	}
	int env_fd = file_rc ? -1 : env_pipe(spec, err);
	/* sbatch's --export=ALL hands its own environment on: the job's, as a local job's. */
	char **envp = env_fd >= 0 ? job_env_build(environ, spec->env, NULL) : NULL;
	if (env_fd >= 0 && !envp)
		cl_fail(err, CL_ENOMEM, "out_of_memory", "no memory for the job's environment");
	command_result *res = envp ? run_in(argv, env_fd, envp, err) : NULL;
	free(envp);
	if (file_rc)
		rc = cl_fail(err, CL_EINTERNAL, "job_start", "%s: %s", failed_path,
			     strerror(file_rc));
	else if (!res)
		rc = err->code;
	else
		rc = sbatch_answer(job, res, err);
	if (env_fd >= 0)
		close(env_fd);
	free(res);
	free(argv);
	if (rc == CL_OK) {
		job->state = SLURM_QUEUED;
		snprintf(job->workdir, sizeof job->workdir, "%s", workdir);
	}
	return rc;
}
