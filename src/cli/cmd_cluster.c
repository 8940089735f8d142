/*
 * cmd_cluster.c -- the scale-out commands (docs/scale-out.md):
 *
 *   huella publish EVENTS... --nats URL     events onto the sharded stream
 *   huella worker  --nats URL --shards LIST --db FILE    profile worker
 *   huella linker  --nats URL --out DIR     campaigns from the summaries
 *   huella cluster status --nats URL        shards, lag, workers, linker
 *
 * Option parsing only; the work is in src/cluster/.
 */
#include "cli/cli.h"
#include "cluster/linker.h"
#include "cluster/publish.h"
#include "cluster/status.h"
#include "cluster/worker.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 64

/* A positive int option, 0 when absent, malformed or not positive. */
static int pos_int(const char *s)
{
    char *end;
    long v = strtol(s, &end, 10);
    return (end == s || *end || v <= 0 || v > 1000000000) ? 0 : (int)v;
}

const char hu_cmd_publish_help[] =
    "usage: huella publish --nats URL [options] EVENTS...\n\n"
    "Publish event files (the contract of docs/events.md; plain, .gz, .zst, or -)\n"
    "to the cluster's JetStream stream HUELLA_EVENTS, one message per line on\n"
    "subject huella.events.<shard>, shard = hash(account_id) mod N.  Lines analyze\n"
    "would reject are rejected here.  Each message carries an event id\n"
    "(Nats-Msg-Id) made of the file name, the line and its number: publishing the\n"
    "same file again within 10 minutes stores nothing twice.\n\n"
    "  --nats URL         NATS servers, comma-separated (nats://h1:4222,nats://h2:4222)\n"
    "  --shards-total N   shards of a new cluster (default 16); fixed once created\n"
    "  --map FILE         read a foreign log shape (`field = json.path` lines, as for\n"
    "                     analyze); each line is published as the contract line\n"
    "                     `huella featurize --map` writes: mapped fields and text\n"
    "                     features, no text\n"
    "  --feature-key FILE with --map: key the features (as analyze --feature-key);\n"
    "                     without it they are unkeyed, as analyze without a key\n"
    "  --model FILE, --no-model  with --map: the target model of the features\n"
    "                     (default: analyze's, see huella help analyze)\n"
    "  --format FMT       summary as table (default) or json\n"
    "  --quiet            no summary\n\n"
    "Exit status: 0 every event is confirmed stored; 1 failure (publish the same\n"
    "files again); 2 bad usage or unreadable input.\n";

const char hu_cmd_worker_help[] =
    "usage: huella worker --nats URL --db FILE [--shards LIST] [options]\n\n"
    "A profile worker: takes leases on shards of the event stream (those of LIST,\n"
    "up to its fair share of the live workers), folds their events into account\n"
    "profiles, checkpoints them in its SQLite store FILE, publishes each changed\n"
    "profile's summary for the linker, and acknowledges events only after that.\n"
    "Runs until SIGINT or SIGTERM.  Workers joining or leaving rebalance the\n"
    "shards through the leases (docs/scale-out.md).\n\n"
    "  --nats URL         NATS servers, comma-separated\n"
    "  --db FILE          the worker's own checkpoint store (created if missing)\n"
    "  --shards LIST      shards it may own: \"all\" (default) or e.g. 0-7,12\n"
    "  --id NAME          worker name, unique among live workers (default host-pid);\n"
    "                     a restarted worker with the same name takes its shards back\n"
    "  --asn FILE, --geo FILE, --cidr FILE, --model FILE, --no-model, --feature-key FILE\n"
    "                     as for huella analyze (every worker must use the same)\n"
    "  --max-accounts N   hold at most N account profiles; beyond it accounts with\n"
    "                     one or two requests, least recently seen, are evicted (as\n"
    "                     analyze's bound), counted in cluster status; default 0:\n"
    "                     no bound\n"
    "  --batch N          events per pull (default 1000)\n"
    "  --checkpoint-ms MS longest time between checkpoints (default 500)\n"
    "  --idle-exit MS     exit after MS with nothing to read (batch jobs, tests)\n"
    "  --crash-after N    (tests) die by SIGKILL right after the Nth event\n"
    "  --quiet            no progress lines\n\n"
    "Exit status: 0 stopped cleanly; 1 failure; 2 bad usage.\n";

const char hu_cmd_linker_help[] =
    "usage: huella linker --nats URL [--out DIR] [options]\n\n"
    "Gather every worker's profile summaries (a copy kept current from the summary\n"
    "stream, so later runs read only what changed) and build campaigns with the same\n"
    "analysis as huella analyze; write DIR/accounts.csv and DIR/campaigns.json and\n"
    "publish every account's decision and the campaigns to the key-value bucket\n"
    "huella_decisions (read by huella serve --nats).\n\n"
    "  --nats URL         NATS servers, comma-separated\n"
    "  --out DIR          write accounts.csv and campaigns.json here\n"
    "  --policy FILE      policy (YAML), as for analyze\n"
    "  --iocs BUNDLE      partners' STIX 2.1 indicators as evidence, as for analyze;\n"
    "                     repeatable\n"
    "  --iocs-require-signed PUBKEY  refuse bundles without a valid BUNDLE.sig by\n"
    "                     this Ed25519 key; repeatable\n"
    "  --share-key FILE   key partners hash payment fingerprints with\n"
    "  --wait SECONDS     first wait until every shard is caught up (lag 0),\n"
    "                     and until a just-started cluster answers\n"
    "  --every SECONDS    keep following the summary stream until SIGTERM: link\n"
    "                     again when a summary changed, at most every SECONDS\n"
    "  --no-publish       do not write the decisions bucket\n"
    "  --quiet            no summary line\n\n"
    "Exit status: 0 the run completed; 1 failure; 2 bad usage.\n";

const char hu_cmd_cluster_help[] =
    "usage: huella cluster status --nats URL [--format table|json|prometheus]\n\n"
    "Shards (owner, lag = undelivered + unacknowledged events, redeliveries,\n"
    "checkpoint), live workers and the linker, read from the log.  --format\n"
    "prometheus prints the text exposition format (huella_shard_lag,\n"
    "huella_shard_redelivered, huella_worker_events_total, ...).\n\n"
    "Exit status: 0; 1 the cluster cannot be reached; 2 bad usage.\n";

int hu_cmd_publish(int argc, char **argv)
{
    static const struct option opts[] = {
        { "nats", required_argument, NULL, 'n' }, { "shards-total", required_argument, NULL, 's' },
        { "format", required_argument, NULL, 'f' }, { "quiet", no_argument, NULL, 'q' },
        { "map", required_argument, NULL, 'm' }, { "feature-key", required_argument, NULL, 'F' },
        { "model", required_argument, NULL, 'M' }, { "no-model", no_argument, NULL, 'Z' },
        { NULL, 0, NULL, 0 },
    };
    struct hu_publish_opts o = { 0 };
    int c, format = HU_FORMAT_TABLE, no_model = 0;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "n:s:f:qm:F:M:Z", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'n': o.urls = optarg; break;
        case 's': {
            char *end;
            unsigned long v = strtoul(optarg, &end, 10);
            if (*end || !v || v > 1024)
                return hu_cli_usage_error("publish", "--shards-total must be 1..1024");
            o.shards_total = (unsigned)v;
            break;
        }
        case 'f':
            format = hu_cli_parse_format(optarg);
            if (format < 0) return hu_cli_usage_error("publish", "--format must be table or json");
            break;
        case 'q': o.quiet = 1; break;
        case 'm': o.map_path = optarg; break;
        case 'F': o.feature_key_path = optarg; break;
        case 'M': o.model_file = optarg; break;
        case 'Z': no_model = 1; break;
        default: return hu_cli_usage_error("publish", "unknown option");
        }
    }
    if (!o.urls)
        return hu_cli_usage_error("publish", "--nats URL is required");
    if (optind >= argc)
        return hu_cli_usage_error("publish", "no event files");
    if (o.feature_key_path && !o.map_path)
        return hu_cli_usage_error("publish", "--feature-key goes with --map (workers key raw text themselves)");
    if (!o.model_file && !no_model)   /* --map featurizes here: the workers' model, analyze's */
        o.model_file = hu_cli_default_model();
    o.paths = (const char *const *)argv + optind;
    o.n_paths = (size_t)(argc - optind);
    struct hu_publish_stats st;
    int rc = hu_publish_run(&o, &st);
    if (!o.quiet) {
        double rate = st.seconds > 0 ? (double)st.published / st.seconds : 0;
        if (format == HU_FORMAT_JSON)
            printf("{\"published\":%llu,\"duplicates\":%llu,\"rejected\":%llu,\"bytes\":%llu,\"shards\":%u,"
                   "\"seconds\":%.3f,\"events_per_s\":%.0f,\"ok\":%s}\n",
                   (unsigned long long)st.published, (unsigned long long)st.duplicates,
                   (unsigned long long)st.rejected, (unsigned long long)st.bytes, st.shards, st.seconds, rate,
                   rc ? "false" : "true");
        else
            printf("huella publish: %llu events published (%llu already in the stream), %llu rejected, %u shards,"
                   " %.2f s (%.0f events/s)\n",
                   (unsigned long long)st.published, (unsigned long long)st.duplicates,
                   (unsigned long long)st.rejected, st.shards, st.seconds, rate);
    }
    return rc;
}

int hu_cmd_worker(int argc, char **argv)
{
    static const struct option opts[] = {
        { "nats", required_argument, NULL, 'n' }, { "shards", required_argument, NULL, 's' },
        { "db", required_argument, NULL, 'd' }, { "id", required_argument, NULL, 'i' },
        { "asn", required_argument, NULL, 'a' }, { "geo", required_argument, NULL, 'g' },
        { "cidr", required_argument, NULL, 'c' }, { "model", required_argument, NULL, 'M' },
        { "feature-key", required_argument, NULL, 'F' }, { "batch", required_argument, NULL, 'b' },
        { "checkpoint-ms", required_argument, NULL, 'k' }, { "idle-exit", required_argument, NULL, 'x' },
        { "crash-after", required_argument, NULL, 'K' }, { "quiet", no_argument, NULL, 'q' },
        { "no-model", no_argument, NULL, 'Z' }, { "max-accounts", required_argument, NULL, 'm' },
        { NULL, 0, NULL, 0 },
    };
    static const char *asn[MAX_FILES], *cidr[MAX_FILES];
    size_t n_asn = 0, n_cidr = 0;
    int no_model = 0;
    struct hu_worker_opts o = { 0 };
    int c;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "n:s:d:i:a:g:c:M:F:b:k:x:K:qZm:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'n': o.urls = optarg; break;
        case 's': o.shards = optarg; break;
        case 'd': o.db = optarg; break;
        case 'i': o.id = optarg; break;
        case 'a':
            if (n_asn == MAX_FILES) return hu_cli_usage_error("worker", "too many --asn files");
            asn[n_asn++] = optarg;
            break;
        case 'c':
            if (n_cidr == MAX_FILES) return hu_cli_usage_error("worker", "too many --cidr files");
            cidr[n_cidr++] = optarg;
            break;
        case 'g': o.features.geo_file = optarg; break;
        case 'M': o.features.model_file = optarg; break;
        case 'Z': no_model = 1; break;
        case 'F': o.features.feature_key_file = optarg; break;
        case 'b': o.batch = pos_int(optarg); break;
        case 'k': o.checkpoint_ms = pos_int(optarg); break;
        case 'x': o.idle_exit_ms = pos_int(optarg); break;
        case 'K': o.max_events = pos_int(optarg); break;
        case 'm':
            o.max_accounts = (size_t)pos_int(optarg);
            if (!o.max_accounts)
                return hu_cli_usage_error("worker", "--max-accounts wants a positive count");
            break;
        case 'q': o.quiet = 1; break;
        default: return hu_cli_usage_error("worker", "unknown option");
        }
    }
    if (!o.urls)
        return hu_cli_usage_error("worker", "--nats URL is required");
    if (!o.db)
        return hu_cli_usage_error("worker", "--db FILE is required");
    if (optind < argc)
        return hu_cli_usage_error("worker", "unexpected argument '%s'", argv[optind]);
    if (!o.features.model_file && !no_model)   /* as analyze: the same features */
        o.features.model_file = hu_cli_default_model();
    o.features.asn_files = asn;
    o.features.n_asn_files = n_asn;
    o.features.cidr_files = cidr;
    o.features.n_cidr_files = n_cidr;
    return hu_worker_run(&o);
}

int hu_cmd_linker(int argc, char **argv)
{
    static const struct option opts[] = {
        { "nats", required_argument, NULL, 'n' }, { "out", required_argument, NULL, 'o' },
        { "policy", required_argument, NULL, 'p' }, { "wait", required_argument, NULL, 'w' },
        { "every", required_argument, NULL, 'e' }, { "no-publish", no_argument, NULL, 'N' },
        { "quiet", no_argument, NULL, 'q' }, { "iocs", required_argument, NULL, 'I' },
        { "iocs-require-signed", required_argument, NULL, 'S' }, { "share-key", required_argument, NULL, 'K' },
        { NULL, 0, NULL, 0 },
    };
    static const char *iocs[MAX_FILES], *pubkeys[MAX_FILES];
    size_t n_iocs = 0, n_pubkeys = 0;
    struct hu_linker_opts o = { 0 };
    int c;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "n:o:p:w:e:NqI:S:K:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'n': o.urls = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 'p': o.policy_path = optarg; break;
        case 'w': o.wait_s = pos_int(optarg); break;
        case 'e': o.every_s = pos_int(optarg); break;
        case 'N': o.no_publish = 1; break;
        case 'q': o.quiet = 1; break;
        case 'I':
            if (n_iocs == MAX_FILES) return hu_cli_usage_error("linker", "too many --iocs bundles");
            iocs[n_iocs++] = optarg;
            break;
        case 'S':
            if (n_pubkeys == MAX_FILES) return hu_cli_usage_error("linker", "too many --iocs-require-signed keys");
            pubkeys[n_pubkeys++] = optarg;
            break;
        case 'K': o.share_key_path = optarg; break;
        default: return hu_cli_usage_error("linker", "unknown option");
        }
    }
    if (!o.urls)
        return hu_cli_usage_error("linker", "--nats URL is required");
    if (n_pubkeys && !n_iocs)
        return hu_cli_usage_error("linker", "--iocs-require-signed needs --iocs BUNDLE");
    o.iocs = iocs;
    o.n_iocs = n_iocs;
    o.pubkeys = pubkeys;
    o.n_pubkeys = n_pubkeys;
    if (optind < argc)
        return hu_cli_usage_error("linker", "unexpected argument '%s'", argv[optind]);
    return hu_linker_run(&o);
}

int hu_cmd_cluster(int argc, char **argv)
{
    static const struct option opts[] = {
        { "nats", required_argument, NULL, 'n' }, { "format", required_argument, NULL, 'f' },
        { NULL, 0, NULL, 0 },
    };
    const char *urls = NULL;
    enum hu_status_format fmt = HU_STATUS_TABLE;
    int c;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "n:f:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'n': urls = optarg; break;
        case 'f':
            if (!strcmp(optarg, "table")) fmt = HU_STATUS_TABLE;
            else if (!strcmp(optarg, "json")) fmt = HU_STATUS_JSON;
            else if (!strcmp(optarg, "prometheus")) fmt = HU_STATUS_PROMETHEUS;
            else return hu_cli_usage_error("cluster", "--format must be table, json or prometheus");
            break;
        default: return hu_cli_usage_error("cluster", "unknown option");
        }
    }
    if (optind >= argc || strcmp(argv[optind], "status"))
        return hu_cli_usage_error("cluster", "the subcommand is: status");
    if (!urls)
        return hu_cli_usage_error("cluster", "--nats URL is required");
    return hu_cluster_status(urls, fmt, stdout);
}
