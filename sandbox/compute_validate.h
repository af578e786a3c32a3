/* Request validation for Compute Engine instances and templates, following the
 * rules the real API enforces for Confidential VMs, GPUs and provisioning models.
 * Pure: takes the instance properties as JSON, touches no store. */
#ifndef SB_COMPUTE_VALIDATE_H
#define SB_COMPUTE_VALIDATE_H

#include <jansson.h>
#include <stddef.h>

/* Confidential type the properties ask for: "SEV", "SEV_SNP", "TDX", or NULL. The
 * legacy enableConfidentialCompute:true means SEV. */
const char *cv_confidential_type(const json_t *props);

/* Checks the properties of an instance (insert body) or template (properties).
 * 0 when valid; -1 with a one-line message, phrased like Google's, in err. */
int cv_check_instance(const json_t *props, char *err, size_t errlen);

/* Checks a reservation body: name, specificReservation.count and a machine shape
 * (instanceProperties or sourceInstanceTemplate, not both). */
int cv_check_reservation(const json_t *body, char *err, size_t errlen);

/* RFC 1035 resource name as Compute requires: [a-z]([-a-z0-9]{0,61}[a-z0-9])?. */
int cv_name_ok(const char *name);

/* requestId: a UUID other than the all-zero one. */
int cv_request_id_ok(const char *id);

#endif
