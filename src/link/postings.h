/*
 * postings.h -- what an account's profile offers to linkage: one posting
 * per thing it could share with another account (link/pairs.h).
 *
 * From a profile: every payment instrument, client and header fingerprint,
 * address, prefix, exact user agent, system prompt template and tool set it
 * used (the bounded sets of profile.h), its sign-up network and e-mail
 * domain; the LSH band keys of its template MinHash and of its time-slot
 * MinHash (accounts with at least HU_SIM_MIN_REQUESTS requests); and, for
 * each model release, a pivot key when the account started using the new
 * model within HU_PIVOT_WINDOW_MS of its release (accounts that pivot in
 * the same 6-hour bucket share the key).
 *
 * The secondary key of every posting (used to split hub groups) is the
 * account's first template band: inside a NAT or a proxy pool, accounts
 * that also send the same templates stay linked, the others do not.
 */
#ifndef HU_LINK_POSTINGS_H
#define HU_LINK_POSTINGS_H

#include <stddef.h>
#include <stdint.h>
#include "link/pairs.h"
#include "profile/observer.h"
#include "profile/profile.h"

/* Window after a release in which adopting the new model counts as a
 * pivot: the public record's "within 24 hours". */
#define HU_PIVOT_WINDOW_MS (24LL * 3600 * 1000)

/* Which families of postings to make (for `huella eval --ablate`). */
#define HU_POSTINGS_ALL 0xffffffffu

struct hu_postings {
    struct hu_posting *v;
    size_t n, cap;
};

/* Append the postings of profile p (account index idx).  `kinds` is a bit
 * mask of enum hu_link_kind to produce.  HU_OK or HU_ENOMEM (nothing
 * appended).  O(sets + bands + releases). */
HU_MUST_CHECK int hu_postings_add_profile(struct hu_postings *out, const struct hu_profile *p,
                                          uint32_t idx, const struct hu_release *rel,
                                          size_t n_rel, uint32_t kinds);
void hu_postings_fini(struct hu_postings *out);

/* Pivot share of one account for one release: share of its requests on
 * the released model when it adopted the model within the window after
 * the release; 0 otherwise. */
double hu_postings_pivot_share(const struct hu_profile *p, const struct hu_release *rel);

#endif
