/* Vertex AI custom jobs: internals shared by vertex*.c.
 *
 * Document kind "vertex.job", name projects/NUMBER/locations/L/customJobs/ID: the
 * public CustomJob plus a private "_sb" object (stripped on the wire). A job runs
 * its first worker pool's containerSpec command on this machine (there is no
 * container runtime), the way the guest runner runs startup scripts; /gcs/BUCKET/...
 * paths point into a working copy of those buckets, decrypted when the job starts
 * and written back (encrypted under the job's or bucket's key) when it ends. */
#ifndef SB_VERTEX_H
#define SB_VERTEX_H

#include <jansson.h>
#include <stddef.h>

#include "sandbox/sandbox.h"

#define CK_JOB "vertex.job"
#define AIP_SERVICE "aiplatform.googleapis.com"
#define VX_AGENT_ROLE "roles/cloudkms.cryptoKeyEncrypterDecrypter"
/* Sandbox seconds a job sits in QUEUED before it is considered for capacity. */
#define VX_QUEUE_S 2

/* vertex_run.c */
void vx_tick(sb_server *s);
int vx_init(sb_server *s);
void vx_shutdown(sb_server *s);
/* GPUs running jobs hold in zone (jobs in region R use zone R-a). */
int vx_zone_gpus(sb_server *s, const char *zone);
/* Stops a running job's process (cancel). */
void vx_kill(sb_server *s, json_t *job);
/* Sets state (and the matching timestamps). */
void vx_set_state(sb_server *s, json_t *job, const char *state);
void vx_save(sb_server *s, json_t *job);

/* vertex_gcs.c: the /gcs working copy */
/* Buckets the job names through /gcs/BUCKET/ or gs://BUCKET/ (JSON array, new ref). */
json_t *vx_buckets(const json_t *job);
/* Decrypts the live objects of each bucket into DIR/gcs/BUCKET/ and records what it
 * wrote in the job's "_sb.staged". 0 ok; -1 with a reason in err. */
int vx_stage(sb_server *s, json_t *job, const char *dir, char *err, size_t errlen);
/* Uploads new or changed files under DIR/gcs/BUCKET/ as objects, encrypted with the
 * job's encryptionSpec key (else the bucket's default). 0 ok; -1 with err. */
int vx_write_back(sb_server *s, json_t *job, const char *dir, char *err, size_t errlen);

#endif
