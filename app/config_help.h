// The tables of engine/config.h handed on: the config keys as --help and `memscope help keys` show them,
// and the compression functions and losses as the TUI names and accepts them (ui/ cannot include the engine).
#ifndef MEMSCOPE_CONFIG_HELP_H
#define MEMSCOPE_CONFIG_HELP_H

#include <stdio.h>

// "keys: d_model n_heads ... compress (conv mean ...)" wrapped under 100 columns: the end of train's --help.
void print_config_key_names(FILE *f);

// Every key with its kind, range or choices and help, then the choices' help: `memscope help keys`.
int print_config_keys(FILE *f);

// Gives the TUI (ui_set_compress_choices) the engine's compression names and parsers; once, before the UI
// thread runs.
void ui_compress_choices_from_engine(void);

#endif
