// The paper's attention picture (Rae et al. 2019, Figures 2 and 6) over an evaluation stream: how much attention
// each part of the memory receives, and how well compression preserves what attention reads.
//
// Attention: every query of every segment, per head, splits its keys into three groups, compressed memory
// (cm slots), memory (m rows) and the current segment (the i + 1 keys query i sees), and each group into 6
// buckets oldest to newest (bucket k holds slots [⌊k·len/6⌋, ⌊(k+1)·len/6⌋); an empty bucket gives no sample).
// One sample per (query, head, bucket): the mean attention weight per slot of the bucket ("mean"), and the
// weight on the whole bucket ("mass"). Reported per layer and pooled over layers: mean and standard deviation
// over samples; and the share of each query's attention per group.
// Reconstruction: model.md's attention-reconstruction loss of each layer at every compression (whatever the
// training loss), summarised as mean, standard deviation, quantiles and a 10-bin histogram per layer.
#ifndef MEMSCOPE_ATTENTION_STATS_H
#define MEMSCOPE_ATTENTION_STATS_H

#include <stddef.h>

#include "eval_stream.h"
#include "generate.h"
#include "memory.h"
#include "model.h"

#define ATT_BUCKETS 6
enum { ATT_COMPRESSED, ATT_MEMORY, ATT_CURRENT, ATT_GROUPS };

// Figure 2's buckets of one query's weights p over a group of len slots, oldest first: bucket k holds slots
// [k·len/6, (k+1)·len/6); mass[k] is their summed weight and slots[k] their count (0: empty, len < 6).
// The one definition behind these statistics and the TUI's live view.
void attention_buckets(double mass[ATT_BUCKETS], int slots[ATT_BUCKETS], const float *p, int len);

typedef struct {
    double sum, sum_sq;     // of the per-slot mean weight
    double mass, mass_sq;   // of the bucket's total weight
    long count;             // samples
} AttMoments;

typedef struct {
    int n_layers;
    AttMoments *att;        // (n_layers + 1, ATT_GROUPS, ATT_BUCKETS); index n_layers pools every layer
    double *share;          // (n_layers + 1, ATT_GROUPS): Σ over (query, head) of the weight on each group
    long *share_n;          // (n_layers + 1): (query, head) pairs
    float **recon;          // per layer, the reconstruction loss of every compression
    long *n_recon, *cap_recon;
    long segments, compressions;
} AttentionStats;

int attention_stats_init(AttentionStats *s, const Model *m);
void attention_stats_free(AttentionStats *s);
// One forward's attention (every stream of the workspace), over the memory it read (cm, m rows).
void attention_stats_add_segment(AttentionStats *s, const Model *m, const Workspace *ws, int cm, int mm);
// The rows the last memory update removed: each layer's attention-reconstruction loss. Returns -1 and records
// nothing (no layer gets ahead of the others) when out of memory.
int attention_stats_add_compression(AttentionStats *s, Model *m, Workspace *ws);
// Everything over ids as one stream (evaluate_stream's loop); out gets its CE, bpc and AR.
void attention_stats_run(AttentionStats *s, Model *m, const int32_t *ids, long n, EvalResult *out);
// The hooks attention_stats_run passes to evaluate_stream_ex (to collect the statistics in another pass).
EvalHooks attention_stats_hooks(AttentionStats *s);

// layer −1: pooled over layers. Mean and standard deviation of the per-slot weight, the mean mass, samples.
double attention_stats_mean(const AttentionStats *s, int layer, int group, int bucket);
double attention_stats_std(const AttentionStats *s, int layer, int group, int bucket);
double attention_stats_mass(const AttentionStats *s, int layer, int group, int bucket);
long attention_stats_count(const AttentionStats *s, int layer, int group, int bucket);
// The mean share of a query's attention that goes to a group (the three add up to 1).
double attention_stats_share(const AttentionStats *s, int layer, int group);
// The q-quantile (0..1, linear interpolation) of layer l's reconstruction losses; NAN without any.
double attention_stats_recon_quantile(const AttentionStats *s, int layer, double q);

// Layer l's reconstruction losses sorted ascending, as a new array the caller frees; NULL when there are none
// (or out of memory).
float *attention_stats_recon_sorted(const AttentionStats *s, int layer);
// The q-quantile (0..1, linear interpolation) of n sorted values.
double attention_quantile_sorted(const float *x, long n, double q);
// Mean and standard deviation of layer l's reconstruction losses; NAN without any.
void attention_stats_recon_moments(const AttentionStats *s, int layer, double *mean, double *std);
// "compressed", "memory", "current".
const char *attention_group_name(int group);

#endif
