// memscope tui (and memscope with no command): the terminal UI. This file is the UI thread: it sets the
// run up like `train` does, starts curses and the trainer thread (app/tui_trainer.c), then runs the frame
// loop of ui/tui.h: read keys (posting commands into the queue), copy the newest snapshot out of the box,
// draw. Only this thread calls curses and readline; only the trainer thread touches the model.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "app/session.h"
#include "app/config_help.h"
#include "app/commands.h"
#include "app/train_log.h"
#include "app/parallel.h"
#include "app/tui_follow.h"
#include "app/tui_queue.h"
#include "app/tui_trainer.h"
#include "ui/dump.h"
#include "ui/keys.h"
#include "ui/layout.h"
#include "ui/prompt.h"
#include "ui/render.h"
#include "ui/term.h"
#include "ui/tui.h"

#define DEFAULT_SAVE_PATH "memscope.safetensors"
#define FRAME_MS 33
#define VALIDATE_EVERY 200
#define VALIDATE_SEGMENTS 20

static const char *const tui_help =
    "usage: memscope [tui] [--data FILE] [--load CKPT] [--preset labml|default|large] [--set key=value]...\n"
    "                      [--seed N] [--save CKPT] [--save-every N] [--log FILE] [--valid-every SECONDS]\n"
    "                      [--steps N | --epochs N] [--minutes M] [--threads N] [--max-steps N]\n"
    "                      [--exit-after-frames N] [--force]\n"
    "The terminal UI: trains on a background thread from the first frame and shows the loss, where every\n"
    "layer's attention goes (compressed memory, memory, current segment), the text behind each memory slot\n"
    "and the reconstruction loss; type a prompt to see the model continue it. Press ? inside for the keys.\n"
    "  --data, --load, --preset, --set, --seed   as for memscope train (the model keys come from --load)\n"
    "  --save CKPT        where s, :save, --save-every and the quit question write (default\n"
    "                     ./" DEFAULT_SAVE_PATH "); Ctrl-C saves there too, but only when --save was given\n"
    "  --save-every N     save every N training steps (a failed save is reported and training goes on)\n"
    "  --log FILE         the JSONL log of memscope train: one object per step and per validation\n"
    "  --force            let --log replace a checkpoint this run did not load (s asks instead for --save)\n"
    "  --valid-every S    the whole validation split every S seconds of training (instead of 20 segments\n"
    "                     every 200 steps); validation time is not counted\n"
    "  --steps N, --max-steps N  stop training after N steps; the UI stays (Space trains on)\n"
    "  --epochs N         stop training when N epochs (from the start of training) are done\n"
    "  --minutes M        stop training after M minutes of training\n"
    "  --threads N        training threads (default: every core, %ld here)\n"
    "  --exit-after-frames N  leave after N frames (about 30 a second), for scripts\n"
    "Needs a terminal of at least 80x24.\n"
    EXIT_STATUS_HELP;

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

typedef struct {
    Options o;
    Session s;
    char corpus_name[64];
    TrainLog log;
    TuiQueue queue;
    TuiBox box;
    TuiTrainer tt;
    UiState ui;
    UiCommandType last_posted;
    int quit_posted, save_on_quit;
} App;

// UiPostFn: the UI's commands go into the queue (the trainer drains it between steps).
static void post(void *ctx, const UiCommand *in) {
    App *a = ctx;
    UiCommand copy = *in, *c = &copy;
    if (c->type == UI_CMD_QUIT) {
        a->quit_posted = 1;
        // the quit question's "save and quit": the trainer saves first and stays when that fails (QUIT is never
        // dropped, whatever happened to the SAVE before it)
        if (a->last_posted == UI_CMD_SAVE) a->save_on_quit = 1, c->ival = 1;
    }
    a->last_posted = c->type;
    if (tui_queue_push(&a->queue, c))
        ui_set_message(&a->ui, 1, "the trainer is busy (%d commands waiting): %s was dropped", TUI_QUEUE_CAP,
                       ui_command_name(c->type));
}

static void post_simple(App *a, UiCommandType type, const char *text) {
    UiCommand c;
    memset(&c, 0, sizeof c);
    c.type = type;
    if (text) snprintf(c.text, sizeof c.text, "%s", text);
    post(a, &c);
}

// Every core: the UI thread needs little (see README, "The TUI").
static long default_threads(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > MAX_SHARDS ? MAX_SHARDS : n;
}

static long tui_threads(const App *a) { return a->o.threads ? a->o.threads : default_threads(); }

static int check_limits(Options *o) {
    if (o->steps && o->max_steps) return fail("tui", "give --steps or --max-steps, not both (they mean the same)");
    if (o->steps && o->epochs) return fail("tui", "give --steps or --epochs, not both");
    if (o->steps) o->max_steps = o->steps;
    return 0;
}

// What the engine accepts beyond the panels' room is refused before the corpus is read, with the limit named;
// the output paths are checked now, like train's, not when the first save fails.
static int check_for_the_tui(const Config *cfg, void *ctx) {
    App *a = ctx;
    if (cfg->n_layers > UI_MAX_LAYERS)
        return fail("tui", "n_layers=%d is more than the %d layers the TUI shows; use n_layers <= %d here (memscope "
                    "train has no such limit)", cfg->n_layers, UI_MAX_LAYERS, UI_MAX_LAYERS), 2;
    if (cfg->n_heads > UI_MAX_HEADS)
        return fail("tui", "n_heads=%d is more than the %d heads the TUI shows; use n_heads <= %d here (memscope "
                    "train has no such limit)", cfg->n_heads, UI_MAX_HEADS, UI_MAX_HEADS), 2;
    if (a->o.save) { // another run's checkpoint is not refused here: s asks before replacing it
        Options o = a->o;
        o.force = 1;
        if (check_output_path(a->o.save, "--save", &o, "tui")) return 1;
    }
    if (a->o.log && check_output_path(a->o.log, "--log", &a->o, "tui")) return 1;
    return 0;
}

static int setup(App *a) {
    char err[1024];
    int rc = session_open(&a->s, &a->o, tui_threads(a), check_for_the_tui, a, "tui");
    if (rc) return rc;
    if (a->o.log && !par_rank() && train_log_open(&a->log, a->o.log, err, sizeof err)) return fail("tui", "%s", err);
    if (train_log_header(&a->log, &a->s.run.model->cfg, &a->s.corpus, (int)tui_threads(a), run_steps(&a->s.run), err,
                         sizeof err))
        return fail("tui", "%s", err);
    const char *slash = strrchr(a->s.corpus.source, '/');
    snprintf(a->corpus_name, sizeof a->corpus_name, "%.*s", (int)sizeof a->corpus_name - 1,
             slash ? slash + 1 : a->s.corpus.source);
    return 0;
}

static void teardown(App *a) {
    train_log_close(&a->log);
    session_close(&a->s);
}

static void install_signals(void) {
    // Installed before curses starts, so ncurses keeps its hands off SIGINT/SIGTERM. No SA_RESTART:
    // the signal interrupts the UI's wait for a key and the frame loop sees the flag at once.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

// Below the minimum size the UI draws only the "too small" message, which would hide the quit
// question; show it on the last row instead.
static void too_small_question(const App *a, Grid *g) {
    if (!a->ui.confirm_quit || !ui_layout(g->w, g->h).too_small) return;
    grid_put_str(g, 0, g->h - 1, g->w, "Unsaved progress: y save+quit, n quit, Esc cancel",
                 UI_STYLE(UI_COLOR_DEFAULT, UI_COLOR_DEFAULT, UI_A_BOLD | UI_A_REVERSE));
}

// MEMSCOPE_FRAME_STATS=1: on exit, how long drawing a frame took (render, export, blit), for measuring.
static double frame_ms[4096];
static long n_frames;

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void print_frame_stats(void) {
    long n = n_frames < 4096 ? n_frames : 4096;
    if (!getenv("MEMSCOPE_FRAME_STATS") || n < 1) return;
    qsort(frame_ms, (size_t)n, sizeof frame_ms[0], cmp_double);
    fprintf(stderr, "memscope tui: %ld frames drawn; draw time min %.2f ms, median %.2f ms, p95 %.2f ms, max %.2f ms\n",
            n_frames, frame_ms[0], frame_ms[n / 2], frame_ms[n * 95 / 100], frame_ms[n - 1]);
}

static void draw(App *a, UiSnapshot *snap, Grid *grid) {
    double t0 = now_seconds();
    if (snap->activity[0]) snap->activity_elapsed = t0 - snap->activity_since;
    ui_update(&a->ui, snap, grid->w, grid->h);
    ui_term_set_prompt_mode(a->ui.focus == UI_FOCUS_PROMPT);
    ui_render(&a->ui, snap, grid);
    too_small_question(a, grid);
    if (a->ui.dump) { // the file gets this frame; the screen then says where it went
        ui_dump_pending(&a->ui, snap, grid);
        ui_render(&a->ui, snap, grid);
        too_small_question(a, grid);
    }
    ui_term_blit(grid);
    frame_ms[n_frames++ % 4096] = (now_seconds() - t0) * 1000;
}

// The frame loop of ui/tui.h. Returns when the user quits, a signal arrives, the frame budget of
// --exit-after-frames is spent or the trainer thread ends.
static void frame_loop(App *a, Grid *grid, UiSnapshot *snap) {
    uint64_t seen = 0;
    long frames = 0;
    int dirty = 1, cols, rows;
    char fatal[512];
    while (!a->ui.quit) {
        UiEvent ev, next;
        int have_next = 0;
        for (int t = FRAME_MS; !a->ui.quit && (have_next || ui_term_read(&ev, t)); t = 0) {
            if (have_next) ev = next, have_next = 0;
            dirty = 1;
            // In the prompt a lone Escape is told from an escape sequence by what follows it; a resize
            // right after it is not a sequence (ui/term.c would pass the Escape on to readline).
            if (ev.key == 27 && a->ui.focus == UI_FOCUS_PROMPT && (have_next = ui_term_read(&next, 0)) &&
                (next.key == UI_KEY_RESIZE || next.key == UI_KEY_MOUSE))
                ev.key = UI_KEY_ESC;
            if (ev.key == UI_KEY_RESIZE) {
                ui_term_size(&cols, &rows);
                grid_resize(grid, cols, rows);
            } else if (ev.key == UI_KEY_MOUSE) {
                ui_handle_mouse(&a->ui, snap, grid->w, grid->h, ev.x, ev.y, post, a);
            } else ui_handle_key(&a->ui, ev.key, post, a);
            if (a->ui.dump) draw(a, snap, grid); // one file per request, of the screen as it is now
        }
        if (got_signal || a->ui.quit) break;
        if (tui_box_fetch(&a->box, snap, &seen) || snap->activity[0]) dirty = 1; // a save's seconds count up
        if (tui_box_done(&a->box, fatal, sizeof fatal)) {
            if (fatal[0]) ui_term_defer_error(fatal);
            break;
        }
        if (dirty) draw(a, snap, grid);
        dirty = 0;
        if (a->o.exit_after_frames && ++frames >= a->o.exit_after_frames) break;
    }
}

// After "save and quit" was posted: waits until the trainer has either finished (0) or refused to quit
// because the save failed (1).
static int stays_after_failed_save(App *a) {
    if (!a->save_on_quit || got_signal) return 0;
    while (!tui_box_done(&a->box, NULL, 0)) {
        if (tui_box_take_quit_refused(&a->box)) return 1;
        struct timespec pause = {0, 10 * 1000000L};
        nanosleep(&pause, NULL);
    }
    return 0;
}

// The terminal, the UI state, the grid and the snapshot the frames draw; returns 0, or 1 after saying why.
static int open_screen(App *a, Grid *grid, UiSnapshot **snap) {
    char err[512];
    int caps = ui_term_init(err, sizeof err);
    if (caps < 0) return fail("tui", "%s", err);
    atexit(ui_term_end);
    ui_state_init(&a->ui, caps);
    ui_compress_choices_from_engine();
    ui_prompt_init(&a->ui, NULL);
    int cols, rows;
    ui_term_size(&cols, &rows);
    *snap = malloc(sizeof **snap);
    if (!*snap || grid_init(grid, cols, rows, caps)) {
        free(*snap);
        ui_prompt_end();
        ui_term_defer_error("memscope tui: out of memory");
        ui_term_end();
        return 1;
    }
    ui_snapshot_reset(*snap);
    return 0;
}

static void configure_trainer(App *a) {
    a->tt = (TuiTrainer){.run = &a->s.run,
                         .save_path = a->o.save ? a->o.save : DEFAULT_SAVE_PATH, .load_path = a->o.load,
                         .corpus_name = a->corpus_name,
                         .max_steps = a->o.max_steps, .validate_every = a->o.valid_every ? 0 : VALIDATE_EVERY,
                         .threads = (int)tui_threads(a), .log = a->o.log ? &a->log : NULL,
                         .save_every = a->o.save_every, .valid_every = a->o.valid_every, .epochs = a->o.epochs,
                         .minutes = a->o.minutes,
                         .validate_segments = VALIDATE_SEGMENTS, .publish_interval = FRAME_MS / 1000.0,
                         .queue = &a->queue, .box = &a->box};
}

// Frames until the trainer has quit. A quit whose save failed goes back to the frames: the trainer stays
// (paused) with the error in its message, and so does the UI.
static void frames_until_quit(App *a, Grid *grid, UiSnapshot *snap) {
    for (;;) {
        frame_loop(a, grid, snap);
        if (got_signal && a->o.save && !a->quit_posted) { // like `train`: an explicit --save survives Ctrl-C
            UiCommand c = {.type = UI_CMD_QUIT, .ival = 2}; // save, then leave whatever the save did
            a->last_posted = UI_CMD_QUIT;
            post(a, &c);
            a->save_on_quit = 1;
        }
        if (!a->quit_posted) post_simple(a, UI_CMD_QUIT, NULL);
        ui_set_message(&a->ui, 0, a->save_on_quit ? "saving and quitting..." : "quitting...");
        a->ui.help = a->ui.confirm_quit = 0;
        draw(a, snap, grid);
        if (!stays_after_failed_save(a)) return;
        a->ui.quit = 0;
        a->quit_posted = a->save_on_quit = 0;
        a->last_posted = UI_CMD_QUIT;
    }
}

// Once the screen is gone: the save at quit and the training speed, on stderr.
static void print_run_summary(App *a) {
    const Config *c = &a->s.run.model->cfg;
    if (a->save_on_quit && a->tt.save_count && !a->tt.last_save_failed)
        fprintf(stderr, "memscope tui: %s\n", a->tt.last_save_msg);
    print_frame_stats();
    if (a->tt.steps_run > 0 && a->tt.run_seconds > 0)
        fprintf(stderr, "memscope tui: %ld steps in %.1f s of training, %.0f tokens/s (%ld thread%s)\n",
                a->tt.steps_run, a->tt.run_seconds,
                a->tt.steps_run * (double)c->batch_size * c->seq_len / a->tt.run_seconds,
                tui_threads(a), tui_threads(a) > 1 ? "s" : "");
}

static int run(App *a) {
    Grid grid;
    UiSnapshot *snap = NULL;
    if (open_screen(a, &grid, &snap)) return 1;
    configure_trainer(a);
    int rc = 0;
    char err[512];
    if (tui_trainer_start(&a->tt, err, sizeof err)) {
        char msg[600];
        snprintf(msg, sizeof msg, "memscope tui: %s", err);
        ui_term_defer_error(msg);
        rc = 1;
    } else {
        frames_until_quit(a, &grid, snap);
        tui_trainer_join(&a->tt);
        if (a->save_on_quit && a->tt.save_count && a->tt.last_save_failed) {
            char msg[1300];
            snprintf(msg, sizeof msg, "memscope tui: %s", a->tt.last_save_msg);
            ui_term_defer_error(msg);
            rc = 1;
        }
    }
    ui_prompt_end();
    ui_term_end();
    grid_free(&grid);
    free(snap);
    print_run_summary(a);
    return rc;
}

int cmd_tui(int argc, char **argv) {
    App *a = calloc(1, sizeof *a);
    if (!a) return fail("tui", "out of memory");
    const char *flags = "data preset set load save threads seed max-steps exit-after-frames log save-every valid-every "
                        "steps epochs minutes force";
    int rc = 0;
    char terminal_err[300];
    if (parse_options(&a->o, "tui", flags, argc, argv)) rc = 2;
    else if (a->o.help) printf(tui_help, default_threads());
    else if (check_limits(&a->o)) rc = 2;
    else if (par_rank() > 0) { // memscope-mpi: rank 0 runs the TUI, this rank trains along
        rc = setup(a);
        if (!rc) rc = tui_follow(&a->s.run);
        teardown(a);
    } else if (par_ranks() > 1 && tui_take_terminal(terminal_err, sizeof terminal_err))
        rc = fail("tui", "%s", terminal_err);
    else if (!isatty(1)) {
        fputs("memscope: stdout is not a terminal, so there is no TUI to show. Headless commands:\n"
              "  memscope train --help | eval --help | sample --help | info CKPT | bench\n", stderr);
        rc = 2;
    } else if (tui_queue_init(&a->queue) || tui_box_init(&a->box)) {
        rc = fail("tui", "out of memory");
    } else {
        rc = setup(a);
        if (!rc) {
            install_signals();
            rc = run(a);
            char fatal[512];
            if (tui_box_done(&a->box, fatal, sizeof fatal) && fatal[0]) rc = 1;
        }
        teardown(a);
        tui_box_destroy(&a->box);
        tui_queue_destroy(&a->queue);
    }
    free(a);
    return rc;
}
