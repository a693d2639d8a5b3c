// The UI state's start values and its message line.
#include "ui/state.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void ui_state_init(UiState *ui, int caps) {
    memset(ui, 0, sizeof *ui);
    ui->caps = caps;
    ui->head = -1;
    ui->run_state = UI_RUN_RUNNING;
    ui->gen = (UiGenSettings){200, 0.8f, 0};
}

void ui_set_message(UiState *ui, int is_error, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ui->message, sizeof ui->message, fmt, ap);
    va_end(ap);
    ui->message_error = is_error;
}
