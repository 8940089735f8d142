/*
 * explain.h -- indicators and evidence sentences for campaigns.
 *
 * Called by analysis.c after campaigns are built (campaign.h); both fill
 * fields of struct hu_results that campaign.c leaves empty.
 */
#ifndef HU_SCORE_EXPLAIN_H
#define HU_SCORE_EXPLAIN_H

#include <stddef.h>
#include "profile/entity_dict.h"
#include "profile/profile.h"
#include "score/results.h"
#include "score/usage.h"

/* Fill every campaign's indicators from its members' profiles.  prof[i]
 * is account i's profile (the results' account order), n_acc of them.
 * HU_OK or HU_ENOMEM.  O(members x set sizes + accounts x set sizes). */
HU_MUST_CHECK int hu_explain_indicators(struct hu_results *r, struct hu_profile *const *prof, size_t n_acc,
                                        const struct hu_entity_dict *dict);

/* Fill every campaign's evidence sentences, strongest first.  usage[i] is
 * account i's usage.  HU_OK or HU_ENOMEM. */
HU_MUST_CHECK int hu_explain_evidence(struct hu_results *r, const struct hu_usage *usage);

#endif
