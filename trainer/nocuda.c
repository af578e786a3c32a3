/* Stands in for the CUDA back end in builds made without nvcc: every use is refused with
 * the reason, so --device cuda fails clearly and --device auto picks the CPU. */
#include "trainer/cuda.h"

#include "trainer/util.h"

static const char why_not[] = "this sealtrain-rf was built without CUDA (no nvcc at build time)";

int rf_cuda_available(char *why)
{
	rf_err(why, "%s", why_not);
	return 0;
}

int rf_cuda_init(char *err)
{
	return rf_err(err, "%s", why_not);
}

static void *refuse(const struct rf_train *t, char *err)
{
	rf_err(err, "%s", why_not);
	return NULL;
}

static void nothing(void *p)
{
}

static void *refuse_worker(void *shared, const struct rf_train *t, uint32_t nf, char *err)
{
	rf_err(err, "%s", why_not);
	return NULL;
}

const struct rf_backend rf_backend_cuda = {
	"cuda", refuse, nothing, refuse_worker, nothing, NULL, NULL, NULL,
};
