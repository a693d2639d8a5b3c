// The config keys as --help and `memscope help keys` show them, written from engine/config.h's table.
#ifndef MEMSCOPE_CONFIG_HELP_H
#define MEMSCOPE_CONFIG_HELP_H

#include <stdio.h>

// "keys: d_model n_heads ... compress (conv mean ...)" wrapped under 100 columns: the end of train's --help.
void print_config_key_names(FILE *f);

// Every key with its kind, range or choices and help, then the choices' help: `memscope help keys`.
int print_config_keys(FILE *f);

#endif
