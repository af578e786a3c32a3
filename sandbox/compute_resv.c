/* Compute reservations and instance templates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "common/str.h"
#include "sandbox/capacity.h"
#include "sandbox/compute.h"
#include "sandbox/compute_validate.h"

static char *res_name(sb_call *c, const char *name)
{
	return st_xasprintf("projects/%s/zones/%s/reservations/%s", sb_var(c, "project"),
			    sb_var(c, "zone"), name);
}

static char *tmpl_name(const char *project, const char *name)
{
	return st_xasprintf("projects/%s/global/instanceTemplates/%s", project, name);
}

json_t *co_template_lookup(sb_server *s, const char *project, const char *ref)
{
	const char *p = strstr(ref, "projects/");
	char *name = p ? st_xstrdup(p) : tmpl_name(project, cap_basename(ref));
	json_t *t = sb_get(s, CK_TEMPLATE, name);

	free(name);
	return t;
}

/* Shape of one reserved VM: from instanceProperties or the template. */
static int reservation_shape(sb_server *s, sb_call *c, json_t *body, json_t *priv)
{
	json_t *props = json_object_get(json_object_get(body, "specificReservation"),
					"instanceProperties");
	const char *tref = stj_str(body, "specificReservation.sourceInstanceTemplate");
	json_t *tmpl = NULL;
	char gpu[64], err[256];
	int gpus;

	if (tref) {
		tmpl = co_template_lookup(s, sb_var(c, "project"), tref);
		if (!tmpl) {
			sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid value for "
				       "field 'resource.specificReservation.sourceInstanceTemplate': "
				       "'%s'. The referenced instance template does not exist.", tref);
			return -1;
		}
		props = json_object_get(tmpl, "properties");
	}
	gpus = cap_shape_gpus(stj_str(props, "machineType"),
			      json_object_get(props, "guestAccelerators"), gpu, sizeof(gpu), err,
			      sizeof(err));
	json_object_set_new(priv, "machineType",
			    json_string(cap_basename(stj_str(props, "machineType"))));
	json_object_set_new(priv, "gpusPerVm", json_integer(gpus));
	json_decref(tmpl);
	return 0;
}

static void fill_reservation(sb_server *s, json_t *r)
{
	json_t *sr = json_object_get(r, "specificReservation");

	json_object_set_new(sr, "inUseCount",
			    stj_int64_string(co_reservation_in_use(s, co_priv_str(r, "fullName"))));
}

static json_t *new_reservation(sb_server *s, sb_call *c, json_t *body, const char *full)
{
	json_t *r = json_deep_copy(body);
	char ts[48], *self = co_link(s, full), *zn, *zone;
	int64_t id = sb_next_id(s, "compute.resource");
	int64_t count;

	co_ts(s, ts, sizeof(ts));
	zn = st_xasprintf("projects/%s/zones/%s", sb_var(c, "project"), sb_var(c, "zone"));
	zone = co_link(s, zn);
	stj_int64(body, "specificReservation.count", &count);
	json_object_set_new(r, "kind", json_string("compute#reservation"));
	json_object_set_new(r, "id", stj_int64_string(5000000000000000000LL + id));
	json_object_set_new(r, "creationTimestamp", json_string(ts));
	json_object_set_new(r, "selfLink", json_string(self));
	json_object_set_new(r, "zone", json_string(zone));
	json_object_set_new(r, "status", json_string("READY"));
	if (!json_object_get(r, "specificReservationRequired"))
		json_object_set_new(r, "specificReservationRequired", json_false());
	json_object_set_new(json_object_get(r, "specificReservation"), "count",
			    stj_int64_string(count));
	json_object_set_new(co_priv(r), "fullName", json_string(full));
	free(self);
	free(zn);
	free(zone);
	return r;
}

void co_reservation_insert(sb_server *s, sb_call *c)
{
	json_t *body, *r, *op;
	char err[512], *full;
	int need, have;
	int64_t count = 0;

	if (co_replay(s, c, sb_var(c, "project")))
		return;
	if (!(body = sb_json(c)))
		return;
	if (cv_check_reservation(body, err, sizeof(err)) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", err);
		return;
	}
	full = res_name(c, stj_str(body, "name"));
	if (co_already_exists(s, c, CK_RESERVATION, full)) {
		free(full);
		return;
	}
	r = new_reservation(s, c, body, full);
	if (reservation_shape(s, c, body, co_priv(r)) != 0) {
		json_decref(r);
		free(full);
		return;
	}
	op = co_op_new(s, c, sb_var(c, "project"), sb_var(c, "zone"), "insert", full,
		       stj_str(r, "id"));
	stj_int64(r, "specificReservation.count", &count);
	need = (int)(count * co_priv_int(r, "gpusPerVm", 0));
	have = co_zone_free(s, sb_var(c, "zone"));
	if (need > have) {
		snprintf(err, sizeof(err), "The zone 'projects/%s/zones/%s' does not have enough "
			 "resources available to fulfill the request.  Try a different zone, or "
			 "try again later.", sb_var(c, "project"), sb_var(c, "zone"));
		co_op_reply_done(s, c, op, 503, "ZONE_RESOURCE_POOL_EXHAUSTED", err);
	} else {
		sb_put(s, CK_RESERVATION, full, r);
		co_op_reply_done(s, c, op, 0, NULL, NULL);
	}
	json_decref(r);
	free(full);
}

void co_reservation_get(sb_server *s, sb_call *c)
{
	char *full = res_name(c, sb_var(c, "reservation"));
	json_t *r = sb_get(s, CK_RESERVATION, full);

	if (r) {
		fill_reservation(s, r);
		co_reply_doc(c, r);
	} else {
		co_not_found(c, full);
	}
	json_decref(r);
	free(full);
}

void co_reservation_list(sb_server *s, sb_call *c)
{
	char *prefix = res_name(c, "");

	co_reply_list(s, c, CK_RESERVATION, prefix, "compute#reservationList", fill_reservation);
	free(prefix);
}

/* Fetches the named reservation for a mutating call, after requestId replay. */
static json_t *reservation_for_change(sb_server *s, sb_call *c, char **full)
{
	*full = res_name(c, sb_var(c, "reservation"));
	return co_get_for_change(s, c, CK_RESERVATION, *full);
}

void co_reservation_delete(sb_server *s, sb_call *c)
{
	char *full;
	json_t *r = reservation_for_change(s, c, &full), *op;
	int used;

	if (r) {
		used = co_reservation_in_use(s, full);
		op = co_op_new(s, c, sb_var(c, "project"), sb_var(c, "zone"), "delete", full,
			       stj_str(r, "id"));
		if (used > 0) {
			char msg[512];

			snprintf(msg, sizeof(msg), "The reservation '%s' is in use by %d instance(s); "
				 "delete them first.", full, used);
			co_op_reply_done(s, c, op, 400, "RESOURCE_IN_USE_BY_ANOTHER_RESOURCE", msg);
		} else {
			sb_del(s, CK_RESERVATION, full);
			co_op_reply_done(s, c, op, 0, NULL, NULL);
		}
		json_decref(r);
	}
	free(full);
}

static int resize_count(sb_call *c, int64_t *n)
{
	json_t *body = sb_json(c);

	if (!body)
		return -1;
	if (!stj_int64(body, "specificSkuCount", n) || *n < 1 || *n > 1000) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "Invalid value for field "
			       "'specificSkuCount': must be between 1 and 1000.");
		return -1;
	}
	return 0;
}

void co_reservation_resize(sb_server *s, sb_call *c)
{
	char *full, msg[512];
	json_t *r = reservation_for_change(s, c, &full), *op;
	int64_t n, old = 0, per;
	int used;

	if (!r || resize_count(c, &n) != 0) {
		json_decref(r);
		free(full);
		return;
	}
	stj_int64(r, "specificReservation.count", &old);
	per = co_priv_int(r, "gpusPerVm", 0);
	used = co_reservation_in_use(s, full);
	op = co_op_new(s, c, sb_var(c, "project"), sb_var(c, "zone"), "resize", full,
		       stj_str(r, "id"));
	if (n < used) {
		snprintf(msg, sizeof(msg), "Cannot shrink reservation '%s' to %lld: %d VM(s) use "
			 "it.", full, (long long)n, used);
		co_op_reply_done(s, c, op, 400, "INVALID_FIELD_VALUE", msg);
	} else if ((n - old) * per > co_zone_free(s, sb_var(c, "zone"))) {
		snprintf(msg, sizeof(msg), "The zone 'projects/%s/zones/%s' does not have enough "
			 "resources available to fulfill the request.  Try a different zone, or "
			 "try again later.", sb_var(c, "project"), sb_var(c, "zone"));
		co_op_reply_done(s, c, op, 503, "ZONE_RESOURCE_POOL_EXHAUSTED", msg);
	} else {
		json_object_set_new(json_object_get(r, "specificReservation"), "count",
				    stj_int64_string(n));
		sb_put(s, CK_RESERVATION, full, r);
		co_op_reply_done(s, c, op, 0, NULL, NULL);
	}
	json_decref(r);
	free(full);
}

/* ------------------------------------------------------------ instance templates */

void co_template_insert(sb_server *s, sb_call *c)
{
	const char *project = sb_var(c, "project"), *name;
	json_t *body, *t, *op;
	char err[512], ts[48], *full, *self;

	if (co_replay(s, c, project) || !(body = sb_json(c)))
		return;
	name = stj_str(body, "name");
	if (co_check_name(c, name) != 0)
		return;
	if (cv_check_instance(json_object_get(body, "properties"), err, sizeof(err)) != 0) {
		sb_reply_error(c, 400, "INVALID_ARGUMENT", "invalid", "%s", err);
		return;
	}
	full = tmpl_name(project, name);
	if (co_already_exists(s, c, CK_TEMPLATE, full)) {
		free(full);
		return;
	}
	t = json_deep_copy(body);
	self = co_link(s, full);
	co_ts(s, ts, sizeof(ts));
	json_object_set_new(t, "kind", json_string("compute#instanceTemplate"));
	json_object_set_new(t, "id", stj_int64_string(6000000000000000000LL +
						       sb_next_id(s, "compute.resource")));
	json_object_set_new(t, "creationTimestamp", json_string(ts));
	json_object_set_new(t, "selfLink", json_string(self));
	json_object_set_new(co_priv(t), "fullName", json_string(full));
	sb_put(s, CK_TEMPLATE, full, t);
	op = co_op_new(s, c, project, NULL, "insert", full, stj_str(t, "id"));
	co_op_reply_done(s, c, op, 0, NULL, NULL);
	json_decref(t);
	free(self);
	free(full);
}

void co_template_get(sb_server *s, sb_call *c)
{
	char *full = tmpl_name(sb_var(c, "project"), sb_var(c, "instanceTemplate"));

	co_reply_stored(s, c, CK_TEMPLATE, full);
	free(full);
}

void co_template_list(sb_server *s, sb_call *c)
{
	char *prefix = tmpl_name(sb_var(c, "project"), "");

	co_reply_list(s, c, CK_TEMPLATE, prefix, "compute#instanceTemplateList", NULL);
	free(prefix);
}

void co_template_delete(sb_server *s, sb_call *c)
{
	char *full = tmpl_name(sb_var(c, "project"), sb_var(c, "instanceTemplate"));
	json_t *t = co_get_for_change(s, c, CK_TEMPLATE, full), *op;

	if (t) {
		sb_del(s, CK_TEMPLATE, full);
		op = co_op_new(s, c, sb_var(c, "project"), NULL, "delete", full, stj_str(t, "id"));
		co_op_reply_done(s, c, op, 0, NULL, NULL);
		json_decref(t);
	}
	free(full);
}
