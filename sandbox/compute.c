/* Compute Engine v1 module: the route table and the service hooks. */
#include "sandbox/compute.h"

#define P "/compute/v1/projects/{project}"
#define Z P "/zones/{zone}"
#define SVC COMPUTE_SERVICE
#define L SB_LEGACY_ERRORS
#define R (SB_LEGACY_ERRORS | SB_ADMIN_READ)

static const sb_route routes[] = {
	{"GET", P "/zones", co_zone_list, SVC, "v1.compute.zones.list", R},
	{"GET", Z, co_zone_get, SVC, "v1.compute.zones.get", R},
	{"GET", Z "/machineTypes", co_machine_type_list, SVC, "v1.compute.machineTypes.list", R},
	{"GET", Z "/machineTypes/{machineType}", co_machine_type_get, SVC,
	 "v1.compute.machineTypes.get", R},
	{"POST", Z "/reservations", co_reservation_insert, SVC, "v1.compute.reservations.insert", L},
	{"GET", Z "/reservations", co_reservation_list, SVC, "v1.compute.reservations.list", R},
	{"GET", Z "/reservations/{reservation}", co_reservation_get, SVC,
	 "v1.compute.reservations.get", R},
	{"DELETE", Z "/reservations/{reservation}", co_reservation_delete, SVC,
	 "v1.compute.reservations.delete", L},
	{"POST", Z "/reservations/{reservation}/resize", co_reservation_resize, SVC,
	 "v1.compute.reservations.resize", L},
	{"POST", P "/global/instanceTemplates", co_template_insert, SVC,
	 "v1.compute.instanceTemplates.insert", L},
	{"GET", P "/global/instanceTemplates", co_template_list, SVC,
	 "v1.compute.instanceTemplates.list", R},
	{"GET", P "/global/instanceTemplates/{instanceTemplate}", co_template_get, SVC,
	 "v1.compute.instanceTemplates.get", R},
	{"DELETE", P "/global/instanceTemplates/{instanceTemplate}", co_template_delete, SVC,
	 "v1.compute.instanceTemplates.delete", L},
	{"POST", Z "/instances", co_instance_insert, SVC, "v1.compute.instances.insert", L},
	{"GET", Z "/instances", co_instance_list, SVC, "v1.compute.instances.list", R},
	{"GET", Z "/instances/{instance}", co_instance_get, SVC, "v1.compute.instances.get", R},
	{"DELETE", Z "/instances/{instance}", co_instance_delete, SVC,
	 "v1.compute.instances.delete", L},
	{"POST", Z "/instances/{instance}/start", co_instance_start, SVC,
	 "v1.compute.instances.start", L},
	{"POST", Z "/instances/{instance}/stop", co_instance_stop, SVC,
	 "v1.compute.instances.stop", L},
	{"POST", Z "/instances/{instance}/reset", co_instance_reset, SVC,
	 "v1.compute.instances.reset", L},
	{"POST", Z "/instances/{instance}/setMetadata", co_instance_set_metadata, SVC,
	 "v1.compute.instances.setMetadata", L},
	{"GET", Z "/instances/{instance}/serialPort", co_instance_serial, SVC,
	 "v1.compute.instances.getSerialPortOutput", SB_LEGACY_ERRORS | SB_DATA_ACCESS},
	{"GET", Z "/instances/{instance}/getShieldedInstanceIdentity",
	 co_instance_shielded_identity, SVC, "v1.compute.instances.getShieldedInstanceIdentity", R},
	{"GET", Z "/operations", co_zone_op_list, SVC, "v1.compute.zoneOperations.list", R},
	{"GET", Z "/operations/{operation}", co_zone_op_get, SVC, NULL, L},
	{"POST", Z "/operations/{operation}/wait", co_zone_op_wait, SVC, NULL, L},
	{"GET", P "/global/operations", co_global_op_list, SVC,
	 "v1.compute.globalOperations.list", R},
	{"GET", P "/global/operations/{operation}", co_global_op_get, SVC, NULL, L},
	{"POST", P "/global/operations/{operation}/wait", co_global_op_wait, SVC, NULL, L},
};

const sb_service sb_svc_compute = {
	.name = COMPUTE_SERVICE,
	.routes = routes,
	.nroutes = sizeof(routes) / sizeof(routes[0]),
	.tick = co_tick,
	.init = co_init_guests,
	.shutdown = co_shutdown,
};
