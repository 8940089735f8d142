/*
 * sim_addr.c -- the simulator's address plan.
 *
 * Every address the simulator writes comes from the blocks below, and
 * `huella simulate --asn-out FILE` writes them as an ASN CSV so a demo
 * needs nothing from outside.  The blocks are real IPv4 space but the
 * assignments are invented (private-use 32-bit ASNs 4200000000+, fictional
 * organisations): never mix the plan with a real ASN database.
 *
 *   class        blocks                               who lives there
 *   residential  16 ISPs, one per country, 24.0.0.0/8 honest homes; residential proxy exits
 *                (/12 each) + 2 more in 73.0.0.0/11
 *   mobile       16 carriers 37.N.0.0/16 + IPv6        honest phones behind CGNAT (1,024
 *                2a0a:N::/32                           shared addresses per carrier)
 *   cloud        5 clouds 52.x.0.0/14                  apps, coding agents, benchmarks, campaign infra
 *   hosting      6 VPS hosters 45.N.0.0/16             campaign infra, small apps
 *   proxy-dc     2 proxy providers 185.10-11.0.0/16    the hydra service's datacenter exits
 *   university   32 universities 128.N.0.0/16          student NATs, research groups
 *   business     4 business ISPs 64.x.0.0/14           company offices
 */
#include "sim/sim_int.h"

#include <stdio.h>
#include <string.h>

const struct sim_country sim_countries[] = {
    {"US", -5, SIM_EN, 0.16f}, {"US", -8, SIM_EN, 0.08f}, {"CN", 8, SIM_ZH, 0.10f},
    {"IN", 5, SIM_EN, 0.09f},  {"BR", -3, SIM_EN, 0.05f}, {"MX", -6, SIM_ES, 0.05f},
    {"ES", 1, SIM_ES, 0.05f},  {"DE", 1, SIM_EN, 0.06f},  {"GB", 0, SIM_EN, 0.07f},
    {"FR", 1, SIM_EN, 0.05f},  {"JP", 9, SIM_EN, 0.05f},  {"KR", 9, SIM_EN, 0.04f},
    {"AR", -3, SIM_ES, 0.04f}, {"ID", 7, SIM_EN, 0.04f},  {"AU", 10, SIM_EN, 0.04f},
    {"NG", 1, SIM_EN, 0.03f},
};
const size_t sim_n_countries = sizeof sim_countries / sizeof sim_countries[0];

struct blk {
    uint32_t    base;   /* IPv4 network address (host order); v6: carrier number */
    uint8_t     bits;   /* prefix length */
    uint8_t     net;    /* enum sim_net */
    uint8_t     v6;
    uint32_t    asn;
    const char *org;
    const char *cc;
};

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
#define ASN(n) (UINT32_C(4200000000) + (n))

static const struct blk blocks[] = {
    /* residential ISPs, one per country (same order as the country codes) */
    {IP4(24, 0, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(101), "Lakeshore Broadband (sim)", "US"},
    {IP4(24, 16, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(102), "Pacific Cable Home (sim)", "US"},
    {IP4(24, 32, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(103), "Huaxia Telecom Residential (sim)", "CN"},
    {IP4(24, 48, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(104), "Bharat Fibre Net (sim)", "IN"},
    {IP4(24, 64, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(105), "Verde Banda Larga (sim)", "BR"},
    {IP4(24, 80, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(106), "Cablemas Hogar (sim)", "MX"},
    {IP4(24, 96, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(107), "Iberia Fibra (sim)", "ES"},
    {IP4(24, 112, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(108), "Rheinland Kabel (sim)", "DE"},
    {IP4(24, 128, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(109), "Albion Broadband (sim)", "GB"},
    {IP4(24, 144, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(110), "Hexagone Box (sim)", "FR"},
    {IP4(24, 160, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(111), "Sakura Hikari (sim)", "JP"},
    {IP4(24, 176, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(112), "Hangang Home Net (sim)", "KR"},
    {IP4(24, 192, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(113), "Pampa Conecta (sim)", "AR"},
    {IP4(24, 208, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(114), "Nusantara Rumah (sim)", "ID"},
    {IP4(24, 224, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(115), "Southern Cross Home (sim)", "AU"},
    {IP4(24, 240, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(116), "Lagos Fibre (sim)", "NG"},
    {IP4(73, 0, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(117), "Prairie Connect (sim)", "US"},
    {IP4(73, 16, 0, 0), 12, NET_RESIDENTIAL, 0, ASN(118), "Yangtze Home Broadband (sim)", "CN"},
    /* mobile carriers */
    {IP4(37, 0, 0, 0), 16, NET_MOBILE, 0, ASN(201), "Liberty Wireless (sim)", "US"},
    {IP4(37, 1, 0, 0), 16, NET_MOBILE, 0, ASN(202), "Westcoast Mobile (sim)", "US"},
    {IP4(37, 2, 0, 0), 16, NET_MOBILE, 0, ASN(203), "Zhongyi Mobile (sim)", "CN"},
    {IP4(37, 3, 0, 0), 16, NET_MOBILE, 0, ASN(204), "Jio-like Mobile (sim)", "IN"},
    {IP4(37, 4, 0, 0), 16, NET_MOBILE, 0, ASN(205), "Vivo Celular (sim)", "BR"},
    {IP4(37, 5, 0, 0), 16, NET_MOBILE, 0, ASN(206), "Telcel Movil (sim)", "MX"},
    {IP4(37, 6, 0, 0), 16, NET_MOBILE, 0, ASN(207), "Movil Iberica (sim)", "ES"},
    {IP4(37, 7, 0, 0), 16, NET_MOBILE, 0, ASN(208), "Funk Deutschland (sim)", "DE"},
    {IP4(37, 8, 0, 0), 16, NET_MOBILE, 0, ASN(209), "Thames Mobile (sim)", "GB"},
    {IP4(37, 9, 0, 0), 16, NET_MOBILE, 0, ASN(210), "Mobile Hexagone (sim)", "FR"},
    {IP4(37, 10, 0, 0), 16, NET_MOBILE, 0, ASN(211), "Docomo-like (sim)", "JP"},
    {IP4(37, 11, 0, 0), 16, NET_MOBILE, 0, ASN(212), "Hangang Mobile (sim)", "KR"},
    {IP4(37, 12, 0, 0), 16, NET_MOBILE, 0, ASN(213), "Pampa Movil (sim)", "AR"},
    {IP4(37, 13, 0, 0), 16, NET_MOBILE, 0, ASN(214), "Nusantara Seluler (sim)", "ID"},
    {IP4(37, 14, 0, 0), 16, NET_MOBILE, 0, ASN(215), "Outback Mobile (sim)", "AU"},
    {IP4(37, 15, 0, 0), 16, NET_MOBILE, 0, ASN(216), "Niger Delta Mobile (sim)", "NG"},
    /* IPv6 mobile (base = carrier number in 2a0a:N::/32) */
    {1, 32, NET_MOBILE, 1, ASN(201), "Liberty Wireless (sim)", "US"},
    {3, 32, NET_MOBILE, 1, ASN(203), "Zhongyi Mobile (sim)", "CN"},
    {4, 32, NET_MOBILE, 1, ASN(204), "Jio-like Mobile (sim)", "IN"},
    {8, 32, NET_MOBILE, 1, ASN(208), "Funk Deutschland (sim)", "DE"},
    {11, 32, NET_MOBILE, 1, ASN(211), "Docomo-like (sim)", "JP"},
    /* clouds */
    {IP4(52, 0, 0, 0), 14, NET_CLOUD, 0, ASN(301), "Stratus Cloud (sim)", "US"},
    {IP4(52, 4, 0, 0), 14, NET_CLOUD, 0, ASN(302), "Nimbus Compute (sim)", "US"},
    {IP4(52, 8, 0, 0), 14, NET_CLOUD, 0, ASN(303), "Cirrus Cloud Europe (sim)", "DE"},
    {IP4(52, 12, 0, 0), 14, NET_CLOUD, 0, ASN(304), "Tianyun Cloud (sim)", "CN"},
    {IP4(52, 16, 0, 0), 14, NET_CLOUD, 0, ASN(305), "Merlion Cloud (sim)", "SG"},
    /* hosting */
    {IP4(45, 0, 0, 0), 16, NET_HOSTING, 0, ASN(401), "QuickVPS (sim)", "US"},
    {IP4(45, 1, 0, 0), 16, NET_HOSTING, 0, ASN(402), "Baltic Servers (sim)", "LT"},
    {IP4(45, 2, 0, 0), 16, NET_HOSTING, 0, ASN(403), "HK Datahall (sim)", "HK"},
    {IP4(45, 3, 0, 0), 16, NET_HOSTING, 0, ASN(404), "Nordic Metal (sim)", "NL"},
    {IP4(45, 4, 0, 0), 16, NET_HOSTING, 0, ASN(405), "Lion City Hosting (sim)", "SG"},
    {IP4(45, 5, 0, 0), 16, NET_HOSTING, 0, ASN(406), "Pacific Racks (sim)", "US"},
    /* datacenter proxy providers */
    {IP4(185, 10, 0, 0), 16, NET_PROXY_DC, 0, ASN(501), "FlexiRoute Networks (sim)", "NL"},
    {IP4(185, 11, 0, 0), 16, NET_PROXY_DC, 0, ASN(502), "Hydra Transit Ltd (sim)", "SC"},
    /* universities */
    {IP4(128, 0, 0, 0), 16, NET_UNIVERSITY, 0, ASN(601), "State University of Lakeshore (sim)", "US"},
    {IP4(128, 1, 0, 0), 16, NET_UNIVERSITY, 0, ASN(602), "Pacific Institute of Technology (sim)", "US"},
    {IP4(128, 2, 0, 0), 16, NET_UNIVERSITY, 0, ASN(603), "Huaxia University (sim)", "CN"},
    {IP4(128, 3, 0, 0), 16, NET_UNIVERSITY, 0, ASN(604), "Indian Institute of Science Delhi (sim)", "IN"},
    {IP4(128, 4, 0, 0), 16, NET_UNIVERSITY, 0, ASN(605), "Universidade Verde (sim)", "BR"},
    {IP4(128, 5, 0, 0), 16, NET_UNIVERSITY, 0, ASN(606), "Universidad del Valle (sim)", "MX"},
    {IP4(128, 6, 0, 0), 16, NET_UNIVERSITY, 0, ASN(607), "Universidad Complutense Iberica (sim)", "ES"},
    {IP4(128, 7, 0, 0), 16, NET_UNIVERSITY, 0, ASN(608), "Technische Universitaet Rhein (sim)", "DE"},
    {IP4(128, 8, 0, 0), 16, NET_UNIVERSITY, 0, ASN(609), "University of Albion (sim)", "GB"},
    {IP4(128, 9, 0, 0), 16, NET_UNIVERSITY, 0, ASN(610), "Universite Hexagone (sim)", "FR"},
    {IP4(128, 10, 0, 0), 16, NET_UNIVERSITY, 0, ASN(611), "Sakura University (sim)", "JP"},
    {IP4(128, 11, 0, 0), 16, NET_UNIVERSITY, 0, ASN(612), "Hangang National University (sim)", "KR"},
    {IP4(128, 12, 0, 0), 16, NET_UNIVERSITY, 0, ASN(613), "Universidad de la Pampa (sim)", "AR"},
    {IP4(128, 13, 0, 0), 16, NET_UNIVERSITY, 0, ASN(614), "Universitas Nusantara (sim)", "ID"},
    {IP4(128, 14, 0, 0), 16, NET_UNIVERSITY, 0, ASN(615), "Southern Cross University (sim)", "AU"},
    {IP4(128, 15, 0, 0), 16, NET_UNIVERSITY, 0, ASN(616), "Lagos Polytechnic (sim)", "NG"},
    {IP4(128, 16, 0, 0), 16, NET_UNIVERSITY, 0, ASN(617), "Lakeshore Community College (sim)", "US"},
    {IP4(128, 17, 0, 0), 16, NET_UNIVERSITY, 0, ASN(618), "Yangtze University of Technology (sim)", "CN"},
    {IP4(128, 18, 0, 0), 16, NET_UNIVERSITY, 0, ASN(619), "Northern Plains University (sim)", "US"},
    {IP4(128, 19, 0, 0), 16, NET_UNIVERSITY, 0, ASN(620), "Pearl River University (sim)", "CN"},
    /* business ISPs */
    {IP4(64, 0, 0, 0), 14, NET_BUSINESS, 0, ASN(701), "Metro Business Fiber (sim)", "US"},
    {IP4(64, 4, 0, 0), 14, NET_BUSINESS, 0, ASN(702), "Europa Business Net (sim)", "DE"},
    {IP4(64, 8, 0, 0), 14, NET_BUSINESS, 0, ASN(703), "Albion Business (sim)", "GB"},
    {IP4(64, 12, 0, 0), 14, NET_BUSINESS, 0, ASN(704), "Huaxia Enterprise Net (sim)", "CN"},
};
#define N_BLOCKS (sizeof blocks / sizeof blocks[0])

/* Per class, the block indexes (built on first use; the table is const,
 * so the index is computed once per call pattern cheaply). */
static uint32_t class_first[NET_KIND_N], class_count[NET_KIND_N];
static int class_ready;

static void class_init(void)
{
    if (class_ready)
        return;
    /* blocks of one class are contiguous in the table (v6 mobile follows v4 mobile) */
    for (int c = 0; c < NET_KIND_N; c++) {
        class_first[c] = UINT32_MAX;
        class_count[c] = 0;
        for (uint32_t i = 0; i < N_BLOCKS; i++) {
            if (blocks[i].net != c || blocks[i].v6)
                continue;
            if (class_first[c] == UINT32_MAX)
                class_first[c] = i;
            class_count[c]++;
        }
    }
    class_ready = 1;
}

uint32_t sim_addr_blocks(int net)
{
    class_init();
    return net >= 0 && net < NET_KIND_N ? class_count[net] : 0;
}

static void fill(const struct blk *b, uint64_t host, struct sim_addr *out)
{
    memcpy(out->cc, b->cc, 3);
    if (b->v6) {
        out->v6 = 1;
        memset(out->b, 0, 16);
        out->b[0] = 0x2a;
        out->b[1] = 0x0a;
        out->b[2] = (uint8_t)(b->base >> 8);
        out->b[3] = (uint8_t)b->base;
        uint64_t h = sim_mix(host);
        for (int i = 4; i < 16; i++)
            out->b[i] = (uint8_t)(h >> ((i % 8) * 8)) ^ (uint8_t)(i < 8 ? 0 : host >> (i * 3));
        return;
    }
    uint32_t size = 1u << (32 - b->bits);
    uint32_t a = b->base + (uint32_t)(host % size);
    if ((a & 0xff) == 0 || (a & 0xff) == 255)
        a ^= 0x11;
    out->v6 = 0;
    memset(out->b, 0, 16);
    out->b[0] = (uint8_t)(a >> 24);
    out->b[1] = (uint8_t)(a >> 16);
    out->b[2] = (uint8_t)(a >> 8);
    out->b[3] = (uint8_t)a;
}

void sim_addr_in_block(int net, uint32_t block, uint64_t host, struct sim_addr *out)
{
    class_init();
    uint32_t n = class_count[net];
    fill(&blocks[class_first[net] + block % n], host, out);
}

void sim_addr_pick(int net, const char *cc, uint64_t key, uint64_t host, struct sim_addr *out)
{
    class_init();
    uint32_t first = class_first[net], n = class_count[net];
    int v6 = net == NET_MOBILE && (host >> 63);
    if (cc && (net == NET_RESIDENTIAL || net == NET_MOBILE || net == NET_UNIVERSITY)) {
        uint32_t match[4], m = 0;
        for (uint32_t i = 0; i < N_BLOCKS && m < 4; i++)
            if (blocks[i].net == net && blocks[i].v6 == v6 && !memcmp(blocks[i].cc, cc, 2))
                match[m++] = i;
        if (m) {
            fill(&blocks[match[sim_hbelow(key, m)]], host & ~(UINT64_C(1) << 63), out);
            return;
        }
    }
    fill(&blocks[first + sim_hbelow(key, n)], host, out);
}

static char *put_u(char *p, unsigned v)
{
    char tmp[12];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

char *sim_addr_write(const struct sim_addr *a, char *p)
{
    static const char hex[] = "0123456789abcdef";
    if (!a->v6) {
        for (int i = 0; i < 4; i++) {
            if (i)
                *p++ = '.';
            p = put_u(p, a->b[i]);
        }
        return p;
    }
    for (int i = 0; i < 16; i += 2) {
        if (i)
            *p++ = ':';
        unsigned w = ((unsigned)a->b[i] << 8) | a->b[i + 1];
        int started = 0;
        for (int s = 12; s >= 0; s -= 4) {
            unsigned d = (w >> s) & 15;
            if (d || started || s == 0) {
                *p++ = hex[d];
                started = 1;
            }
        }
    }
    return p;
}

static void ip4_str(uint32_t a, char *buf)
{
    snprintf(buf, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

/* Blocks in ascending address order (IPv4 first, then IPv6). */
static void sorted_order(uint32_t *ord)
{
    for (uint32_t i = 0; i < N_BLOCKS; i++)
        ord[i] = i;
    for (uint32_t i = 1; i < N_BLOCKS; i++) {
        uint32_t v = ord[i], j = i;
        while (j > 0) {
            const struct blk *x = &blocks[ord[j - 1]], *y = &blocks[v];
            int after = x->v6 != y->v6 ? x->v6 > y->v6 : x->base > y->base;
            if (!after)
                break;
            ord[j] = ord[j - 1];
            j--;
        }
        ord[j] = v;
    }
}

int hu_sim_write_asn_csv(FILE *out)
{
    uint32_t ord[N_BLOCKS];
    sorted_order(ord);
    for (uint32_t k = 0; k < N_BLOCKS; k++) {
        const struct blk *b = &blocks[ord[k]];
        char s[48], e[48];
        if (b->v6) {
            snprintf(s, sizeof s, "2a0a:%x::", b->base);
            snprintf(e, sizeof e, "2a0a:%x:ffff:ffff:ffff:ffff:ffff:ffff", b->base);
        } else {
            ip4_str(b->base, s);
            ip4_str(b->base + ((1u << (32 - b->bits)) - 1), e);
        }
        if (fprintf(out, "%s,%s,%u,\"%s\"\n", s, e, b->asn, b->org) < 0)
            return HU_EIO;
    }
    return ferror(out) ? HU_EIO : HU_OK;
}

int hu_sim_write_cidr_classes(FILE *out)
{
    static const char *const cls[NET_KIND_N] = {"residential", "mobile",    "datacenter", "datacenter",
                                                "education",   NULL,        "proxy"};
    uint32_t ord[N_BLOCKS];
    sorted_order(ord);
    fputs("# huella simulate address plan: CIDR,class (see docs/simulate.md)\n", out);
    for (uint32_t k = 0; k < N_BLOCKS; k++) {
        const struct blk *b = &blocks[ord[k]];
        if (!cls[b->net])
            continue;
        char s[48];
        if (b->v6)
            snprintf(s, sizeof s, "2a0a:%x::", b->base);
        else
            ip4_str(b->base, s);
        if (fprintf(out, "%s/%u,%s\n", s, b->bits, cls[b->net]) < 0)
            return HU_EIO;
    }
    return ferror(out) ? HU_EIO : HU_OK;
}
