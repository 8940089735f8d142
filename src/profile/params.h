/*
 * params.h -- tuning constants of per-account profiles, with reasons.
 *
 * Changing one changes what a profile means: bump HU_PROFILE_VERSION
 * (profile.h) with it, since profiles are stored and merged across
 * processes.  Sketch sizes (HLL precision, MinHash k, ...) are in
 * sketch/params.h; the caps on hostile input in core/limits.h.
 */
#ifndef HU_PROFILE_PARAMS_H
#define HU_PROFILE_PARAMS_H

#include <stdint.h>
#include "core/limits.h"

/* Width of an activity time slot for the time-slot MinHash, ms.  Two
 * accounts driven by one scheduler are active in the same 10-minute slots
 * (SynchroTrap used 1 h for Facebook actions; API calls are denser, and 10
 * minutes still tolerates the few minutes of disorder between gateways). */
#define HU_PROFILE_SLOT_MS          (10 * 60 * 1000)

/* Model-traffic ring: HU_PROFILE_RING buckets of HU_PROFILE_BUCKET_MS.
 * 6-hour buckets over 4 days answer "did the account move ~half its
 * traffic to model M within 24 h of M's release" with 4 buckets before and
 * 4 after any release in the last 3 days, for 32 bytes per model: hourly
 * buckets would cost 4x for a signal defined at day scale.  Release times
 * are not known in advance (a `model_release` line may even come late), so
 * counts are kept per absolute bucket and the question is asked afterwards.
 * Older traffic stays in the per-model totals and first-use times. */
#define HU_PROFILE_BUCKET_MS        (6 * 3600 * 1000)
#define HU_PROFILE_RING             16u

/* Models tracked per account (core/limits.h): the one or two an account
 * uses plus room for a newly released one.  When full, the least-used
 * model (ties: least recently used, then smallest hash) gives up its slot,
 * so a new release is always visible. */
#define HU_PROFILE_NMODELS          HU_PROFILE_MODELS

/* Inter-arrival gaps.  A gap below 1 s is a burst gap (no human types two
 * prompts a second apart; scripts with concurrency do).  A gap above 30
 * minutes ends a session and is left out of the gap moments: regularity is
 * measured within sessions, and one overnight pause would otherwise
 * dominate the variance.  Gaps are summed in 10 ms units so the sums stay
 * exact integers (merge is then order-independent) and a 30-minute gap
 * squared (3.2e10) leaves room for 5e8 gaps before the sum saturates. */
#define HU_PROFILE_BURST_GAP_MS     1000
#define HU_PROFILE_SESSION_GAP_MS   (30 * 60 * 1000)
#define HU_PROFILE_GAP_UNIT_MS      10

/* Fixed point of log2(1 + gap ms): 1/256 of a bit (a piecewise-linear
 * log2 from the leading bit and the next 8 bits; error < 0.09 bits, and
 * integer-exact on every machine). */
#define HU_PROFILE_LG_ONE           256

/* Extraction-target scores (0..1 floats) are summed as integers in units
 * of 1/65535 so that sums, and hence merges, are exact and associative. */
#define HU_PROFILE_TARGET_ONE       65535u

/* Seed mixed into time-slot indexes before the MinHash (keeps slot items
 * apart from template hashes should the two signatures ever be compared). */
#define HU_PROFILE_SLOT_SEED        UINT64_C(0x736c6f7431306d6e)

/* Recent first-seen sentences remembered for 2-hit admission into
 * top_sentences (profile.h).  16 x 4 bytes: a wrapper recurs within 16
 * sentences even when a script rotates several wrappers around one-off task
 * lines; a larger window admits more noise for little gain. */
#define HU_PROFILE_PROBATION 16u

/* Slots of the observer's "recently remembered" filter in front of the
 * entity dictionary (observer.c): 4,096 keys, 32 KiB, stays in L2. */
#define HU_OBS_REMEMBERED 4096u

#endif
