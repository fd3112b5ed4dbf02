/* Every route of the server in one table: method, path, handler, flags (authentication, admin,
 * upload limits), and the summary the OpenAPI document shows. */
#include "api/api.h"

#define V1 "/api/v1"

const route api_routes[] = {
	{"GET", "/healthz", api_healthz, ROUTE_PUBLIC | ROUTE_INLINE, "liveness"},
	{"GET", "/metrics", api_metrics, ROUTE_PUBLIC, "Prometheus metrics"},
	{"GET", V1 "/openapi.json", api_openapi, ROUTE_PUBLIC, "this OpenAPI document"},

	{"POST", V1 "/auth/login", api_auth_login, ROUTE_PUBLIC, "log in: token and session cookie"},
	{"POST", V1 "/auth/logout", api_auth_logout, 0, "revoke the current token"},
	{"POST", V1 "/auth/signup", api_auth_signup, ROUTE_PUBLIC, "self-signup, when enabled"},
	{"GET", V1 "/me", api_me, 0, "the caller, orgs and projects"},
	{"GET", V1 "/me/projects", api_me_projects, 0, "projects I label or review, with my figures"},
	{"POST", V1 "/users", api_users_create, ROUTE_ADMIN, "create a user"},
	{"GET", V1 "/users", api_users_list, ROUTE_ADMIN | ROUTE_QUERY, "list users"},

	{"POST", V1 "/orgs", api_orgs_create, ROUTE_ADMIN, "create an organization"},
	{"GET", V1 "/orgs", api_orgs_list, 0, "my organizations"},
	{"GET", V1 "/orgs/{id}", api_orgs_get, 0, "an organization"},
	{"POST", V1 "/orgs/{id}/members", api_orgs_member_add, 0, "add or change an org member"},
	{"GET", V1 "/orgs/{id}/members", api_orgs_members, 0, "org members"},

	{"POST", V1 "/projects", api_projects_create, 0, "create a project"},
	{"GET", V1 "/projects", api_projects_list, ROUTE_QUERY, "projects I may see"},
	{"GET", V1 "/projects/{id}", api_projects_get, 0, "a project"},
	{"PATCH", V1 "/projects/{id}", api_projects_patch, 0, "change a project's settings"},
	{"POST", V1 "/projects/{id}/members", api_projects_member_add, 0, "add a worker or reviewer"},
	{"GET", V1 "/projects/{id}/members", api_projects_members, 0, "project members"},
	{"POST", V1 "/projects/{id}/items", api_items_import, ROUTE_UPLOAD,
	 "import data: JSONL, CSV, files, archives"},
	{"GET", V1 "/projects/{id}/items", api_items_list, ROUTE_QUERY, "a project's items"},
	{"GET", V1 "/items/{id}", api_items_get, 0, "an item"},
	{"GET", V1 "/items/{id}/asset", api_items_asset, 0, "an item's image or text"},

	{"POST", V1 "/projects/{id}/tasks/next", api_tasks_next, 0, "lease my next task"},
	{"GET", V1 "/projects/{id}/tasks", api_tasks_list, ROUTE_QUERY, "a project's tasks"},
	{"POST", V1 "/tasks/{id}/submit", api_tasks_submit, 0, "submit an annotation"},
	{"POST", V1 "/tasks/{id}/release", api_tasks_release, 0, "give a leased task back"},
	{"POST", V1 "/projects/{id}/reviews/next", api_reviews_next, 0, "lease my next review"},
	{"POST", V1 "/tasks/{id}/review", api_tasks_review, 0, "approve, reject or fix"},
	{"POST", V1 "/tasks/{id}/resolve", api_tasks_resolve, 0, "decide an escalated task"},
	{"GET", V1 "/tasks/{id}", api_tasks_get, 0, "a task with its event history"},

	{"GET", V1 "/projects/{id}/stats", api_stats, ROUTE_QUERY, "progress and quality figures"},
	{"GET", V1 "/projects/{id}/export", api_export, ROUTE_QUERY, "approved annotations, streamed"},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
