// The key table: every key the main screen answers to, what it does and its help line. The key
// handler (ui/tui.c) looks keys up here and the help overlay (ui/help.c) lists this table, so the two
// cannot disagree.
#ifndef MEMSCOPE_UI_BINDINGS_H
#define MEMSCOPE_UI_BINDINGS_H

typedef enum {
    UI_ACT_NONE,
    UI_ACT_PAUSE, UI_ACT_STEP, UI_ACT_RATE_UP, UI_ACT_RATE_DOWN, UI_ACT_COMPRESS_NEXT, UI_ACT_FIGURE2,
    UI_ACT_LAYER_NEXT, UI_ACT_LAYER_PREV, UI_ACT_HEAD, UI_ACT_QUERY_UP, UI_ACT_QUERY_DOWN, UI_ACT_KEY_PREV,
    UI_ACT_KEY_NEXT, UI_ACT_GROUP_PREV, UI_ACT_GROUP_NEXT, UI_ACT_KEY_FIRST, UI_ACT_KEY_LAST, UI_ACT_PROMPT,
    UI_ACT_SAVE, UI_ACT_VALIDATE, UI_ACT_DUMP, UI_ACT_SMOOTH, UI_ACT_LOG_SCALE, UI_ACT_ZOOM, UI_ACT_ESCAPE,
    UI_ACT_QUIT, UI_ACT_HELP,
} UiAction;

#define UI_BINDING_KEYS 4

typedef struct {
    const char *label;           // how the help names the keys
    int keys[UI_BINDING_KEYS];   // UI_KEY_* codes or bytes; 0 ends the list
    UiAction action;             // UI_ACT_NONE: a help line only (the mouse)
    const char *help;
} UiBinding;

extern const UiBinding ui_bindings[];
extern const int ui_binding_count;

// The f line's help: "next compression function: conv → mean → ... → conv (...)", names from the engine
// (through ui_set_compress_choices).
void ui_bindings_set_compress_cycle(const char *const *names);

// The action of a key on the main screen (UI_ACT_NONE for an unbound key).
UiAction ui_binding_action(int key);

#endif
