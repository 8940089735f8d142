/* results.c -- see results.h. */
#include "score/results.h"
#include "core/alloc.h"

#include <string.h>

void hu_account_add_reason(struct hu_account_result *a, const char *code, double value,
                           double strength)
{
    /* replace an existing code rather than listing it twice */
    for (unsigned i = 0; i < a->n_reasons; i++) {
        if (a->reasons[i].code == code || !strcmp(a->reasons[i].code, code)) {
            if (strength <= a->reasons[i].strength)
                return;
            memmove(&a->reasons[i], &a->reasons[i + 1], (a->n_reasons - i - 1) * sizeof a->reasons[0]);
            a->n_reasons--;
            break;
        }
    }
    unsigned pos = a->n_reasons;
    while (pos > 0 && a->reasons[pos - 1].strength < strength)
        pos--;
    if (pos >= HU_MAX_REASONS)
        return;
    unsigned n = a->n_reasons < HU_MAX_REASONS ? a->n_reasons : HU_MAX_REASONS - 1;
    memmove(&a->reasons[pos + 1], &a->reasons[pos], (n - pos) * sizeof a->reasons[0]);
    a->reasons[pos] = (struct hu_reason){ code, value, strength };
    if (a->n_reasons < HU_MAX_REASONS)
        a->n_reasons++;
}

void hu_results_fini(struct hu_results *r)
{
    for (size_t i = 0; i < r->n_campaigns; i++) {
        struct hu_campaign_result *c = &r->campaigns[i];
        hu_free(c->members);
        for (uint32_t k = 0; k < c->n_indicators; k++)
            hu_free(c->indicators[k].value);
        hu_free(c->indicators);
        for (uint32_t k = 0; k < c->n_evidence; k++)
            hu_free(c->evidence[k].text);
        hu_free(c->evidence);
    }
    hu_free(r->campaigns);
    hu_free(r->accounts);
    memset(r, 0, sizeof *r);
}
