// Filling the snapshot's attention from hand-made attention and memory states: group shares, the
// matrices within the snapshot's bounds, slot provenance and texts, the generation's rows.
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#include "app/tui_fill.h"
#include "app/tui_generate.h"
#include "app/tui_trainer.h"
#include "ui/heatmap.h"

static const unsigned char alphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

// Softmax-like rows over the visible keys of (H, T, K) with the causal mask of model.md: query i sees
// keys j <= K - T + i. Values depend on (h, i, j) so that every entry is distinguishable.
static float *make_probs(int H, int T, int K) {
    float *p = calloc((size_t)H * T * K, sizeof(float));
    for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++) {
            float *row = p + ((long)h * T + i) * K;
            double sum = 0;
            for (int j = 0; j <= K - T + i; j++) sum += row[j] = 1.0f + (float)((h * 7 + i * 3 + j * 5) % 11);
            for (int j = 0; j <= K - T + i; j++) row[j] = (float)(row[j] / sum);
        }
    return p;
}

static float prob(const float *p, int T, int K, int h, int i, int j) { return p[((long)h * T + i) * K + j]; }

TEST(app_fill_shares_sum_to_one_and_match_a_hand_count) {
    // One head, one query, K = 2 + 3 + 1: weights by hand.
    float p1[6] = {0.1f, 0.2f, 0.3f, 0.1f, 0.1f, 0.2f};
    float sh[UI_GROUP_COUNT];
    tui_attention_shares(p1, 1, 1, 6, 2, 3, sh);
    CHECK_NEAR(sh[UI_GROUP_CMEM], 0.3, 1e-6);
    CHECK_NEAR(sh[UI_GROUP_MEM], 0.5, 1e-6);
    CHECK_NEAR(sh[UI_GROUP_CUR], 0.2, 1e-6);
    // Several heads and queries with the causal mask.
    int H = 3, T = 5, K = 4 + 6 + 5;
    float *p = make_probs(H, T, K);
    tui_attention_shares(p, H, T, K, 4, 6, sh);
    CHECK_NEAR(sh[0] + sh[1] + sh[2], 1.0, 1e-5);
    double cmem = 0;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < T; i++)
            for (int j = 0; j < 4; j++) cmem += prob(p, T, K, h, i, j);
    CHECK_NEAR(sh[UI_GROUP_CMEM], cmem / (H * T), 1e-5);
    // No memory at all: everything is current.
    tui_attention_shares(p, H, T, K, 0, 0, sh);
    CHECK_NEAR(sh[UI_GROUP_CUR], 1.0, 1e-6);
    free(p);
}

TEST(app_fill_provenance_of_a_hand_made_memory) {
    // Stream positions: compressed rows summarise [0,3] and [4,7] (c = 4), memory rows were computed at
    // 8..11, the current segment is 12..15. Stream 0's text is the alphabet, so position p is alphabet[p].
    long cf[2] = {0, 4}, cl[2] = {3, 7}, mp[4] = {8, 9, 10, 11};
    TuiKeys keys = {2, 4, 4, cf, cl, mp, 12};
    TuiText text = {alphabet, 62, NULL, 0, 0};
    int H = 2, T = 4, K = 10;
    float *p = make_probs(H, T, K);
    UiAttention *a = malloc(sizeof *a);
    CHECK(tui_fill_attention(a, 3, p, H, T, K, &keys, &text) == 0);
    CHECK(ui_attn_valid(a));
    CHECK_INT_EQ(a->layer, 3);
    CHECK_INT_EQ(a->generating, 0);
    CHECK_INT_EQ(a->n_cmem, 2);
    CHECK_INT_EQ(a->n_mem, 4);
    CHECK_INT_EQ(a->n_cur, 4);
    CHECK_INT_EQ(a->n_queries, 4);
    CHECK_INT_EQ(a->n_heads, 2);
    CHECK_INT_EQ(a->query_pos, 15);
    const char *want[10] = {"abcd", "efgh", "i", "j", "k", "l", "m", "n", "o", "p"};
    long first[10] = {0, 4, 8, 9, 10, 11, 12, 13, 14, 15}, last[10] = {3, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    for (int k = 0; k < K; k++) {
        CHECK_MSG(!strcmp(a->slot[k].text, want[k]), "slot %d text '%s', expected '%s'", k, a->slot[k].text, want[k]);
        CHECK_INT_EQ(a->slot[k].first, first[k]);
        CHECK_INT_EQ(a->slot[k].last, last[k]);
    }
    CHECK_INT_EQ(ui_slot_age(a, 0, 1), 15);  // the oldest character of the oldest compressed slot
    CHECK_INT_EQ(ui_slot_age(a, 1, 0), 8);
    CHECK_INT_EQ(ui_slot_age(a, 9, 0), 0);
    for (int q = 0; q < T; q++)
        for (int k = 0; k < K; k++) {
            CHECK_NEAR(a->head[1][q][k], prob(p, T, K, 1, q, k), 1e-7);
            CHECK_NEAR(a->mean[q][k], 0.5 * (prob(p, T, K, 0, q, k) + prob(p, T, K, 1, q, k)), 1e-6);
            CHECK_INT_EQ(ui_attn_masked(a, q, k), k > K - T + q); // the UI's mask agrees with the engine's
        }
    free(a);
    free(p);
}

TEST(app_fill_bounds_drop_oldest_compressed_keys_and_queries) {
    // K = 600 + 16 + 80 > UI_MAX_KEYS, T = 80 > UI_MAX_QUERIES, H = 10 > UI_MAX_HEADS.
    int ncm = 600, nm = 16, T = 80, H = 10, K = ncm + nm + T;
    long *cf = malloc(sizeof(long) * ncm), *cl = malloc(sizeof(long) * ncm), mp[16];
    for (int i = 0; i < ncm; i++) cf[i] = 2L * i, cl[i] = 2L * i + 1;
    for (int i = 0; i < nm; i++) mp[i] = 2L * ncm + i;
    TuiKeys keys = {ncm, nm, T, cf, cl, mp, 2L * ncm + nm};
    float *p = make_probs(H, T, K);
    UiAttention *a = malloc(sizeof *a);
    CHECK(tui_fill_attention(a, 0, p, H, T, K, &keys, NULL) == 0);
    CHECK(ui_attn_valid(a));
    int drop = K - UI_MAX_KEYS;
    CHECK_INT_EQ(ui_attn_keys(a), UI_MAX_KEYS);
    CHECK_INT_EQ(a->n_cmem, ncm - drop);   // only compressed slots were dropped, the oldest ones
    CHECK_INT_EQ(a->n_mem, nm);
    CHECK_INT_EQ(a->n_cur, T);
    CHECK_INT_EQ(a->slot[0].first, 2L * drop);
    CHECK_INT_EQ(a->n_queries, UI_MAX_QUERIES);
    CHECK_INT_EQ(a->n_heads, UI_MAX_HEADS);
    int q0 = T - UI_MAX_QUERIES;           // the LAST queries are kept
    CHECK_INT_EQ(a->query_pos, 2L * ncm + nm + T - 1);
    for (int q = 0; q < UI_MAX_QUERIES; q += 7)
        for (int k = 0; k < UI_MAX_KEYS; k += 13) {
            double mean = 0;
            for (int h = 0; h < H; h++) mean += prob(p, T, K, h, q0 + q, drop + k);
            CHECK_NEAR(a->mean[q][k], mean / H, 1e-6);   // the mean covers every head
            CHECK_NEAR(a->head[7][q][k], prob(p, T, K, 7, q0 + q, drop + k), 1e-7);
            CHECK_INT_EQ(ui_attn_masked(a, q, k), drop + k > K - T + q0 + q);
        }
    CHECK(!strcmp(a->slot[0].text, "??")); // no text source: unknown characters
    // When the memory alone passes the bound, every compressed slot goes, then the oldest memory rows.
    long mp2[600];
    for (int i = 0; i < 600; i++) mp2[i] = 100 + i;
    TuiKeys keys2 = {10, 600, 4, cf, cl, mp2, 700};
    float *p2 = make_probs(1, 4, 614);
    CHECK(tui_fill_attention(a, 0, p2, 1, 4, 614, &keys2, NULL) == 0);
    CHECK_INT_EQ(a->n_cmem, 0);
    CHECK_INT_EQ(a->n_mem, UI_MAX_KEYS - 4);
    CHECK_INT_EQ(a->slot[0].first, 100 + 600 - (UI_MAX_KEYS - 4));
    free(p2);
    free(p);
    free(a);
    free(cf);
    free(cl);
}

TEST(app_fill_refuses_shapes_that_disagree) {
    long mp[2] = {0, 1};
    TuiKeys keys = {0, 2, 3, NULL, NULL, mp, 2};
    float p[15] = {0};
    UiAttention *a = malloc(sizeof *a);
    CHECK(tui_fill_attention(a, 0, p, 1, 3, 6, &keys, NULL) == -1); // K != 0 + 2 + 3
    CHECK_INT_EQ(a->layer, -1);
    CHECK(!ui_attn_valid(a));
    keys.n_cur = 2;
    CHECK(tui_fill_attention(a, 0, p, 1, 3, 5, &keys, NULL) == -1);  // n_cur != T
    CHECK(tui_fill_attention(a, 0, NULL, 1, 3, 5, &keys, NULL) == -1);
    free(a);
}

TEST(app_fill_slot_texts) {
    const unsigned char text[] = "hello\0world";
    const unsigned char gen[] = "XYZ";
    TuiText t = {text, 11, gen, 100, 3};
    UiSlot s;
    tui_slot_fill(&s, 3, 7, &t);
    CHECK(!strcmp(s.text, "lo\001wo")); // NUL shown as 0x01, the snippet stays one string
    tui_slot_fill(&s, 99, 102, &t);     // training text ends at 11; 100.. are the generation's
    CHECK(!strcmp(s.text, "?XYZ"));
    tui_slot_fill(&s, 0, 100000, &t);   // a long span: the first UI_SNIPPET_BYTES bytes
    CHECK_INT_EQ(strlen(s.text), UI_SNIPPET_BYTES);
    CHECK_INT_EQ(s.first, 0);
    CHECK_INT_EQ(s.last, 100000);
}

TEST(app_fill_generation_rows_follow_slots_as_memory_moves) {
    // Forward 1 (the prompt, T = 2 at positions 20, 21): keys = cmem [0,9] | mem 10..19 (2 rows: 18, 19) | cur.
    long cf1[1] = {0}, cl1[1] = {9}, mp1[2] = {18, 19};
    TuiKeys k1 = {1, 2, 2, cf1, cl1, mp1, 20};
    int H = 2;
    float *p1 = make_probs(H, 2, 5);
    // Forward 2 (one generated character at 22): the memory now holds 19, 20, 21 (18 was compressed
    // into [10,18] together with older rows); keys = cmem [0,9] [10,18] | mem 19 20 21 | cur 22.
    long cf2[2] = {0, 10}, cl2[2] = {9, 18}, mp2[3] = {19, 20, 21};
    TuiKeys k2 = {2, 3, 1, cf2, cl2, mp2, 22};
    float *p2 = make_probs(H, 1, 6);
    TuiAttnRows r;
    CHECK(tui_rows_init(&r) == 0);
    CHECK(tui_rows_push(&r, p1, H, 2, 5, &k1) == 0);
    CHECK(tui_rows_push(&r, p2, H, 1, 6, &k2) == 0);
    unsigned char gen[3] = {'x', 'y', 'z'};
    TuiText t = {alphabet, 20, gen, 20, 3};
    UiAttention *a = malloc(sizeof *a);
    CHECK(tui_rows_fill(a, &r, 1, &t) == 0);
    CHECK(ui_attn_valid(a));
    CHECK_INT_EQ(a->generating, 1);
    CHECK_INT_EQ(a->layer, 1);
    CHECK_INT_EQ(a->n_queries, 3);
    CHECK_INT_EQ(a->n_cmem, 2);
    CHECK_INT_EQ(a->n_mem, 3);
    CHECK_INT_EQ(a->n_cur, 1);
    CHECK_INT_EQ(a->query_pos, 22);
    CHECK(!strcmp(a->slot[1].text, "klmnopqrs"));
    CHECK(!strcmp(a->slot[3].text, "x"));
    CHECK(!strcmp(a->slot[5].text, "z"));
    // Row 0 (query 20) read: cmem [0,9] -> column 0; mem 18 -> gone (compressed since); mem 19 -> column 2;
    // itself (20) -> column 3, now a memory row. Nothing newer.
    CHECK_NEAR(a->mean[0][0], 0.5 * (prob(p1, 2, 5, 0, 0, 0) + prob(p1, 2, 5, 1, 0, 0)), 1e-6);
    CHECK_NEAR(a->mean[0][1], 0.0, 0);
    CHECK_NEAR(a->head[1][0][2], prob(p1, 2, 5, 1, 0, 2), 1e-7);
    CHECK_NEAR(a->head[1][0][3], prob(p1, 2, 5, 1, 0, 3), 1e-7);
    CHECK_NEAR(a->mean[0][4], 0.0, 0);
    CHECK_NEAR(a->mean[0][5], 0.0, 0);
    // Row 1 (query 21) also read 20 and itself.
    CHECK_NEAR(a->head[0][1][4], prob(p1, 2, 5, 0, 1, 4), 1e-7);
    // Row 2 (query 22) is forward 2 itself, column for column.
    for (int k = 0; k < 6; k++) CHECK_NEAR(a->head[1][2][k], prob(p2, 1, 6, 1, 0, k), 1e-7);
    // Only the newest row sees the current column.
    CHECK(ui_attn_masked(a, 0, 5) && ui_attn_masked(a, 1, 5) && !ui_attn_masked(a, 2, 5));
    tui_rows_clear(&r);
    CHECK(tui_rows_fill(a, &r, 1, &t) == -1);
    tui_rows_free(&r);
    free(a);
    free(p1);
    free(p2);
}

TEST(app_fill_generation_rows_keep_the_newest_queries) {
    TuiAttnRows r;
    CHECK(tui_rows_init(&r) == 0);
    long mp[1];
    for (int i = 0; i < UI_MAX_QUERIES + 10; i++) {
        mp[0] = i - 1;
        TuiKeys k = {0, i > 0, 1, NULL, NULL, mp, i};
        float *p = make_probs(1, 1, 1 + (i > 0));
        CHECK(tui_rows_push(&r, p, 1, 1, 1 + (i > 0), &k) == 0);
        free(p);
    }
    UiAttention *a = malloc(sizeof *a);
    CHECK(tui_rows_fill(a, &r, 0, NULL) == 0);
    CHECK_INT_EQ(a->n_queries, UI_MAX_QUERIES);
    CHECK_INT_EQ(a->query_pos, UI_MAX_QUERIES + 9);
    free(a);
    tui_rows_free(&r);
}

TEST(app_encode_prompt_skips_characters_outside_the_vocabulary) {
    Vocab v;
    const unsigned char text[] = "ab c\n";
    vocab_build(&v, text, 5);
    int32_t ids[32];
    unsigned char fed[32];
    int skipped;
    char list[64];
    long n = tui_encode_prompt(&v, "a\xc3\xa9 b\xc3\xa9z\x01", ids, fed, &skipped, list, sizeof list);
    CHECK_INT_EQ(n, 3); // a, ' ', b
    CHECK_INT_EQ(skipped, 4);
    CHECK(!memcmp(fed, "a b", 3));
    CHECK_INT_EQ(ids[0], v.ids['a']);
    CHECK_INT_EQ(ids[1], v.ids[' ']);
    CHECK_INT_EQ(ids[2], v.ids['b']);
    CHECK_MSG(!strcmp(list, "\xc3\xa9z\\x01"), "skipped list '%s'", list); // é listed once
    for (long i = 0; i < n; i++) CHECK(ids[i] >= 0 && ids[i] < v.size);
    n = tui_encode_prompt(&v, "\xff\xc3", ids, fed, &skipped, list, sizeof list); // broken UTF-8
    CHECK_INT_EQ(n, 0);
    CHECK_INT_EQ(skipped, 2);
}

TEST(app_next_position_after_the_memory) {
    Memory m;
    CHECK(memory_init(&m, 1, 1, 4, 8, 8, 4) == 0);
    CHECK_INT_EQ(memory_next_position(&m), 0);
    m.cm = 1;
    m.cmem_first[0] = 10;
    m.cmem_last[0] = 13;
    CHECK_INT_EQ(memory_next_position(&m), 14);
    m.m = 2;
    m.mem_pos[0] = 14;
    m.mem_pos[1] = 15;
    CHECK_INT_EQ(memory_next_position(&m), 16);
    memory_free(&m);
}
