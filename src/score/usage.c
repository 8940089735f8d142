/* usage.c -- the behaviour score, see usage.h and docs/signals.md. */
#include "score/usage.h"
#include "score/params.h"

#include <math.h>
#include <string.h>

static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

double hu_usage_behaviour(const struct hu_usage *u, struct hu_behaviour_part parts[HU_BEHAVIOUR_PARTS])
{
    /* Extraction focus: the larger of the two capability families that
     * campaigns harvest.  Reasoning traces, rubric grading and safe
     * rewrites go together (reward and reasoning data); coding, tool use,
     * computer use and vision go together (agent data). */
    double reasoning = u->target_share[HU_TARGET_COT] + u->target_share[HU_TARGET_GRADING]
                     + u->target_share[HU_TARGET_REWRITE];
    double agentic = u->target_share[HU_TARGET_CODING] + u->target_share[HU_TARGET_TOOLS]
                   + u->target_share[HU_TARGET_COMPUTER] + u->target_share[HU_TARGET_VISION];
    int agent_family = agentic > reasoning;
    double extraction = clamp01(agent_family ? agentic : reasoning);

    double volume = 1.0 - exp(-(double)u->requests / HU_VOLUME_SCALE);

    double reuse = 0;
    if (u->requests >= HU_TEMPLATE_MIN_REQUESTS && u->distinct_templates > 0)
        reuse = clamp01(1.0 - u->distinct_templates / (double)u->requests);

    double output_ratio = 0;
    if (u->mean_input_tokens + u->mean_output_tokens > 0)
        output_ratio = u->mean_output_tokens / (u->mean_input_tokens + u->mean_output_tokens);

    const struct hu_behaviour_part p[HU_BEHAVIOUR_PARTS] = {
        { agent_family ? "agentic_focus" : "reasoning_focus", extraction, HU_BW_EXTRACTION * extraction },
        { "volume", (double)u->requests, HU_BW_VOLUME * volume },
        { "template_reuse", reuse, HU_BW_TEMPLATES * reuse },
        { "thinking", u->thinking_share, HU_BW_THINKING * clamp01(u->thinking_share) },
        { "round_the_clock", u->hour_spread, HU_BW_CLOCK * clamp01(u->hour_spread) },
        { "output_heavy", output_ratio, HU_BW_OUTPUT * clamp01(output_ratio) },
    };
    double score = 0;
    for (int i = 0; i < HU_BEHAVIOUR_PARTS; i++)
        score += p[i].contribution;
    if (parts)
        memcpy(parts, p, sizeof p);
    return clamp01(score);
}

double hu_usage_concealment(const struct hu_usage *u, struct hu_behaviour_part *part)
{
    /* Networks beyond the two or three a person or an app uses (home,
     * mobile, office; or one cloud egress pool) mean rotation. */
    double extra = u->distinct_prefixes - HU_ROTATION_FREE_PREFIXES;
    double rotation = extra > 0 ? HU_ROTATION_PREFIX_ONLY * (1.0 - exp(-extra / HU_ROTATION_SCALE)) : 0;
    if (u->distinct_asns > 0) {
        double extra_as = u->distinct_asns - HU_ROTATION_FREE_ASNS;
        double r_as = extra_as > 0 ? 1.0 - exp(-extra_as / HU_ROTATION_ASN_SCALE) : 0;
        if (r_as > rotation) rotation = r_as;
    }
    double identity = u->weak_identity / 2.0;
    double c = HU_CW_ROTATION * rotation + HU_CW_IDENTITY * identity;
    if (part)
        *part = (struct hu_behaviour_part){ "address_rotation", u->distinct_prefixes,
                                            HU_CW_ROTATION * rotation };
    return clamp01(c);
}
