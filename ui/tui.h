// UI state and the frame pieces: key/mouse handling (posting commands), per-frame update, render.
// No curses here: keys arrive as UI_KEY_* codes (ui/keys.h) and drawing goes into a Grid.
//
// The app's UI thread, in outline (ui/term.h does the terminal, ui/prompt.h the readline prompt):
//   int caps = ui_term_init(err, sizeof err);            // -1: no terminal, print err
//   ui_state_init(&ui, caps); ui_prompt_init(&ui, NULL);  // NULL: default history file
//   ui_term_size(&cols, &rows); grid_init(&grid, cols, rows, caps);
//   while (!ui.quit && !trainer_done) {
//       for (int t = 33; ui_term_read(&ev, t); t = 0) {   // ~30 frames/s, drain pending input
//           if (ev.key == UI_KEY_RESIZE) { ui_term_size(&cols, &rows); grid_resize(&grid, cols, rows); }
//           else if (ev.key == UI_KEY_MOUSE) ui_handle_mouse(&ui, &snap, grid.w, grid.h, ev.x, ev.y, post, ctx);
//           else ui_handle_key(&ui, ev.key, post, ctx);
//       }
//       copy the shared snapshot into `snap` under the mutex when its seq changed;
//       ui_update(&ui, &snap, grid.w, grid.h);
//       ui_term_set_prompt_mode(ui.focus == UI_FOCUS_PROMPT);
//       ui_render(&ui, &snap, &grid);
//       ui_term_blit(&grid);
//   }
//   ui_prompt_end(); ui_term_end();
#ifndef MEMSCOPE_UI_TUI_H
#define MEMSCOPE_UI_TUI_H

#include "ui/cmdline.h"
#include "ui/command.h"
#include "ui/grid.h"
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
// Once per frame with the newest snapshot and the screen size: mirrors counts, clamps selections,
// drops stale messages.
void ui_update(UiState *ui, const UiSnapshot *s, int cols, int rows);

// One key (UI_KEY_* or a byte). While the prompt has focus, bytes go to readline (ui/prompt.c).
void ui_handle_key(UiState *ui, int key, UiPostFn post, void *ctx);
// A click at cell (x, y) of a cols x rows screen: heatmap cell -> cursor, layer row -> select.
void ui_handle_mouse(UiState *ui, const UiSnapshot *s, int cols, int rows, int x, int y, UiPostFn post, void *ctx);
// A line completed at the prompt: posts a GENERATE or the ':' command, or sets a message.
void ui_submit_line(UiState *ui, const char *line, UiPostFn post, void *ctx);
// Sets the UI's own message line.
void ui_set_message(UiState *ui, int is_error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

// Draws everything for the grid's size (or the "too small" message).
void ui_render(const UiState *ui, const UiSnapshot *s, Grid *g);

#endif
