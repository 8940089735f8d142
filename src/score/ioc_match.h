/*
 * ioc_match.h -- partners' indicators as evidence (`huella analyze --iocs`).
 *
 * After ingest, every account's addresses, ASNs, user agents, client and
 * header fingerprints, payment instruments (as keyed hashes under the
 * sharing key) and heaviest templates are looked up in the loaded
 * indicator set (features/ioc.h).  A hit is evidence, not a verdict: it
 * raises the account's score by a per-kind weight (params.h HU_IOC_W_*),
 * combined as a noisy-OR and capped, and adds a reason code naming the
 * kind and the producer, e.g. `ioc_payment@PartnerLab=1`.
 */
#ifndef HU_SCORE_IOC_MATCH_H
#define HU_SCORE_IOC_MATCH_H

#include <stddef.h>
#include <stdint.h>
#include "features/ioc.h"
#include "profile/entity_dict.h"
#include "profile/profile.h"

/* The strongest hit of one account, per kind family. */
struct hu_ioc_hit {
    double score;                 /* 0..HU_IOC_MAX: what the hits add */
    uint8_t n;                    /* hits listed below (<= 4) */
    struct {
        const char *kind;         /* "ip", "payment_hmac", ... (static) */
        const char *producer;     /* borrowed from the set */
        const char *indicator_id; /* borrowed from the set */
    } hit[4];
};

/* Match every account (prof[i], i < n) against `set`; out[i] receives the
 * hits.  share_key (may be NULL) is the partners' sharing key: without it
 * payment indicators cannot match.  O(accounts x set sizes). */
void hu_ioc_match_accounts(const struct hu_ioc_set *set, struct hu_profile *const *prof, size_t n,
                           const struct hu_entity_dict *dict, const uint8_t *share_key,
                           size_t share_key_len, struct hu_ioc_hit *out);

#endif
