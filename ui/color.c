// Heat ramp (6x6x6 cube path) and 256 -> 8 colour reduction.
#include "ui/color.h"

#include <math.h>

// (r, g, b) steps of the 6x6x6 cube from black to white through blue, purple, red, orange, yellow.
static const unsigned char ramp_rgb[UI_RAMP_LEVELS][3] = {
    {0, 0, 0}, {0, 0, 1}, {0, 0, 2}, {1, 0, 2}, {1, 0, 3}, {2, 0, 3}, {2, 0, 2}, {3, 0, 2},
    {3, 0, 1}, {4, 0, 1}, {4, 1, 1}, {4, 1, 0}, {5, 1, 0}, {5, 2, 0}, {5, 3, 0}, {5, 3, 1},
    {5, 4, 0}, {5, 4, 1}, {5, 4, 2}, {5, 5, 1}, {5, 5, 2}, {5, 5, 3}, {5, 5, 4}, {5, 5, 5},
};

int ui_group_color(int group) {
    static const int colors[] = {UI_COL_CMEM, UI_COL_MEM, UI_COL_CUR};
    return colors[group];
}

int ui_ramp_color(int level) {
    if (level < 0) level = 0;
    if (level >= UI_RAMP_LEVELS) level = UI_RAMP_LEVELS - 1;
    const unsigned char *c = ramp_rgb[level];
    return 16 + 36 * c[0] + 6 * c[1] + c[2];
}

int ui_ramp_level(float t, int levels) {
    if (!(t > 0)) return 0;
    if (t >= 1) return levels - 1;
    int l = (int)(t * (float)levels);
    return l >= levels ? levels - 1 : l;
}

static int basic_of_rgb(int r, int g, int b) { // channels 0..5
    return (r >= 3 ? 1 : 0) | (g >= 3 ? 2 : 0) | (b >= 3 ? 4 : 0);
}

int ui_color_to8(int c) {
    if (c < 0) return -1;
    if (c < 16) return c % 8;
    if (c < 232) {
        int v = c - 16;
        return basic_of_rgb(v / 36, (v / 6) % 6, v % 6);
    }
    return c >= 244 ? 7 : 0;
}
