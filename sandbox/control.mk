# Compute Engine, guest runner, Vertex AI, Monitoring, Confidential Computing modules.
SB_CONTROL_SRC = \
	sandbox/capacity.c sandbox/capacity.h \
	sandbox/compute.c sandbox/compute.h \
	sandbox/compute_boot.c sandbox/compute_capacity.c sandbox/compute_catalog.c \
	sandbox/compute_common.c \
	sandbox/compute_filter.c sandbox/compute_filter.h \
	sandbox/compute_guest.c sandbox/compute_list.c \
	sandbox/compute_instances.c sandbox/compute_lifecycle.c \
	sandbox/compute_ops.c sandbox/compute_options.c sandbox/compute_options.h \
	sandbox/compute_resv.c \
	sandbox/compute_serial.c sandbox/compute_shielded.c \
	sandbox/compute_validate.c sandbox/compute_validate.h \
	sandbox/confidential.c \
	sandbox/guest.c sandbox/guest.h \
	sandbox/jwt_sign.c sandbox/jwt_sign.h \
	sandbox/jwt_store.c sandbox/jwt_store.h \
	sandbox/metadata.c \
	sandbox/monitoring.c \
	sandbox/vertex.c sandbox/vertex.h sandbox/vertex_gcs.c sandbox/vertex_run.c

SB_CONTROL_TEST_LDADD = sandbox/libsealtrain_sandbox.a $(ST_TEST_LDADD) $(SB_LIBS)

# Unit tests: the rules that need no server.
check_PROGRAMS += tests/unit/test_sb_compute_validate tests/unit/test_sb_compute_capacity \
	tests/unit/test_sb_compute_jwt tests/unit/test_sb_compute_guest
TESTS += tests/unit/test_sb_compute_validate tests/unit/test_sb_compute_capacity \
	tests/unit/test_sb_compute_jwt tests/unit/test_sb_compute_guest
tests_unit_test_sb_compute_validate_SOURCES = tests/unit/test_sb_compute_validate.c
tests_unit_test_sb_compute_validate_LDADD = $(SB_CONTROL_TEST_LDADD)
tests_unit_test_sb_compute_capacity_SOURCES = tests/unit/test_sb_compute_capacity.c
tests_unit_test_sb_compute_capacity_LDADD = $(SB_CONTROL_TEST_LDADD)
tests_unit_test_sb_compute_jwt_SOURCES = tests/unit/test_sb_compute_jwt.c \
	tests/unit/test_sb_jwt_util.h
tests_unit_test_sb_compute_jwt_LDADD = $(SB_CONTROL_TEST_LDADD)
tests_unit_test_sb_compute_guest_SOURCES = tests/unit/test_sb_compute_guest.c
tests_unit_test_sb_compute_guest_LDADD = $(SB_CONTROL_TEST_LDADD)
check_PROGRAMS += tests/unit/test_sb_compute_filter
TESTS += tests/unit/test_sb_compute_filter
tests_unit_test_sb_compute_filter_SOURCES = tests/unit/test_sb_compute_filter.c
tests_unit_test_sb_compute_filter_LDADD = $(SB_CONTROL_TEST_LDADD)

# Integration tests against the real binary.
SB_CONTROL_ITESTS = \
	tests/integration/test_sb_compute
SB_CONTROL_ITEST_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(CURL_CFLAGS) $(CRYPTO_CFLAGS)
SB_CONTROL_ITEST_LDADD = sandbox/libsealtrain_sandbox.a $(ST_TEST_LDADD) $(SB_LIBS)
tests_integration_test_sb_compute_SOURCES = tests/integration/test_sb_compute.c \
	tests/integration/test_sb_compute_util.h
tests_integration_test_sb_compute_CFLAGS = $(SB_CONTROL_ITEST_CFLAGS)
tests_integration_test_sb_compute_LDADD = $(SB_CONTROL_ITEST_LDADD)
SB_CONTROL_ITESTS += tests/integration/test_sb_guest
tests_integration_test_sb_guest_SOURCES = tests/integration/test_sb_guest.c \
	tests/integration/test_sb_compute_util.h
tests_integration_test_sb_guest_CFLAGS = $(SB_CONTROL_ITEST_CFLAGS)
tests_integration_test_sb_guest_LDADD = $(SB_CONTROL_ITEST_LDADD)
SB_CONTROL_ITESTS += tests/integration/test_sb_attest
tests_integration_test_sb_attest_SOURCES = tests/integration/test_sb_attest.c \
	tests/integration/test_sb_compute_util.h tests/unit/test_sb_jwt_util.h
tests_integration_test_sb_attest_CFLAGS = $(SB_CONTROL_ITEST_CFLAGS)
tests_integration_test_sb_attest_LDADD = $(SB_CONTROL_ITEST_LDADD)
SB_CONTROL_ITESTS += tests/integration/test_sb_monitoring
tests_integration_test_sb_monitoring_SOURCES = tests/integration/test_sb_monitoring.c \
	tests/integration/test_sb_compute_util.h
tests_integration_test_sb_monitoring_CFLAGS = $(SB_CONTROL_ITEST_CFLAGS)
tests_integration_test_sb_monitoring_LDADD = $(SB_CONTROL_ITEST_LDADD)
SB_CONTROL_ITESTS += tests/integration/test_sb_vertex
tests_integration_test_sb_vertex_SOURCES = tests/integration/test_sb_vertex.c \
	tests/integration/test_sb_compute_util.h tests/integration/test_sb_kms_util.h
tests_integration_test_sb_vertex_CFLAGS = $(SB_CONTROL_ITEST_CFLAGS)
tests_integration_test_sb_vertex_LDADD = $(SB_CONTROL_ITEST_LDADD)
SB_CONTROL_ITESTS += tests/integration/test_sb_compute_list
tests_integration_test_sb_compute_list_SOURCES = tests/integration/test_sb_compute_list.c \
	tests/integration/test_sb_compute_util.h
tests_integration_test_sb_compute_list_CFLAGS = $(SB_CONTROL_ITEST_CFLAGS)
tests_integration_test_sb_compute_list_LDADD = $(SB_CONTROL_ITEST_LDADD)
check_PROGRAMS += $(SB_CONTROL_ITESTS)
TESTS += $(SB_CONTROL_ITESTS)
