#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "common/str.h"
#include "config/config_priv.h"

void st_config_set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? st_xstrdup(value) : NULL;
}

/* Every default in one place, so the example file, the man page and the code agree.
 * The compute defaults are the one GPU Confidential VM shape Google supports
 * (a3-highgpu-1g with one H100 under TDX), not the recipe's A100 + SEV_SNP. */
st_config *st_config_defaults(void)
{
	st_config *c = st_xcalloc(1, sizeof *c);
	c->priv = st_xcalloc(1, sizeof *c->priv);
	c->priv->source = st_xstrdup("built-in defaults");
	c->region = st_xstrdup("us-central1");
	c->zone = st_xstrdup("us-central1-a");

	c->names.key_ring = st_xstrdup("sealtrain-ring-{suffix}");
	c->names.key = st_xstrdup("sealtrain-key-{suffix}");
	c->names.bucket = st_xstrdup("sealtrain-data-{suffix}");
	c->names.service_account = st_xstrdup("sealtrain-sa-{suffix}");
	c->names.reservation = st_xstrdup("sealtrain-rsv-{suffix}");
	c->names.template = st_xstrdup("sealtrain-tmpl-{suffix}");
	c->names.instance = st_xstrdup("sealtrain-vm-{suffix}");
	c->names.job = st_xstrdup("sealtrain-train-{suffix}");
	c->names.alert = st_xstrdup("sealtrain-gpu-alert-{suffix}");
	c->names.sink = st_xstrdup("sealtrain-audit-{suffix}");

	c->compute.machine_type = st_xstrdup("a3-highgpu-1g");
	c->compute.accelerator_type = st_xstrdup("nvidia-h100-80gb");
	c->compute.accelerator_count = 1;
	c->compute.confidential_type = st_xstrdup("TDX");
	c->compute.provisioning = ST_PROV_FLEX_START;
	c->compute.max_run_duration_s = 86400;
	c->compute.termination_action = st_xstrdup("DELETE");
	c->compute.image = st_xstrdup("projects/ubuntu-os-cloud/global/images/family/ubuntu-2404-lts-amd64");
	c->compute.boot_disk_gb = 200;
	c->compute.disk_type = st_xstrdup("pd-balanced");

	c->kms.rotation_period_s = 30 * 86400;

	c->bucket.versioning = true;
	c->bucket.nearline_days = 30;
	c->bucket.coldline_days = 90;

	c->training.trees = 100;
	c->training.max_depth = 0;
	c->training.bins = 128;
	c->training.seed = 42;
	c->training.test_size = 0.2;
	c->training.label = st_xstrdup("label");
	c->training.max_features = st_xstrdup("sqrt");
	c->training.data = st_xstrdup("dataset.csv");

	c->credentials.source = ST_CRED_AUTO;

	c->ui.color = ST_COLOR_AUTO;
	c->ui.ascii = false;
	c->ui.refresh_ms = 2000;
	c->ui.log_lines = 1000;
	st_config_derive(c);
	return c;
}

/* The key ring and the bucket must share a location (CMEK requirement), and both
 * live in the region unless the operator says otherwise. */
void st_config_derive(st_config *c)
{
	if (!c->kms.location)
		c->kms.location = st_xstrdup(c->region);
	if (!c->bucket.location)
		c->bucket.location = st_xstrdup(c->region);
}

void st_config_free(st_config *c)
{
	if (!c)
		return;
	char **strs[] = {
		&c->project, &c->region, &c->zone,
		&c->names.suffix, &c->names.key_ring, &c->names.key, &c->names.bucket,
		&c->names.service_account, &c->names.reservation, &c->names.template,
		&c->names.instance, &c->names.job, &c->names.alert, &c->names.sink,
		&c->compute.machine_type, &c->compute.accelerator_type,
		&c->compute.confidential_type, &c->compute.termination_action,
		&c->compute.image, &c->compute.disk_type,
		&c->kms.location, &c->bucket.location,
		&c->training.label, &c->training.max_features, &c->training.data,
		&c->endpoints.default_url, &c->endpoints.ca_file, &c->credentials.file,
	};
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		free(*strs[i]);
	for (size_t i = 0; i < ST_API_COUNT; i++)
		free(c->endpoints.api[i]);
	if (c->priv) {
		free(c->priv->source);
		free(c->priv->aip_url);
		free(c->priv->aip_region);
		free(c->priv);
	}
	free(c);
}

const char *st_config_source(const st_config *c)
{
	return c->priv->source;
}

const char *st_provisioning_name(enum st_provisioning p)
{
	switch (p) {
	case ST_PROV_RESERVATION:
		return "reservation";
	case ST_PROV_FLEX_START:
		return "flex-start";
	case ST_PROV_SPOT:
		return "spot";
	}
	return "?";
}

const char *st_cred_source_name(enum st_cred_source s)
{
	switch (s) {
	case ST_CRED_AUTO:
		return "auto";
	case ST_CRED_SERVICE_ACCOUNT:
		return "service-account";
	case ST_CRED_AUTHORIZED_USER:
		return "authorized-user";
	case ST_CRED_METADATA:
		return "metadata";
	case ST_CRED_TOKEN_FILE:
		return "token-file";
	case ST_CRED_GCLOUD:
		return "gcloud";
	}
	return "?";
}

char *st_config_expand_name(const st_config *c, const char *tmpl, const char *suffix)
{
	if (!suffix)
		suffix = c ? c->names.suffix : NULL;
	st_buf b;
	st_buf_init(&b);
	const char *p = tmpl, *hit;
	while (suffix && (hit = strstr(p, "{suffix}")) != NULL) {
		st_buf_append(&b, p, (size_t)(hit - p));
		st_buf_puts(&b, suffix);
		p = hit + strlen("{suffix}");
	}
	st_buf_puts(&b, p);
	return st_buf_steal(&b);
}
