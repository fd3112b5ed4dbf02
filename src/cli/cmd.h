/* The subcommands of the `crowdloop` binary, one file each (cli/cmd_<name>.c), listed in the
 * table of main.c. Each takes the arguments after its name (argv[0] is the subcommand name) and
 * returns the process exit status. */
#ifndef CROWDLOOP_CLI_CMD_H
#define CROWDLOOP_CLI_CMD_H

int cmd_serve(int argc, char **argv);    /* run the server */
int cmd_admin(int argc, char **argv);    /* local admin: `admin create --username U` */
int cmd_login(int argc, char **argv);    /* store a token for a server in the config dir */
int cmd_logout(int argc, char **argv);   /* revoke and forget the stored token */
int cmd_projects(int argc, char **argv); /* list projects */
int cmd_import(int argc, char **argv);   /* upload files to a project, with a progress bar */
int cmd_export(int argc, char **argv);   /* download a project's export to a file */
int cmd_stats(int argc, char **argv);    /* print a project's figures */
int cmd_gold(int argc, char **argv);     /* add gold items from a JSONL file */
int cmd_audit(int argc, char **argv);    /* sample an audit, record verdicts, quality line */
int cmd_payouts(int argc, char **argv);  /* list and decide payouts (admin) */
int cmd_predict(int argc, char **argv);  /* ask a serving endpoint, with its key */
int cmd_trainer(int argc, char **argv);  /* run, list and try the built-in trainers */
int cmd_train(int argc, char **argv);    /* queue a built-in trainer on a dataset version */
int cmd_jobs(int argc, char **argv);     /* list an org's training jobs */
int cmd_logs(int argc, char **argv);     /* print or follow a job's log */
int cmd_models(int argc, char **argv);   /* list registered models, or a model's versions */
int cmd_alias(int argc, char **argv);    /* point a model's alias at a version */
int cmd_deploy(int argc, char **argv);   /* deploy or switch a serving endpoint */
int cmd_keys(int argc, char **argv);     /* list, create or revoke an endpoint's keys */
int cmd_pipeline(int argc, char **argv); /* show, set and decide a project's retraining pipeline */
int cmd_label_check(int argc, char **argv); /* start, list and show a project's label checks */
int cmd_permissions(int argc, char **argv); /* print docs/PERMISSIONS.md from the route table */

#endif
