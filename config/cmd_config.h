/* `sealtrain config ...`: inspecting the configuration. */
#ifndef ST_CMD_CONFIG_H
#define ST_CMD_CONFIG_H

#include "config/globals.h"

/* `config check [FILE]`: prints the effective configuration, or the errors and exit 2. */
int st_cmd_config(const struct st_globals *g, int argc, char **argv);

#endif
