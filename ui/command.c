// Names of the UI commands (for logs and test messages).
#include "ui/command.h"

const char *ui_command_name(UiCommandType t) {
    static const char *const names[UI_CMD_COUNT] = {
        "none",    "pause",    "resume",   "toggle_pause", "step",     "rate_up",
        "rate_down", "set_rate", "validate", "save",       "generate", "set_temp",
        "set_len", "set_topk", "quit",     "view_layer", "compress_next", "set_compress", "set_compress_loss",
    };
    return (t >= 0 && t < UI_CMD_COUNT) ? names[t] : "?";
}
