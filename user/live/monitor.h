/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The live monitor: drain, hold back, classify, filter, print, summarise. */
#ifndef TF_MONITOR_H
#define TF_MONITOR_H

#include "options.h"

/* Runs until a signal or --duration; returns the process exit status. */
int tf_monitor_run(const struct tf_options *o);

#endif
