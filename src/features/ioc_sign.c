/* ioc_sign.c -- keyed hashes and Ed25519 file signatures, see ioc_sign.h. */
#include "features/ioc_sign.h"
#include "core/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char SECRET_TAG[] = "huella-ed25519-secret-v1 ";
static const char PUBLIC_TAG[] = "huella-ed25519-public-v1 ";
static const char SIG_TAG[] = "huella-ed25519-signature-v1 ";

int hu_ioc_read_file(const char *path, size_t max, char **out, size_t *len)
{
    if (!path || !out || !len)
        return HU_EINVAL;
    *out = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return errno == ENOENT ? HU_ENOENT : HU_EIO;
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) && (uint64_t)sb.st_size > max) {
        fclose(f);      /* refuse before reading a byte; pipes are still capped below */
        return HU_ETOOBIG;
    }
    size_t cap = 0, n = 0;
    char *buf = NULL;
    int rc = HU_OK;
    for (;;) {
        if (n + 65536 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536 + 1;
            if (ncap > max + 65536 + 1)
                ncap = max + 65536 + 1;
            char *nb = hu_realloc(buf, ncap);
            if (!nb) { rc = HU_ENOMEM; break; }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > max) { rc = HU_ETOOBIG; break; }
        if (got == 0) {
            if (ferror(f)) rc = HU_EIO;
            break;
        }
    }
    fclose(f);
    if (rc) {
        hu_free(buf);
        return rc;
    }
    if (!buf) {
        buf = hu_malloc(1);
        if (!buf) return HU_ENOMEM;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return HU_OK;
}

static int sodium_ready(void)
{
    return sodium_init() >= 0;
}

int hu_share_key_load(const char *path, uint8_t *key, size_t *key_len)
{
    char *buf = NULL;
    size_t n = 0;
    int rc = hu_ioc_read_file(path, HU_SHARE_KEY_MAX, &buf, &n);
    if (rc)
        return rc;
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    if (n < HU_SHARE_KEY_MIN) {
        sodium_memzero(buf, n);
        hu_free(buf);
        return HU_EINVAL;
    }
    memcpy(key, buf, n);
    *key_len = n;
    sodium_memzero(buf, n);
    hu_free(buf);
    return HU_OK;
}

void hu_keyed_hash(const uint8_t *key, size_t key_len, const char *value, size_t len, char out[65])
{
    uint8_t mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)value, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, 65, mac, sizeof mac);
}

void hu_share_key_id(const uint8_t *key, size_t key_len, char out[17])
{
    char full[65];
    hu_keyed_hash(key, key_len, "huella-share-key-id", 19, full);
    memcpy(out, full, 16);
    out[16] = '\0';
}

static int write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
    if (fd < 0)
        return errno == EEXIST ? HU_EEXIST : HU_EIO;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    int rc = (w == (ssize_t)len) ? HU_OK : HU_EIO;
    if (fchmod(fd, mode) != 0)
        rc = HU_EIO;
    if (close(fd) != 0)
        rc = HU_EIO;
    return rc;
}

int hu_sign_keygen(const char *prefix)
{
    if (!prefix || !*prefix)
        return HU_EINVAL;
    if (!sodium_ready())
        return HU_EINTERNAL;
    uint8_t pk[HU_ED25519_PK], sk[HU_ED25519_SK];
    crypto_sign_keypair(pk, sk);
    char path[4096], line[sizeof SECRET_TAG + 2 * HU_ED25519_SK + 2];
    char hex[2 * HU_ED25519_SK + 1];
    int rc;
    snprintf(path, sizeof path, "%s.key", prefix);
    sodium_bin2hex(hex, sizeof hex, sk, sizeof sk);
    snprintf(line, sizeof line, "%s%s\n", SECRET_TAG, hex);
    rc = write_file(path, line, 0600);
    sodium_memzero(sk, sizeof sk);
    sodium_memzero(hex, sizeof hex);
    sodium_memzero(line, sizeof line);
    if (rc)
        return rc;
    snprintf(path, sizeof path, "%s.pub", prefix);
    sodium_bin2hex(hex, sizeof hex, pk, sizeof pk);
    snprintf(line, sizeof line, "%s%s\n", PUBLIC_TAG, hex);
    return write_file(path, line, 0644);
}

/* Parse "<tag><hex of n bytes>[ ...]\n" into out. */
static int parse_tagged(const char *s, size_t len, const char *tag, uint8_t *out, size_t n)
{
    size_t tl = strlen(tag);
    if (len < tl + 2 * n || memcmp(s, tag, tl))
        return HU_EPARSE;
    const char *h = s + tl;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = h[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return HU_EPARSE;
    }
    size_t rest = len - tl - 2 * n;
    if (rest && h[2 * n] != ' ' && h[2 * n] != '\n' && h[2 * n] != '\r')
        return HU_EPARSE;
    size_t bin_len = 0;
    if (sodium_hex2bin(out, n, h, 2 * n, NULL, &bin_len, NULL) != 0 || bin_len != n)
        return HU_EPARSE;
    return HU_OK;
}

static int load_tagged(const char *path, const char *tag, uint8_t *out, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = hu_ioc_read_file(path, 4096, &buf, &len);
    if (rc)
        return rc;
    rc = parse_tagged(buf, len, tag, out, n);
    sodium_memzero(buf, len);
    hu_free(buf);
    return rc;
}

int hu_sign_load_secret(const char *path, uint8_t sk[HU_ED25519_SK])
{
    return load_tagged(path, SECRET_TAG, sk, HU_ED25519_SK);
}

int hu_sign_load_public(const char *path, uint8_t pk[HU_ED25519_PK])
{
    return load_tagged(path, PUBLIC_TAG, pk, HU_ED25519_PK);
}

int hu_sign_line(const uint8_t sk[HU_ED25519_SK], const void *msg, size_t len, char *line, size_t cap)
{
    if (!sodium_ready())
        return HU_EINTERNAL;
    if (cap < 256)
        return HU_EINVAL;
    uint8_t sig[HU_ED25519_SIG];
    crypto_sign_detached(sig, NULL, msg, len, sk);
    char sig_hex[2 * HU_ED25519_SIG + 1], pk_hex[2 * HU_ED25519_PK + 1];
    sodium_bin2hex(sig_hex, sizeof sig_hex, sig, sizeof sig);
    /* The public key is the second half of a libsodium secret key. */
    sodium_bin2hex(pk_hex, sizeof pk_hex, sk + 32, HU_ED25519_PK);
    pk_hex[16] = '\0';
    snprintf(line, cap, "%s%s %s\n", SIG_TAG, sig_hex, pk_hex);
    return HU_OK;
}

int hu_sign_verify_line(const uint8_t pk[HU_ED25519_PK], const void *msg, size_t len,
                        const char *line, size_t line_len)
{
    if (!sodium_ready())
        return HU_EINTERNAL;
    uint8_t sig[HU_ED25519_SIG];
    int rc = parse_tagged(line, line_len, SIG_TAG, sig, sizeof sig);
    if (rc)
        return rc;
    return crypto_sign_verify_detached(sig, msg, len, pk) == 0 ? HU_OK : HU_ECORRUPT;
}
