# Cloud KMS and Cloud Storage modules of the sandbox, with their tests.
SB_DATA_SRC = \
	sandbox/cmek.c sandbox/cmek.h sandbox/cmek_stream.c \
	sandbox/cmek_hasher.c sandbox/cmek_hasher.h \
	sandbox/kms.c sandbox/kms.h sandbox/kms_ring.c sandbox/kms_key.c \
	sandbox/kms_version.c sandbox/kms_crypt.c sandbox/kms_iam.c \
	sandbox/storage.c sandbox/storage.h sandbox/storage_bucket.c sandbox/storage_object.c \
	sandbox/storage_list.c sandbox/storage_upload.c sandbox/storage_data.c \
	sandbox/storage_reap.c \
	sandbox/storage_expire.c sandbox/storage_iam.c \
	sandbox/storage_multipart.c sandbox/storage_multipart.h \
	sandbox/storage_range.c sandbox/storage_range.h \
	sandbox/storage_lifecycle.c sandbox/storage_lifecycle.h

SB_DATA_TEST_LDADD = sandbox/libsealtrain_sandbox.a $(ST_TEST_LDADD) $(CRYPTO_LIBS) $(PTHREAD_LIBS)
SB_DATA_IT_LDADD = sandbox/libsealtrain_sandbox.a $(ST_TEST_LDADD) $(SB_LIBS)

# Unit tests: the pieces that need no server.
SB_DATA_UNIT = tests/unit/test_sb_kms_envelope tests/unit/test_sb_storage_chunks \
	tests/unit/test_sb_storage_multipart tests/unit/test_sb_storage_range \
	tests/unit/test_sb_storage_lifecycle
check_PROGRAMS += $(SB_DATA_UNIT)
TESTS += $(SB_DATA_UNIT)
tests_unit_test_sb_kms_envelope_SOURCES = tests/unit/test_sb_kms_envelope.c
tests_unit_test_sb_kms_envelope_LDADD = $(SB_DATA_TEST_LDADD)
tests_unit_test_sb_storage_chunks_SOURCES = tests/unit/test_sb_storage_chunks.c
tests_unit_test_sb_storage_chunks_LDADD = $(SB_DATA_TEST_LDADD)
tests_unit_test_sb_storage_multipart_SOURCES = tests/unit/test_sb_storage_multipart.c
tests_unit_test_sb_storage_multipart_LDADD = $(SB_DATA_TEST_LDADD)
tests_unit_test_sb_storage_range_SOURCES = tests/unit/test_sb_storage_range.c
tests_unit_test_sb_storage_range_LDADD = $(SB_DATA_TEST_LDADD)
tests_unit_test_sb_storage_lifecycle_SOURCES = tests/unit/test_sb_storage_lifecycle.c
tests_unit_test_sb_storage_lifecycle_LDADD = $(SB_DATA_TEST_LDADD)

# Integration tests: each starts the real sealtrain-sandbox on loopback.
SB_DATA_IT = tests/integration/test_sb_kms tests/integration/test_sb_kms_time \
	tests/integration/test_sb_storage tests/integration/test_sb_storage_objects \
	tests/integration/test_sb_storage_cmek
check_PROGRAMS += $(SB_DATA_IT)
TESTS += $(SB_DATA_IT)
tests_integration_test_sb_kms_SOURCES = tests/integration/test_sb_kms.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_kms_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_kms_LDADD = $(SB_DATA_IT_LDADD)
tests_integration_test_sb_kms_time_SOURCES = tests/integration/test_sb_kms_time.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_kms_time_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_kms_time_LDADD = $(SB_DATA_IT_LDADD)
tests_integration_test_sb_storage_SOURCES = tests/integration/test_sb_storage.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_storage_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_storage_LDADD = $(SB_DATA_IT_LDADD)
tests_integration_test_sb_storage_objects_SOURCES = tests/integration/test_sb_storage_objects.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_storage_objects_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_storage_objects_LDADD = $(SB_DATA_IT_LDADD)
tests_integration_test_sb_storage_cmek_SOURCES = tests/integration/test_sb_storage_cmek.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_storage_cmek_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_storage_cmek_LDADD = $(SB_DATA_IT_LDADD) $(PTHREAD_LIBS)
SB_DATA_IT += tests/integration/test_sb_storage_stream
check_PROGRAMS += tests/integration/test_sb_storage_stream
TESTS += tests/integration/test_sb_storage_stream
tests_integration_test_sb_storage_stream_SOURCES = tests/integration/test_sb_storage_stream.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_storage_stream_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_storage_stream_LDADD = $(SB_DATA_IT_LDADD) $(PTHREAD_LIBS)
EXTRA_DIST += tests/integration/node/test_storage.js
SB_DATA_IT += tests/integration/test_sb_storage_stress
tests_integration_test_sb_storage_stress_SOURCES = tests/integration/test_sb_storage_stress.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_storage_stress_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_storage_stress_LDADD = $(SB_DATA_IT_LDADD) $(PTHREAD_LIBS)
SB_DATA_IT += tests/integration/test_sb_storage_race
tests_integration_test_sb_storage_race_SOURCES = tests/integration/test_sb_storage_race.c \
	tests/integration/test_sb_kms_util.h
tests_integration_test_sb_storage_race_CFLAGS = $(SB_CFLAGS) $(CURL_CFLAGS)
tests_integration_test_sb_storage_race_LDADD = $(SB_DATA_IT_LDADD) $(PTHREAD_LIBS)
