// Parsing one line typed at the prompt: text to generate from, or a ':' command.
#ifndef MEMSCOPE_UI_CMDLINE_H
#define MEMSCOPE_UI_CMDLINE_H

#include "ui/command.h"

#define UI_LINE_MESSAGE_BYTES 160

typedef struct {
    int gen_length;   // current generation settings, copied into a GENERATE command
    float temperature;
    int top_k;
} UiGenSettings;

typedef struct {
    int n_cmds;                 // commands to post, in order
    UiCommand cmds[2];
    int show_help;              // :help
    int quit;                   // :quit (the caller asks first when there is unsaved progress)
    int empty;                  // nothing but blanks
    int is_error;               // message is an error
    char message[UI_LINE_MESSAGE_BYTES];
} UiLineResult;

// The names :compress and :compress_loss accept (NULL-terminated), in the engine's order (the app's
// tests check them against engine/config.h; ui/ cannot include it).
extern const char *const ui_compress_fn_names[];
extern const char *const ui_compress_loss_names[];

// Never fails: invalid input gives is_error and a message saying what was expected.
void ui_parse_line(const char *line, const UiGenSettings *gs, UiLineResult *out);

#endif
