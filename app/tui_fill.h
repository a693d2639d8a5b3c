// Filling the attention parts of a UiSnapshot from the engine's numbers: per-group shares, the heatmap
// matrix within the snapshot's bounds, and the provenance of every key slot. Pure functions over plain
// arrays (no threads, no Model), so they are tested with hand-made memory states.
#ifndef MEMSCOPE_APP_TUI_FILL_H
#define MEMSCOPE_APP_TUI_FILL_H

#include "ui/snapshot.h"

// Where the K key columns of one forward came from, as stream positions, in key order
// [compressed | memory | current]: the memory as it was BEFORE the forward's memory update.
typedef struct {
    int n_cmem, n_mem, n_cur;
    const long *cmem_first, *cmem_last; // (n_cmem) span of positions each compressed row summarises
    const long *mem_pos;                // (n_mem) position each memory row was computed at
    long cur_first;                     // position of current key 0; current key j is cur_first + j
} TuiKeys;

// The characters behind positions: text[p] for 0 <= p < n, except that positions in
// [extra_base, extra_base + extra_n) read extra[p - extra_base] (a generation's prompt and output).
typedef struct {
    const unsigned char *text;
    long n;
    const unsigned char *extra;
    long extra_base, extra_n;
} TuiText;

// The byte at pos, or -1 when nothing is known there.
int tui_text_at(const TuiText *t, long pos);

// A slot's provenance: [first, last] and up to UI_SNIPPET_BYTES of its characters ('?' where unknown;
// a NUL byte becomes 0x01 so the snippet stays one C string).
void tui_slot_fill(UiSlot *s, long first, long last, const TuiText *text);

// Share of attention that went to compressed memory / memory / current keys, mean over heads and
// queries; probs is (H, T, K) of one stream. The three shares are normalised to sum to 1 (all 0 when
// there is no attention at all).
void tui_attention_shares(const float *probs, int H, int T, int K, int n_cmem, int n_mem,
                          float share[UI_GROUP_COUNT]);

// The Figure-2 accumulators: per layer (and pooled at index UI_MAX_LAYERS), group and age bucket, the
// sums of the samples of engine/attention_stats.h's definition (one per query, head and bucket: the
// bucket's mean weight per slot), and per layer the attention-reconstruction losses. Sums are decayed
// (multiplied by a factor < 1 before each new step's samples), so the view follows training.
typedef struct {
    double sum[UI_MAX_LAYERS + 1][UI_GROUP_COUNT][UI_BUCKETS];
    double sq[UI_MAX_LAYERS + 1][UI_GROUP_COUNT][UI_BUCKETS];
    double n[UI_MAX_LAYERS + 1][UI_GROUP_COUNT][UI_BUCKETS];
    double rsum[UI_MAX_LAYERS], rsq[UI_MAX_LAYERS], rn[UI_MAX_LAYERS];
    int steps; // steps sampled
} TuiBucketAcc;

void tui_buckets_reset(TuiBucketAcc *a);
// Multiplies the attention sums by f (before a new step's samples).
void tui_buckets_decay(TuiBucketAcc *a, double f);
// The samples of one layer's attention, probs (H, T, K) of one stream over keys [n_cmem | n_mem | T
// current] (query i sees current keys 0..i). Layers >= UI_MAX_LAYERS only count in the pooled row.
void tui_buckets_add(TuiBucketAcc *a, int layer, const float *probs, int H, int T, int K, int n_cmem, int n_mem);
// One compression's reconstruction loss of a layer, older ones multiplied by decay first.
void tui_recon_add(TuiBucketAcc *a, int layer, float loss, double decay);
void tui_recon_clear(TuiBucketAcc *a);
// Means and standard deviations into out for n_layers layers (NAN where nothing was sampled).
void tui_buckets_fill(UiBuckets *out, const TuiBucketAcc *a, int n_layers);

// Fills a with layer `layer`'s attention, probs (H, T, K) of one stream, keys described by `keys`
// (n_cmem + n_mem + n_cur == K and n_cur == T). Keeps the LAST UI_MAX_QUERIES queries and the newest
// UI_MAX_KEYS keys (the oldest compressed slots go first, then the oldest memory rows), the mean over all
// heads and the first UI_MAX_HEADS heads. Returns 0, or -1 (a left empty, layer -1) when shapes disagree.
int tui_fill_attention(UiAttention *a, int layer, const float *probs, int H, int T, int K, const TuiKeys *keys,
                       const TuiText *text);

// The attention of a generation, one layer: the query rows of consecutive forwards (the prompt's
// segments, then one row per generated character), each row remembering which slots it read. The
// heatmap's columns are the slots of the newest forward; an older row's value lands in the column of
// the same slot (a memory row and the current row it was made from are the same slot), slots that have
// left the memory since are lost, and slots newer than a row are 0 for it (and masked in the current
// group). So the picture is exact for every row, not an approximation.
typedef struct {
    long first, last;
    int cmem;           // 1: a compressed slot; 0: memory or current row (first == last)
} TuiKeyId;

typedef struct {
    int heads;          // heads kept per row (<= UI_MAX_HEADS)
    int count, start;   // ring of rows: row i (0 = oldest) is at (start + i) % UI_MAX_QUERIES
    long qpos[UI_MAX_QUERIES];
    int nk[UI_MAX_QUERIES];
    long cur_first;     // first current position of the newest forward
    TuiKeyId *ids;      // (UI_MAX_QUERIES, UI_MAX_KEYS)
    float *vals;        // (UI_MAX_QUERIES, 1 + UI_MAX_HEADS, UI_MAX_KEYS): mean, then heads
} TuiAttnRows;

int tui_rows_init(TuiAttnRows *r);
void tui_rows_free(TuiAttnRows *r);
void tui_rows_clear(TuiAttnRows *r);
// Adds the query rows of one forward (probs (H, T, K) of one stream, keys as for tui_fill_attention).
// Returns -1 when shapes disagree (nothing added).
int tui_rows_push(TuiAttnRows *r, const float *probs, int H, int T, int K, const TuiKeys *keys);
// Fills a from the rows (generating = 1). Returns -1 (a empty) when there are none.
int tui_rows_fill(UiAttention *a, const TuiAttnRows *r, int layer, const TuiText *text);

#endif
