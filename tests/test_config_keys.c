// The config keys have one home, engine/config.c's table: train --help, `help keys`, the man page and the bash
// completion list exactly its keys (no more, no fewer), with its ranges and its compression choices.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/config.h"
#include "tests/cli_run.h"
#include "tests/fixtures.h"
#include "tests/harness.h"

#define MAX_WORDS 64

typedef struct {
    int n;
    char word[MAX_WORDS][40];
} Words;

static void add_word(Words *w, const char *s, size_t len) {
    if (w->n < MAX_WORDS && len < sizeof w->word[0]) {
        memcpy(w->word[w->n], s, len);
        w->word[w->n++][len] = 0;
    }
}

static int has_word(const Words *w, const char *s) {
    for (int i = 0; i < w->n; i++)
        if (!strcmp(w->word[i], s)) return 1;
    return 0;
}

// Every key of the table is in w, and every word of w is a key of the table.
static void check_same_keys(const Words *w, const char *where) {
    for (int i = 0; i < config_key_count; i++)
        CHECK_MSG(has_word(w, config_key_table[i].name), "%s lacks the key %s", where, config_key_table[i].name);
    for (int i = 0; i < w->n; i++)
        CHECK_MSG(config_key_find(w->word[i]) != NULL, "%s lists '%s', which is no config key", where, w->word[i]);
    CHECK_INT_EQ(w->n, config_key_count);
}

// The choices of a CONFIG_CHOICE key, in order, as the words of `list` split at any of `seps`.
static void check_choices(const ConfigKey *k, const char *list, const char *seps, const char *where) {
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    int n = 0;
    for (char *tok = strtok(buf, seps); tok; tok = strtok(NULL, seps), n++)
        CHECK_MSG(k->choices[n].name && !strcmp(tok, k->choices[n].name), "%s: %s's choice %d is '%s'", where,
                  k->name, n, tok);
    CHECK_MSG(!k->choices[n].name, "%s: %s lists %d choices", where, k->name, n);
}

static char *read_text(const char *path) {
    size_t n = 0;
    unsigned char *b = fixture_read_file(path, &n);
    CHECK_MSG(b != NULL, "cannot read %s", path);
    char *s = malloc(n + 1);
    memcpy(s, b, n);
    s[n] = 0;
    free(b);
    return s;
}

TEST(config_keys_of_train_help_are_the_tables) {
    RunResult r = run("train --help");
    CHECK(r.status == 0);
    const char *p = strstr(r.out, "\nkeys:"), *end = p ? strstr(p, "\nexit status") : NULL;
    CHECK_MSG(p && end, "no keys section in train --help: %s", r.out);
    Words w = {0};
    for (p += 6; p < end;) {
        size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
        if (!len) {
            p++;
            continue;
        }
        add_word(&w, p, len);
        const ConfigKey *k = config_key_find(w.word[w.n - 1]);
        p += len;
        if (k && k->type == CONFIG_CHOICE && !strncmp(p, " (", 2)) { // compress (conv mean ...)
            const char *close = strchr(p, ')');
            char list[256];
            snprintf(list, sizeof list, "%.*s", (int)(close - p - 2), p + 2);
            check_choices(k, list, " ", "train --help");
            p = close + 1;
        }
    }
    check_same_keys(&w, "train --help");
    r = run("help keys");
    CHECK(r.status == 0);
    for (int i = 0; i < config_key_count; i++) CHECK(strstr(r.out, config_key_table[i].name) != NULL);
    CHECK(strstr(r.out, "1-8192, model key") && strstr(r.out, "most-used") && strstr(r.out, "Peak learning rate."));
}

// As the man page writes a bound: 8192, 1000000000 (whole numbers), 10, 1e9 (floats).
static void number_text(double v, int whole, char *out, size_t n) {
    if (whole || (v == (long)v && v < 1e6)) snprintf(out, n, "%ld", (long)v);
    else snprintf(out, n, "%.0e", v); // 1e+09
    char *plus = strstr(out, "e+");
    if (plus) memmove(plus + 1, plus + 2 + (plus[2] == '0'), strlen(plus + 2 + (plus[2] == '0')) + 1);
}

TEST(config_keys_of_the_man_page_are_the_tables_with_their_ranges) {
    char *man = read_text("app/memscope.1");
    char *p = strstr(man, "\n.SH CONFIG KEYS\n"), *end = p ? strstr(p + 1, "\n.SH ") : NULL;
    CHECK_MSG(p && end, "app/memscope.1 has no CONFIG KEYS section");
    *end = 0;
    Words w = {0};
    for (char *line = strchr(p + 1, '\n'); line; line = strchr(line + 1, '\n')) {
        char key[40], rest[200] = "";
        if (strncmp(line - 3, ".TP", 3)) continue; // a key is the heading of a .TP paragraph
        int br = !strncmp(line + 1, ".BR ", 4), b = !strncmp(line + 1, ".B ", 3);
        if (!(br && sscanf(line + 5, "%39s %199[^\n]", key, rest) >= 1) && !(b && sscanf(line + 4, "%39s", key) == 1))
            continue;
        add_word(&w, key, strlen(key));
        const ConfigKey *k = config_key_find(key);
        if (!k) continue;
        if (k->type == CONFIG_CHOICE) { // .BR compress " {" conv | mean | max | dilated | most-used }
            char *open = strchr(rest, '{'), *close = strchr(rest, '}');
            CHECK_MSG(open && close, "man page: %s lists no choices", key);
            if (open && close) {
                *close = 0;
                check_choices(k, open + 1, " |\"", "man page");
            }
        } else if (k->type != CONFIG_U64) { // .BR d_model " (1\-8192)"
            char want[80], lo[32], hi[32];
            number_text(k->min, k->type == CONFIG_INT, lo, sizeof lo);
            number_text(k->max, k->type == CONFIG_INT, hi, sizeof hi);
            snprintf(want, sizeof want, "\" (%s\\-%s)\"", lo, hi);
            CHECK_MSG(!strcmp(rest, want), "man page: %s has the range %s, the table %s", key, rest, want);
        }
    }
    check_same_keys(&w, "the man page's CONFIG KEYS");
    free(man);
}

TEST(config_keys_of_the_bash_completion_are_the_tables) {
    char *comp = read_text("app/memscope.bash-completion");
    char *p = strstr(comp, "local keys=\""), *end = p ? strchr(p + 12, '"') : NULL;
    CHECK_MSG(p && end, "the completion has no keys list");
    Words w = {0};
    for (p += 12; p < end;) {
        size_t len = strspn(p, "abcdefghijklmnopqrstuvwxyz_");
        if (len && p[len] == '=') add_word(&w, p, len);
        p += len ? len : 1;
    }
    check_same_keys(&w, "the completion's keys");
    for (int i = 0; i < config_key_count; i++) { // compress=*) ... -W "conv mean max dilated most-used"
        const ConfigKey *k = &config_key_table[i];
        if (k->type != CONFIG_CHOICE) continue;
        char pattern[64];
        snprintf(pattern, sizeof pattern, "\n        %s=*)", k->name);
        char *c = strstr(comp, pattern), *q = c ? strstr(c, "-W \"") : NULL, *qe = q ? strchr(q + 4, '"') : NULL;
        CHECK_MSG(qe, "the completion offers no choices after %s=", k->name);
        if (!qe) continue;
        char list[256];
        snprintf(list, sizeof list, "%.*s", (int)(qe - q - 4), q + 4);
        check_choices(k, list, " ", "the completion");
    }
    free(comp);
}
