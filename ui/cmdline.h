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
    int dump;                   // :dump (1, the screen) or :dump-data (2, the numbers), see ui/dump.h
    char dump_path[UI_CMD_TEXT_BYTES]; // "" = a default name
    int zoom;                   // :zoom N: the loss plot's last N steps (0 = all); -1 = not asked
    int is_error;               // message is an error
    char message[UI_LINE_MESSAGE_BYTES];
} UiLineResult;

// The engine's compression functions and losses, which ui/ cannot include: the app hands them over once at
// start, before the UI thread runs. The names (NULL-terminated, in the engine's order) make the messages
// and the help; `known` (the engine's parser, which also takes its aliases) decides what :compress and
// :compress_loss accept. Until then both commands refuse every name.
typedef struct {
    const char *const *fn_names;
    const char *const *loss_names;
    int (*fn_known)(const char *name);
    int (*loss_known)(const char *name);
} UiCompressChoices;
void ui_set_compress_choices(const UiCompressChoices *choices);
extern UiCompressChoices ui_compress_choices;

// The ':' commands, for the parser and the help overlay alike.
typedef struct {
    const char *name;
    const char *aliases; // space-separated, or ""
    const char *args;    // e.g. "N", "[PATH]", ""
    const char *help;
} UiLineCommand;
extern const UiLineCommand ui_line_commands[];
extern const int ui_line_command_count;

// Never fails: invalid input gives is_error and a message saying what was expected.
void ui_parse_line(const char *line, const UiGenSettings *gs, UiLineResult *out);

#endif
