// The UI's colours: a 24-level heat ramp in the xterm-256 palette, named colours, and the mapping
// to the 8 basic colours for terminals without 256.
#ifndef MEMSCOPE_UI_COLOR_H
#define MEMSCOPE_UI_COLOR_H

#define UI_RAMP_LEVELS 24

enum {
    UI_COL_TRAIN = 39,    // training loss (blue)
    UI_COL_VALID = 208,   // validation loss (orange)
    UI_COL_CMEM = 170,    // compressed memory (magenta)
    UI_COL_MEM = 75,      // memory (light blue)
    UI_COL_CUR = 114,     // current segment (green)
    UI_COL_CURSOR = 46,   // heatmap cursor (bright green, not on the ramp)
    UI_COL_MASKED = 236,  // causally masked heatmap cell (dark grey)
    UI_COL_RULE = 240,    // panel rules
    UI_COL_TITLE = 252,
    UI_COL_OK = 40,       // RUNNING
    UI_COL_WARN = 220,    // PAUSED
    UI_COL_GEN = 51,      // GENERATING
    UI_COL_ERR = 196,     // errors, STOPPED
    UI_COL_HELP_BG = 235,
};

// Colour of a key group in every widget, by UiGroup (ui/snapshot.h): compressed, memory, current.
int ui_group_color(int group);

// Palette index of ramp level 0..UI_RAMP_LEVELS-1 (dark blue-black .. white through red and yellow).
int ui_ramp_color(int level);
// Level of t in [0,1] (clamped; NAN gives 0).
int ui_ramp_level(float t, int levels);
// Nearest of the 8 basic colours (0..7, curses order: red=1, green=2, blue=4); -1 stays -1.
int ui_color_to8(int c);

#endif
