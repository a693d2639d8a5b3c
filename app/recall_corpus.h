// The memory lab's recall task: text that states facts, a short key and a value ("key QXA is 7."),
// and asks for them again after a controlled distance with filler in between ("what is QXA?7."). The answer
// follows the '?' directly, so the character that must predict it is the same in every question. Only a
// model that can look back that far can predict the answer's digits, so recall accuracy by distance shows how
// far each kind of memory reaches.
#ifndef MEMSCOPE_RECALL_CORPUS_H
#define MEMSCOPE_RECALL_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "engine/config.h"

typedef struct {
    uint64_t seed;
    size_t bytes;      // length of the text to make
    int min_distance;  // the answer's first digit lies at least this many characters after the fact's
    int max_distance;  // target distances: uniform in [min, near] for near_percent of the facts (where a model
    int near;          // first learns to recall at all), else uniform in [near, max]; the actual distance can be
    int near_percent;  // a few characters more when questions queue
    int max_pending;   // facts stated but not yet asked, at most (1 to 8): with 2 or more the key decides
    int value_digits;  // digits of a value (1 to 8)
} RecallSpec;

// The default task: 1,000,000 bytes; one fact pending at a time (the question asks for the latest fact) with a
// 1-digit value; distances 16..32 for half the facts, 32..140 for the others. Harder variants (several pending
// facts, so the key decides; longer values, so later digits must be copied in order) are in the spec, but a
// 2-layer model at the lab's budget learns them only within its raw memory (see the README's memory lab).
RecallSpec recall_default_spec(void);

// One question: the answer's characters text[pos, pos + len) repeat the fact's text[source, source + len).
typedef struct {
    long pos, source, len;
    long distance; // pos − source
} RecallAnswer;

// Generates the text of spec (printable ASCII and '\n', the same on every machine); returns malloc'd text
// (the caller frees it) and sets *n, or NULL when out of memory.
unsigned char *recall_generate(const RecallSpec *spec, size_t *n);
// The default corpus of `--data builtin:recall`.
unsigned char *recall_corpus_generate(size_t *n);

// Finds every answer in any text of this format by reading it: each "what is KEY?" (a space after the '?' is
// allowed) followed by the value the latest "key KEY is VALUE" stated. Returns the count and a malloc'd array in *out (NULL when none).
long recall_find_answers(const unsigned char *text, size_t n, RecallAnswer **out);

// Recall accuracy by distance: argmax correctness of every answer character.
#define RECALL_MAX_BUCKETS 8
typedef struct {
    long lo, hi;           // distances lo < D ≤ hi (hi = LONG_MAX: beyond)
    char label[64];        // what reaches it, e.g. "N_m+Q < D <= N_m+N_cm+Q"
    long chars, chars_right;
    long answers, answers_right; // every character of the answer right
} RecallBucket;

typedef struct {
    int n;
    RecallBucket b[RECALL_MAX_BUCKETS];
    long chars, chars_right, answers, answers_right; // over all buckets
} RecallReport;

// The buckets of a model's reach (Q, N_m, N_cm, c): D ≤ N_m (raw memory of every model), ≤ N_m+Q (raw memory
// for part of a segment's queries), ≤ N_m+N_cm+Q (a Transformer-XL with N_m+N_cm rows; compressed slots of the
// Compressive Transformer), ≤ N_m+c·N_cm+Q (only the compressed memory reaches) and beyond every model.
void recall_report_init(RecallReport *r, const Config *c);
// Adds the answers scored by correct[p] (1 when the model, having read text[0, p), ranked text[p] first);
// answers beyond n_scored are skipped.
void recall_report_add(RecallReport *r, const RecallAnswer *answers, long n_answers, const uint8_t *correct,
                       long n_scored);
// One line per bucket: range, answers, character accuracy, whole-answer accuracy.
void recall_report_print(const RecallReport *r, const char *indent);
// A bucket's distance range as the tables print it: "17-32", or "> 112" for the last.
void recall_range_text(const RecallBucket *b, char *out, size_t n);
// {"buckets":[{"lo":..,"hi":..,"label":..,"chars":..,"char_accuracy":..,"answers":..,"answer_accuracy":..}],...}
void recall_report_json(const RecallReport *r, char *out, size_t outlen);

#endif
