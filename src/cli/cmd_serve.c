/* cmd_serve.c -- `huella serve`: the decision service (docs/serve.md). */
#include "cli/cli.h"
#include "core/log.h"
#include "cluster/serve_nats.h"
#include "cluster/serve_pub.h"
#include "serve/engine.h"
#include "serve/server.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char hu_cmd_serve_help[] =
    "usage: huella serve [--listen HOST:PORT] [--db FILE] [--policy FILE] [options]\n\n"
    "Run the decision service: ingest events (POST /v1/events), answer an API\n"
    "gateway on every request (POST /v1/decide, GET /v1/check), keep profiles\n"
    "and campaigns current in the background, keep state in SQLite (WAL).\n"
    "Endpoints, answers and gateway configurations: docs/serve.md.\n\n"
    "  --listen HOST:PORT      address to bind (default 127.0.0.1:8787; port 0 = any\n"
    "                          free port, see --ready-file); [::1]:PORT for IPv6\n"
    "  --db FILE               SQLite database (default ./huella-serve.db)\n"
    "  --policy FILE           policy file as for `analyze` (default: built in);\n"
    "                          reloaded on SIGHUP, a broken file is refused\n"
    "  --nats URL              also answer for the accounts of a huella cluster, from\n"
    "                          a local copy of its decisions bucket (docs/scale-out.md)\n"
    "  --publish-events        with --nats: POST /v1/events publishes the lines to the\n"
    "                          cluster's event stream (answered 202 once stored\n"
    "                          there, 503 while it cannot be reached) instead of\n"
    "                          the local journal\n"
    "  --asn FILE, --geo FILE, --cidr FILE, --model FILE, --no-model\n"
    "                          address databases and target model, as for\n"
    "                          `analyze` (repeatable --asn and --cidr); decisions\n"
    "                          then equal analyze's\n"
    "  --admin-token-file FILE admin bearer tokens, \"NAME TOKEN\" per line; without\n"
    "                          it the admin endpoints are off\n"
    "  --mode native|nginx     default answer mode of /v1/check and /v1/decide\n"
    "                          (per request: ?mode=nginx); default native\n"
    "  --threads N             HTTP worker threads (default 2)\n"
    "  --sync full|normal      SQLite synchronous: full (default) survives power\n"
    "                          loss for acknowledged events, normal only a crash\n"
    "  --relink-ms N           background linkage period (default 1000)\n"
    "  --relink-step-ms N      linkage runs in steps of about N ms between slices of\n"
    "                          events, so ingest goes on during it (default 20)\n"
    "  --checkpoint-ms N       checkpoint period: snapshot and changed profiles\n"
    "                          (default 10000); a restart replays only what follows\n"
    "  --store-check quick|none  PRAGMA quick_check of the database at start\n"
    "                          (default quick: ~2 s per GB; none skips it)\n"
    "  --known LIB             match every account's requests against a fingerprint\n"
    "                          library (as analyze --known): accounts of a banned\n"
    "                          campaign's known usage are bound to it\n"
    "  --fingerprint-key FILE  the library's key (32 hex digits; default key otherwise)\n"
    "  --fingerprints-out FILE  write the fingerprint library of the campaigns found\n"
    "                          (what analyze writes to DIR/fingerprints.hfl) from the\n"
    "                          whole journal, on its own thread, replaced atomically\n"
    "  --fingerprints-every S  how often, when the journal grew (default 3600)\n"
    "  --throttle-quota N      requests per window a throttled account may make\n"
    "                          (default 0: every request gets 429)\n"
    "  --throttle-window S     throttle window in seconds (default 60)\n"
    "  --ready-file FILE       write \"HOST:PORT\" there once listening\n"
    "  --log-allow             log allow decisions too (default: only the others)\n"
    "  --conn-timeout S        close idle or stalled connections after S seconds\n"
    "                          (default 15)\n"
    "  --decision-log-rate N   at most N decision log lines per second, the rest\n"
    "                          counted (default 1000; 0 = unlimited)\n"
    "  --request-timeout S     a request (line, headers, body) must arrive within\n"
    "                          S seconds of the connection opening or of its\n"
    "                          previous answer, else it is closed (default 30;\n"
    "                          never below --conn-timeout)\n"
    "  --max-connections N     open connections; beyond, 503 + Retry-After and\n"
    "                          close (default 16384, lowered to fit RLIMIT_NOFILE)\n"
    "  --max-conns-per-ip N    open connections per client address (IPv6: per\n"
    "                          /64), same answer beyond (default 4096; 0 = none)\n\n"
    "Signals: SIGHUP reloads the policy; SIGTERM/SIGINT stop after the requests in\n"
    "flight, with a last checkpoint.  Exit 0 on a clean stop, 2 on bad usage or an\n"
    "unusable policy/database/address, 1 on an internal failure.\n";

static int parse_listen(const char *s, char *host, size_t hcap, unsigned *port)
{
    const char *colon;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (!close || close[1] != ':')
            return -1;
        size_t n = (size_t)(close - s - 1);
        if (n == 0 || n >= hcap)
            return -1;
        memcpy(host, s + 1, n);
        host[n] = 0;
        colon = close + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon) {
            /* a bare host: default port */
            if (strlen(s) >= hcap)
                return -1;
            snprintf(host, hcap, "%s", s);
            *port = 8787;
            return 0;
        }
        size_t n = (size_t)(colon - s);
        if (n >= hcap)
            return -1;
        memcpy(host, s, n);
        host[n] = 0;
        if (!n)
            snprintf(host, hcap, "127.0.0.1");
    }
    char *end = NULL;
    errno = 0;
    unsigned long p = strtoul(colon + 1, &end, 10);
    if (errno || end == colon + 1 || *end || p > 65535)
        return -1;
    *port = (unsigned)p;
    return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v > max || s[0] == '-')
        return -1;
    *out = v;
    return 0;
}

int hu_cmd_serve(int argc, char **argv)
{
    enum { O_DB = 256, O_POLICY, O_TOKENS, O_MODE, O_THREADS, O_SYNC, O_RELINK, O_CKPT,
           O_TQ, O_TW, O_READY, O_LOGALLOW, O_CONNTO, O_LOGRATE, O_ASN, O_GEO, O_CIDR, O_MODEL,
           O_REQTO, O_MAXCONN, O_MAXPERIP, O_NATS, O_STORECHECK, O_KNOWN, O_FPKEY, O_FPOUT,
           O_FPEVERY, O_RELINKSTEP, O_NOMODEL, O_PUBEV };
    static const struct option opts[] = {
        { "listen", required_argument, NULL, 'l' },
        { "db", required_argument, NULL, O_DB },
        { "policy", required_argument, NULL, O_POLICY },
        { "admin-token-file", required_argument, NULL, O_TOKENS },
        { "mode", required_argument, NULL, O_MODE },
        { "threads", required_argument, NULL, O_THREADS },
        { "sync", required_argument, NULL, O_SYNC },
        { "relink-ms", required_argument, NULL, O_RELINK },
        { "checkpoint-ms", required_argument, NULL, O_CKPT },
        { "throttle-quota", required_argument, NULL, O_TQ },
        { "throttle-window", required_argument, NULL, O_TW },
        { "ready-file", required_argument, NULL, O_READY },
        { "log-allow", no_argument, NULL, O_LOGALLOW },
        { "conn-timeout", required_argument, NULL, O_CONNTO },
        { "decision-log-rate", required_argument, NULL, O_LOGRATE },
        { "asn", required_argument, NULL, O_ASN },
        { "geo", required_argument, NULL, O_GEO },
        { "cidr", required_argument, NULL, O_CIDR },
        { "model", required_argument, NULL, O_MODEL },
        { "no-model", no_argument, NULL, O_NOMODEL },
        { "nats", required_argument, NULL, O_NATS },
        { "publish-events", no_argument, NULL, O_PUBEV },
        { "store-check", required_argument, NULL, O_STORECHECK },
        { "known", required_argument, NULL, O_KNOWN },
        { "fingerprint-key", required_argument, NULL, O_FPKEY },
        { "fingerprints-out", required_argument, NULL, O_FPOUT },
        { "fingerprints-every", required_argument, NULL, O_FPEVERY },
        { "relink-step-ms", required_argument, NULL, O_RELINKSTEP },
        { "help", no_argument, NULL, 'h' },
        { "request-timeout", required_argument, NULL, O_REQTO },
        { "max-connections", required_argument, NULL, O_MAXCONN },
        { "max-conns-per-ip", required_argument, NULL, O_MAXPERIP },
        { NULL, 0, NULL, 0 },
    };
    char host[128] = "127.0.0.1";
    const char *nats_url = NULL;
    int publish_events = 0;
    unsigned port = 8787;
    const char *ready = NULL;
    struct hu_engine_opts eo = { .db_path = "huella-serve.db" };
    struct hu_server_opts so = { .host = host, .threads = 2, .decision_log_rate = 1000 };
    unsigned long v;
    int c;
    enum { MAX_FILES = 16 };
    const char *asn[MAX_FILES], *cidr[MAX_FILES];
    size_t n_asn = 0, n_cidr = 0;
    int no_model = 0;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "l:h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'l':
            if (parse_listen(optarg, host, sizeof host, &port))
                return hu_cli_usage_error("serve", "--listen wants HOST:PORT, got \"%s\"", optarg);
            break;
        case O_DB: eo.db_path = optarg; break;
        case O_POLICY: eo.policy_path = optarg; break;
        case O_TOKENS: so.token_file = optarg; break;
        case O_MODE:
            if (!strcmp(optarg, "nginx")) so.check_mode = HU_MODE_NGINX;
            else if (!strcmp(optarg, "native")) so.check_mode = HU_MODE_NATIVE;
            else return hu_cli_usage_error("serve", "--mode is native or nginx");
            break;
        case O_THREADS:
            if (parse_uint(optarg, 64, &v) || !v)
                return hu_cli_usage_error("serve", "--threads wants 1..64");
            so.threads = (unsigned)v;
            break;
        case O_SYNC:
            if (!strcmp(optarg, "normal")) eo.sync_normal = 1;
            else if (!strcmp(optarg, "full")) eo.sync_normal = 0;
            else return hu_cli_usage_error("serve", "--sync is full or normal");
            break;
        case O_RELINK:
            if (parse_uint(optarg, 3600000, &v) || !v)
                return hu_cli_usage_error("serve", "--relink-ms wants 1..3600000");
            eo.relink_ms = (unsigned)v;
            break;
        case O_RELINKSTEP:
            if (parse_uint(optarg, 10000, &v) || !v)
                return hu_cli_usage_error("serve", "--relink-step-ms wants 1..10000");
            eo.relink_step_ms = (unsigned)v;
            break;
        case O_CKPT:
            if (parse_uint(optarg, 86400000, &v) || !v)
                return hu_cli_usage_error("serve", "--checkpoint-ms wants 1..86400000");
            eo.checkpoint_ms = (unsigned)v;
            break;
        case O_TQ:
            if (parse_uint(optarg, 1000000000, &v))
                return hu_cli_usage_error("serve", "--throttle-quota wants a count");
            eo.throttle_quota = (uint32_t)v;
            break;
        case O_TW:
            if (parse_uint(optarg, 86400, &v) || !v)
                return hu_cli_usage_error("serve", "--throttle-window wants 1..86400 seconds");
            eo.throttle_window_s = (uint32_t)v;
            break;
        case O_READY: ready = optarg; break;
        case O_LOGALLOW: so.log_allow = 1; break;
        case O_ASN:
            if (n_asn == MAX_FILES)
                return hu_cli_usage_error("serve", "too many --asn files");
            asn[n_asn++] = optarg;
            break;
        case O_CIDR:
            if (n_cidr == MAX_FILES)
                return hu_cli_usage_error("serve", "too many --cidr files");
            cidr[n_cidr++] = optarg;
            break;
        case O_GEO: eo.geo_file = optarg; break;
        case O_MODEL: eo.model_file = optarg; break;
        case O_NOMODEL: no_model = 1; break;
        case O_KNOWN: eo.known_path = optarg; break;
        case O_FPOUT: eo.fingerprints_out = optarg; break;
        case O_FPEVERY:
            if (parse_uint(optarg, 7 * 86400, &v) || !v)
                return hu_cli_usage_error("serve", "--fingerprints-every wants 1..604800 seconds");
            eo.fingerprints_every_ms = (uint64_t)v * 1000u;
            break;
        case O_FPKEY: eo.fp_key_path = optarg; break;
        case O_NATS: nats_url = optarg; break;
        case O_PUBEV: publish_events = 1; break;
        case O_STORECHECK:
            if (!strcmp(optarg, "none")) eo.no_store_check = 1;
            else if (!strcmp(optarg, "quick")) eo.no_store_check = 0;
            else return hu_cli_usage_error("serve", "--store-check wants quick or none");
            break;
        case O_LOGRATE:
            if (parse_uint(optarg, 10000000, &v))
                return hu_cli_usage_error("serve", "--decision-log-rate wants lines per second");
            so.decision_log_rate = (unsigned)v;
            break;
        case O_CONNTO:
            if (parse_uint(optarg, 3600, &v) || !v)
                return hu_cli_usage_error("serve", "--conn-timeout wants 1..3600 seconds");
            so.conn_timeout_s = (unsigned)v;
            break;
        case O_REQTO:
            if (parse_uint(optarg, 3600, &v) || !v)
                return hu_cli_usage_error("serve", "--request-timeout wants 1..3600 seconds");
            so.request_timeout_s = (unsigned)v;
            break;
        case O_MAXCONN:
            if (parse_uint(optarg, 1000000, &v) || !v)
                return hu_cli_usage_error("serve", "--max-connections wants 1..1000000");
            so.max_connections = (unsigned)v;
            break;
        case O_MAXPERIP:
            if (parse_uint(optarg, 1000000, &v))
                return hu_cli_usage_error("serve", "--max-conns-per-ip wants 0..1000000");
            so.max_conns_per_ip = v ? (int)v : -1;
            break;
        case 'h':
            fputs(hu_cmd_serve_help, stdout);
            return HU_EXIT_OK;
        default:
            return hu_cli_usage_error("serve", "unknown option");
        }
    }
    if (optind < argc)
        return hu_cli_usage_error("serve", "unexpected argument \"%s\"", argv[optind]);
    if (!eo.model_file && !no_model)   /* as analyze: the same features, the same decisions */
        eo.model_file = hu_cli_default_model();
    if (publish_events && !nats_url)
        return hu_cli_usage_error("serve", "--publish-events needs --nats URL");
    so.port = port;
    eo.asn_files = asn;
    eo.n_asn_files = n_asn;
    eo.cidr_files = cidr;
    eo.n_cidr_files = n_cidr;

    /* Signals are taken synchronously by this thread (sigwait); every
     * thread started below inherits the mask. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    char err[1024] = "";
    struct hu_engine *e = NULL;
    int rc = hu_engine_create(&eo, &e, err, sizeof err);
    if (rc != HU_OK) {
        hu_error("serve: %s", err[0] ? err : hu_status_str(rc));
        return rc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
    }
    /* --nats: answer for the cluster's accounts from a local copy of the
     * linker's decisions bucket (docs/scale-out.md) */
    struct hu_serve_nats *sn = NULL;
    if (nats_url) {
        rc = hu_serve_nats_start(nats_url, &sn, err, sizeof err);
        if (rc != HU_OK) {
            hu_error("serve: --nats: %s", err[0] ? err : hu_status_str(rc));
            hu_engine_destroy(e);
            return HU_EXIT_FAIL;
        }
        hu_engine_set_lookup(e, hu_serve_nats_lookup, sn);
    }
    /* --publish-events: POST /v1/events goes to the cluster's stream */
    struct hu_serve_pub *sp = NULL;
    if (publish_events) {
        rc = hu_serve_pub_start(nats_url, &sp, err, sizeof err);
        if (rc != HU_OK) {
            hu_error("serve: --publish-events: %s", err[0] ? err : hu_status_str(rc));
            hu_engine_destroy(e);
            hu_serve_nats_stop(sn);
            return HU_EXIT_FAIL;
        }
        hu_engine_set_events_sink(e, hu_serve_pub_lines, hu_serve_pub_metrics, sp);
    }
    struct hu_server *srv = NULL;
    rc = hu_server_start(e, &so, &srv, err, sizeof err);
    if (rc != HU_OK) {
        hu_error("serve: %s", err[0] ? err : hu_status_str(rc));
        hu_engine_destroy(e);
        hu_serve_nats_stop(sn);
        hu_serve_pub_stop(sp);
        return rc == HU_ENOMEM ? HU_EXIT_FAIL : HU_EXIT_USAGE;
    }
    if (hu_engine_start(e) != HU_OK) {
        hu_error("serve: cannot start the background worker");
        hu_server_stop(srv);
        hu_engine_destroy(e);
        hu_serve_nats_stop(sn);
        hu_serve_pub_stop(sp);
        return HU_EXIT_FAIL;
    }
    unsigned bound = hu_server_port(srv);
    hu_info("serve: listening on %s%s%s:%u, database %s, policy %s", strchr(host, ':') ? "[" : "",
            host, strchr(host, ':') ? "]" : "", bound, eo.db_path,
            eo.policy_path ? eo.policy_path : "(built in)");
    if (strcmp(host, "127.0.0.1") && strcmp(host, "::1") && strncmp(host, "127.", 4))
        hu_warn("serve: listening on %s, not loopback: events and decisions are not "
                "authenticated, put the service behind the gateway's network policy", host);
    if (ready) {
        char tmp[4096];
        snprintf(tmp, sizeof tmp, "%s.tmp", ready);
        FILE *f = fopen(tmp, "w");
        if (!f || fprintf(f, "%s:%u\n", host, bound) < 0 || fclose(f) != 0 || rename(tmp, ready)) {
            hu_error("serve: cannot write --ready-file %s: %s", ready, strerror(errno));
            hu_server_stop(srv);
            hu_engine_destroy(e);
            hu_serve_nats_stop(sn);
            hu_serve_pub_stop(sp);
            return HU_EXIT_USAGE;
        }
    }
    for (;;) {
        int sig = 0;
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            err[0] = 0;
            rc = hu_engine_reload_policy(e, err, sizeof err);
            if (rc == HU_OK)
                hu_info("serve: policy reloaded from %s", eo.policy_path);
            else
                hu_error("serve: policy reload refused, the old policy stays in force: %s", err);
            continue;
        }
        hu_info("serve: %s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        break;
    }
    hu_server_stop(srv);     /* finishes requests in flight */
    hu_engine_destroy(e);    /* worker drains the journal, last checkpoint */
    hu_serve_nats_stop(sn);
    hu_serve_pub_stop(sp);
    return HU_EXIT_OK;
}
