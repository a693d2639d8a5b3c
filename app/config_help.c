// The config key table of engine/config.h as text for people.
#include "app/config_help.h"

#include <string.h>

#include "engine/config.h"
#include "ui/cmdline.h"

#define HELP_WIDTH 100

// "conv|mean|max" (sep "|") or "conv mean max" (sep " ").
static void choice_names(const ConfigChoice *choices, const char *sep, char *out, size_t n) {
    config_choice_list(choices, sep, sep, out, n);
}

void print_config_key_names(FILE *f) {
    int col = fprintf(f, "keys:");
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        char word[200], names[160];
        if (k->type == CONFIG_CHOICE) {
            choice_names(k->choices, " ", names, sizeof names);
            snprintf(word, sizeof word, "%s (%s)", k->name, names);
        } else snprintf(word, sizeof word, "%s", k->name);
        if (col + 1 + (int)strlen(word) > HELP_WIDTH) col = fprintf(f, "\n     ");
        col += fprintf(f, " %s", word);
    }
    fputc('\n', f);
}

static const char *kind_name(ConfigKind kind) {
    return kind == CONFIG_MODEL_KEY ? "model" : kind == CONFIG_TRAINING_KEY ? "training" : "memory lab";
}

static void print_choices(FILE *f, const char *what, const ConfigChoice *choices) {
    fprintf(f, "\n%s:\n", what);
    for (int i = 0; choices[i].name; i++) fprintf(f, "  %-12s %s\n", choices[i].name, choices[i].help);
}

int print_config_keys(FILE *f) {
    fputs("config keys, given with --set KEY=VALUE (model keys come from the checkpoint on --load; every value is\n"
          "range-checked and the relations between keys are checked too):\n",
          f);
    for (int i = 0; i < config_key_count; i++) {
        const ConfigKey *k = &config_key_table[i];
        char range[160];
        if (k->type == CONFIG_CHOICE) choice_names(k->choices, "|", range, sizeof range);
        else if (k->type == CONFIG_U64) snprintf(range, sizeof range, ">= 0");
        else if (k->type == CONFIG_INT) snprintf(range, sizeof range, "%.0f-%.0f", k->min, k->max);
        else snprintf(range, sizeof range, "%g-%g", k->min, k->max);
        fprintf(f, "  %-17s %s, %s key\n  %-17s %s\n", k->name, range, kind_name(k->kind), "", k->help);
    }
    print_choices(f, "compress (compression functions)", compress_fn_choices);
    print_choices(f, "compress_loss (compression losses)", compress_loss_choices);
    return 0;
}

static const char *fn_names[COMPRESS_FN_COUNT + 1], *loss_names[COMPRESS_LOSS_COUNT + 1];
static int fn_known(const char *name) { return compress_fn_parse(name) >= 0; }
static int loss_known(const char *name) { return compress_loss_parse(name) >= 0; }

void ui_compress_choices_from_engine(void) {
    for (int i = 0; i < COMPRESS_FN_COUNT; i++) fn_names[i] = compress_fn_choices[i].name;
    for (int i = 0; i < COMPRESS_LOSS_COUNT; i++) loss_names[i] = compress_loss_choices[i].name;
    UiCompressChoices choices = {fn_names, loss_names, fn_known, loss_known};
    ui_set_compress_choices(&choices);
}
