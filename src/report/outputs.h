/*
 * outputs.h -- the files of `huella analyze --out DIR`, exactly as
 * shared/docs/EVENTS.md specifies them.
 *
 *   accounts.csv     one row per account seen, header first, RFC 4180:
 *                    account_id,score,flagged,action,campaign_id,requests,reasons
 *   campaigns.json   an array, strongest campaign first; the schema is
 *                    docs/formats/campaigns.schema.json
 *
 * Writers stream through a capped buffer and report I/O errors; the output
 * is deterministic for a given struct hu_results (scores are printed with
 * fixed precision, lists in a fixed order).
 */
#ifndef HU_REPORT_OUTPUTS_H
#define HU_REPORT_OUTPUTS_H

#include <stdio.h>
#include "core/buf.h"
#include "score/results.h"

#define HU_CAMPAIGNS_SCHEMA_VERSION 1

/* Append one RFC 4180 field (quoted when it holds , " CR or LF). */
int hu_csv_field(struct hu_buf *b, const char *s, size_t len);

/* Write accounts.csv / campaigns.json to `out`.  HU_OK or HU_EIO/HU_ENOMEM. */
HU_MUST_CHECK int hu_write_accounts_csv(FILE *out, const struct hu_results *r);
HU_MUST_CHECK int hu_write_campaigns_json(FILE *out, const struct hu_results *r);
/* Format an account's reasons as "code=value;code=value". */
HU_MUST_CHECK int hu_format_reasons(struct hu_buf *b, const struct hu_account_result *a);

#endif
