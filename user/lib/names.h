/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Names for numbers the kernel hands us: errnos, TCP states, RST reasons. */
#ifndef TF_NAMES_H
#define TF_NAMES_H

/* "ECONNRESET" for 104; NULL for 0 or an unknown value. */
const char *tf_errno_name(int err);
/* "ESTABLISHED"; "?" for values outside the kernel's table. */
const char *tf_state_name(unsigned int state);
/*
 * RST reason names come from the running kernel's BTF (enum sk_rst_reason),
 * because their numbers change between versions.  Returns 0 when the kernel
 * has no such enum (before 6.10); names then read as NULL.
 */
int tf_rst_reasons_load(void);
/* "ABORT_ON_CLOSE" (prefix SK_RST_REASON_ dropped, lower case kept as in the kernel). */
const char *tf_rst_reason_name(unsigned int reason);
void tf_rst_reasons_free(void);

#endif
