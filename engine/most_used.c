// The "most-used" compression function of the memory lab and the attention accounting it needs: every forward
// adds, for each memory row, the attention it received (summed over heads and queries) to mem->usage, and the
// number of (query, head) pairs that could read it to mem->usage_reads. When rows leave memory, each stream
// and layer keeps the n of its n·c oldest rows with the highest mean attention per read, in time order. The
// accounting costs B·H·T·m additions per layer and forward (1/d_k of the attention's own work).
#include <string.h>

#include "compress_ops.h"
#include "most_used.h"
#include "workspace.h"

void most_used_select(int32_t *sel, const float *score, int n_rows, int n_keep) {
    // rank of row j = rows that beat it (higher score, or equal and newer); keep the n_keep best, ascending
    int k = 0;
    for (int j = 0; j < n_rows && k < n_keep; j++) {
        int better = 0;
        for (int i = 0; i < n_rows && better < n_keep; i++)
            if (score[i] > score[j] || (score[i] == score[j] && i > j)) better++;
        if (better < n_keep) sel[k++] = j;
    }
}

void gather_rows_forward(float *out, const float *in, const int32_t *sel, int n, int d) {
    for (int i = 0; i < n; i++) memcpy(out + (long)i * d, in + (long)sel[i] * d, sizeof(float) * d);
}

void gather_rows_backward(float *din, const float *dout, const int32_t *sel, int n, int d) {
    if (!din) return;
    for (int i = 0; i < n; i++)
        for (int e = 0; e < d; e++) din[(long)sel[i] * d + e] += dout[(long)i * d + e];
}

void memory_usage_accumulate(Memory *mem, const Workspace *ws, int heads) {
    int m = mem->m, cm = mem->cm, T = ws->T, K = ws->K;
    if (m == 0 || K != cm + m + T) return; // the last forward did not read this memory
    for (int l = 0; l < mem->n_layers; l++)
        for (int b = 0; b < ws->batch; b++) {
            float *usage = memory_usage(mem, l, ws->stream0 + b);
            const float *p = ws->layer[l].probs + (long)b * heads * T * K;
            for (long r = 0; r < (long)heads * T; r++) {
                const float *row = p + r * K + cm;
                for (int j = 0; j < m; j++) usage[j] += row[j];
            }
        }
}

void memory_usage_count_reads(Memory *mem, int T, int heads) {
    for (int j = 0; j < mem->m; j++) mem->usage_reads[j] += (float)T * heads;
}

void memory_usage_append(Memory *mem, int T) {
    for (int l = 0; l < mem->n_layers; l++)
        for (int b = mem->stream_lo; b < mem->stream_lo + mem->n_streams; b++)
            memset(memory_usage(mem, l, b) + mem->m, 0, sizeof(float) * T);
    memset(mem->usage_reads + mem->m, 0, sizeof(float) * T);
}

void memory_usage_evict(Memory *mem, int n_old) {
    int keep = mem->m - n_old;
    for (int l = 0; l < mem->n_layers; l++)
        for (int b = mem->stream_lo; b < mem->stream_lo + mem->n_streams; b++) {
            float *u = memory_usage(mem, l, b);
            memmove(u, u + n_old, sizeof(float) * keep);
        }
    memmove(mem->usage_reads, mem->usage_reads + n_old, sizeof(float) * keep);
}

void most_used_choose(int32_t *sel, const Memory *mem, int layer, int stream, int n_old, int n) {
    float score[MOST_USED_MAX_ROWS];
    const float *u = memory_usage(mem, layer, stream);
    for (int j = 0; j < n_old; j++) score[j] = mem->usage_reads[j] > 0.0f ? u[j] / mem->usage_reads[j] : 0.0f;
    most_used_select(sel, score, n_old, n);
}
