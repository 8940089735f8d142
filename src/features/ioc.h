/*
 * ioc.h -- indicators shared by other providers (and by huella itself),
 * loaded from STIX 2.1 bundles for `huella analyze --iocs BUNDLE...`.
 *
 * Stage: features.  The set is built once before ingest and is read-only
 * afterwards, so feature extraction (and anything after it: link, score)
 * can look an event's address, ASN, client fingerprint or keyed payment
 * hash up in O(1) and turn a hit into a reason such as `ioc_ip=1`, citing
 * "indicator--... from ProducerName".
 *
 * What is read.  Every `indicator` object with pattern_type "stix" whose
 * pattern is one observation expression of comparisons huella knows:
 *   [ipv4-addr:value = '198.51.100.7']            HU_IOC_IP (ipv6-addr too)
 *   [ipv4-addr:value ISSUBSET '198.51.100.0/24']  HU_IOC_PREFIX (or = 'a/n')
 *   [autonomous-system:number = 64500]            HU_IOC_ASN
 *   [network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = '...']
 *                                                 HU_IOC_USER_AGENT
 *   [huella-fingerprint:kind = 'client_fp' AND huella-fingerprint:value = '...']
 *                                                 the huella extension (docs/formats/stix-extension.md)
 * Comparisons joined by OR each add a value.  Other valid patterns (hashes
 * of files, domains, qualifiers, several observations) are skipped and
 * counted, not errors.  Revoked indicators are skipped.  The producer is
 * the `name` of the identity named by the indicator's created_by_ref.
 *
 * What is refused (the whole bundle; the set is left as it was before the
 * call): a file over HU_MAX_STIX_BYTES, bytes that are not JSON, JSON that
 * is not a bundle, an indicator without id or with a malformed pattern,
 * more than HU_MAX_IOC_VALUES values in total, and, when public keys are
 * given, a bundle whose FILE.sig is missing or does not verify with one
 * of them (features/ioc_sign.h).  The message names the file and the
 * reason, never crashes.
 */
#ifndef HU_FEATURES_IOC_H
#define HU_FEATURES_IOC_H

#include <stddef.h>
#include <stdint.h>
#include "features/net.h"
#include "features/ioc_sign.h"
#include "huella/hu_status.h"

#define HU_IOC_KIND_MAP(X)                         \
    X(IP,            "ip")                         \
    X(PREFIX,        "prefix")                     \
    X(ASN,           "asn")                        \
    X(USER_AGENT,    "user_agent")                 \
    X(PAYMENT_HMAC,  "payment_hmac")               \
    X(CLIENT_FP,     "client_fp")                  \
    X(HEADERS_FP,    "headers_fp")                 \
    X(TEMPLATE,      "template")                   \
    X(SYSTEM_PROMPT, "system_prompt")              \
    X(TOOL_SET,      "tool_set")                   \
    X(USAGE,         "usage")

enum hu_ioc_kind {
#define HU__IOC_ENUM(name, code) HU_IOC_##name,
    HU_IOC_KIND_MAP(HU__IOC_ENUM)
#undef HU__IOC_ENUM
    HU_IOC_KIND_COUNT
};

/* "ip", "payment_hmac", ...; NULL for an unknown kind. */
const char *hu_ioc_kind_code(enum hu_ioc_kind k);
/* Kind of a code, or -1. */
int hu_ioc_kind_parse(const char *code, size_t len);

/* A hit.  Strings are borrowed from the set (valid until destroy). */
struct hu_ioc_match {
    enum hu_ioc_kind kind;
    const char *value;          /* as loaded: "198.51.100.0/24", "64500", hex hash, ... */
    const char *indicator_id;   /* "indicator--..." */
    const char *producer;       /* identity name, or its id when the bundle lacks it */
    const char *source;         /* the file it came from */
};

struct hu_ioc_opts {
    /* When n_pubkeys > 0 every bundle must carry a FILE.sig that verifies
     * with one of these keys. */
    const uint8_t (*pubkeys)[HU_ED25519_PK];
    size_t n_pubkeys;
};

struct hu_ioc_stats {
    uint64_t bundles, indicators, values, duplicates;
    uint64_t skipped_unsupported;   /* valid patterns huella does not use */
    uint64_t skipped_revoked;
    uint64_t by_kind[HU_IOC_KIND_COUNT];
};

struct hu_ioc_set;

HU_MUST_CHECK int hu_ioc_set_create(struct hu_ioc_set **out);
void hu_ioc_set_destroy(struct hu_ioc_set *s);

/* Load one bundle file (and PATH.sig when signatures are required).
 * HU_OK, or on rejection HU_ENOENT/HU_EIO (unreadable), HU_ETOOBIG,
 * HU_EPARSE/HU_EUTF8 (not JSON / not a bundle / bad pattern), HU_ECORRUPT
 * (signature missing or wrong), HU_EFULL (too many values), HU_ENOMEM;
 * err gets "PATH: reason".  Cost: O(file size). */
HU_MUST_CHECK int hu_ioc_set_load_file(struct hu_ioc_set *s, const char *path,
                                       const struct hu_ioc_opts *o, char *err, size_t errcap);
/* The same from memory; `name` is used in messages and as the source,
 * sig/sig_len is the content of the signature file (NULL: none). */
HU_MUST_CHECK int hu_ioc_set_load_buf(struct hu_ioc_set *s, const char *buf, size_t len,
                                      const char *name, const char *sig, size_t sig_len,
                                      const struct hu_ioc_opts *o, char *err, size_t errcap);
/* Create a set from n files; on failure nothing is returned and err
 * names the first bad file. */
HU_MUST_CHECK int hu_ioc_set_create_from_files(const char *const *paths, size_t n,
                                               const struct hu_ioc_opts *o,
                                               struct hu_ioc_set **out, char *err, size_t errcap);
const struct hu_ioc_stats *hu_ioc_set_stats(const struct hu_ioc_set *s);

/* Lookups: 1 and *m filled on a hit, 0 on a miss.  O(1) expected;
 * hu_ioc_lookup_ip tries the exact address, then prefixes from the
 * longest length present down (at most 33 or 129 probes). */
int hu_ioc_lookup_ip(const struct hu_ioc_set *s, const struct hu_ip *ip, struct hu_ioc_match *m);
int hu_ioc_lookup_asn(const struct hu_ioc_set *s, uint32_t asn, struct hu_ioc_match *m);
/* hex: the 64-hex-digit HMAC of the event's payment_fp under the share key
 * (hu_keyed_hash); case-insensitive. */
int hu_ioc_lookup_payment_hash(const struct hu_ioc_set *s, const char *hex, size_t len,
                               struct hu_ioc_match *m);
int hu_ioc_lookup_client_fp(const struct hu_ioc_set *s, const char *fp, size_t len,
                            struct hu_ioc_match *m);
int hu_ioc_lookup_user_agent(const struct hu_ioc_set *s, const char *ua, size_t len,
                             struct hu_ioc_match *m);
int hu_ioc_lookup_template(const struct hu_ioc_set *s, const char *key, size_t len,
                           struct hu_ioc_match *m);
/* Any string-valued kind (user agents, fingerprints, templates, usage). */
int hu_ioc_lookup(const struct hu_ioc_set *s, enum hu_ioc_kind kind, const char *value,
                  size_t len, struct hu_ioc_match *m);

#endif
