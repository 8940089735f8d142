/*
 * features.h -- per-request features: the hot path between ingest and
 * profiles.
 *
 * hu_features_extract() turns one parsed request (struct hu_event) into a
 * fixed-size struct hu_req_features: hashes and small numbers only, no
 * text, no pointers into the input.  Profiles, linkage and the fingerprint
 * library are built from these alone, which is also what makes featurized
 * input (`features` object, see huella featurize) work like raw text.
 *
 * Threading: one struct hu_features (immutable after create: pattern
 * database, ASN tables, model weights) is shared by all threads; each thread
 * owns a struct hu_fx_worker (pattern scratch, normalisation buffers).
 *
 * Cost: O(prompt bytes) for normalisation, shingling and pattern scanning,
 * bounded by HU_MAX_FIELD_BYTES; O(log n) for address lookups.
 */
#ifndef HU_FEATURES_FEATURES_H
#define HU_FEATURES_FEATURES_H

#include <stdint.h>
#include <stddef.h>
#include "huella/hu_status.h"
#include "ingest/event.h"

/* What a prompt tries to extract.  Codes appear in reasons, targets and
 * reports: never rename one (it is part of the output contract). */
#define HU_TARGET_MAP(X)                                                              \
    X(COT,       "reasoning",     "reconstruct or write out step-by-step reasoning")   \
    X(GRADING,   "grading",       "grade or score answers against a rubric (reward data)") \
    X(REWRITE,   "safe_rewrite",  "censored or 'safe' rewrite of a sensitive question") \
    X(CODING,    "coding",        "agentic coding: write, fix or refactor code")       \
    X(TOOLS,     "tool_use",      "tool orchestration and agent trajectories")         \
    X(COMPUTER,  "computer_use",  "computer-use agents: screens, clicks, browsing")    \
    X(VISION,    "vision",        "image understanding")

enum hu_target {
#define HU__TARGET_ENUM(name, code, desc) HU_TARGET_##name,
    HU_TARGET_MAP(HU__TARGET_ENUM)
#undef HU__TARGET_ENUM
    HU_TARGET_COUNT
};

const char *hu_target_code(enum hu_target t);   /* "reasoning", ... */
const char *hu_target_desc(enum hu_target t);

/* Network class of an address, from the CIDR lists and ASN organisation. */
enum hu_net_class {
    HU_NET_UNKNOWN = 0,
    HU_NET_RESIDENTIAL,
    HU_NET_MOBILE,
    HU_NET_DATACENTER,    /* clouds and hosting */
    HU_NET_PROXY,         /* known proxy / VPN ranges */
    HU_NET_EDUCATION
};

/* Language of the prompt text, coarse (script-based plus stop words). */
enum hu_lang { HU_LANG_NONE = 0, HU_LANG_EN, HU_LANG_ZH, HU_LANG_ES, HU_LANG_OTHER };

struct hu_req_features {
    /* text (0 when the field was absent) */
    uint64_t template_hash;    /* hash of the prompt's template key */
    uint64_t system_hash;      /* hash of the system prompt's template key */
    uint64_t simhash;          /* 64-bit SimHash over word shingles of the prompt */
    uint64_t tools_hash;       /* order-independent hash of declared tool names */
    uint64_t head_hash;        /* (added) first sentence of the template text (hu_text_head_tail) */
    uint64_t tail_hash;        /* (added) last sentence: templates whose middle is not quoted */
    uint32_t prompt_chars;     /* code points of the prompt (before truncation) */
    uint8_t  lang;             /* enum hu_lang */
    float    target[HU_TARGET_COUNT];  /* 0..1: how strongly the prompt aims at each target */

    /* network and client (0 when absent or unknown) */
    uint64_t ip_hash;          /* hash of the normalised address */
    uint64_t prefix_hash;      /* IPv4 /24 or IPv6 /48 */
    uint32_t asn;
    uint8_t  net_class;        /* enum hu_net_class */
    char     country[2];       /* ISO alpha-2 from the event or --geo; zeros if unknown */
    uint64_t ua_hash;          /* exact user agent */
    uint64_t ua_family_hash;   /* product/major-version family ("python-httpx/0") */
    uint64_t client_fp_hash;
    uint64_t headers_fp_hash;
    uint64_t payment_hash;
    uint64_t model_hash;
};

struct hu_features;      /* shared, immutable after create */
struct hu_fx_worker;     /* per thread */

struct hu_features_config {
    const char *const *asn_files;   /* --asn: .mmdb, or CSV/CSV.gz ranges */
    size_t n_asn_files;
    const char *geo_file;           /* --geo: .mmdb with country */
    const char *const *cidr_files;  /* datacenter/proxy/VPN lists: "CIDR[,class]" lines */
    size_t n_cidr_files;
    const char *model_file;         /* linear target model; NULL = built in */
    /* Deployment key of text hashes (--feature-key, featurized.h): a file,
     * or key material in memory (used when feature_key_file is NULL and
     * feature_key_len > 0).  Neither: unkeyed hashes, as before. */
    const char *feature_key_file;
    const void *feature_key;
    size_t feature_key_len;
};

/* Build the shared context: compiles the phrase patterns, loads address
 * databases.  On failure returns a status and, if errbuf, a reason
 * naming the file and line. */
HU_MUST_CHECK int hu_features_create(const struct hu_features_config *cfg,
                                     struct hu_features **out,
                                     char *errbuf, size_t errcap);
void hu_features_destroy(struct hu_features *fx);

HU_MUST_CHECK int hu_fx_worker_create(const struct hu_features *fx, struct hu_fx_worker **out);
void hu_fx_worker_destroy(struct hu_fx_worker *w);

/* Compute the features of one request event.  Never fails: a field that
 * cannot be used yields zeros.  An event without prompt (system) text but
 * with a `features` object (huella featurize) takes its prompt (system)
 * features from the object instead; a malformed object is counted and
 * ignored. */
void hu_features_extract(struct hu_fx_worker *w, const struct hu_event *ev,
                         struct hu_req_features *out);

/* With on != 0, hu_features_extract computes only what comes from text
 * (and the target scores, which also use the request shape) and leaves
 * tools, network, client, payment and model fields 0: what featurization
 * needs.  Off by default.  Returns the previous setting. */
int hu_fx_worker_text_only(struct hu_fx_worker *w, int on);

/* With on == 0, hu_features_extract leaves `simhash` 0 for prompt text
 * (a `features` object's simhash is still copied).  Nothing in profiles,
 * linkage or fingerprints reads it (docs/signals.md): the observer turns it
 * off (it was 1.0-1.7 us of a 1-1.5 KB line's text work; with it off the
 * tokens are not hashed either); featurize keeps it.  On by
 * default.  Returns the previous setting. */
int hu_fx_worker_simhash(struct hu_fx_worker *w, int on);

/* The deployment key id (featurized.h), 0 when hashes are unkeyed. */
uint64_t hu_features_key_id(const struct hu_features *fx);

/* What one worker met in `features` objects so far. */
struct hu_fx_counts {
    uint64_t featurized;     /* events whose text features came from the object */
    uint64_t bad;            /* objects that could not be read (ignored) */
    uint64_t key_mismatch;   /* objects made under another key, or keyed vs unkeyed */
};
void hu_fx_worker_counts(const struct hu_fx_worker *w, struct hu_fx_counts *out);

#endif
