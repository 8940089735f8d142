/*
 * fuzz_netdb.c -- the address databases (features/net_db.c): ASN CSV
 * ranges, country CSV ranges, CIDR class lists, and MaxMind DB files read
 * by libmaxminddb and walked node by node.  The loaders take paths, so the
 * bytes are written to a private temporary file whose extension selects
 * the format (byte 0 of the input, low 3 bits):
 *   0 ASN CSV (.csv)   1 geo CSV (.csv)   2 CIDR list (.txt)
 *   3 ASN .mmdb        4 geo .mmdb        5 ASN, no extension (sniffed)
 *   6 ASN CSV gzip'ed by the fuzzer itself is not done: .gz takes the bytes
 *     as a gzip stream (reader.c), 7 same as 2.
 * After a load, lookups of a few addresses must not crash.
 */
#include <string.h>
#include <unistd.h>

#include "features/net.h"
#include "fuzz/fuzz.h"

static char dir[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(dir, sizeof dir, "/tmp/hu-fuzz-netdb-XXXXXX");
    if (mkdtemp(dir) == NULL)
        abort();
    return 0;
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
    static const char *ext[] = { ".csv", ".txt", ".mmdb", "", ".gz" };
    char path[128];
    if (dir[0] == 0)
        return;
    for (int i = 0; i < 5; i++) {
        snprintf(path, sizeof path, "%s/db%s", dir, ext[i]);
        unlink(path);
    }
    rmdir(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    int kind = data[0] & 7;
    static const char *ext[8] = { ".csv", ".csv", ".txt", ".mmdb", ".mmdb", "", ".gz", ".txt" };
    char path[128];
    snprintf(path, sizeof path, "%s/db%s", dir, ext[kind]);
    FILE *f = fopen(path, "wb");
    if (f == NULL)
        return 0;
    if (size > 1 && fwrite(data + 1, 1, size - 1, f) != size - 1) {
        fclose(f);
        return 0;
    }
    fclose(f);
    struct hu_netdb *db = NULL;
    if (hu_netdb_create(&db) != HU_OK)
        return 0;
    char err[256];
    err[0] = 0;
    int rc;
    switch (kind) {
    case 1: case 4: rc = hu_netdb_load_geo(db, path, err, sizeof err); break;
    case 2: case 7: rc = hu_netdb_load_cidr(db, path, err, sizeof err); break;
    default:        rc = hu_netdb_load_asn(db, path, err, sizeof err); break;
    }
    if (rc != HU_OK)
        FUZZ_CHECK(err[0] != 0);
    static const char *ips[] = { "1.2.3.4", "8.8.8.8", "2001:db8::1", "255.255.255.255",
                                 "::", "0.0.0.0", "2a00:1450::" };
    for (int i = 0; i < 7; i++) {
        struct hu_ip ip;
        struct hu_net_info ni;
        if (hu_ip_parse(ips[i], strlen(ips[i]), &ip) == HU_OK)
            hu_netdb_lookup(db, &ip, &ni);
    }
    size_t a, g, c, o;
    hu_netdb_counts(db, &a, &g, &c, &o);
    hu_netdb_destroy(db);
    unlink(path);
    return 0;
}
