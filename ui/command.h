// UiCommand: what the UI asks of the app. The UI never acts on the model itself: it calls
// post(ctx, &cmd) and the app queues the command for the trainer thread (which drains it between
// steps). `post` copies nothing for the UI: the command is only valid during the call.
#ifndef MEMSCOPE_UI_COMMAND_H
#define MEMSCOPE_UI_COMMAND_H

#define UI_CMD_TEXT_BYTES 1024

typedef enum {
    UI_CMD_NONE,
    UI_CMD_PAUSE,        // stop stepping (finishes the current step)
    UI_CMD_RESUME,
    UI_CMD_TOGGLE_PAUSE, // for scripting; the keyboard posts PAUSE / RESUME
    UI_CMD_STEP,         // one training step while paused
    UI_CMD_RATE_UP,      // compression rate + 1 (takes effect at the next compression)
    UI_CMD_RATE_DOWN,    // compression rate - 1 (never below 1)
    UI_CMD_SET_RATE,     // ival = new rate
    UI_CMD_VALIDATE,     // evaluate the validation batches now
    UI_CMD_SAVE,         // text = path, "" = the default checkpoint path
    UI_CMD_GENERATE,     // text = prompt; ival = length, fval = temperature, top_k
    UI_CMD_SET_TEMP,     // fval
    UI_CMD_SET_LEN,      // ival
    UI_CMD_SET_TOPK,     // ival (0 = off)
    UI_CMD_QUIT,         // leave (after any save already posted)
    UI_CMD_VIEW_LAYER,   // ival = layer the UI now shows: collect its attention into snapshot.attn.
                         // A view hint only, it does not change training.
    UI_CMD_COMPRESS_NEXT, // the next compression function, in the engine's order (the last wraps to the first)
    UI_CMD_SET_COMPRESS,  // text = compression function name (from the next compression on)
    UI_CMD_SET_COMPRESS_LOSS, // text = compression loss name
    UI_CMD_COUNT
} UiCommandType;

typedef struct {
    UiCommandType type;
    int ival;
    float fval;
    int top_k;
    char text[UI_CMD_TEXT_BYTES]; // NUL-terminated
} UiCommand;

typedef void (*UiPostFn)(void *ctx, const UiCommand *cmd);

// "pause", "rate_up", ... for logs and tests.
const char *ui_command_name(UiCommandType t);

#endif
