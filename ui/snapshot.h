// UiSnapshot: everything the TUI draws, as one fixed-size plain struct (no pointers).
// The trainer fills a private copy, copies it into a shared one under a mutex and bumps `seq`;
// the UI thread copies it out and draws without holding the lock. ui/ never sees engine types.
#ifndef MEMSCOPE_UI_SNAPSHOT_H
#define MEMSCOPE_UI_SNAPSHOT_H

#include <stdint.h>

// Bounds. A model larger than a bound is shown in part (see each field).
#define UI_MAX_LAYERS 16
#define UI_MAX_HEADS 8          // per-head matrices kept; the mean covers every head
#define UI_MAX_QUERIES 64       // query rows of the heatmap (keep the LAST queries of a longer segment)
#define UI_MAX_KEYS 512         // key columns (drop the OLDEST compressed slots first)
#define UI_SERIES_POINTS 2048   // stored points of a loss series (older points are merged pairwise)
#define UI_AR_POINTS 256        // reconstruction-loss history per layer (a ring: the newest kept)
#define UI_SNIPPET_BYTES 24     // text behind a key slot, raw bytes
#define UI_GEN_BYTES 4096       // generation pane text (the tail is kept)
#define UI_NAME_BYTES 64
#define UI_MESSAGE_BYTES 160
#define UI_BUCKETS 6            // age buckets per key group in the Figure-2 view (the paper's 6)
#define UI_RECALL_BUCKETS 8     // distance buckets of the recall panel

typedef enum { UI_RUN_STOPPED, UI_RUN_RUNNING, UI_RUN_PAUSED, UI_RUN_GENERATING } UiRunState;

// Key slot groups, in the order the keys are laid out: compressed, memory, current.
typedef enum { UI_GROUP_CMEM, UI_GROUP_MEM, UI_GROUP_CUR, UI_GROUP_COUNT } UiGroup;
const char *ui_group_name(UiGroup g); // "compressed", "memory", "current"

// A loss curve that never grows past UI_SERIES_POINTS: when full, neighbouring points are merged
// (mean value, later step) and `stride` doubles; new raw values are averaged `stride` at a time.
// Fill it with ui_series_push(); read it with ui_series_len()/ui_series_at().
typedef struct {
    int count;          // stored points, oldest first
    int stride;         // raw values per stored point (1, 2, 4, ...)
    int pend_n;         // raw values waiting to form the next stored point
    int64_t pend_step;  // step of the newest waiting value
    double pend_sum;    // sum of the waiting values
    int64_t step[UI_SERIES_POINTS];
    float value[UI_SERIES_POINTS];
} UiSeries;

// The newest UI_AR_POINTS values. Fill with ui_ring_push(); ui_ring_at(r, 0) is the oldest.
typedef struct {
    int count;  // values held (<= UI_AR_POINTS)
    int head;   // index of the oldest value
    float v[UI_AR_POINTS];
} UiRing;

// Where a key slot came from: character positions in stream 0 (the same numbering as query_pos).
// Memory and current rows: first == last == the character the row was computed at.
// Compressed rows: [first, last] is the span of characters the slot summarises.
typedef struct {
    int64_t first, last;
    char text[UI_SNIPPET_BYTES + 1]; // the characters behind it (raw bytes, NUL-terminated, may hold '\n')
} UiSlot;

// Attention of one layer, stream 0. Columns: n_cmem compressed, then n_mem memory, then n_cur current.
// Rows: queries. Masked entries (causal, in the current group) are 0.
typedef struct {
    int layer;              // layer these matrices belong to; -1 = nothing collected yet
    int generating;         // 1 when this is the generation's own attention
    int n_queries;          // rows (<= UI_MAX_QUERIES)
    int n_cmem, n_mem, n_cur; // columns per group; n_cmem + n_mem + n_cur <= UI_MAX_KEYS
    int n_heads;            // heads stored in head[] (<= UI_MAX_HEADS)
    int64_t query_pos;      // character position of the LAST query row; ages count back from it
    float mean[UI_MAX_QUERIES][UI_MAX_KEYS];                // mean over all heads
    float head[UI_MAX_HEADS][UI_MAX_QUERIES][UI_MAX_KEYS];  // per head
    UiSlot slot[UI_MAX_KEYS];                               // provenance of every key column
} UiAttention;

typedef struct {
    float share[UI_GROUP_COUNT]; // share of attention to compressed / memory / current (sums to ~1),
                                 // mean over heads and queries of stream 0
    float ar_loss;               // latest reconstruction (AR) loss L_l; NAN before the first one
    UiRing ar_hist;              // its history
} UiLayerStats;

// The paper's Figure 2, live: each key group split into UI_BUCKETS buckets of slots, oldest to newest
// (bucket k holds slots [k·len/6, (k+1)·len/6) of the group, as engine/attention_stats.h counts them).
// One sample per (query, head, bucket) of stream 0: the mean attention weight per slot of the bucket.
// mean/std are over the samples, weighted towards recent steps (the producer decays older ones).
typedef struct {
    float mean[UI_GROUP_COUNT][UI_BUCKETS]; // NAN where no sample yet (an empty group)
    float std[UI_GROUP_COUNT][UI_BUCKETS];
} UiBucketRow;

typedef struct {
    int n_layers;                         // rows of layer[] filled (0: nothing collected yet)
    int steps;                            // training steps sampled so far
    UiBucketRow layer[UI_MAX_LAYERS];
    UiBucketRow pooled;                   // every layer's samples together
    float recon_mean[UI_MAX_LAYERS];      // attention-reconstruction loss per layer over recent
    float recon_std[UI_MAX_LAYERS];       // compressions (NAN before the first)
} UiBuckets;

// Recall accuracy by distance on held-out recall text (present only when training on a recall corpus).
// Counts are decayed sums over recent evaluations, so they are fractional.
typedef struct {
    int64_t lo, hi;             // distances lo < D <= hi (hi = INT64_MAX: beyond every memory)
    float chars, chars_right;   // answer characters, and those the model ranked first
    float answers;              // whole answers (the panel's sample size)
} UiRecallBucket;

typedef struct {
    int active;                 // 1: training on a recall corpus, the panel shows
    int n;                      // buckets (<= UI_RECALL_BUCKETS)
    int evals;                  // evaluations so far (0: the first is pending)
    int64_t step;               // training step of the latest evaluation
    int window;                 // characters scored per evaluation
    UiRecallBucket b[UI_RECALL_BUCKETS];
} UiRecall;

typedef struct {
    uint64_t seq;               // bumped on every publish

    // run state and counters (status line)
    UiRunState state;
    int64_t step;
    int epoch;                  // 1-based
    float epoch_progress;       // 0..1 through the current epoch
    float tokens_per_sec;
    float lr;
    float train_ce, train_bpc;  // latest training cross-entropy (nats/char) and bits per character
    float valid_ce;             // latest validation CE; NAN when none yet
    int compression_rate;       // c
    char compress_fn[UI_NAME_BYTES]; // e.g. "conv", "mean"
    char compress_loss[UI_NAME_BYTES]; // "attention", "autoencode", "none"; "" = not reported
    int compress_sets;          // parameter sets (function x rate) the model keeps; shown when more than one
    float compress_sets_mb;     // the memory they take with their optimizer state
    int mem_fill, mem_len;      // m / N_m
    int cmem_fill, cmem_len;    // cm / N_cm
    char corpus[UI_NAME_BYTES];
    int n_layers, n_heads, seq_len;
    int unsaved;                // 1 when there is progress since the last save (q asks first)
    int threads;                // training threads (0 = not reported)
    // What the trainer is busy with beyond stepping ("validating", "saving"; "" = nothing): the status
    // line says so with progress (done of total, when total > 0) or the seconds since it began.
    char activity[UI_NAME_BYTES];
    int activity_done, activity_total;
    double activity_since;      // the trainer's clock when it began (seconds)
    double activity_elapsed;    // filled by the UI thread from its own reading of the same clock
    int n_ranks;                // memscope-mpi: processes training together (0 or 1: this one alone)
    float allreduce_share;      // their wait in the gradient sums over the step time, 0..1

    // loss history
    UiSeries train_loss;        // training CE per step
    UiSeries valid_loss;        // validation CE at the steps it was measured

    // attention of the selected layer (the UI posts UI_CMD_VIEW_LAYER when the selection changes)
    UiAttention attn;

    // every layer
    UiLayerStats layer[UI_MAX_LAYERS];
    UiBuckets buckets;          // the Figure-2 view
    UiRecall recall;            // the recall panel

    // generation
    char gen_text[UI_GEN_BYTES]; // prompt followed by the generated characters (NUL-terminated)
    int gen_prompt_len;          // leading bytes of gen_text that are the prompt
    int gen_length;              // characters to generate
    float temperature;
    int top_k;                   // 0 = no top-k cut

    // one-line message (errors, "saved to ...", ...)
    char message[UI_MESSAGE_BYTES];
    int message_is_error;
    uint64_t message_seq;        // bump when message changes (the UI then drops its own message)
} UiSnapshot;

// Zeroes s and sets the "nothing yet" values (NANs, attn.layer = -1, stride 1).
void ui_snapshot_reset(UiSnapshot *s);

void ui_series_reset(UiSeries *s);
void ui_series_push(UiSeries *s, int64_t step, float value);
// Stored points plus the partial point being averaged (so the newest value is always visible).
int ui_series_len(const UiSeries *s);
void ui_series_at(const UiSeries *s, int i, int64_t *step, float *value);

void ui_ring_push(UiRing *r, float v);
float ui_ring_at(const UiRing *r, int i); // i = 0 oldest .. count-1 newest
int ui_ring_len(const UiRing *r);         // count, clamped to the ring

// Appends bytes to gen_text, dropping the oldest bytes (and shrinking gen_prompt_len) when full.
void ui_gen_append(UiSnapshot *s, const char *bytes, int n);
// Starts a new generation: gen_text = prompt, gen_prompt_len = its length.
void ui_gen_begin(UiSnapshot *s, const char *prompt);

// 1 when a holds a matrix within the bounds above (the UI draws nothing from one that does not).
int ui_attn_valid(const UiAttention *a);
// Columns of a, and the group a column belongs to.
int ui_attn_keys(const UiAttention *a);
UiGroup ui_attn_group(const UiAttention *a, int key);
// Characters between the last query and slot k: its newest character (oldest = 0) or its oldest
// character (oldest = 1). Saturates instead of overflowing.
int64_t ui_slot_age(const UiAttention *a, int k, int oldest);
// First column of group g.
int ui_attn_group_start(const UiAttention *a, UiGroup g);
int ui_attn_group_count(const UiAttention *a, UiGroup g);

// Message helper: sets message, message_is_error and bumps message_seq.
void ui_snapshot_message(UiSnapshot *s, int is_error, const char *text);

#endif
