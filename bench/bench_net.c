/*
 * bench_net.c -- address parsing, database loads and lookups.
 *
 *   build/release/bench/bench_net [DATA_DIR]     (default ../shared/data/ip)
 *
 * Prints ns per hu_ip_parse (IPv4, IPv6, and inet_pton through a bounded
 * stack copy for comparison), the load time of the real ASN CSV files and
 * of the iptoasn country .mmdb, and ns per lookup in those tables next to
 * libmaxminddb's own MMDB_lookup_sockaddr + MMDB_get_value.  Addresses are
 * pseudo-random (fixed seed) over the whole space, so most lookups miss
 * the CPU caches: a worst case, real traffic repeats addresses.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <maxminddb.h>

#include "features/net.h"
#include "core/alloc.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

#define NADDR 200000

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data/ip";
    static char text4[NADDR][16], text6[NADDR][48];
    static struct hu_ip ips4[NADDR], ips6[NADDR];
    for (int i = 0; i < NADDR; i++) {
        uint64_t r = next();
        snprintf(text4[i], sizeof text4[i], "%u.%u.%u.%u", (unsigned)(r >> 24) & 255,
                 (unsigned)(r >> 16) & 255, (unsigned)(r >> 8) & 255, (unsigned)r & 255);
        uint64_t s = next();
        snprintf(text6[i], sizeof text6[i], "2%03x:%x:%x::%x:%x", (unsigned)(s & 0xfff),
                 (unsigned)(s >> 12) & 0xffff, (unsigned)(s >> 28) & 0xffff,
                 (unsigned)(s >> 44) & 0xffff, (unsigned)(r >> 40) & 0xffff);
    }
    size_t len4[NADDR], len6[NADDR];
    for (int i = 0; i < NADDR; i++) {
        len4[i] = strlen(text4[i]);
        len6[i] = strlen(text6[i]);
    }

    /* ---- parse ---- */
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now();
        int ok = 0;
        for (int i = 0; i < NADDR; i++)
            ok += hu_ip_parse(text4[i], len4[i], &ips4[i]) == HU_OK;
        double t1 = now();
        for (int i = 0; i < NADDR; i++)
            ok += hu_ip_parse(text6[i], len6[i], &ips6[i]) == HU_OK;
        double t2 = now();
        unsigned char b[16];
        for (int i = 0; i < NADDR; i++) {
            char tmp[64];
            memcpy(tmp, text4[i], len4[i]);
            tmp[len4[i]] = 0;
            ok += inet_pton(AF_INET, tmp, b) == 1;
        }
        double t3 = now();
        for (int i = 0; i < NADDR; i++) {
            char tmp[64];
            memcpy(tmp, text6[i], len6[i]);
            tmp[len6[i]] = 0;
            ok += inet_pton(AF_INET6, tmp, b) == 1;
        }
        double t4 = now();
        printf("parse: hu_ip_parse v4 %.1f ns, v6 %.1f ns; inet_pton(copy) v4 %.1f ns, v6 %.1f ns (ok %d/%d)\n",
               (t1 - t0) * 1e9 / NADDR, (t2 - t1) * 1e9 / NADDR, (t3 - t2) * 1e9 / NADDR,
               (t4 - t3) * 1e9 / NADDR, ok, 4 * NADDR);
    }
    {
        double t0 = now();
        uint64_t acc = 0;
        for (int rep = 0; rep < 10; rep++)
            for (int i = 0; i < NADDR; i++)
                acc += hu_ip_prefix_hash(&ips4[i]) ^ hu_ip_hash(&ips6[i]);
        double t1 = now();
        printf("hash: ip_hash + prefix_hash %.1f ns per pair (acc %llx)\n",
               (t1 - t0) * 1e9 / (10.0 * NADDR), (unsigned long long)(acc & 0xff));
    }

    /* ---- load ---- */
    char p4[512], p6[512], pm[512], err[512];
    snprintf(p4, sizeof p4, "%s/asn-ipv4.csv.gz", dir);
    snprintf(p6, sizeof p6, "%s/asn-ipv6.csv.gz", dir);
    snprintf(pm, sizeof pm, "%s/iptoasn-country.mmdb", dir);
    struct hu_netdb *db;
    if (hu_netdb_create(&db) != HU_OK)
        return 1;
    double t0 = now();
    if (hu_netdb_load_asn(db, p4, err, sizeof err) != HU_OK) {
        printf("load: skipped (%s)\n", err);
        hu_netdb_destroy(db);
        return 0;
    }
    double t1 = now();
    if (hu_netdb_load_asn(db, p6, err, sizeof err) != HU_OK) {
        printf("load v6 failed: %s\n", err);
        return 1;
    }
    double t2 = now();
    int have_geo = hu_netdb_load_geo(db, pm, err, sizeof err) == HU_OK;
    double t3 = now();
    size_t na, ng, nc, no;
    hu_netdb_counts(db, &na, &ng, &nc, &no);
    printf("load: asn-ipv4.csv.gz %.0f ms, + asn-ipv6.csv.gz %.0f ms (%zu ranges, %zu orgs); "
           "iptoasn-country.mmdb %.0f ms (%zu ranges)%s\n",
           (t1 - t0) * 1e3, (t2 - t1) * 1e3, na, no, (t3 - t2) * 1e3, ng,
           have_geo ? "" : " FAILED");

    /* ---- lookup ---- */
    for (int rep = 0; rep < 3; rep++) {
        struct hu_net_info ni;
        uint64_t acc = 0;
        double a = now();
        for (int i = 0; i < NADDR; i++) {
            hu_netdb_lookup(db, &ips4[i], &ni);
            acc += ni.asn + (unsigned char)ni.country[0];
        }
        double b = now();
        for (int i = 0; i < NADDR; i++) {
            hu_netdb_lookup(db, &ips6[i], &ni);
            acc += ni.asn + (unsigned char)ni.country[0];
        }
        double c = now();
        printf("lookup (asn + geo + cidr tables): v4 %.1f ns, v6 %.1f ns (acc %llu)\n",
               (b - a) * 1e9 / NADDR, (c - b) * 1e9 / NADDR, (unsigned long long)acc);
    }
    if (have_geo) {
        MMDB_s mm;
        if (MMDB_open(pm, MMDB_MODE_MMAP, &mm) == MMDB_SUCCESS) {
            for (int rep = 0; rep < 3; rep++) {
                int found = 0;
                double a = now();
                for (int i = 0; i < NADDR; i++) {
                    struct sockaddr_in sa;
                    memset(&sa, 0, sizeof sa);
                    sa.sin_family = AF_INET;
                    memcpy(&sa.sin_addr, ips4[i].bytes, 4);
                    int e;
                    MMDB_lookup_result_s r = MMDB_lookup_sockaddr(&mm, (struct sockaddr *)&sa, &e);
                    if (r.found_entry) {
                        MMDB_entry_data_s d;
                        if (MMDB_get_value(&r.entry, &d, "country_code", NULL) == MMDB_SUCCESS &&
                            d.has_data)
                            found++;
                    }
                }
                double b = now();
                printf("libmaxminddb v4 lookup_sockaddr + get_value: %.1f ns (found %d)\n",
                       (b - a) * 1e9 / NADDR, found);
            }
            MMDB_close(&mm);
        }
    }
    hu_netdb_destroy(db);

    /* ---- user agents ---- */
    static const char *uas[] = {
        "python-httpx/0.27.0", "OpenAI/Python 1.35.0",
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"),
        "Python/3.11 aiohttp/3.9.1",
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/126.0.0.0 Safari/537.36"),
    };
    for (size_t u = 0; u < sizeof uas / sizeof uas[0]; u++) {
        char fam[64];
        size_t l = strlen(uas[u]);
        uint64_t acc = 0;
        double a = now();
        for (int i = 0; i < NADDR; i++)
            acc += hu_ua_family(uas[u], l, fam, sizeof fam);
        double b = now();
        printf("ua_family %-18s %.1f ns (%zu bytes)\n", fam, (b - a) * 1e9 / NADDR, l);
        (void)acc;
    }
    {
        /* worst case: a Mozilla agent made of 1 KB of token starts that
         * begin like the browser tokens */
        static char bad[2048];
        size_t l = (size_t)snprintf(bad, sizeof bad, "Mozilla/5.0 (");
        while (l + 3 < 1100) {
            bad[l++] = ' ';
            bad[l] = "ECFHOSVYB"[l % 9];
            l++;
        }
        bad[l] = 0;
        char fam[64];
        double a = now();
        for (int i = 0; i < NADDR / 10; i++)
            hu_ua_family(bad, l, fam, sizeof fam);
        double b = now();
        printf("ua_family adversarial %zu bytes: %.0f ns\n", l, (b - a) * 1e9 / (NADDR / 10));
    }
    return 0;
}
