// The memory lab's attention statistics (engine/attention_stats.h) written out: CSV, JSON and a readable table.
#ifndef MEMSCOPE_APP_ATTENTION_REPORT_H
#define MEMSCOPE_APP_ATTENTION_REPORT_H

#include <stddef.h>
#include <stdio.h>

#include "engine/attention_stats.h"

// CSV (columns kind,layer,group,bucket,mean,std,count,lo,hi) or, for a path ending in .json, JSON; one
// line of error naming the path on failure.
int attention_report_export(const AttentionStats *s, const char *path, char *err, size_t errlen);
void attention_report_csv(const AttentionStats *s, FILE *f);
void attention_report_json(const AttentionStats *s, FILE *f);
// A readable table: per layer and pooled, the 18 buckets, then the reconstruction quantiles.
void attention_report_print(const AttentionStats *s, FILE *f);

#endif
