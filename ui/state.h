// The UI's own state: what the user selected and asked for, the counts mirrored from the last snapshot, and
// the prompt line as readline last displayed it. Every part of the UI reads it; ui/tui.c changes it.
#ifndef MEMSCOPE_UI_STATE_H
#define MEMSCOPE_UI_STATE_H

#include <stdint.h>

#include "ui/cmdline.h"
#include "ui/snapshot.h"

#define UI_PROMPT_BYTES 1024

typedef enum { UI_FOCUS_MAIN, UI_FOCUS_PROMPT } UiFocus;
typedef enum { UI_DUMP_NONE, UI_DUMP_SCREEN, UI_DUMP_DATA } UiDump;

typedef struct {
    int caps;               // UI_CAP_* of the terminal (for mouse hit-testing)
    int cols, rows;         // screen size at the last ui_update
    UiFocus focus;
    int layer;              // selected layer
    int head;               // -1 = mean over heads, else a head index
    int cur_q, cur_k;       // heatmap cursor: query row, key column
    int help, help_scroll;  // the '?' overlay
    int view_buckets;       // 'b': the Figure-2 view replaces the heatmap and the layer bars
    int plot_smooth;        // 'e': the loss plot draws an EMA of the training curve over the raw one
    int plot_log;           // 'y': logarithmic loss axis
    int plot_zoom;          // 'z', :zoom N: only the last N steps (0 = the whole run)
    int confirm_quit;       // the "save before quitting?" question is showing
    int quit;               // a quit was posted: the app leaves its loop
    UiDump dump;            // d / :dump / :dump-data asked for a file (ui/dump.h writes it after the render)
    char dump_path[UI_PROMPT_BYTES]; // "" = a default name

    // mirrored from the last snapshot (ui_update)
    UiRunState run_state;   // what Space toggles from (flipped at once when Space posts)
    int pausing;            // Space asked for a pause the snapshots do not show yet (counts them)
    int n_layers, n_heads, n_queries, n_keys, n_cmem, n_mem, unsaved;
    uint64_t seen_seq, seen_msg_seq;

    UiGenSettings gen;      // copied into GENERATE; kept in step with the snapshot and :temp/:len/:topk
    int gen_known;          // gen came from a snapshot already
    UiGenSettings snap_gen; // the snapshot's values last frame (a change there overrides gen)

    char message[160];      // the UI's own message (parse errors, ...); cleared when the app sends one
    int message_error;

    // the prompt line as readline last displayed it (ui/prompt.c fills these)
    char line[UI_PROMPT_BYTES];
    int line_point;         // cursor, bytes into line
    int line_col;           // cursor, display columns into line
} UiState;

void ui_state_init(UiState *ui, int caps);
// Sets the UI's own message line.
void ui_set_message(UiState *ui, int is_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
