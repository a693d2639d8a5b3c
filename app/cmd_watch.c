// memscope watch and memscope demo: a trained model reads a text, segment by segment, in a read-only TUI.
// One thread: between frames it carries out the keys' actions on the reader (app/watch_reader.h), fills the
// WatchView (app/watch_fill.h) and draws it (ui/watch_view.h). The model and the checkpoint are only read.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "app/cli.h"
#include "ui/export.h"
#include "app/commands.h"
#include "app/watch_fill.h"
#include "app/watch_reader.h"
#include "ui/keys.h"
#include "ui/term.h"
#include "ui/watch_data.h"
#include "ui/watch_view.h"

#define FRAME_MS 33
#define STATE_BUDGET ((size_t)256 << 20) // bytes of kept states (going back)
#define DEMO_MODEL "data/demo-shakespeare.safetensors"
#define DEMO_DATA "data/tinyshakespeare.txt"
#define DEMO_MODEL_NAME "demo-shakespeare.safetensors"
#define DEMO_DATA_NAME "tinyshakespeare.txt"

static const char *const watch_help =
    "usage: memscope watch --load CKPT (--data FILE | --text STRING) [--threads N] [--exit-after-frames N]\n"
    "A trained model reads the text as one stream, segment by segment, with memory and compressed memory carried\n"
    "as `memscope eval` does; nothing moves until a key. n/Right next segment, p/Left back one, Space play/pause,\n"
    "+/- speed, g go to a character (Esc stops a long jump), Up/Down (or a click) pick the character whose\n"
    "attention is shown, Tab layer, h mean/each head, d the screen as SVG, : a command (:dump [FILE]\n"
    ".svg/.txt/.ans, :dump-data FILE .csv/.json), q quit. The text is coloured by the model's surprise and shows\n"
    "what memory holds and what was compressed into which slot. Read-only: no optimizer, no gradient; the\n"
    "checkpoint is not touched.\n"
    "--measure N (no terminal): reads N segments, then goes back 100 with p and jumps back 100 with g, and prints\n"
    "the times (one thread unless --threads).\n"
    EXIT_STATUS_HELP;

static const char *const demo_help =
    "usage: memscope demo [--data FILE] [--threads N] [--exit-after-frames N]\n"
    "`memscope watch` on the shipped model (" DEMO_MODEL ", made by `make demo-model`) reading the\n"
    "held-out 10% of Tiny Shakespeare (" DEMO_DATA ", or --data), with a guided tour (? shows it again).\n"
    "t starts training from the shipped model in the ordinary TUI.\n"
    EXIT_STATUS_HELP;

static volatile sig_atomic_t got_signal;
static void on_signal(int sig) { got_signal = sig; }

typedef struct {
    WatchReader r;
    WatchView *v;
    WatchUi ui;
    const unsigned char *text;
    long exit_after_frames;
    int train; // t was pressed (demo): the caller starts the training TUI
    int dump;  // d or :dump: export the next frame
    char dump_path[WV_PATH]; // "" = a default name
    long jump_pos; // the character a jump under way goes to
} Watch;

// A jump under way reads segments for at most JUMP_SLICE seconds a frame, so the screen shows its progress and
// Esc (stop where it got to) and q (quit) are heard.
#define JUMP_SLICE 0.05

// A key while jumping: Esc stops the jump where it got to, q quits, anything else waits. Returns 1 for quit.
static int jump_key(Watch *w, int key) {
    if (key == 'q' || key == 'Q') return 1;
    if (key == UI_KEY_ESC || key == 27) {
        watch_jump_cancel(&w->r);
        snprintf(w->v->message, sizeof w->v->message, "jump to character %ld stopped at character %ld", w->jump_pos, w->r.pos);
    }
    return 0;
}

// Reads the jump's next slice; returns 1 while it goes on (the message says how far it got).
static int jump_slice(Watch *w) {
    double start = now_seconds();
    while (watch_jump_step(&w->r, 1) && now_seconds() - start < JUMP_SLICE) {}
    if (w->r.jump_to < 0) {
        w->v->message[0] = 0;
        return 0;
    }
    snprintf(w->v->message, sizeof w->v->message, "jumping to character %ld: %ld of %ld segments \xc2\xb7 Esc stops here",
             w->jump_pos, w->r.jump_done, w->r.jump_total);
    return 1;
}

// :dump-data FILE: the numbers behind the view now on screen, as a new .csv or .json file.
static void dump_data(Watch *w, const char *path) {
    size_t n = strlen(path);
    int json = n > 5 && !strcasecmp(path + n - 5, ".json");
    char *text = json ? ui_watch_data_json(&w->ui, w->v) : ui_watch_data_csv(&w->ui, w->v), err[WV_PATH + 100];
    if (!text) snprintf(w->v->message, sizeof w->v->message, "dump failed: out of memory");
    else if (ui_export_write_new(path, text, err, sizeof err))
        snprintf(w->v->message, sizeof w->v->message, "dump failed: %.120s", err);
    else snprintf(w->v->message, sizeof w->v->message, "wrote %.120s: the numbers behind the view", path);
    free(text);
}

static void act(Watch *w, WatchAction a) {
    w->v->message[0] = 0;
    switch (a.type) {
    case WA_NEXT:
        if (!watch_next(&w->r)) snprintf(w->v->message, sizeof w->v->message, "the end of the text: p goes back, g jumps");
        break;
    case WA_BACK:
        if (w->r.segment > 0) watch_goto(&w->r, w->r.segment - 1);
        break;
    case WA_PLAY: w->v->playing = !w->v->playing; break;
    case WA_GOTO:
        if (a.pos >= w->r.n - 1) snprintf(w->v->message, sizeof w->v->message, "character %ld is beyond the text (%ld characters)", a.pos, w->r.n);
        else {
            w->ui.note[0] = 0;
            w->jump_pos = a.pos;
            watch_jump_begin(&w->r, watch_segment_of(&w->r, a.pos) + 1);
        }
        break;
    case WA_LAYER: w->v->layer = a.layer; break;
    case WA_TRAIN: w->train = 1; break;
    case WA_DUMP: w->dump = 1, memcpy(w->dump_path, a.path, sizeof w->dump_path); break;
    case WA_DUMP_DATA: dump_data(w, a.path); break;
    case WA_NONE: case WA_QUIT: break;
    }
}

// While playing, reads the segments due at the current speed (at most a few per frame).
static int play(Watch *w, double *due, double dt) {
    if (!w->v->playing) return 0;
    *due += dt * w->v->speed;
    int stepped = 0;
    while (*due >= 1 && stepped < 8) {
        *due -= 1;
        if (!watch_next(&w->r)) {
            w->v->playing = 0;
            snprintf(w->v->message, sizeof w->v->message, "the end of the text");
            break;
        }
        stepped = 1;
    }
    if (*due > 8) *due = 0; // slower than asked: do not pile up
    return stepped;
}

// d (or :dump alone): the screen as an SVG in the current directory, named by the character read and the
// time; :dump FILE: .svg, .txt or .ans by its extension. Never over an existing file (the training TUI's `d`
// and `:dump` write through the same exporter).
static void dump_screen(Watch *w, const Grid *grid) {
    char path[WV_PATH], err[WV_PATH + 100];
    w->dump = 0;
    int rc;
    if (w->dump_path[0]) {
        snprintf(path, sizeof path, "%s", w->dump_path);
        rc = ui_export_grid(grid, path, err, sizeof err);
    } else rc = ui_export_grid_default(grid, w->r.pos, path, sizeof path, err, sizeof err);
    if (rc)
        snprintf(w->v->message, sizeof w->v->message, "dump failed: %.120s", err);
    else snprintf(w->v->message, sizeof w->v->message, "wrote %.120s", path);
}

static void loop(Watch *w, Grid *grid) {
    long frames = 0;
    double due = 0, last = now_seconds();
    int dirty = 1, quit = 0, cols, rows;
    while (!quit && !got_signal && !w->train) {
        UiEvent ev;
        for (int t = FRAME_MS; !quit && ui_term_read(&ev, t); t = 0) {
            dirty = 1;
            if (ev.key == UI_KEY_RESIZE) {
                ui_term_size(&cols, &rows);
                grid_resize(grid, cols, rows);
            } else if (w->r.jump_to >= 0) quit = jump_key(w, ev.key);
            else if (ev.key == UI_KEY_MOUSE) ui_watch_click(&w->ui, w->v, grid->w, grid->h, ev.x, ev.y);
            else {
                WatchAction a = ui_watch_key(&w->ui, w->v, ev.key, &w->v->speed);
                if (a.type == WA_QUIT) quit = 1;
                else act(w, a);
            }
        }
        int was_jumping = w->r.jump_to >= 0, jumping = was_jumping && jump_slice(w);
        double now = now_seconds();
        dirty |= was_jumping ? 1 : play(w, &due, now - last);
        last = now;
        if (dirty) {
            if (!jumping) watch_fill(w->v, &w->r, w->text); // mid-jump the last picture is stale: keep the view
            ui_watch_render(&w->ui, w->v, grid);
            if (w->dump) { // the screen exactly as drawn, then again with the message saying where it went
                dump_screen(w, grid);
                ui_watch_render(&w->ui, w->v, grid);
            }
            ui_term_blit(grid);
        }
        dirty = 0;
        if (w->exit_after_frames && ++frames >= w->exit_after_frames) break;
    }
}

// The TUI over an opened model and text; returns the exit status (*train set when t was pressed).
static int run_watch(Model *m, const Corpus *c, const char *title, int demo, long exit_after_frames, int *train) {
    Watch *w = calloc(1, sizeof *w);
    WatchView *v = calloc(1, sizeof *v);
    if (!w || !v || watch_reader_init(&w->r, m, c->ids, (long)c->n, STATE_BUDGET)) {
        if (w) watch_reader_free(&w->r);
        free(w), free(v);
        return fail(demo ? "demo" : "watch", "out of memory for the reader of %zu characters", c->n);
    }
    w->v = v, w->text = c->text, w->exit_after_frames = exit_after_frames;
    v->speed = 4, v->demo = demo, v->layer = 0;
    snprintf(v->title, sizeof v->title, "%.*s", (int)sizeof v->title - 1, title);
    char err[512];
    int caps = ui_term_init(err, sizeof err), rc = 0;
    if (caps < 0) rc = fail(demo ? "demo" : "watch", "%s", err);
    else {
        atexit(ui_term_end);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        ui_watch_init(&w->ui, caps, demo);
        int cols, rows;
        ui_term_size(&cols, &rows);
        Grid grid;
        if (grid_init(&grid, cols, rows, caps)) rc = 1;
        else {
            loop(w, &grid);
            grid_free(&grid);
        }
        ui_term_end();
        fprintf(stderr, "memscope %s: read %ld of %ld characters, CE %.4f (%ld segments computed)\n", demo ? "demo" : "watch",
                w->r.pos, w->r.n, w->r.pos ? watch_ce(&w->r) : 0.0, w->r.segments_computed);
    }
    *train = w->train;
    watch_reader_free(&w->r);
    free(w), free(v);
    return rc;
}

// --measure N: reads N segments (each read and filled as the screen would be), then goes back 100 segments one
// p at a time, then jumps back 100 at once; prints the times. No terminal needed.
static int measure(Model *m, const Corpus *c, long segments) {
    WatchReader *r = calloc(1, sizeof *r);
    WatchView *v = calloc(1, sizeof *v);
    int rc = !r || !v || watch_reader_init(r, m, c->ids, (long)c->n, STATE_BUDGET);
    if (rc) fail("watch", "out of memory for the reader");
    else if (segments > r->n_segments) {
        fail("watch", "--measure %ld is more than the text's %ld segments (of %d characters); give at most %ld or a "
             "longer text", segments, r->n_segments, m->cfg.seq_len, r->n_segments);
        rc = 2;
    } else {
        double t0 = now_seconds();
        long read = 0;
        for (; read < segments && watch_next(r); read++) watch_fill(v, r, c->text);
        double t1 = now_seconds();
        long computed = r->segments_computed;
        for (int i = 0; i < 100 && r->segment > 0; i++) {
            watch_goto(r, r->segment - 1);
            watch_fill(v, r, c->text);
        }
        double t2 = now_seconds();
        long back_computed = r->segments_computed - computed;
        watch_goto(r, read);
        double t3 = now_seconds();
        watch_goto(r, read - 100);
        watch_fill(v, r, c->text);
        double t4 = now_seconds();
        printf("watch: %zu characters, %ld segments of %d; states every %d segments (%d recent, %.1f MB each)\n", c->n,
               r->n_segments, m->cfg.seq_len, r->every, r->n_recent, r->state_bytes / 1e6);
        printf("  segment step (read + fill the screen): %.2f ms, mean of %ld\n", 1e3 * (t1 - t0) / (read ? read : 1), read);
        printf("  100 steps back with p from segment %ld: %.3f s in all (%ld segments re-read), %.1f ms per step\n", read,
               t2 - t1, back_computed, 10 * (t2 - t1));
        printf("  one jump back 100 segments with g: %.3f s\n", t4 - t3);
    }
    if (r) watch_reader_free(r);
    free(r), free(v);
    return rc;
}

static void describe(char *out, size_t n, const Config *c, const char *path) {
    const char *slash = strrchr(path, '/');
    snprintf(out, n, "d%d L%d H%d Q%d N_m%d N_cm%d c%d \xc2\xb7 %s", c->d_model, c->n_layers, c->n_heads, c->seq_len,
             c->mem_len, c->c_mem_len, c->compression_rate, slash ? slash + 1 : path);
}

// The screen shows at most UI_MAX_LAYERS layers and UI_MAX_HEADS heads (as the training TUI): a bigger model is
// refused at start, with the limit named, rather than shown in part.
static int beyond_the_screen(const char *cmd, const Config *c) {
    if (c->n_layers > UI_MAX_LAYERS)
        return fail(cmd, "the model has %d layers, more than the %d the screen shows; watch models with n_layers <= %d "
                    "(memscope eval reads any)", c->n_layers, UI_MAX_LAYERS, UI_MAX_LAYERS), 1;
    if (c->n_heads > UI_MAX_HEADS)
        return fail(cmd, "the model has %d heads, more than the %d the screen shows; watch models with n_heads <= %d "
                    "(memscope eval reads any)", c->n_heads, UI_MAX_HEADS, UI_MAX_HEADS), 1;
    return 0;
}

// Opens the checkpoint and the text in its vocabulary (held_out: only the last 10% of it) and runs the TUI.
static int open_and_run(const char *cmd, const char *ckpt, const char *data, const char *text, int held_out,
                        const Options *o, long measure_segments, int *train) {
    char err[1024], title[160];
    Checkpoint ck;
    Corpus c;
    memset(&c, 0, sizeof c);
    if (checkpoint_open(&ck, ckpt, err, sizeof err)) return fail(cmd, "%s", err);
    int rc = 1;
    Model *m = NULL;
    if (!measure_segments && beyond_the_screen(cmd, &ck.cfg)) {
        rc = 2;
        goto done;
    }
    if (text) {
        size_t n = strlen(text);
        unsigned char *copy = malloc(n + 1);
        if (!copy) goto done;
        memcpy(copy, text, n + 1);
        if (corpus_from_text(&c, copy, n, "--text", err, sizeof err)) {
            fail(cmd, "%s", err);
            goto done;
        }
    } else if (load_corpus(&c, data, cmd)) goto done;
    if (held_out) { // the held-out 10%: the text after the training split
        memmove(c.text, c.text + c.n_train, c.n - c.n_train);
        c.n -= c.n_train;
    }
    if (encode_with_vocab(&c, &ck.vocab, cmd) || !(m = build_model(&ck.cfg, &ck, cmd))) goto done;
    set_threads(o->threads ? o->threads : 1);
    describe(title, sizeof title, &ck.cfg, ckpt);
    rc = measure_segments ? measure(m, &c, measure_segments)
                          : run_watch(m, &c, title, held_out, o->exit_after_frames, train);
done:
    model_free(m);
    if (c.text) corpus_free(&c);
    checkpoint_close(&ck);
    return rc;
}

// Takes `--name VALUE` out of argv (parse_options does not know it); NULL when absent.
static const char *take_flag(int *argc, char **argv, const char *name) {
    for (int i = 0; i + 1 < *argc; i++)
        if (!strcmp(argv[i], name)) {
            const char *v = argv[i + 1];
            memmove(argv + i, argv + i + 2, sizeof(char *) * (size_t)(*argc - i - 2));
            *argc -= 2;
            return v;
        }
    return NULL;
}

static int need_terminal(const char *cmd) {
    if (isatty(1)) return 0;
    fail(cmd, "stdout is not a terminal, so there is nothing to watch on; run it in a terminal");
    return 1;
}

int cmd_watch(int argc, char **argv) {
    Options o;
    const char *text = take_flag(&argc, argv, "--text"), *measure_arg = take_flag(&argc, argv, "--measure");
    char *end = NULL;
    long measure_segments = measure_arg ? strtol(measure_arg, &end, 10) : 0;
    if (measure_arg && (end == measure_arg || *end || measure_segments < 101 || measure_segments > 100000000))
        return fail("watch", "--measure '%s' is not valid; use a whole number of segments from 101 to 100000000", measure_arg), 2;
    if (parse_options(&o, "watch", "load data threads exit-after-frames", argc, argv)) return 2;
    if (o.help) return fputs(watch_help, stdout), 0;
    if (!o.load) return fail("watch", "--load CKPT is required; see memscope watch --help"), 2;
    if (!o.data == !text) return fail("watch", "give the text to read: --data FILE or --text STRING (one of them)"), 2;
    if (text && strlen(text) < 2)
        return fail("watch", "--text is %s; give at least 2 characters (the model predicts each from the ones before)",
                    *text ? "1 character" : "empty"), 2;
    if (!measure_segments && need_terminal("watch")) return 2;
    int train = 0;
    return open_and_run("watch", o.load, o.data, text, 0, &o, measure_segments, &train);
}

// A file that comes with memscope: beside the binary once installed (BIN/../share/memscope/NAME), in the
// source tree's data/ (build/../data/NAME), or in ./data/NAME; the first readable one, else ./data/NAME.
static const char *shipped_file(const char *name, char *buf, size_t n) {
    char exe[4096];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    char *slash = k > 0 ? (exe[k] = 0, strrchr(exe, '/')) : NULL;
    if (slash) {
        *slash = 0;
        const char *beside[] = {"../share/memscope", "../data"};
        for (int i = 0; i < 2; i++) {
            snprintf(buf, n, "%s/%s/%s", exe, beside[i], name);
            if (!access(buf, R_OK)) return buf;
        }
    }
    snprintf(buf, n, "data/%s", name);
    return buf;
}

int cmd_demo(int argc, char **argv) {
    Options o;
    if (parse_options(&o, "demo", "data threads exit-after-frames", argc, argv)) return 2;
    if (o.help) return fputs(demo_help, stdout), 0;
    char model_buf[4200], data_buf[4200];
    const char *model = getenv("MEMSCOPE_DEMO_MODEL");
    if (!model) model = shipped_file(DEMO_MODEL_NAME, model_buf, sizeof model_buf);
    if (access(model, R_OK))
        return fail("demo", "the shipped model %s is missing: run `make demo-model` in the source tree (it trains it "
                    "from the corpus), or point MEMSCOPE_DEMO_MODEL at a copy", model);
    const char *data = o.data ? o.data : shipped_file(DEMO_DATA_NAME, data_buf, sizeof data_buf);
    if (access(data, R_OK))
        return fail("demo", "%s is missing (the held-out passage comes from it): give --data FILE (a copy of Tiny "
                    "Shakespeare), or run `make data` in the source tree", data);
    if (need_terminal("demo")) return 2;
    int train = 0, rc = open_and_run("demo", model, data, NULL, 1, &o, 0, &train);
    if (rc || !train) return rc;
    char threads[24];
    snprintf(threads, sizeof threads, "%ld", o.threads);
    char *args[] = {"--load", (char *)model, "--data", (char *)data, "--threads", threads, NULL};
    return cmd_tui(o.threads ? 6 : 4, args); // --threads as given to demo, else the TUI's default
}
