/* Cloud Audit Logs for every audited call: an Admin Activity entry always, a Data
 * Access entry (ADMIN_READ, DATA_READ, DATA_WRITE) only when the project's
 * auditConfigs turn that log type on, as Google does. */
#include "sandbox/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

static char *project_from_path(const char *path)
{
	const char *p = strstr(path, "/projects/");
	if (!p)
		return NULL;
	p += strlen("/projects/");
	size_t n = strcspn(p, "/:");
	if (n == 0)
		return NULL;
	return sb_pct_decode(p, n, false);
}

const char *sb_call_project(sb_call *c)
{
	if (c->audit_project)
		return c->audit_project;
	const char *v = sb_var(c, "project");
	char *found = v ? st_xstrdup(v) : project_from_path(c->path);
	if (!found && sb_query(c, "project"))
		found = st_xstrdup(sb_query(c, "project"));
	if (!found || !*found || strcmp(found, "-") == 0 || strcmp(found, "_") == 0) {
		free(found);
		return NULL;
	}
	c->audit_project = sb_project_resolve(c->s, found);
	free(found);
	return c->audit_project;
}

const char *sb_need_project(sb_call *c)
{
	const char *p = sb_call_project(c);
	if (!p)
		sb_reply_invalid(c, "a project id is required here (not '-' or '_')");
	return p;
}

static void caller_ip(sb_call *c, char *buf, size_t size)
{
	snprintf(buf, size, "127.0.0.1");
	if (!c->conn)
		return;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, buf, (socklen_t)size);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, buf,
			  (socklen_t)size);
}

/* NULL: Admin Activity (always written); else the Data Access log type. A read is a
 * GET, or a POST flagged SB_ADMIN_READ (getIamPolicy, entries:list): with
 * SB_DATA_ACCESS as well, such a POST is a DATA_READ. */
static const char *log_type(const sb_call *c)
{
	const sb_route *r = c->route->r;
	bool read = strcmp(c->method, "GET") == 0 || strcmp(c->method, "HEAD") == 0 ||
		    (r->flags & SB_ADMIN_READ);
	if (r->flags & SB_DATA_ACCESS)
		return read ? "DATA_READ" : "DATA_WRITE";
	if ((r->flags & SB_ADMIN_READ) || read)
		return "ADMIN_READ";
	return NULL;
}

static char *resource_name(sb_call *c)
{
	if (c->audit_resource)
		return st_xstrdup(c->audit_resource);
	char *d = sb_pct_decode(c->path, strlen(c->path), false);
	if (!d)
		return st_xstrdup(c->path);
	/* "/v1/projects/p/x" names "projects/p/x": drop the version prefix. */
	const char *p = d;
	if (p[0] == '/') {
		const char *second = strchr(p + 1, '/');
		p = second ? second + 1 : p + 1;
	}
	char *out = st_xstrdup(p);
	free(d);
	return out;
}

static json_t *status_json(const sb_call *c)
{
	if (c->status < 400)
		return json_object();
	return json_pack("{s:i, s:s}", "code", sb_grpc_code(c->error_status), "message",
			 c->error_message ? c->error_message : "");
}

static json_t *proto_payload(sb_call *c, const char *resource)
{
	const sb_route *r = c->route->r;
	char ip[64];
	caller_ip(c, ip, sizeof ip);
	const char *ua = sb_header(c, "User-Agent");
	char *ua_clean = NULL;
	if (ua) {
		ua_clean = st_xmalloc(strlen(ua) + 1);
		st_sanitize_text(ua_clean, strlen(ua) + 1, ua);
	}
	json_t *pp = json_pack(
		"{s:s, s:o, s:{s:s}, s:{s:s, s:s}, s:s, s:s, s:[{s:s, s:b}], s:s}",
		"@type", "type.googleapis.com/google.cloud.audit.AuditLog",
		"status", status_json(c),
		"authenticationInfo", "principalEmail", sb_principal_email(c),
		"requestMetadata", "callerIp", ip, "callerSuppliedUserAgent",
		ua_clean ? ua_clean : "",
		"serviceName", r->service,
		"methodName", r->audit_method,
		"authorizationInfo", "resource", resource, "granted", c->status != 403,
		"resourceName", resource);
	free(ua_clean);
	return pp;
}

void sb_audit_write(sb_server *s, sb_call *c)
{
	if (!c->route || !c->route->r->audit_method || !c->route->r->service || c->status == 401)
		return;
	const char *project = sb_call_project(c);
	if (!project)
		return;
	const char *type = log_type(c);
	if (type && !sb_audit_enabled(s, project, c->route->r->service, type))
		return;
	char *resource = resource_name(c);
	char *log_name = st_xasprintf("projects/%s/logs/cloudaudit.googleapis.com%%2F%s", project,
				      type ? "data_access" : "activity");
	const char *sev = c->status >= 400 ? "ERROR" : type ? "INFO" : "NOTICE";
	json_t *e = json_pack("{s:s, s:{s:s, s:{s:s, s:s, s:s}}, s:s, s:o}",
			      "logName", log_name,
			      "resource", "type", "audited_resource", "labels", "service",
			      c->route->r->service, "method", c->route->r->audit_method,
			      "project_id", project,
			      "severity", sev,
			      "protoPayload", proto_payload(c, resource));
	sb_log_entry(s, e);
	free(log_name);
	free(resource);
}
