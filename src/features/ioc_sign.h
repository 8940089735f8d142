/*
 * ioc_sign.h -- the cryptography of indicator sharing: keyed hashes of
 * customer identifiers, and Ed25519 signatures over bundle files.
 * All primitives come from libsodium (DEPENDENCIES.md); nothing here is
 * home-made except the text framing of the key and signature files.
 *
 * Keyed hashes.  A payment fingerprint identifies a customer, so it is
 * never shared in clear: partners agree on a secret key (at least 16
 * bytes, exchanged out of band) and share HMAC-SHA256(key, value) in
 * lowercase hex.  A partner holding the same key hashes its own
 * customers' fingerprints and matches; nobody without the key can test a
 * guess.  The key file's content is the key, with trailing whitespace
 * (\n, \r, space, tab) removed so that `echo secret > key` and editors
 * agree.  The key id (first 16 hex digits of HMAC(key, "huella-share-key-id"))
 * names the key in bundles without revealing it.
 *
 * Signatures.  A signature covers the exact bytes of the bundle file (no
 * JSON canonicalisation: what was signed is what is on disk, so any
 * re-serialisation breaks it, on purpose).  It is detached, in FILE.sig:
 *     huella-ed25519-signature-v1 <128 hex digits> <key id>\n
 * Key files are one line each:
 *     secret (mode 0600): huella-ed25519-secret-v1 <128 hex digits>\n
 *     public:             huella-ed25519-public-v1 <64 hex digits>\n
 * The key id of a public key is its first 16 hex digits.
 */
#ifndef HU_FEATURES_IOC_SIGN_H
#define HU_FEATURES_IOC_SIGN_H

#include <stddef.h>
#include <stdint.h>
#include "huella/hu_status.h"

#define HU_SHARE_KEY_MIN 16u
#define HU_SHARE_KEY_MAX 1024u
#define HU_ED25519_PK 32u
#define HU_ED25519_SK 64u
#define HU_ED25519_SIG 64u

/* Read a whole file of at most `max` bytes into a hu_malloc'd buffer
 * (NUL-terminated, *len excludes the NUL).  HU_OK, HU_ENOENT/HU_EIO
 * (cannot open or read), HU_ETOOBIG (larger than max), HU_ENOMEM. */
HU_MUST_CHECK int hu_ioc_read_file(const char *path, size_t max, char **out, size_t *len);

/* Load a share key file (see above).  HU_OK, HU_EIO/HU_ENOENT, HU_ETOOBIG,
 * HU_EINVAL when shorter than HU_SHARE_KEY_MIN bytes.  key >= HU_SHARE_KEY_MAX. */
HU_MUST_CHECK int hu_share_key_load(const char *path, uint8_t *key, size_t *key_len);
/* out (65 bytes) = hex HMAC-SHA256(key, value).  Pure. */
void hu_keyed_hash(const uint8_t *key, size_t key_len, const char *value, size_t len,
                   char out[65]);
/* out (17 bytes) = the key id of a share key. */
void hu_share_key_id(const uint8_t *key, size_t key_len, char out[17]);

/* Write PREFIX.key (0600, refused if it exists) and PREFIX.pub.
 * HU_OK, HU_EEXIST, HU_EIO, HU_EINTERNAL (libsodium failed to init). */
HU_MUST_CHECK int hu_sign_keygen(const char *prefix);
/* Load keys written by hu_sign_keygen.  HU_OK, HU_EIO/HU_ENOENT, HU_EPARSE. */
HU_MUST_CHECK int hu_sign_load_secret(const char *path, uint8_t sk[HU_ED25519_SK]);
HU_MUST_CHECK int hu_sign_load_public(const char *path, uint8_t pk[HU_ED25519_PK]);
/* Format the signature line of `msg` into line (>= 256 bytes).  HU_OK. */
HU_MUST_CHECK int hu_sign_line(const uint8_t sk[HU_ED25519_SK], const void *msg, size_t len,
                               char *line, size_t cap);
/* Check a signature file's content against msg and pk.  HU_OK when it
 * verifies; HU_EPARSE for a malformed signature file; HU_ECORRUPT when the
 * signature does not match (wrong key or altered bytes). */
HU_MUST_CHECK int hu_sign_verify_line(const uint8_t pk[HU_ED25519_PK], const void *msg,
                                      size_t len, const char *line, size_t line_len);

#endif
