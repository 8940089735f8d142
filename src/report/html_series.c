/*
 * html_series.c -- requests over time for report.html: all traffic, and
 * each drawn campaign's accounts, per time bucket; and each campaign's
 * day-of-week x hour-of-day counts.
 *
 * Why a second pass.  Profiles are fixed-size (profile.h): they keep
 * hour-of-day and day-of-week marginals and a 4-day model ring, not a
 * series over the whole run, and adding one per account would multiply
 * their size by the run's length.  Campaign membership is only known after
 * linkage, so a per-campaign series cannot be counted during the first
 * pass either.  Re-reading the input once membership is known costs one
 * JSON parse per line (no features, no profile update: the parser runs at
 * ~1 GB/s, DEPENDENCIES.md section 1, against the several times slower
 * feature path) and memory
 *
 *     (1 + cards) x buckets x 8 bytes  +  cards x 168 x 8  +  a hash map
 *     of the drawn campaigns' members (16 bytes per slot, load <= 1/2)
 *
 * i.e. at most 31 x 400 x 8 = 99 KB plus the members, whatever the number
 * of events.  Buckets adapt to the span (hu_report_bucket_ms): three weeks
 * of traffic give 2-hour buckets, a year daily ones; the floor is one hour
 * (finer is noise at campaign scale).  Measured on the demo input (382k
 * requests): the extra pass costs ~1.7 s of a ~12 s analyze, peak RSS
 * unchanged (docs/report.md).
 *
 * Standard input and other non-regular files cannot be read twice; the
 * report then says so (s->note) and draws the heatmap from the profiles'
 * marginals.  Events outside [first_ts, last_ts] of the first pass cannot
 * happen for unchanged files; if a file changed in between, such events
 * are clamped into the end buckets (the first pass stays authoritative
 * for every number but the charts).
 */
#include "report/html.h"
#include "core/alloc.h"
#include "core/hash.h"
#include "core/u64map.h"
#include "ingest/ingest.h"

#include <string.h>
#include <sys/stat.h>

int64_t hu_report_bucket_ms(int64_t span_ms)
{
    static const int64_t hours[] = { 1, 2, 3, 6, 12, 24, 48, 168, 336, 720, 2160, 8760 };
    const int64_t h = 3600 * 1000;
    if (span_ms < 0) span_ms = 0;
    for (size_t i = 0; i < sizeof hours / sizeof hours[0]; i++)
        if (span_ms / (hours[i] * h) + 1 <= HU_REPORT_MAX_BUCKETS)
            return hours[i] * h;
    /* beyond 400 years: as wide as needed */
    return span_ms / (HU_REPORT_MAX_BUCKETS - 1) + 1;
}

void hu_report_series_fini(struct hu_report_series *s)
{
    if (!s) return;
    hu_free(s->all);
    hu_free(s->camp);
    hu_free(s->heat);
    memset(s, 0, sizeof *s);
}

static int rereadable(const char *path)
{
    struct stat st;
    return strcmp(path, "-") != 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int hu_report_series_collect(const struct hu_report_input *in, uint32_t n_cards,
                             struct hu_report_series *s)
{
    memset(s, 0, sizeof *s);
    const struct hu_results *r = in->res;
    if (!r->total_requests) {
        snprintf(s->note, sizeof s->note, "no requests");
        return HU_OK;
    }
    if (!in->n_paths) {
        snprintf(s->note, sizeof s->note, "the input files were not given to the report writer");
        return HU_OK;
    }
    for (size_t i = 0; i < in->n_paths; i++) {
        if (!rereadable(in->paths[i])) {
            snprintf(s->note, sizeof s->note,
                     "an input was standard input or a pipe, which cannot be read a second time");
            return HU_OK;
        }
    }
    int64_t span = r->last_ts_ms - r->first_ts_ms;
    s->bucket_ms = hu_report_bucket_ms(span);
    s->t0_ms = r->first_ts_ms - ((r->first_ts_ms % s->bucket_ms) + s->bucket_ms) % s->bucket_ms;
    s->n_buckets = (uint32_t)((r->last_ts_ms - s->t0_ms) / s->bucket_ms + 1);
    if (s->n_buckets > HU_REPORT_MAX_BUCKETS + 1) s->n_buckets = HU_REPORT_MAX_BUCKETS + 1;
    s->n_cards = n_cards;

    int rc = HU_ENOMEM;
    struct hu_u64map member = { 0 };
    struct hu_ingest *ing = NULL;
    s->all = hu_calloc(s->n_buckets, sizeof *s->all);
    s->camp = hu_calloc((size_t)(n_cards ? n_cards : 1) * s->n_buckets, sizeof *s->camp);
    s->heat = hu_calloc((size_t)(n_cards ? n_cards : 1) * 168, sizeof *s->heat);
    if (!s->all || !s->camp || !s->heat)
        goto fail;
    size_t expect = 0;
    for (uint32_t c = 0; c < n_cards; c++)
        expect += r->campaigns[c].n_members;
    if (hu_u64map_init(&member, expect))
        goto fail;
    for (uint32_t c = 0; c < n_cards; c++) {
        const struct hu_campaign_result *cp = &r->campaigns[c];
        for (uint32_t i = 0; i < cp->n_members; i++) {
            const struct hu_profile *p = hu_profile_table_at(in->profiles, cp->members[i]);
            /* an account is in at most one campaign: set its card once */
            if (p && !hu_u64map_get(&member, p->account_hash) &&
                hu_u64map_add(&member, p->account_hash, c + 1))
                goto fail;
        }
    }
    struct hu_ingest_opts io = { .map_path = in->map_path, .quiet = 1 };
    int st = hu_ingest_create(&ing, in->paths, in->n_paths, &io);
    if (st == HU_ENOMEM)
        goto fail;
    if (st != HU_OK) {
        snprintf(s->note, sizeof s->note, "the input files could not be read a second time");
        rc = HU_OK;
        goto fail;
    }
    struct hu_event ev;
    for (;;) {
        st = hu_ingest_next(ing, &ev);
        if (st != 1)
            break;
        if (ev.kind != HU_EV_REQUEST)
            continue;
        int64_t b = (ev.ts_ms - s->t0_ms) / s->bucket_ms;
        if (ev.ts_ms < s->t0_ms) b = 0;
        if (b >= (int64_t)s->n_buckets) b = s->n_buckets - 1;
        s->all[b]++;
        uint32_t card = hu_u64map_get(&member, hu_hash(ev.account_id.ptr, ev.account_id.len));
        if (!card || card > n_cards)
            continue;
        s->camp[(size_t)(card - 1) * s->n_buckets + (size_t)b]++;
        int64_t day = ev.ts_ms >= 0 ? ev.ts_ms / 86400000 : (ev.ts_ms - 86399999) / 86400000;
        int64_t ms_of_day = ev.ts_ms - day * 86400000;
        unsigned dow = (unsigned)((day % 7 + 7 + 3) % 7);   /* 1970-01-01 was a Thursday */
        unsigned hour = (unsigned)(ms_of_day / 3600000);
        s->heat[(size_t)(card - 1) * 168 + dow * 24 + (hour < 24 ? hour : 23)]++;
    }
    if (st < 0) {
        rc = st == HU_ENOMEM ? HU_ENOMEM : HU_OK;
        snprintf(s->note, sizeof s->note, "reading the input a second time failed");
        goto fail;
    }
    hu_ingest_destroy(ing);
    hu_u64map_fini(&member);
    s->available = 1;
    return HU_OK;
fail:
    hu_ingest_destroy(ing);
    hu_u64map_fini(&member);
    {
        char note[sizeof s->note];
        memcpy(note, s->note, sizeof note);
        hu_report_series_fini(s);
        memcpy(s->note, note, sizeof note);
    }
    return rc;
}
