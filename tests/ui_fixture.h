// Shared by the UI tests (defined in test_ui_fixture.c): a fixed synthetic snapshot, golden-file comparison,
// a command recorder.
#ifndef MEMSCOPE_TESTS_UI_FIXTURE_H
#define MEMSCOPE_TESTS_UI_FIXTURE_H

#include "ui/command.h"
#include "ui/snapshot.h"

#define FULL_CAPS (UI_CAP_UTF8 | UI_CAP_COLOR | UI_CAP_256)

void ui_test_fill_snapshot(UiSnapshot *s);
// A heap snapshot filled by ui_test_fill_snapshot (free it).
UiSnapshot *ui_test_new_snapshot(void);
void ui_test_fill_lab(UiSnapshot *s);
void ui_test_golden(const char *name, const char *got);
void ui_test_utf8_locale(void);

typedef struct {
    int n;
    UiCommand cmds[32];
} UiTestRec;
// A UiPostFn that records into the UiTestRec ctx.
void ui_test_post(void *ctx, const UiCommand *c);

#endif
