/*
 * fuzz_ioc.c -- STIX 2.1 bundles (hu_ioc_set_load_buf): JSON parse, object
 * walk, pattern parser, value normalisation, and lookups in what loaded.
 * Byte 0 bit 0 set: the bundle is loaded twice into one set (duplicates,
 * the value cap path).  Property: a failed load leaves a message.
 */
#include <string.h>

#include "features/ioc.h"
#include "features/net.h"
#include "fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct hu_ioc_set *s = NULL;
    if (hu_ioc_set_create(&s) != HU_OK)
        return 0;
    struct hu_ioc_opts o;
    memset(&o, 0, sizeof o);
    char err[256];
    const char *b = (const char *)data + 1;
    size_t len = size - 1;
    for (int pass = 0; pass < ((data[0] & 1) ? 2 : 1); pass++) {
        err[0] = 0;
        int rc = hu_ioc_set_load_buf(s, b, len, "fuzz.json", NULL, 0, &o, err, sizeof err);
        if (rc != HU_OK)
            FUZZ_CHECK(err[0] != 0);
    }
    const struct hu_ioc_stats *st = hu_ioc_set_stats(s);
    FUZZ_CHECK(st != NULL);
    struct hu_ioc_match m;
    static const char *ips[] = { "198.51.100.7", "2001:db8::1", "10.0.0.1", "0.0.0.0" };
    for (int i = 0; i < 4; i++) {
        struct hu_ip ip;
        if (hu_ip_parse(ips[i], strlen(ips[i]), &ip) == HU_OK)
            (void)hu_ioc_lookup_ip(s, &ip, &m);
    }
    (void)hu_ioc_lookup_asn(s, 64500, &m);
    (void)hu_ioc_lookup_user_agent(s, "python-httpx/0.27", 17, &m);
    (void)hu_ioc_lookup_client_fp(s, "t13d1516h2", 10, &m);
    (void)hu_ioc_lookup_template(s, "explain <num>", 13, &m);
    hu_ioc_set_destroy(s);
    return 0;
}
