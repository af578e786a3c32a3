/* The modules this sandbox serves. Each API module adds its extern line and its
 * entry below; routes are tried in this order, module by module. */
#include "sandbox/server.h"

extern const sb_service sb_svc_serviceusage;
extern const sb_service sb_svc_iam;
extern const sb_service sb_svc_crm;
extern const sb_service sb_svc_logging;
extern const sb_service sb_svc_kms;
extern const sb_service sb_svc_storage;

const sb_service *const sb_services[] = {
	&sb_svc_core,
	&sb_svc_serviceusage,
	&sb_svc_iam,
	&sb_svc_crm,
	&sb_svc_logging,
	&sb_svc_kms,
	&sb_svc_storage,
};

const size_t sb_nservices = sizeof sb_services / sizeof *sb_services;
