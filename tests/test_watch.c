// memscope watch's reader: going back (and jumping) reaches the state that reading from the start reaches, bit
// for bit, and reading to the end gives eval's CE.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "app/watch_fill.h"
#include "app/watch_reader.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

typedef struct {
    Corpus corpus;
    Model *m;
} Setup;

static void setup(Setup *s) {
    char err[256];
    fixture_word_corpus(&s->corpus);
    Config cfg = fixture_small_config(s->corpus.vocab.size);
    s->m = model_new(&cfg, 7, err, sizeof err);
    CHECK_MSG(s->m, "%s", err);
}

// Two readers hold the same state: position, sums, live memory and cache rows, and the last segment's picture.
static void check_same(const WatchReader *a, const WatchReader *b) {
    CHECK_INT_EQ(a->segment, b->segment);
    CHECK_INT_EQ(a->pos, b->pos);
    CHECK(a->sums.ce_sum == b->sums.ce_sum && a->sums.ar_sum == b->sums.ar_sum);
    const Memory *x = &a->g.mem, *y = &b->g.mem;
    CHECK(x->m == y->m && x->cm == y->cm);
    int d = x->d;
    for (int l = 0; l < x->n_layers; l++) {
        CHECK(!memcmp(memory_rows(x, l, 0), memory_rows(y, l, 0), sizeof(float) * x->m * d));
        CHECK(!memcmp(cmemory_rows(x, l, 0), cmemory_rows(y, l, 0), sizeof(float) * x->cm * d));
        CHECK(!memcmp(kvcache_layer(&a->g.cache, l), kvcache_layer(&b->g.cache, l), sizeof(float) * (x->m + x->cm) * 2 * d));
    }
    CHECK(!memcmp(x->cmem_first, y->cmem_first, sizeof(long) * x->cm));
    CHECK(!memcmp(x->mem_pos, y->mem_pos, sizeof(long) * x->m));
    const WatchSegment *s = &a->last, *t = &b->last;
    CHECK(s->start == t->start && s->T == t->T && s->K == t->K && s->n_new == t->n_new);
    long n = (long)a->model->cfg.n_layers * a->model->cfg.n_heads * s->T * s->K;
    CHECK(s->start < 0 || !memcmp(s->probs, t->probs, sizeof(float) * n));
    CHECK(!memcmp(s->recon, t->recon, sizeof s->recon));
}

TEST(watch_back_and_jumps_equal_reading_from_the_start) {
    Setup s;
    setup(&s);
    WatchReader fwd, nav;
    long n = (long)s.corpus.n;
    size_t small = 24 * 4096; // room for a few states only: K > 1, so going back recomputes
    CHECK(!watch_reader_init(&fwd, s.m, s.corpus.ids, n, small));
    CHECK(!watch_reader_init(&nav, s.m, s.corpus.ids, n, small));
    CHECK_MSG(nav.every > 10, "every %d", nav.every);
    for (int i = 0; i < 300; i++) CHECK(watch_next(&fwd) > 0);
    for (int i = 0; i < 420; i++) CHECK(watch_next(&nav) > 0);
    watch_goto(&nav, 300); // back 120 segments
    check_same(&fwd, &nav);
    for (int i = 0; i < 5; i++) watch_goto(&nav, nav.segment - 1); // p, p, p, ...
    watch_goto(&nav, 300);
    check_same(&fwd, &nav);
    watch_goto(&nav, 0);
    CHECK(nav.pos == 0 && nav.last.start < 0 && nav.g.mem.m == 0);
    watch_goto(&nav, 300); // a jump forward
    check_same(&fwd, &nav);
    watch_reader_free(&fwd);
    watch_reader_free(&nav);
    model_free(s.m);
    corpus_free(&s.corpus);
}

// A long jump in bounded steps (what the screen does between frames): each step reads at most the segments
// asked, progress is counted, the end state is reading from the start's, bit for bit, forwards and backwards;
// a stopped jump stays where it got to with that segment's picture.
TEST(watch_jump_in_steps_equals_reading_from_the_start) {
    Setup s;
    setup(&s);
    WatchReader fwd, nav;
    long n = (long)s.corpus.n;
    size_t small = 24 * 4096;
    CHECK(!watch_reader_init(&fwd, s.m, s.corpus.ids, n, small));
    CHECK(!watch_reader_init(&nav, s.m, s.corpus.ids, n, small));
    for (int i = 0; i < 300; i++) CHECK(watch_next(&fwd) > 0);
    watch_jump_begin(&nav, 300);
    CHECK_INT_EQ(nav.jump_to, 300);
    CHECK_INT_EQ(nav.jump_total, 300);
    int steps = 0;
    while (watch_jump_step(&nav, 7)) {
        steps++;
        CHECK_INT_EQ(nav.segment, 7L * steps);
        CHECK_INT_EQ(nav.jump_done, nav.segment);
    }
    CHECK_INT_EQ(steps, 42); // 300 = 42 × 7 + 6
    CHECK_INT_EQ(nav.jump_to, -1);
    check_same(&fwd, &nav);
    for (int i = 0; i < 120; i++) CHECK(watch_next(&nav) > 0);
    watch_jump_begin(&nav, 300); // back: restores a kept state, then reads forward in steps
    CHECK(nav.segment <= 299 && nav.jump_total == 300 - nav.segment);
    while (watch_jump_step(&nav, 1)) {}
    check_same(&fwd, &nav);
    watch_jump_begin(&nav, 0);
    CHECK(nav.jump_to == -1 && nav.pos == 0 && nav.last.start < 0);
    watch_jump_begin(&nav, 4L * nav.every); // from the kept state 3K; stopped after 5 segments: one more, for its picture
    long from = nav.segment;
    CHECK_MSG(nav.jump_total > 6, "from %ld", from);
    CHECK(watch_jump_step(&nav, 5));
    watch_jump_cancel(&nav);
    CHECK(nav.jump_to == -1 && !watch_jump_step(&nav, 1) && nav.segment == from + 6);
    watch_goto(&fwd, from + 6);
    check_same(&fwd, &nav);
    watch_reader_free(&fwd);
    watch_reader_free(&nav);
    model_free(s.m);
    corpus_free(&s.corpus);
}

TEST(watch_reads_to_the_end_with_evals_ce) {
    Setup s;
    setup(&s);
    WatchReader w;
    long n = (long)s.corpus.n;
    CHECK(!watch_reader_init(&w, s.m, s.corpus.ids, n, 1 << 24));
    while (watch_next(&w) > 0) {}
    CHECK_INT_EQ(w.segment, w.n_segments);
    CHECK_INT_EQ(w.pos, n - 1);
    EvalResult r;
    evaluate_stream(s.m, s.corpus.ids, n, &r);
    CHECK(watch_ce(&w) == r.ce);
    double sum = 0;
    for (long p = 1; p < n; p++) sum += w.loss[p];
    CHECK_NEAR(sum / (n - 1), r.ce, 1e-5);
    watch_reader_free(&w);
    model_free(s.m);
    corpus_free(&s.corpus);
}

TEST(watch_fill_marks_what_the_segment_read) {
    Setup s;
    setup(&s);
    WatchReader w;
    CHECK(!watch_reader_init(&w, s.m, s.corpus.ids, (long)s.corpus.n, 1 << 24));
    for (int i = 0; i < 10; i++) watch_next(&w);
    WatchView *v = calloc(1, sizeof *v);
    watch_fill(v, &w, s.corpus.text);
    const WatchSegment *seg = &w.last; // Q = N_m = N_cm = 4, c = 2: segment [36, 40), memory 32..35, 2 slots
    CHECK(v->read == 40 && v->seg_first == 36 && v->seg_n == 4 && seg->n_mem == 4 && seg->n_cmem == 4);
    for (long p = 36; p < 40; p++) CHECK(v->mark[p - v->text_first] == WV_CUR);
    for (long p = 32; p < 36; p++) CHECK(v->mark[p - v->text_first] == WV_MEM);
    CHECK(v->mark[seg->cmem_first[0] - v->text_first] == WV_CMEM && v->slot[seg->cmem_last[3] - v->text_first] == 3);
    CHECK(v->mark[40 - v->text_first] == WV_UNREAD && isnan(v->loss[41 - v->text_first]));
    CHECK(v->mark[0] == WV_GONE && isfinite(v->loss[40 - v->text_first]));
    CHECK(v->attn.n_queries == 4 && v->attn.n_mem == 4 && v->n_event_total == seg->n_new && seg->n_new == 2);
    free(v);
    watch_reader_free(&w);
    model_free(s.m);
    corpus_free(&s.corpus);
}
