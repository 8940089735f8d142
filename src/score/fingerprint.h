/*
 * fingerprint.h -- usage-fingerprint tokens per account.
 *
 * A token is a typed hash of something an account's traffic shows: a
 * client or header fingerprint, an exact user agent, an ASN, a system
 * prompt template, a tool set, a payment instrument.  Tokens that
 * identify a way of working rather than a crowd are kept (see
 * fingerprint.c); campaign.c joins harvesting fragments that share them.
 */
#ifndef HU_SCORE_FINGERPRINT_H
#define HU_SCORE_FINGERPRINT_H

#include <stddef.h>
#include <stdint.h>
#include "profile/profile.h"

/* Tokens of things an operator chooses (system prompt, tool set, payment
 * instrument) carry this bit; the rest (client and header fingerprints,
 * user agents, ASNs) are shared by everyone on the same SDK release or
 * network, so two groups must share at least one operator token to merge. */
#define HU_FP_OPERATOR_BIT (UINT64_C(1) << 63)
/* Tokens used (almost) only by harvesting accounts (>= HU_TOKEN_EXCLUSIVE_SHARE
 * of their users) carry this bit: one shared exclusive operator token -- a
 * system prompt nobody else sends -- is enough to join two groups. */
#define HU_FP_EXCLUSIVE_BIT (UINT64_C(1) << 62)

/* Bit of `sets` (below) for the account's heaviest first/last sentences:
 * a harvesting script's wrapper (operator tokens). */
#define HU_FP_SET_SENTENCES (UINT32_C(1) << 31)

/* Tokens of accounts 0..n-1 in CSR form: account i's sorted, distinct
 * tokens are (*tokens_out)[(*off_out)[i] .. (*off_out)[i+1]).  `sets` is a
 * bit mask of the profile sets (enum hu_pset) to draw tokens from.  beh[i] is
 * the account's behaviour score: only harvesting accounts get tokens.
 * The caller frees both arrays with hu_free.  HU_OK or HU_ENOMEM.
 * O(accounts x set sizes). */
HU_MUST_CHECK int hu_fingerprint_tokens(struct hu_profile *const *prof, size_t n, const double *beh,
                                        uint32_t sets, uint64_t **tokens_out, uint32_t **off_out);

#endif
