/*
 * stix.h -- `huella export --stix DIR`: campaigns.json to a STIX 2.1
 * bundle, and the checks the JSON Schemas cannot make.
 *
 * What goes in (docs/stix.md has the full story):
 *   marking-definition  the standard TLP 2.0 object of the chosen level
 *   identity            the producer (--producer), and "huella", author of
 *   extension-definition  the huella-fingerprint new-sco extension
 *   campaign            one per campaign: name, description (counts,
 *                       targets, evidence with account ids redacted),
 *                       first_seen/last_seen, objective, confidence
 *   indicator           one per shared value: IPs, prefixes, ASNs, user
 *                       agents, and through the extension client/header
 *                       fingerprints, keyed payment hashes (only with a
 *                       share key), template, system-prompt and tool-set
 *                       hashes, and the campaign's usage fingerprint
 *   relationship        indicator --indicates--> campaign
 * Never: account ids, raw payment fingerprints, prompt text.
 *
 * Determinism: every id is a UUIDv5 of its content (stix_id.h), every
 * timestamp comes from the data (campaign first_seen/last_seen) unless
 * now_ms >= 0, objects are written in input order, and numbers are
 * printed with fixed precision: the same input and options give
 * byte-identical bundles.
 */
#ifndef HU_REPORT_STIX_H
#define HU_REPORT_STIX_H

#include <stddef.h>
#include <stdint.h>
#include "core/buf.h"
#include "huella/hu_status.h"

enum hu_tlp { HU_TLP_CLEAR = 0, HU_TLP_GREEN, HU_TLP_AMBER, HU_TLP_AMBER_STRICT, HU_TLP_RED };

/* "clear", "green", "amber", "amber+strict", "red" -> level; -1 if none. */
int hu_tlp_parse(const char *s);

/* Fixed creation time of the identity and extension-definition objects:
 * they describe who and how, not what was seen, so they do not move. */
#define HU_STIX_FIXED_TIME "2026-11-27T00:00:00.000Z"
#define HU_STIX_EXT_ID "extension-definition--6ff7b0ad-d203-59ee-a130-458d63b60eef"

struct hu_stix_opts {
    const char *producer;           /* identity name; NULL: "huella" */
    enum hu_tlp tlp;
    const uint8_t *share_key;       /* NULL: payment indicators are omitted */
    size_t share_key_len;
    int64_t now_ms;                 /* < 0: modified = the data's last_seen */
    double min_score;               /* campaigns scored below are not exported
                                     * (default 0.5, the throttle threshold) */
};

struct hu_stix_stats {
    uint32_t campaigns, indicators, relationships;
    uint32_t omitted_payment;       /* no share key */
    uint32_t skipped_values;        /* malformed or non-hash values not exported */
    uint32_t redactions;            /* account ids / payment fps cut from evidence */
    uint32_t below_min_score;       /* campaigns not exported: score < min_score */
    uint32_t unspecific;            /* values shared more outside a campaign than inside */
};

/* Convert campaigns.json (json, len) into a bundle appended to `out`
 * (cap it at HU_MAX_STIX_BYTES or more).  HU_OK; HU_EPARSE/HU_EUTF8 with a
 * reason in err when the input is not campaigns.json; HU_ETOOBIG/HU_ENOMEM.
 * The result is checked with hu_stix_check before returning (HU_EINTERNAL
 * if that fails: a bug).  Cost: O(input + output). */
HU_MUST_CHECK int hu_stix_export(const char *json, size_t len, const struct hu_stix_opts *o,
                                 struct hu_buf *out, struct hu_stix_stats *st,
                                 char *err, size_t errcap);

/* What the schemas cannot check: every timestamp property has millisecond
 * precision and a 'Z', modified >= created; ids are unique; every
 * reference (created_by_ref, object_marking_refs, object_refs, source_ref,
 * target_ref, sighting_of_ref, where_sighted_refs) names an object in the
 * bundle; every STIX pattern parses (features/ioc_pattern.h).  HU_OK or
 * HU_EPARSE/HU_ECORRUPT with the first problem in err. */
HU_MUST_CHECK int hu_stix_check(const char *json, size_t len, char *err, size_t errcap);

#endif
