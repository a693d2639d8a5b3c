// memscope export and import: shipping copies of checkpoints (weights only, fp16) and labml.ai state dicts.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/cli.h"
#include "app/commands.h"
#include "engine/checkpoint_export.h"
#include "engine/labml.h"
#include "engine/safetensors.h"

static const char *const export_help =
    "usage: memscope export [--weights-only] [--half] [--meta KEY=VALUE]... [--force] CKPT OUT.safetensors\n"
    "       memscope export --to labml [--force] CKPT OUT.safetensors\n"
    "Writes a copy of a checkpoint. --weights-only drops the optimizer moments, the training memory and the data\n"
    "position (training from it starts a fresh optimizer); --half stores the model tensors as F16 (half the\n"
    "size; memscope reads them back into fp32); every other metadata key (config, vocabulary, compression, loss\n"
    "history) is kept, and --meta adds or replaces one of your own (memscope's keys are refused).\n"
    "--to labml writes the model under labml.ai's names and\n"
    "shapes (relative tables of 2*4096 rows), loadable into labml's CompressiveTransformer with\n"
    "load_state_dict(strict=True). OUT may not be CKPT; an existing checkpoint OUT is replaced only with --force.\n"
    EXIT_STATUS_HELP;

static const char *const import_help =
    "usage: memscope import --from labml IN.safetensors --data TEXT --set seq_len=Q --set mem_len=M\n"
    "                       --set c_mem_len=C [--set key=value]... --save OUT.safetensors [--force]\n"
    "Converts a labml.ai Compressive Transformer state dict (saved with safetensors.torch.save_file) into a\n"
    "memscope checkpoint. d_model, n_heads, n_layers, d_ff, compression_rate and the vocabulary size come from\n"
    "the shapes; the vocabulary is the sorted distinct characters of TEXT (labml's rule: give the text the\n"
    "model was trained on); seq_len, mem_len and c_mem_len are not in a state dict and must be given.\n"
    EXIT_STATUS_HELP;

#define MAX_ARGS 64

typedef struct {
    const char *to, *from, *data, *save;
    const char *meta[MAX_ARGS], *sets[MAX_ARGS], *paths[MAX_ARGS];
    int n_meta, n_sets, n_paths, half, weights_only, force, help;
} ConvertArgs;

// Flags of `allowed` ("to meta half weights-only" ...) and positional paths; one line and -1 on a bad one.
static int parse_convert(ConvertArgs *a, const char *cmd, const char *allowed, int argc, char **argv) {
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "--help") || !strcmp(arg, "-h")) {
            a->help = 1;
            continue;
        }
        if (strncmp(arg, "--", 2)) {
            if (a->n_paths == MAX_ARGS) return -fail(cmd, "too many paths; see memscope %s --help", cmd);
            a->paths[a->n_paths++] = arg;
            continue;
        }
        const char *name = arg + 2;
        char word[40];
        snprintf(word, sizeof word, " %s ", name);
        char list[200];
        snprintf(list, sizeof list, " %s ", allowed);
        if (strlen(name) > 30 || !strstr(list, word)) return -fail(cmd, "unknown option '%s'; see memscope %s --help", arg, cmd);
        if (!strcmp(name, "half")) a->half = 1;
        else if (!strcmp(name, "weights-only")) a->weights_only = 1;
        else if (!strcmp(name, "force")) a->force = 1;
        else {
            if (i + 1 == argc) return -fail(cmd, "option '%s' needs a value; see memscope %s --help", arg, cmd);
            const char *v = argv[++i];
            if (!strcmp(name, "to")) a->to = v;
            else if (!strcmp(name, "from")) a->from = v;
            else if (!strcmp(name, "data")) a->data = v;
            else if (!strcmp(name, "save")) a->save = v;
            else if (a->n_meta == MAX_ARGS || a->n_sets == MAX_ARGS) return -fail(cmd, "too many --%s", name);
            else if (!strcmp(name, "meta")) a->meta[a->n_meta++] = v;
            else a->sets[a->n_sets++] = v;
        }
    }
    return 0;
}

// --meta adds notes (how a file was made, ...); the keys memscope reads itself are the one config rule's and
// the checkpoint's own: changing them here could write a file that nothing loads, so they are refused.
static int check_meta(const char *assignment) {
    const char *eq = strchr(assignment, '=');
    size_t n = eq ? (size_t)(eq - assignment) : 0;
    if (!eq || n == 0)
        return fail("export", "--meta '%s' is not KEY=VALUE with a non-empty KEY", assignment);
    char key[128];
    snprintf(key, sizeof key, "%.*s", (int)n, assignment);
    static const char *const own[] = {"vocab", "format", "memscope_version", "step", "history.train", "history.valid",
                                      NULL};
    int reserved = checkpoint_is_state_key(key) || !strncmp(key, "memory.", 7);
    reserved = reserved || config_key_find(key);
    for (int i = 0; own[i] && !reserved; i++) reserved = !strcmp(key, own[i]);
    if (reserved)
        return fail("export", "--meta %s: '%s' is memscope's own key (the model, its vocabulary or its state); give "
                    "another name, e.g. note.%s", assignment, key, key);
    return 0;
}

static int export_labml(const Checkpoint *ck, const char *out) {
    Model *m = build_model(&ck->cfg, ck, "export");
    if (!m) return 1;
    char err[1024];
    int rc = labml_save(m, out, err, sizeof err) ? fail("export", "%s", err) : 0;
    model_free(m);
    if (!rc) fprintf(stderr, "memscope export: wrote %s (labml names, relative tables of %d rows)\n", out, 2 * LABML_P);
    return rc;
}

int cmd_export(int argc, char **argv) {
    ConvertArgs a;
    if (parse_convert(&a, "export", "to meta half weights-only force", argc, argv)) return 2;
    if (a.help) return fputs(export_help, stdout), 0;
    if (a.n_paths != 2) return fail("export", "expects CKPT and OUT.safetensors; see memscope export --help"), 2;
    if (a.to && strcmp(a.to, "labml") && strcmp(a.to, "memscope"))
        return fail("export", "--to '%s' is not known; use labml or memscope", a.to), 2;
    int labml = a.to && !strcmp(a.to, "labml");
    if (labml && (a.half || a.weights_only || a.n_meta))
        return fail("export", "--to labml writes F32 model tensors only; drop --half, --weights-only and --meta"), 2;
    for (int i = 0; i < a.n_meta; i++)
        if (check_meta(a.meta[i])) return 2;
    Options io = {.load = a.paths[0], .force = a.force}; // OUT may not be the input, nor a foreign checkpoint
    if (check_output_path(a.paths[1], "OUT", &io, "export")) return 1;
    char err[1024];
    Checkpoint ck;
    if (checkpoint_open(&ck, a.paths[0], err, sizeof err)) return fail("export", "%s", err);
    int rc;
    if (labml) rc = export_labml(&ck, a.paths[1]);
    else {
        ExportOptions o = {.half = a.half, .weights_only = a.weights_only, .meta = a.meta, .n_meta = a.n_meta};
        rc = checkpoint_export(&ck, a.paths[1], &o, err, sizeof err) ? fail("export", "%s", err) : 0;
    }
    checkpoint_close(&ck);
    return rc;
}

// The three lengths a state dict does not hold, and any training key; the keys the shapes fix are refused.
static int apply_sets(Config *cfg, const ConvertArgs *a) {
    static const char *const needed[] = {"seq_len", "mem_len", "c_mem_len"};
    static const char *const fixed[] = {"d_model=", "n_heads=", "n_layers=", "d_ff=", "compression_rate=", "compress="};
    char err[512];
    for (int i = 0; i < a->n_sets; i++) {
        for (size_t k = 0; k < sizeof fixed / sizeof fixed[0]; k++)
            if (!strncmp(a->sets[i], fixed[k], strlen(fixed[k])))
                return fail("import", "--set %s: the state dict's shapes fix this key; drop it", a->sets[i]);
        if (config_set(cfg, a->sets[i], err, sizeof err)) return fail("import", "%s", err);
    }
    for (int k = 0; k < 3; k++) {
        int given = 0;
        for (int i = 0; i < a->n_sets; i++) given |= !strncmp(a->sets[i], needed[k], strlen(needed[k])) &&
                                                    a->sets[i][strlen(needed[k])] == '=';
        if (!given)
            return fail("import", "--set %s=N is missing; a state dict holds no seq_len, mem_len or c_mem_len: give "
                        "the values the model was trained with", needed[k]);
    }
    return 0;
}

static int import_labml(const ConvertArgs *a, const Vocab *vocab) {
    const char *in = a->paths[0];
    char err[1024];
    if (labml_refuse_pickle(in, err, sizeof err)) return fail("import", "%s", err);
    StFile f;
    if (st_open(&f, in, err, sizeof err)) return fail("import", "%s", err);
    Config cfg;
    config_preset(&cfg, "labml");
    int rc = 1;
    Model *m = NULL;
    if (labml_read_shapes(&f, in, &cfg, err, sizeof err)) fail("import", "%s", err);
    else if (cfg.vocab_size != vocab->size)
        fail("import", "%s has %d distinct characters but %s's src_embed.weight has %d rows: give the text the model "
             "was trained on", a->data, vocab->size, in, cfg.vocab_size);
    else if (!apply_sets(&cfg, a) && !check_config(&cfg, "import") && (m = build_model(&cfg, NULL, "import"))) {
        if (labml_load(&f, in, m, err, sizeof err)) fail("import", "%s", err);
        else if (checkpoint_save(a->save, m, vocab, NULL, err, sizeof err)) fail("import", "%s", err);
        else rc = 0;
    }
    if (!rc)
        fprintf(stderr, "memscope import: wrote %s (d_model %d, %d heads, %d layers, d_ff %d, c %d, %d characters)\n",
                a->save, cfg.d_model, cfg.n_heads, cfg.n_layers, cfg.d_ff, cfg.compression_rate, cfg.vocab_size);
    model_free(m);
    st_close(&f);
    return rc;
}

int cmd_import(int argc, char **argv) {
    ConvertArgs a;
    if (parse_convert(&a, "import", "from data set save force", argc, argv)) return 2;
    if (a.help) return fputs(import_help, stdout), 0;
    if (!a.from || strcmp(a.from, "labml")) return fail("import", "--from labml is required (the one format memscope imports)"), 2;
    if (a.n_paths != 1) return fail("import", "expects one IN.safetensors; see memscope import --help"), 2;
    if (!a.data) return fail("import", "--data TEXT is required: the vocabulary is the sorted characters of the training text"), 2;
    if (!a.save) return fail("import", "--save OUT.safetensors is required"), 2;
    Config probe; // the --set values are a usage matter: checked before any file is read
    config_preset(&probe, "labml");
    if (apply_sets(&probe, &a)) return 2;
    Options io = {.load = a.paths[0], .data = a.data, .force = a.force};
    if (check_output_path(a.save, "--save", &io, "import")) return 1;
    Corpus c;
    char err[1024];
    if (corpus_load(&c, a.data, err, sizeof err)) return fail("import", "%s", err);
    int rc = import_labml(&a, &c.vocab);
    corpus_free(&c);
    return rc;
}
