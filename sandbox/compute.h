/* Compute Engine module internals, shared by the compute*.c files only.
 *
 * Documents in the store (kind, full resource name):
 *   compute.instance     projects/P/zones/Z/instances/N
 *   compute.reservation  projects/P/zones/Z/reservations/N
 *   compute.template     projects/P/global/instanceTemplates/N
 *   compute.operation    projects/P/zones/Z/operations/N | projects/P/global/operations/N
 *   compute.requestId    P/UUID -> {"operation": full name}
 * Each document is the public resource plus a private "_sb" object that is
 * stripped before anything goes on the wire. */
#ifndef SB_COMPUTE_H
#define SB_COMPUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "sandbox/sandbox.h"

#define CK_INSTANCE "compute.instance"
#define CK_RESERVATION "compute.reservation"
#define CK_TEMPLATE "compute.template"
#define CK_OP "compute.operation"
#define CK_REQID "compute.requestId"
#define CK_CONFIG "compute.config"
#define COMPUTE_SERVICE "compute.googleapis.com"

/* Simulated durations, in sandbox seconds (so divided by --time-scale in real time). */
#define CO_PROVISION_S 4
#define CO_STAGE_S 6
#define CO_STOP_S 4

/* Settings from the command line (sandbox/compute_options.c); one server per process. */
typedef struct co_options {
	int gpus_per_zone;     /* --gpus-per-zone, default 2 */
	double preempt_rate;   /* --preempt-rate: SPOT preemptions per VM per sandbox hour */
	int tenant_gpus;       /* --tenant-gpus: most GPUs other tenants hold in a zone */
	int tenant_slot_s;     /* --tenant-slot: sandbox seconds between tenant changes */
	int guest_timeout_s;   /* --guest-timeout: real seconds a startup script may run */
} co_options;
extern co_options co_opt;

/* ---------------------------------------------------------------- helpers */
json_t *co_public(const json_t *doc);             /* copy without "_sb" */
json_t *co_priv(json_t *doc);                     /* the "_sb" object, created if absent */
char *co_link(sb_server *s, const char *name);    /* BASE/compute/v1/NAME */
void co_ts(sb_server *s, char *buf, size_t size); /* RFC 3339 of sandbox now */
int64_t co_priv_int(const json_t *doc, const char *key, int64_t def);
const char *co_priv_str(const json_t *doc, const char *key);
/* Replies 200 with the public form of doc (does not take ownership). */
void co_reply_doc(sb_call *c, const json_t *doc);
/* Compute-flavoured error replies (errors[] reason set). */
void co_not_found(sb_call *c, const char *name);
/* A get handler's answer: the stored document of kind named full, or 404. */
void co_reply_stored(sb_server *s, sb_call *c, const char *kind, const char *full);
/* Checks for insert handlers: each replies (400 bad name, 409 taken) and returns
 * non-zero when the call cannot go on. */
int co_check_name(sb_call *c, const char *name);
int co_already_exists(sb_server *s, sb_call *c, const char *kind, const char *full);

/* ---------------------------------------------------------------- operations */
/* When the call has a requestId seen before, answers with that operation and returns
 * 1; a malformed requestId answers 400 and returns -1; else 0. */
int co_replay(sb_server *s, sb_call *c, const char *project);
/* The stored document (new ref) that a mutating call on full works on, or NULL once
 * the call has been answered: by a requestId replay, a bad requestId or a 404. */
json_t *co_get_for_change(sb_server *s, sb_call *c, const char *kind, const char *full);
/* Creates and stores an operation (status RUNNING) for the call's target; records the
 * call's requestId. zone NULL: global. Returns the stored document (new ref). */
json_t *co_op_new(sb_server *s, sb_call *c, const char *project, const char *zone,
		  const char *type, const char *target_name, const char *target_id);
/* Marks an operation DONE; code/message non-NULL make it a failed one. */
void co_op_finish(sb_server *s, const char *op_name, int http, const char *code,
		  const char *message);
/* Sets statusMessage on a running operation (queue position and the like). */
void co_op_note(sb_server *s, const char *op_name, const char *message);
/* Finishes op at once and replies with it. */
void co_op_reply_done(sb_server *s, sb_call *c, json_t *op, int http, const char *code,
		      const char *message);
void co_op_reply(sb_server *s, sb_call *c, json_t *op); /* replies current state, consumes op */

/* ---------------------------------------------------------------- capacity */
int co_zone_free(sb_server *s, const char *zone);
/* Binds an instance to capacity: a reservation or on-demand GPUs. 0 bound, 1 must wait
 * (FLEX_START), -1 refused with code/message set (Google's operation error). */
int co_acquire(sb_server *s, json_t *inst, char *code, size_t codelen, char *msg,
	       size_t msglen);
/* GPUs held by reservations and instances of any project in zone. */
int co_zone_reserved(sb_server *s, const char *zone);
int co_zone_on_demand(sb_server *s, const char *zone);
int co_reservation_in_use(sb_server *s, const char *res_name);
int co_tenant_gpus(sb_server *s, const char *zone);

/* ---------------------------------------------------------------- lifecycle */
void co_tick(sb_server *s);
void co_boot(sb_server *s, json_t *inst);          /* RUNNING: boot log, integrity, script */
void co_halt_guest(sb_server *s, json_t *inst);    /* kills the startup script if running */
void co_set_status(sb_server *s, json_t *inst, const char *status);
void co_shutdown(sb_server *s);
/* Kills the child recorded (_sb.pid) in every document of kind: at sandbox exit. */
void co_kill_guests(sb_server *s, const char *kind);
int co_init_guests(sb_server *s);

/* ---------------------------------------------------------------- guest (compute_guest.c) */
/* Starts the startup script for the current boot. */
void co_guest_start(sb_server *s, json_t *inst, const char *script);
/* Follows a running script: output, exit, time limit. True when inst changed. */
bool co_guest_watch(sb_server *s, json_t *inst);

/* ---------------------------------------------------------------- logging helpers */
json_t *co_gce_resource(const json_t *inst);                 /* gce_instance resource */
char *co_log_name(const json_t *inst, const char *log_id);   /* projects/P/logs/ID */
void co_log_text(sb_server *s, const json_t *inst, const char *log_id, const char *text);
/* Value of a metadata item of inst, or NULL. */
const char *co_metadata_value(const json_t *inst, const char *key);

/* ---------------------------------------------------------------- serial port */
void co_serial_printf(sb_server *s, json_t *inst, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "Nov 25 20:41:07" of sandbox now, as syslog stamps serial console lines. */
void co_syslog_time(sb_server *s, char *buf, size_t size);
/* A line of the script runner itself, with a syslog-style timestamp. */
void co_runner_line(sb_server *s, json_t *inst, const char *what);
/* Appends to serial port 1 of inst (updates the window base kept in "_sb"). */
void co_serial_append(sb_server *s, json_t *inst, const char *text, size_t len);
/* The instance's state directory STATE/compute/ID (created); caller frees. */
char *co_inst_dir(sb_server *s, const json_t *inst);

/* ---------------------------------------------------------------- handlers */
void co_reservation_insert(sb_server *s, sb_call *c);
void co_reservation_get(sb_server *s, sb_call *c);
void co_reservation_list(sb_server *s, sb_call *c);
void co_reservation_delete(sb_server *s, sb_call *c);
void co_reservation_resize(sb_server *s, sb_call *c);
void co_template_insert(sb_server *s, sb_call *c);
void co_template_get(sb_server *s, sb_call *c);
void co_template_list(sb_server *s, sb_call *c);
void co_template_delete(sb_server *s, sb_call *c);
void co_instance_insert(sb_server *s, sb_call *c);
void co_instance_get(sb_server *s, sb_call *c);
void co_instance_list(sb_server *s, sb_call *c);
void co_instance_delete(sb_server *s, sb_call *c);
void co_instance_start(sb_server *s, sb_call *c);
void co_instance_stop(sb_server *s, sb_call *c);
void co_instance_reset(sb_server *s, sb_call *c);
void co_instance_set_metadata(sb_server *s, sb_call *c);
void co_instance_serial(sb_server *s, sb_call *c);
void co_instance_shielded_identity(sb_server *s, sb_call *c);
void co_zone_op_get(sb_server *s, sb_call *c);
void co_zone_op_wait(sb_server *s, sb_call *c);
void co_global_op_get(sb_server *s, sb_call *c);
void co_global_op_wait(sb_server *s, sb_call *c);
void co_zone_op_list(sb_server *s, sb_call *c);
void co_global_op_list(sb_server *s, sb_call *c);

/* An instance template named as the API accepts it (name, partial path or URL). */
json_t *co_template_lookup(sb_server *s, const char *project, const char *ref);

/* A list reply {kind, id, items, selfLink, nextPageToken} for one page of kind under
 * prefix, honouring filter, orderBy, maxResults and pageToken (compute_list.c); a bad
 * one answers 400. fill may rewrite each stored item before it is filtered. */
void co_reply_list(sb_server *s, sb_call *c, const char *kind, const char *prefix,
		   const char *list_kind, void (*fill)(sb_server *, json_t *));
/* The same over documents that are not in the store (all: in name order). */
void co_reply_items(sb_server *s, sb_call *c, json_t *all, const char *prefix,
		    const char *list_kind);

/* ---------------------------------------------------------------- catalog */
/* Zones and machine types the sandbox knows (compute_catalog.c): zones.get/list and
 * machineTypes.get/list. */
void co_zone_get(sb_server *s, sb_call *c);
void co_zone_list(sb_server *s, sb_call *c);
void co_machine_type_get(sb_server *s, sb_call *c);
void co_machine_type_list(sb_server *s, sb_call *c);

#endif
