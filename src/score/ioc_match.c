/* ioc_match.c -- indicators from partners as evidence, see ioc_match.h. */
#include "score/ioc_match.h"
#include "features/net.h"
#include "score/params.h"

#include <stdio.h>
#include <string.h>

static void add_hit(struct hu_ioc_hit *h, const struct hu_ioc_match *m, const char *kind, double w,
                    double *weak)
{
    if (weak) {
        /* network and client hits: their own budget, capped */
        double nw = 1.0 - (1.0 - *weak) * (1.0 - w);
        if (nw > HU_IOC_WEAK_MAX)
            nw = HU_IOC_WEAK_MAX;
        w = *weak < 1.0 ? 1.0 - (1.0 - nw) / (1.0 - *weak) : 0;
        *weak = nw;
    }
    h->score = 1.0 - (1.0 - h->score) * (1.0 - w);
    if (h->score > HU_IOC_MAX)
        h->score = HU_IOC_MAX;
    for (unsigned i = 0; i < h->n; i++)
        if (!strcmp(h->hit[i].kind, kind) && !strcmp(h->hit[i].producer, m->producer))
            return;
    if (h->n < 4) {
        h->hit[h->n].kind = kind;
        h->hit[h->n].producer = m->producer;
        h->hit[h->n].indicator_id = m->indicator_id;
        h->n++;
    }
}

void hu_ioc_match_accounts(const struct hu_ioc_set *set, struct hu_profile *const *prof, size_t n,
                           const struct hu_entity_dict *dict, const uint8_t *share_key,
                           size_t share_key_len, struct hu_ioc_hit *out)
{
    for (size_t i = 0; i < n; i++) {
        const struct hu_profile *p = prof[i];
        struct hu_ioc_hit *h = &out[i];
        memset(h, 0, sizeof *h);
        double weak = 0;
        struct hu_ioc_match m;
        struct hu_kmv ks_;
        const struct hu_kmv *s = hu_profile_set(p, HU_PSET_IP, &ks_);
        for (unsigned k = 0; k < s->n; k++) {
            const char *v = hu_dict_get(dict, HU_DICT_IP, s->h[k]);
            struct hu_ip ip;
            if (v && hu_ip_parse(v, strlen(v), &ip) == HU_OK && hu_ioc_lookup_ip(set, &ip, &m))
                add_hit(h, &m, m.kind == HU_IOC_PREFIX ? "prefix" : "ip", HU_IOC_W_ADDRESS, &weak);
        }
        s = hu_profile_set(p, HU_PSET_ASN, &ks_);
        for (unsigned k = 0; k < s->n; k++)
            if (s->h[k] <= UINT32_MAX && hu_ioc_lookup_asn(set, (uint32_t)s->h[k], &m))
                add_hit(h, &m, "asn", HU_IOC_W_ASN, &weak);
        static const struct { int pset; enum hu_dict_kind dict; enum hu_ioc_kind kind; const char *code; double w; } fp[] = {
            { HU_PSET_CLIENT_FP, HU_DICT_CLIENT_FP, HU_IOC_CLIENT_FP, "client_fp", HU_IOC_W_CLIENT },
            { HU_PSET_HEADERS_FP, HU_DICT_HEADERS_FP, HU_IOC_HEADERS_FP, "headers_fp", HU_IOC_W_CLIENT },
            { HU_PSET_UA, HU_DICT_USER_AGENT, HU_IOC_USER_AGENT, "user_agent", HU_IOC_W_UA },
        };
        for (size_t f = 0; f < sizeof fp / sizeof fp[0]; f++) {
            s = hu_profile_set(p, fp[f].pset, &ks_);
            for (unsigned k = 0; k < s->n; k++) {
                const char *v = hu_dict_get(dict, fp[f].dict, s->h[k]);
                if (v && hu_ioc_lookup(set, fp[f].kind, v, strlen(v), &m))
                    add_hit(h, &m, fp[f].code, fp[f].w, &weak);
            }
        }
        if (share_key) {
            s = hu_profile_set(p, HU_PSET_PAYMENT, &ks_);
            for (unsigned k = 0; k <= s->n; k++) {
                uint64_t ph = k < s->n ? s->h[k] : p->facts.payment_hash;
                const char *v = ph ? hu_dict_get(dict, HU_DICT_PAYMENT, ph) : NULL;
                char hex[65];
                if (!v)
                    continue;
                hu_keyed_hash(share_key, share_key_len, v, strlen(v), hex);
                if (hu_ioc_lookup_payment_hash(set, hex, 64, &m))
                    add_hit(h, &m, "payment", HU_IOC_W_PAYMENT, NULL);
            }
        }
        for (unsigned k = 0; k < HU_SS_K; k++) {
            if (!p->top_templates.e[k].count)
                continue;
            char key[32];
            int len = snprintf(key, sizeof key, "tpl:%016llx", (unsigned long long)p->top_templates.e[k].key);
            if (hu_ioc_lookup_template(set, key, (size_t)len, &m))
                add_hit(h, &m, "template", HU_IOC_W_TEMPLATE, NULL);
        }
    }
}
