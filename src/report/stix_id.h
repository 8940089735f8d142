/*
 * stix_id.h -- deterministic STIX identifiers and timestamps.
 *
 * Ids are UUIDv5 (RFC 9562 section 5.5: SHA-1 of namespace || name, with
 * version and variant bits set).  SCOs would use the STIX 2.1 namespace
 * 00abedb4-aa42-466c-9c01-fed23315a9b7 over their canonical properties
 * (spec section 2.9); huella exports no SCO instances, only patterns, so it
 * uses its own namespace for its SDOs and SROs:
 *     HU_STIX_NS = uuid5(NAMESPACE_URL, "https://huella.dev/stix/namespace")
 *                = b52ac2ef-c32b-5c37-a72e-a1a981ef3753
 * and the names listed in docs/stix.md ("campaign|PRODUCER|C-...", ...).
 * SHA-1 is used only because UUIDv5 is defined with it; nothing relies on
 * its collision resistance against an adversary.
 *
 * Timestamps are STIX's: UTC, millisecond precision, "Z" suffix.
 */
#ifndef HU_REPORT_STIX_ID_H
#define HU_REPORT_STIX_ID_H

#include <stddef.h>
#include <stdint.h>

extern const uint8_t hu_stix_ns_huella[16];
extern const uint8_t hu_stix_ns_sco[16];

struct hu_sha1 {
    uint32_t h[5];
    uint64_t n;
    uint8_t block[64];
    size_t used;
};
void hu_sha1_init(struct hu_sha1 *c);
void hu_sha1_update(struct hu_sha1 *c, const void *p, size_t len);
void hu_sha1_final(struct hu_sha1 *c, uint8_t out[20]);

/* UUIDv5 as text (37 bytes with NUL).  The streaming form: start with the
 * namespace, update with the name bytes, finish. */
void hu_uuid5(const uint8_t ns[16], const void *name, size_t len, char out[37]);
void hu_uuid5_start(struct hu_sha1 *c, const uint8_t ns[16]);
void hu_uuid5_finish(struct hu_sha1 *c, char out[37]);

/* Epoch ms -> "2026-02-10T14:03:22.123Z" (25 bytes with NUL). */
void hu_stix_time(int64_t ms, char out[25]);
/* RFC 3339 with any offset and optional fraction -> epoch ms (fraction
 * truncated to ms).  0 on success, -1 if malformed. */
int hu_stix_parse_time(const char *s, size_t len, int64_t *ms);
/* True if s is exactly a STIX timestamp with millisecond precision
 * ("YYYY-MM-DDTHH:MM:SS.sssZ", a real calendar date). */
int hu_stix_time_is_ms(const char *s, size_t len);

#endif
