/* Enables every API a sandbox serves in a project, for integration tests. */
#ifndef ST_ENABLE_H
#define ST_ENABLE_H

#include "tests/support/sttest.h"

/* Lists the services the sandbox knows (services.list), batchEnables them in groups
 * of 20 and waits for each operation to finish. 0 ok, -1 with a message on stderr. */
int st_sandbox_enable_all(const st_sandbox *sb, const char *project);

#endif
