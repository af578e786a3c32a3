/* The modules this sandbox serves. Each API module adds its extern line and its
 * entry below; routes are tried in this order, module by module. */
#include "sandbox/server.h"

extern const sb_service sb_svc_serviceusage;
extern const sb_service sb_svc_iam;
extern const sb_service sb_svc_crm;
extern const sb_service sb_svc_logging;
extern const sb_service sb_svc_kms;
extern const sb_service sb_svc_storage;
extern const sb_service sb_svc_compute;
extern const sb_service sb_svc_metadata;
extern const sb_service sb_svc_monitoring;
extern const sb_service sb_svc_confidential;
extern const sb_service sb_svc_vertex;

const sb_service *const sb_services[] = {
	&sb_svc_core,
	&sb_svc_serviceusage,
	&sb_svc_iam,
	&sb_svc_crm,
	&sb_svc_logging,
	&sb_svc_kms,
	&sb_svc_storage,
	&sb_svc_compute,
	&sb_svc_metadata,
	&sb_svc_monitoring,
	&sb_svc_confidential,
	&sb_svc_vertex,
};

const size_t sb_nservices = sizeof sb_services / sizeof *sb_services;
