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

/* Tokens of accounts 0..n-1 in CSR form: account i's sorted, distinct
 * tokens are (*tokens_out)[(*off_out)[i] .. (*off_out)[i+1]).  beh[i] is
 * the account's behaviour score: only harvesting accounts get tokens.
 * The caller frees both arrays with hu_free.  HU_OK or HU_ENOMEM.
 * O(accounts x set sizes). */
HU_MUST_CHECK int hu_fingerprint_tokens(struct hu_profile *const *prof, size_t n, const double *beh,
                                        uint64_t **tokens_out, uint32_t **off_out);

#endif
