// Command-line plumbing shared by the subcommands: options, numbers, the corpus, the model.
#ifndef MEMSCOPE_CLI_H
#define MEMSCOPE_CLI_H

#include "engine/attention_stats.h"
#include "engine/checkpoint.h"
#include "engine/config.h"
#include "engine/data.h"
#include "engine/model.h"
#include "engine/run.h"

#define MAX_SETS 64

// The last line of every command's --help: one rule for exit statuses everywhere.
#define EXIT_STATUS_HELP "exit status: 0 success, 1 a runtime failure (file, data, checkpoint, disk), 2 a usage error\n"

typedef struct {
    const char *data, *preset, *load, *save, *log, *prompt, *attention_stats;
    const char *sets[MAX_SETS];
    int n_sets;
    long steps, epochs, save_every, length, threads, top_k, max_steps, exit_after_frames;
    double temperature, minutes, valid_every; // --minutes: training time budget; --valid-every: seconds
    double progress_every; // --progress-every: seconds between plain progress lines off a terminal (0: none)
    int has_progress_every;
    unsigned long long seed;
    int has_seed, has_length, json, help; // has_length: -n was given (length defaults to 200)
    int half; // --half (sample): fp16 generation
    int force; // --force: an output may replace a checkpoint this run did not load
} Options;

// Parses argv for subcommand `cmd`; `allowed` lists its long options (without "--"). Prints one line
// and returns -1 on a bad flag or value.
int parse_options(Options *o, const char *cmd, const char *allowed, int argc, char **argv);

// Prints "memscope CMD: message" as one line on stderr; returns 1 for `return fail(...)`.
int fail(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

// The corpus of --data, else data/tinyshakespeare.txt, else the built-in one; says which on stderr.
int load_corpus(Corpus *c, const char *path, const char *cmd);
// Re-encodes corpus text with a checkpoint's vocabulary; fails naming the first foreign byte.
int encode_with_vocab(Corpus *c, const Vocab *v, const char *cmd);

// The config of --preset/--load/--set/--seed (checkpoint model keys win; setting one is an error).
int build_config(Config *cfg, const Options *o, const Checkpoint *ck, const char *cmd);
// config_validate with its message on stderr: 0, or 1.
int check_config(const Config *cfg, const char *cmd);
// A model from config and, when ck is given, its weights. cfg has passed config_validate where it was made
// (train and tui after build_config, lab and import by themselves, checkpoint_open for ck->cfg).
Model *build_model(const Config *cfg, const Checkpoint *ck, const char *cmd);
// 0 when a run of cfg on `threads` training threads fits the memory (run_budget against the machine's RAM or
// MEMSCOPE_MEMORY_LIMIT_MB); else one line naming the figures and what to lower, and -1.
int check_memory_budget(const Config *cfg, int threads, const char *cmd);
// run_open after the memory budget (cfg validated already, where it was made); 0, or 1 after one line on stderr.
int open_run(Run *r, const Config *cfg, const Corpus *corpus, const Checkpoint *ck, long threads, const char *cmd);

// A trained checkpoint read against --data (eval, lab attention): the checkpoint, the corpus in its
// vocabulary, the model, and the attention statistics when asked for.
typedef struct {
    Checkpoint ck;
    Corpus corpus;
    Model *m;
    AttentionStats st;
    int have_stats;
} CheckpointRun;

// Requires --load and --data (the usage line points at `memscope HELP_CMD --help`), checks the
// --attention-stats path before any work, sets the threads (default 2) and opens everything. On failure
// prints one line, frees what it opened and returns the exit status (2 for usage, else 1); 0 when ready.
int checkpoint_run_open(CheckpointRun *r, const Options *o, int want_stats, const char *cmd, const char *help_cmd);
void checkpoint_run_close(CheckpointRun *r);

void set_threads(long threads);
double now_seconds(void);
// An output file (--save, --log, --attention-stats, lab --save) is checked before the work, not after: the
// rules of engine/output_file.h (a regular file or a new one; a symlink is followed; the real temporary name
// can be created), not the same file (device and inode) as an input of the run or another output, and not a
// checkpoint the run did not --load unless --force. One line on stderr naming flag and path when not; returns 1.
int check_output_path(const char *path, const char *flag, const Options *o, const char *cmd);
// check_output_path for every output of the options.
int check_outputs(const Options *o, const char *cmd);

#endif
