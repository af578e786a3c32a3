/* `sealtrain config ...`: inspecting the configuration. */
#ifndef ST_CMD_CONFIG_H
#define ST_CMD_CONFIG_H

#include <jansson.h>
#include <stdio.h>

#include "config/globals.h"

/* `config check [--json] [FILE]`: prints the effective configuration, or the errors
 * and exit 2. */
int st_cmd_config(const struct st_globals *g, int argc, char **argv);

/* The effective configuration as one indented JSON object and a newline: the same
 * keys as st_config_dump, durations as "<N>s" strings (null for none), numbers as
 * numbers, plus "source" (the file) and "endpoints_used" (the URL each API gets).
 * Returns 0, or -1 when fp could not be written. */
int st_config_dump_json(const st_config *c, FILE *fp);
/* A JSON string, or null for NULL. Text that is not UTF-8 (a path from the command
 * line can be anything) is made printable first, so that no member goes missing. */
json_t *st_config_json_str(const char *s);

#endif
