// memscope watch's screen: a trained model reading a text. Drawn from a WatchView (plain data the app fills,
// no engine types); keys and clicks become WatchActions the app carries out. Pure: tested on a Grid.
#ifndef MEMSCOPE_UI_WATCH_VIEW_H
#define MEMSCOPE_UI_WATCH_VIEW_H

#include "ui/grid.h"
#include "ui/snapshot.h"

#define WV_TEXT 8192 // characters around the current segment the text panel can show
#define WV_EVENT 8   // compressed slots of one compression event listed

typedef enum { WV_UNREAD, WV_GONE, WV_CMEM, WV_MEM, WV_CUR } WvMark;

typedef struct {
    long first, last; // characters the slot summarises
    int slot;         // its index in compressed memory
    char text[UI_SNIPPET_BYTES + 1];
} WvEventSlot;

typedef struct {
    // status
    long read, total;           // characters read, of the text's
    long segment, n_segments;
    float ce, bpc;              // so far; NAN before the first segment
    int playing;
    float speed;                // segments per second while playing
    char title[128];            // the model and the file
    int layer, n_layers, n_heads, seq_len, rate;
    UiAttention attn;           // layer `layer` over the last segment read (every query row)
    // the text panel: positions [text_first, text_first + text_n)
    long text_first;
    int text_n;
    unsigned char text[WV_TEXT];
    float loss[WV_TEXT];        // −log p of the character given the ones before; NAN when not predicted yet
    unsigned char mark[WV_TEXT]; // WvMark: what the last segment read the character as
    short slot[WV_TEXT];        // the compressed slot it was read in (WV_CMEM, numbered as in attn), else -1
    long seg_first;             // the last segment read: its first input position and length
    int seg_n;
    // the compression the last segment caused (n_event 0: none)
    int n_event, n_event_total;
    WvEventSlot event[WV_EVENT];
    float recon[UI_MAX_LAYERS]; // its attention-reconstruction error per layer
    char message[UI_MESSAGE_BYTES];
    int demo;                   // the guided tour exists and t starts training
} WatchView;

#define WV_PATH 256 // bytes of a file name typed after :dump or :dump-data

typedef enum { WA_NONE, WA_NEXT, WA_BACK, WA_PLAY, WA_GOTO, WA_LAYER, WA_QUIT, WA_TRAIN, WA_DUMP, WA_DUMP_DATA } WatchActionType;

typedef struct {
    WatchActionType type;
    long pos;  // WA_GOTO: character position
    int layer; // WA_LAYER: the layer to show
    char path[WV_PATH]; // WA_DUMP: the file ("" = a default name); WA_DUMP_DATA: the .csv or .json file
} WatchAction;

typedef struct {
    int caps;
    int query;         // query row of the segment whose attention is shown; -1 = the last
    int head;          // -1 = mean over heads
    int tour;          // the guided tour is on screen
    int goto_active;   // typing a position after g
    char goto_buf[16];
    int cmd_active;    // typing a command after :
    char cmd_buf[WV_PATH + 16];
    char note[UI_MESSAGE_BYTES]; // the UI's own message (a bad position, ...)
} WatchUi;

void ui_watch_init(WatchUi *u, int caps, int tour);
// One key (UI_KEY_* or a byte); speed changes are the app's (+ and - come back as WA_NONE with *speed moved).
WatchAction ui_watch_key(WatchUi *u, const WatchView *v, int key, float *speed);
// The line typed after ':' (without it): `dump [FILE]` or `dump-data FILE`; anything else, or a file of the
// wrong kind, gives WA_NONE and a note naming what is valid.
WatchAction ui_watch_command(WatchUi *u, const char *line);
// A click: a character of the current segment or a heatmap row picks that query.
void ui_watch_click(WatchUi *u, const WatchView *v, int cols, int rows, int x, int y);
void ui_watch_render(const WatchUi *u, const WatchView *v, Grid *g);
// The query row shown (u->query clamped to the segment).
int ui_watch_query(const WatchUi *u, const WatchView *v);
// The attention of one query row of src as a one-row matrix (only the current keys it can see).
void ui_attn_one_query(UiAttention *dst, const UiAttention *src, int q);

#endif
