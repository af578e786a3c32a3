/* `sealtrain api`: one authenticated request through the client, in the spirit of
 * `gh api`. */
#ifndef GCP_CMD_API_H
#define GCP_CMD_API_H

#include "config/globals.h"

int gcp_cmd_api(const struct st_globals *g, int argc, char **argv);

#endif
