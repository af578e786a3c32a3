/* The CUDA back end, behind a C interface (its kernels live in kernels.cu). */
#ifndef RF_CUDA_H
#define RF_CUDA_H

#include "trainer/tree.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when a CUDA device can be used; otherwise 0 and why (RF_ERRLEN bytes). */
int rf_cuda_available(char *why);
/* Creates the CUDA context (a fraction of a second on a large GPU), so that it can be done
 * while the data is parsed. 0, or -1 with the reason. */
int rf_cuda_init(char *err);
extern const struct rf_backend rf_backend_cuda;

#ifdef __cplusplus
}
#endif
#endif
