// The recall task of the memory lab: facts stated and asked again after a controlled distance (see the header).
// The text is a timeline: whenever a pending fact's question is due it is asked; otherwise, with fewer than
// max_pending facts waiting, a new fact may be stated (its question is due after a distance drawn as the spec
// says); otherwise a filler word follows. Keys are three capitals not used by the last 64 facts, values
// random digits, filler lowercase words (no digits, no capitals), so nothing but the fact predicts an answer.
#include "app/recall_corpus.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/rng.h"

#define RECALL_SEED 0x726563616c6cULL // "recall"

RecallSpec recall_default_spec(void) {
    return (RecallSpec){.seed = RECALL_SEED, .bytes = 1000000, .min_distance = 16, .near = 32, .near_percent = 50,
                        .max_distance = 140, .max_pending = 1, .value_digits = 1};
}

// Rng state set directly (no rng_seed mixing) so the text stays what it was for every seed.
static long below(Rng *r, long n) { return (long)(rng_next(r) % (uint64_t)n); }

static const char *const filler[] = {
    "the", "a", "cat", "dog", "sat", "ran", "on", "in", "under", "over", "mat", "hill", "river", "and", "then",
    "slowly", "quickly", "we", "they", "walked", "saw", "green", "old", "small", "house", "road", "rain", "sun",
    "morning", "evening", "bird", "tree", "stone", "was", "were", "near", "far", "with", "without", "some",
    "many", "little", "quiet", "loud", "boat", "field", "wind", "light", "dark", "long",
};
#define N_FILLER ((long)(sizeof filler / sizeof filler[0]))

typedef struct {
    char key[4];
    char value[9];
    long due; // ask once the text reaches this position
} Pending;

typedef struct {
    unsigned char *text;
    size_t n, cap;
} Buf;

static void put(Buf *b, const char *s) {
    size_t k = strlen(s);
    if (b->n + k > b->cap) k = b->cap - b->n;
    memcpy(b->text + b->n, s, k);
    b->n += k;
}

// The pending fact whose question is due at position pos (the earliest due first); -1 when none is.
static int question_due(const Pending *pend, int n_pend, long pos) {
    int due = -1;
    for (int i = 0; i < n_pend; i++)
        if (pos >= pend[i].due && (due < 0 || pend[i].due < pend[due].due)) due = i;
    return due;
}

// A key unused by the last 64 facts, so an answer is never predicted by an older fact with the same key.
static void fresh_key(Rng *r, char key[4], char recent[64][4], long *n_recent) {
    for (int clash = 1; clash;) {
        for (int k = 0; k < 3; k++) key[k] = (char)('A' + below(r, 26));
        key[3] = 0;
        clash = 0;
        for (long i = 0; i < 64 && i < *n_recent; i++) clash |= !strcmp(recent[i], key);
    }
    memcpy(recent[(*n_recent)++ % 64], key, 4);
}

// Writes "key KEY is VALUE. " (p's key is already drawn) and when its question is due: near_percent of
// the distances are drawn from [lo, near], the rest from [near, hi].
static void state_fact(Buf *b, Rng *r, Pending *p, const RecallSpec *spec, int digits, long lo, long hi) {
    char line[64];
    for (int k = 0; k < digits; k++) p->value[k] = (char)('0' + below(r, 10));
    p->value[digits] = 0;
    snprintf(line, sizeof line, "key %s is ", p->key);
    put(b, line);
    long source = (long)b->n;
    put(b, p->value);
    put(b, ". ");
    long near = spec->near < lo ? lo : spec->near > hi ? hi : spec->near;
    long d = below(r, 100) < spec->near_percent ? lo + below(r, near - lo + 1) : near + below(r, hi - near + 1);
    p->due = source + d - 12; // the answer comes right after "what is KEY?" (12 characters)
}

unsigned char *recall_generate(const RecallSpec *spec, size_t *n) {
    *n = 0;
    int digits = spec->value_digits < 1 ? 1 : spec->value_digits > 8 ? 8 : spec->value_digits;
    int max_pending = spec->max_pending < 1 ? 1 : spec->max_pending > 8 ? 8 : spec->max_pending;
    long lo = spec->min_distance < 1 ? 1 : spec->min_distance, hi = spec->max_distance < lo ? lo : spec->max_distance;
    Buf b = {malloc(spec->bytes + 1), 0, spec->bytes};
    if (!b.text) return NULL;
    Rng r = {.state = spec->seed};
    Pending pend[8];
    int n_pend = 0;
    char recent[64][4] = {{0}};
    long n_recent = 0;
    while (b.n < b.cap) {
        int due = question_due(pend, n_pend, (long)b.n);
        if (due >= 0) {
            char line[64];
            snprintf(line, sizeof line, "what is %s?%s. ", pend[due].key, pend[due].value);
            put(&b, line);
            pend[due] = pend[--n_pend];
        } else if (n_pend < max_pending && below(&r, 100) < 25) {
            fresh_key(&r, pend[n_pend].key, recent, &n_recent);
            state_fact(&b, &r, &pend[n_pend++], spec, digits, lo, hi);
        } else {
            put(&b, filler[below(&r, N_FILLER)]);
            put(&b, below(&r, 12) ? " " : ".\n");
        }
    }
    *n = b.n;
    return b.text;
}

unsigned char *recall_corpus_generate(size_t *n) {
    RecallSpec s = recall_default_spec();
    return recall_generate(&s, n);
}

// ---------------------------------------------------------------------------------------------------------
// Reading the answers back

typedef struct {
    char key[9];
    long pos, len;
} Fact;

static int is_key_char(unsigned char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

// KEY at text[i] up to 8 key characters followed by `end`; returns its length or 0.
static long key_at(const unsigned char *text, size_t n, size_t i, const char *end, char *key) {
    long k = 0;
    while (i + k < n && k < 8 && is_key_char(text[i + k])) k++;
    size_t e = strlen(end);
    if (k == 0 || i + k + e > n || memcmp(text + i + k, end, e)) return 0;
    memcpy(key, text + i, k);
    key[k] = 0;
    return k;
}

static long digits_at(const unsigned char *text, size_t n, size_t i) {
    long k = 0;
    while (i + k < n && is_digit(text[i + k])) k++;
    return k;
}

long recall_find_answers(const unsigned char *text, size_t n, RecallAnswer **out) {
    *out = NULL;
    enum { RING = 256 };
    Fact facts[RING];
    long n_facts = 0, count = 0, cap = 0;
    RecallAnswer *answers = NULL;
    for (size_t i = 0; i + 4 < n; i++) {
        char key[9];
        if (!memcmp(text + i, "key ", 4) && (i == 0 || text[i - 1] == ' ' || text[i - 1] == '\n')) {
            long k = key_at(text, n, i + 4, " is ", key);
            if (!k) continue;
            size_t v = i + 4 + k + 4;
            long len = digits_at(text, n, v);
            if (!len) continue;
            Fact *f = &facts[n_facts++ % RING];
            memcpy(f->key, key, sizeof key);
            f->pos = (long)v;
            f->len = len;
        } else if (i + 8 < n && !memcmp(text + i, "what is ", 8)) {
            long k = key_at(text, n, i + 8, "?", key);
            if (!k) continue;
            size_t a = i + 8 + k + 1;
            if (a < n && text[a] == ' ') a++; // "what is KEY? VALUE" reads too
            long len = digits_at(text, n, a);
            const Fact *f = NULL;
            for (long j = n_facts - 1; j >= 0 && j >= n_facts - RING && !f; j--)
                if (!strcmp(facts[j % RING].key, key)) f = &facts[j % RING];
            if (!f || len != f->len || memcmp(text + a, text + f->pos, len)) continue; // not a recall of a fact
            if (count == cap) {
                cap = cap ? 2 * cap : 1024;
                RecallAnswer *grown = realloc(answers, sizeof *answers * cap);
                if (!grown) {
                    free(answers);
                    return -1;
                }
                answers = grown;
            }
            answers[count++] = (RecallAnswer){(long)a, f->pos, len, (long)a - f->pos};
        }
    }
    *out = answers;
    return count;
}

// ---------------------------------------------------------------------------------------------------------
// Accuracy by distance

void recall_report_init(RecallReport *r, const Config *c) {
    memset(r, 0, sizeof *r);
    long Q = c->seq_len, Nm = c->mem_len, Ncm = c->c_mem_len, rate = c->compression_rate;
    long edges[4] = {Nm, Nm + Q, Nm + Ncm + Q, Nm + rate * Ncm + Q};
    const char *labels[5] = {"D <= N_m", "N_m < D <= N_m+Q", "N_m+Q < D <= N_m+N_cm+Q", "N_m+N_cm+Q < D <= N_m+c*N_cm+Q",
                             "D > N_m+c*N_cm+Q"};
    long lo = 0;
    for (int i = 0; i < 5; i++) {
        long hi = i < 4 ? edges[i] : LONG_MAX;
        if (hi <= lo) continue; // empty (e.g. no compressed memory)
        RecallBucket *b = &r->b[r->n++];
        b->lo = lo;
        b->hi = hi;
        snprintf(b->label, sizeof b->label, "%s", labels[i]);
        lo = hi;
    }
}

void recall_report_add(RecallReport *r, const RecallAnswer *answers, long n_answers, const uint8_t *correct,
                       long n_scored) {
    for (long i = 0; i < n_answers; i++) {
        const RecallAnswer *a = &answers[i];
        if (a->pos + a->len > n_scored || a->pos < 1) continue;
        RecallBucket *b = NULL;
        for (int k = 0; k < r->n && !b; k++)
            if (a->distance > r->b[k].lo && a->distance <= r->b[k].hi) b = &r->b[k];
        if (!b) continue;
        long right = 0;
        for (long j = 0; j < a->len; j++) right += correct[a->pos + j] != 0;
        b->chars += a->len;
        b->chars_right += right;
        b->answers++;
        b->answers_right += right == a->len;
        r->chars += a->len;
        r->chars_right += right;
        r->answers++;
        r->answers_right += right == a->len;
    }
}

static double ratio(long a, long b) { return b ? (double)a / b : 0.0; }

void recall_range_text(const RecallBucket *b, char *out, size_t n) {
    if (b->hi == LONG_MAX) snprintf(out, n, "> %ld", b->lo);
    else snprintf(out, n, "%ld-%ld", b->lo + 1, b->hi);
}

void recall_report_print(const RecallReport *r, const char *indent) {
    printf("%s%-10s %-32s %8s %9s %9s\n", indent, "distance", "reach", "answers", "char acc", "exact");
    for (int k = 0; k < r->n; k++) {
        const RecallBucket *b = &r->b[k];
        char range[48];
        recall_range_text(b, range, sizeof range);
        printf("%s%-10s %-32s %8ld %8.1f%% %8.1f%%\n", indent, range, b->label, b->answers,
               100 * ratio(b->chars_right, b->chars), 100 * ratio(b->answers_right, b->answers));
    }
}

void recall_report_json(const RecallReport *r, char *out, size_t outlen) {
    size_t k = 0;
#define EMIT(...) (k += (size_t)snprintf(out + k, k < outlen ? outlen - k : 0, __VA_ARGS__))
    EMIT("{\"buckets\":[");
    for (int i = 0; i < r->n; i++) {
        const RecallBucket *b = &r->b[i];
        EMIT("%s{\"lo\":%ld,", i ? "," : "", b->lo);
        if (b->hi == LONG_MAX) EMIT("\"hi\":null,");
        else EMIT("\"hi\":%ld,", b->hi);
        EMIT("\"label\":\"%s\",\"chars\":%ld,\"char_accuracy\":%.4f,\"answers\":%ld,\"answer_accuracy\":%.4f}", b->label,
             b->chars, ratio(b->chars_right, b->chars), b->answers, ratio(b->answers_right, b->answers));
    }
    EMIT("],\"chars\":%ld,\"char_accuracy\":%.4f,\"answers\":%ld,\"answer_accuracy\":%.4f}", r->chars,
         ratio(r->chars_right, r->chars), r->answers, ratio(r->answers_right, r->answers));
#undef EMIT
}
