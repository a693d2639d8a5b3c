// memscope info: what a checkpoint holds.
#include <stdio.h>
#include <string.h>

#include "app/cli.h"
#include "app/commands.h"

static void print_vocab(const Vocab *v) {
    printf("vocab       %d characters: ", v->size);
    for (int i = 0; i < v->size; i++) {
        unsigned char ch = v->chars[i];
        if (ch == '\n') fputs("\\n", stdout);
        else if (ch >= 0x20 && ch < 0x7f) putchar(ch);
        else printf("\\x%02x", ch);
    }
    putchar('\n');
}

int cmd_info(int argc, char **argv) {
    if (argc >= 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")))
        return fputs("usage: memscope info CKPT\nPrints a checkpoint's config, the memscope that wrote it, vocabulary, "
                     "parameter count and step.\n" EXIT_STATUS_HELP,
                     stdout), 0;
    if (argc != 1) return fail("info", "expects exactly one checkpoint path; see memscope info --help"), 2;
    if (!strncmp(argv[0], "--", 2)) // a file named like an option is given as ./--name
        return fail("info", "unknown option '%s'; see memscope info --help", argv[0]), 2;
    char err[1024];
    Checkpoint ck;
    if (checkpoint_open(&ck, argv[0], err, sizeof err)) return fail("info", "%s", err);
    Model *m = build_model(&ck.cfg, &ck, "info");
    if (!m) {
        checkpoint_close(&ck);
        return 1;
    }
    printf("checkpoint  %s\n", argv[0]);
    printf("written by  %s\n", ck.writer_version ? ck.writer_version : "unknown (no memscope_version metadata)");
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        char value[64];
        config_get(&ck.cfg, k->name, value, sizeof value);
        int lab = k->kind == CONFIG_LAB_KEY, training = k->kind == CONFIG_TRAINING_KEY;
        if (training && !ck.has_training_keys) continue;
        printf("%-17s %s%s\n", k->name, value, training ? "  (training)" : lab ? "  (memory lab)" : "");
    }
    print_vocab(&ck.vocab);
    printf("parameters  %ld\n", model_param_count(m));
    printf("compression ");
    for (int i = 0; i < m->n_sets; i++)
        printf("%s%s r%d%s%s", i ? ", " : "", compress_fn_name(m->sets[i].fn), m->sets[i].rate,
               m->sets[i].has_decoder ? " +decoder" : "", i == m->active ? " (active)" : "");
    printf("\nstep        %ld\n", ck.step);
    printf("state       %s\n", ck.has_state ? "full (optimizer, memory and data position: resumes exactly)"
                                            : "weights only (training starts a fresh optimizer)");
    model_free(m);
    checkpoint_close(&ck);
    return 0;
}
