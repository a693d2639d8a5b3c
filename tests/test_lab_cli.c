// `memscope lab` from the command line: the recall corpus, a short comparison run, the attention picture of a
// checkpoint, and refusals of bad input (one stderr line, non-zero exit).
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/cli_run.h"
#include "tests/harness.h"

#define TINY_LAB "--set d_model=16 --set n_heads=2 --set n_layers=1 --set d_ff=16 --set batch_size=4"

TEST(lab_cli_recall_prints_a_sample_and_writes_the_corpus) {
    RunResult r = run("lab recall -n 800");
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.out, "key ") && strstr(r.out, "what is ") && strstr(r.out, "answers in these 800 characters"));
    char path[600], text[4096];
    snprintf(path, sizeof path, "%s/recall.txt", test_tmpdir());
    r = run("lab recall -n 3000 --seed 5 --save %s", path);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.out, "wrote 3000 characters"));
    read_into(path, text, sizeof text);
    CHECK(strlen(text) == 3000 && strstr(text, "what is "));
    RunResult again = run("lab recall -n 3000 --seed 5");
    CHECK(!strncmp(again.out, text, 3000)); // the same text on stdout and in the file
}

TEST(lab_cli_refuses_bad_input) {
    CHECK_REFUSED(run("lab frobnicate"), "frobnicate");
    CHECK_REFUSED(run("lab compare --steps 0"), "--steps");
    CHECK_REFUSED(run("lab compare --set recall.pending=0"), "recall.pending");
    CHECK_REFUSED(run("lab compare --set recall.colour=3"), "recall.colour");
    CHECK_REFUSED(run("lab compare --set d_model=-1"), "d_model");
    // the relations too: the lab validates its config itself (model_new trusts a validated one)
    CHECK_REFUSED(run("lab compare --set d_model=7 --set n_heads=2 --steps 1"), "n_heads=2 does not divide d_model=7");
    CHECK_REFUSED(run("lab compare -n 10"), "-n");
    CHECK_REFUSED(run("lab attention --data builtin"), "--load");
    CHECK_REFUSED(run("lab recall --save /nonexistent-dir/r.txt -n 100"), "/nonexistent-dir/r.txt");
    RunResult r = run("lab --help");
    CHECK(r.status == 0 && strstr(r.out, "lab compare"));
}

TEST(lab_cli_compare_runs_three_models_and_reports_json) {
    RunResult r = run("lab compare --steps 20 --threads 1 --json -n 5000 " TINY_LAB);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.out, "\"runs\":[") && strstr(r.out, "(a) compressive") && strstr(r.out, "(b) xl N_m+N_cm") &&
          strstr(r.out, "(c) xl N_m"));
    CHECK(strstr(r.out, "\"keys\":64") && strstr(r.out, "\"keys\":48")); // (a) and (b) the same K, (c) fewer
    CHECK(strstr(r.out, "\"label\":\"N_m+N_cm+Q < D <= N_m+c*N_cm+Q\""));
    r = run("lab compare --steps 20 --threads 2 -n 5000 " TINY_LAB " --set recall.pending=2 --set recall.max=60");
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.out, "recall accuracy") && strstr(r.out, "tok/s"));
}

TEST(lab_cli_attention_picture_of_a_checkpoint) {
    char ckpt[600], csv[600], json[600], text[8192];
    snprintf(ckpt, sizeof ckpt, "%s/att.safetensors", test_tmpdir());
    snprintf(csv, sizeof csv, "%s/att.csv", test_tmpdir());
    snprintf(json, sizeof json, "%s/att.json", test_tmpdir());
    RunResult r = run("train --data builtin --set d_model=16 --set n_heads=2 --set n_layers=2 --set d_ff=16 "
                      "--set seq_len=8 --set mem_len=8 --set c_mem_len=12 --set compression_rate=2 --set batch_size=2 "
                      "--steps 5 --threads 1 --save %s",
                      ckpt);
    CHECK_MSG(r.status == 0, "%s", r.err);
    char data[600];
    snprintf(data, sizeof data, "%s/small.txt", test_tmpdir());
    FILE *f = fopen(data, "w");
    for (int i = 0; i < 300; i++) fputs("the king is dead. ", f);
    fclose(f);
    r = run("lab attention --load %s --data %s --attention-stats %s --threads 1", ckpt, data, csv);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.out, "all layers") && strstr(r.out, "compressed") && strstr(r.out, "attention-reconstruction"));
    read_into(csv, text, sizeof text);
    CHECK(!strncmp(text, "kind,layer,group,bucket,mean,std,count,lo,hi\n", 45));
    r = run("lab attention --load %s --data %s --attention-stats %s --json --threads 1", ckpt, data, json);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(r.out[0] == '{' && strstr(r.out, "\"reconstruction\":["));
    read_into(json, text, sizeof text);
    CHECK(text[0] == '{');
}

// --set compress/compress_loss at the start, kept in the checkpoint; eval scores recall by distance and exports
// the attention statistics; a resumed run keeps the function unless --set changes it.
TEST(lab_cli_compression_choice_survives_train_eval_and_resume) {
    char ckpt[600], recall[600], json[600], text[8192];
    snprintf(ckpt, sizeof ckpt, "%s/lab.safetensors", test_tmpdir());
    snprintf(recall, sizeof recall, "%s/recall.txt", test_tmpdir());
    snprintf(json, sizeof json, "%s/stats.json", test_tmpdir());
    RunResult r = run("train --data builtin:recall " TINY_LAB " --set seq_len=8 --set mem_len=8 --set c_mem_len=8 "
                      "--set compression_rate=2 --set compress=dilated --set compress_loss=autoencode --steps 6 "
                      "--threads 1 --save %s", ckpt);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.err, "built-in recall corpus"));
    r = run("info %s", ckpt);
    CHECK(strstr(r.out, "dilated r2 +decoder (active)") && strstr(r.out, "autoencode"));
    CHECK(run("lab recall -n 4000 --save %s", recall).status == 0);
    r = run("eval --load %s --data %s --attention-stats %s --threads 1", ckpt, recall, json);
    CHECK_MSG(r.status == 0, "%s", r.err);
    CHECK(strstr(r.out, "recall accuracy over ") && strstr(r.out, "N_m < D <= N_m+Q") && strstr(r.err, json));
    read_into(json, text, sizeof text);
    CHECK(!strncmp(text, "{\"segments\":", 12) && strstr(text, "\"compressed\":{\"share\":"));
    r = run("eval --load %s --data %s --json --threads 1", ckpt, recall);
    CHECK(r.status == 0 && strstr(r.out, "\"recall\":{\"buckets\":["));
    r = run("train --load %s --data builtin:recall --steps 2 --threads 1 --set compress=max --save %s", ckpt, ckpt);
    CHECK_MSG(r.status == 0, "%s", r.err);
    r = run("info %s", ckpt);
    CHECK_MSG(strstr(r.out, "max r2 +decoder (active)") && strstr(r.out, "dilated r2 +decoder"), "%s", r.out);
    CHECK_REFUSED(run("train --data builtin --steps 1 --set compress=zip"), "conv mean max dilated most-used");
    CHECK_REFUSED(run("train --data builtin:nothing --steps 1"), "builtin:recall");
    CHECK_REFUSED(run("eval --load %s --data %s --attention-stats /nonexistent-dir/s.csv", ckpt, recall),
                  "/nonexistent-dir");
}
