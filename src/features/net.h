/*
 * net.h -- addresses, networks and clients: what an IP and a User-Agent
 * say about where a request came from.
 *
 * A struct hu_netdb holds the address databases given on the command line
 * (--asn, --geo, CIDR class lists).  It is built once, then read-only and
 * shared by all threads.  Without any database huella still works on
 * prefixes: lookups then return asn 0 and HU_NET_UNKNOWN.
 *
 * Formats accepted by hu_netdb_load_asn():
 *   - MaxMind DB (.mmdb), read with libmaxminddb (autonomous_system_number /
 *     autonomous_system_organization, or the iptoasn/ip-location-db keys);
 *   - CSV ranges `start,end,asn,"org"` (IPv4 or IPv6), plain or .gz, as in
 *     shared/data/ip/asn-ipv4.csv.gz.
 * hu_netdb_load_geo(): a .mmdb with a country code (country_code or
 *   country.iso_code), or CSV ranges `start,end,CC`.
 * hu_netdb_load_cidr(): lines `CIDR[,class]` with class one of residential,
 *   mobile, datacenter, proxy, vpn, education ('#' comments); a list without
 *   a class column marks its ranges as proxy.
 * Several files per kind may be loaded: earlier files win, later ones fill
 * their gaps; inside one file the narrower of overlapping ranges wins.
 * Loads are not thread-safe; lookups after the last load are.  Details,
 * rules and numbers: docs/internals/net.md.
 */
#ifndef HU_FEATURES_NET_H
#define HU_FEATURES_NET_H

#include <stdint.h>
#include <stddef.h>
#include "huella/hu_status.h"

struct hu_ip {
    uint8_t v6;            /* 0: IPv4 in bytes[0..3]; 1: IPv6 in bytes[0..15] */
    uint8_t bytes[16];
};

/* Parse a textual IPv4 or IPv6 address (IPv4-mapped IPv6 becomes IPv4).
 * HU_OK or HU_EPARSE.  No allocation. */
int hu_ip_parse(const char *p, size_t len, struct hu_ip *out);
/* Hash of the address itself, and of its network prefix: IPv4 /24,
 * IPv6 /48 (the unit one customer or one proxy exit usually holds). */
uint64_t hu_ip_hash(const struct hu_ip *ip);
uint64_t hu_ip_prefix_hash(const struct hu_ip *ip);
/* Print the prefix ("203.0.113.0/24", "2001:db8:1::/48") into buf. */
void hu_ip_prefix_str(const struct hu_ip *ip, char *buf, size_t cap);

struct hu_net_info {
    uint32_t asn;          /* 0 when unknown */
    uint8_t  net_class;    /* enum hu_net_class (features.h) */
    char     country[2];   /* zeros when unknown */
    const char *org;       /* AS organisation, borrowed from the db; NULL if unknown */
};

struct hu_netdb;

HU_MUST_CHECK int hu_netdb_create(struct hu_netdb **out);
void hu_netdb_destroy(struct hu_netdb *db);
/* Load one database file; on failure errbuf says which file and line. */
HU_MUST_CHECK int hu_netdb_load_asn(struct hu_netdb *db, const char *path, char *errbuf, size_t errcap);
HU_MUST_CHECK int hu_netdb_load_geo(struct hu_netdb *db, const char *path, char *errbuf, size_t errcap);
HU_MUST_CHECK int hu_netdb_load_cidr(struct hu_netdb *db, const char *path, char *errbuf, size_t errcap);
/* Look one address up: O(log n) in the ranges loaded.  Thread-safe. */
void hu_netdb_lookup(const struct hu_netdb *db, const struct hu_ip *ip, struct hu_net_info *out);

/* User-agent family: product and major version with the rest dropped
 * ("python-httpx/0.27.0" -> "python-httpx/0", "Mozilla/5.0 (...) Chrome/126.0"
 * -> "chrome/126"), so that accounts running one client build link while
 * patch versions do not split them.  Writes a NUL-terminated family into
 * buf and returns its hash (0 for an empty agent). */
uint64_t hu_ua_family(const char *ua, size_t len, char *buf, size_t cap);

/* ---- additions (additive to the interface above) ----------------------- */

/* Print the address itself in canonical form (dotted quad; RFC 5952 for
 * IPv6) into buf, truncated to cap-1 bytes and NUL-terminated.  46 bytes
 * always suffice. */
void hu_ip_str(const struct hu_ip *ip, char *buf, size_t cap);

/* Network class guessed from an AS organisation name (case-insensitive
 * keywords, rules in docs/internals/net.md); HU_NET_UNKNOWN when no rule
 * fires.  O(len * rules); len is capped at 255 bytes. */
uint8_t hu_net_class_guess(const char *org, size_t len);
/* "residential", "mobile", "datacenter", "proxy", "education" or
 * "unknown"; never NULL. */
const char *hu_net_class_name(unsigned net_class);

/* Sizes of the tables built so far (after merging overlaps): ranges of the
 * ASN, geo and CIDR tables, IPv4 and IPv6 together, and distinct AS
 * organisations.  Any pointer may be NULL. */
void hu_netdb_counts(const struct hu_netdb *db, size_t *asn_ranges, size_t *geo_ranges,
                     size_t *cidr_ranges, size_t *orgs);

#endif
