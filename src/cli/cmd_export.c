/* cmd_export.c -- `huella export`: STIX 2.1 bundles of campaigns, their
 * Ed25519 signatures and keys (report/stix.h, features/ioc_sign.h). */
#include "cli/cli.h"
#include "core/alloc.h"
#include "core/buf.h"
#include "core/limits.h"
#include "features/ioc.h"
#include "features/ioc_sign.h"
#include "report/stix.h"

#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

const char hu_cmd_export_help[] =
    "usage: huella export --stix DIR [--producer NAME] [--tlp LEVEL] [--share-key FILE]\n"
    "                     [--now] [--out FILE [--sign KEYFILE]]\n"
    "       huella export --keygen PREFIX\n"
    "       huella export --verify PUBKEY --bundle FILE\n"
    "       huella export --check FILE\n"
    "       huella export --inspect [--require-signed PUBKEY] BUNDLE...\n\n"
    "Write the campaigns of an analyze output directory (DIR/campaigns.json) as\n"
    "a STIX 2.1 bundle for sharing with other providers (docs/stix.md).\n\n"
    "  --stix DIR          analyze output directory to export\n"
    "  --producer NAME     name of the reporting provider's identity (default huella)\n"
    "  --tlp LEVEL         clear, green, amber (default), amber+strict or red\n"
    "  --min-score S       export campaigns scored at least S (default 0.5, the\n"
    "                      throttle threshold); linked groups below it stay private\n"
    "  --share-key FILE    key agreed with partners (>= 16 bytes); payment\n"
    "                      fingerprints are exported only as HMAC-SHA256 under it,\n"
    "                      and omitted without it\n"
    "  --now               set `modified` to the current time (default: from the\n"
    "                      data, so the same input gives a byte-identical bundle)\n"
    "  --out FILE          write the bundle to FILE instead of standard output\n"
    "  --sign KEYFILE      also write FILE.sig, an Ed25519 signature of FILE's bytes\n"
    "  --keygen PREFIX     write a key pair PREFIX.key (mode 0600) and PREFIX.pub\n"
    "  --verify PUBKEY     check FILE.sig against FILE (with --bundle FILE)\n"
    "  --check FILE        check a bundle's timestamps, references and patterns\n"
    "  --inspect           load BUNDLEs as `analyze --iocs` does and count what it\n"
    "                      would use, per kind; --require-signed PUBKEY (repeatable)\n"
    "                      demands a BUNDLE.sig that verifies with one of the keys\n\n"
    "Exit status: 0 done (--verify: signature good); 1 failure or bad signature;\n"
    "2 bad usage or unreadable input.\n";

static const char *const tlp_names[] = { "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED" };

static int write_all(const char *path, const char *p, size_t len)
{
    FILE *f = path ? fopen(path, "wb") : stdout;
    if (!f)
        return HU_EIO;
    int rc = fwrite(p, 1, len, f) == len ? HU_OK : HU_EIO;
    if (path) { if (fclose(f) != 0) rc = HU_EIO; }
    else if (fflush(f) != 0) rc = HU_EIO;
    return rc;
}

static int do_verify(const char *pubkey, const char *bundle)
{
    uint8_t pk[HU_ED25519_PK];
    int rc = hu_sign_load_public(pubkey, pk);
    if (rc) return hu_cli_usage_error("export", "cannot read public key %s: %s", pubkey, hu_status_str(rc));
    char *buf = NULL, *sig = NULL, sp[4096];
    size_t len = 0, sl = 0;
    rc = hu_ioc_read_file(bundle, HU_MAX_STIX_BYTES, &buf, &len);
    if (rc) return hu_cli_usage_error("export", "cannot read %s: %s", bundle, hu_status_str(rc));
    snprintf(sp, sizeof sp, "%s.sig", bundle);
    rc = hu_ioc_read_file(sp, 4096, &sig, &sl);
    if (rc) {
        hu_free(buf);
        fprintf(stderr, "huella export: %s: no signature (%s)\n", sp, hu_status_str(rc));
        return HU_EXIT_FAIL;
    }
    rc = hu_sign_verify_line(pk, buf, len, sig, sl);
    hu_free(buf);
    hu_free(sig);
    if (rc) {
        fprintf(stderr, "huella export: %s: %s\n", bundle,
                rc == HU_EPARSE ? "signature file is malformed" : "BAD signature");
        return HU_EXIT_FAIL;
    }
    if (!hu_cli_quiet) printf("%s: signature OK\n", bundle);
    return HU_EXIT_OK;
}

static int do_check(const char *path)
{
    char *buf = NULL, err[400];
    size_t len = 0;
    int rc = hu_ioc_read_file(path, HU_MAX_STIX_BYTES, &buf, &len);
    if (rc) return hu_cli_usage_error("export", "cannot read %s: %s", path, hu_status_str(rc));
    rc = hu_stix_check(buf, len, err, sizeof err);
    hu_free(buf);
    if (rc) {
        fprintf(stderr, "huella export: %s: %s\n", path, err);
        return HU_EXIT_FAIL;
    }
    if (!hu_cli_quiet) printf("%s: timestamps, references and patterns OK\n", path);
    return HU_EXIT_OK;
}

#define MAX_PUBKEYS 16

static int do_inspect(char **files, int n, const char *const *pubs, int n_pubs)
{
    uint8_t keys[MAX_PUBKEYS][HU_ED25519_PK];
    for (int i = 0; i < n_pubs; i++) {
        int rc = hu_sign_load_public(pubs[i], keys[i]);
        if (rc) return hu_cli_usage_error("export", "cannot read public key %s: %s", pubs[i], hu_status_str(rc));
    }
    struct hu_ioc_opts o = { (const uint8_t (*)[HU_ED25519_PK])keys, (size_t)n_pubs };
    struct hu_ioc_set *s = NULL;
    char err[512];
    int rc = hu_ioc_set_create_from_files((const char *const *)files, (size_t)n, &o, &s, err, sizeof err);
    if (rc) {
        fprintf(stderr, "huella export: rejected: %s\n", err);
        return rc == HU_ENOENT || rc == HU_EIO ? HU_EXIT_USAGE : HU_EXIT_FAIL;
    }
    const struct hu_ioc_stats *st = hu_ioc_set_stats(s);
    printf("bundles %llu, indicators %llu, values %llu, duplicates %llu, unsupported %llu, revoked %llu\n",
           (unsigned long long)st->bundles, (unsigned long long)st->indicators,
           (unsigned long long)st->values, (unsigned long long)st->duplicates,
           (unsigned long long)st->skipped_unsupported, (unsigned long long)st->skipped_revoked);
    for (int k = 0; k < HU_IOC_KIND_COUNT; k++)
        if (st->by_kind[k])
            printf("  %-14s %llu\n", hu_ioc_kind_code((enum hu_ioc_kind)k), (unsigned long long)st->by_kind[k]);
    hu_ioc_set_destroy(s);
    return HU_EXIT_OK;
}

int hu_cmd_export(int argc, char **argv)
{
    enum { O_STIX = 1000, O_PRODUCER, O_TLP, O_SHARE, O_NOW, O_OUT, O_SIGN, O_KEYGEN, O_VERIFY, O_BUNDLE,
           O_CHECK, O_INSPECT, O_REQSIGNED, O_MINSCORE, O_HELP };
    static const struct option opts[] = {
        { "stix", required_argument, 0, O_STIX }, { "producer", required_argument, 0, O_PRODUCER },
        { "tlp", required_argument, 0, O_TLP }, { "share-key", required_argument, 0, O_SHARE },
        { "now", no_argument, 0, O_NOW }, { "out", required_argument, 0, O_OUT },
        { "sign", required_argument, 0, O_SIGN }, { "keygen", required_argument, 0, O_KEYGEN },
        { "verify", required_argument, 0, O_VERIFY }, { "bundle", required_argument, 0, O_BUNDLE },
        { "check", required_argument, 0, O_CHECK }, { "inspect", no_argument, 0, O_INSPECT },
        { "require-signed", required_argument, 0, O_REQSIGNED }, { "help", no_argument, 0, O_HELP },
        { "min-score", required_argument, 0, O_MINSCORE },
        { 0, 0, 0, 0 },
    };
    const char *dir = NULL, *producer = "huella", *share = NULL, *out = NULL, *sign = NULL,
               *keygen = NULL, *verify = NULL, *bundle = NULL, *check = NULL;
    const char *pubs[MAX_PUBKEYS];
    double min_score = 0.5;
    int tlp = HU_TLP_AMBER, now = 0, inspect = 0, n_pubs = 0, c;
    optind = 1;
    for (;;) {
        c = getopt_long(argc, argv, "o:", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case O_STIX: dir = optarg; break;
        case O_MINSCORE: {
            char *end;
            min_score = strtod(optarg, &end);
            if (*end || !(min_score >= 0 && min_score <= 1))
                return hu_cli_usage_error("export", "--min-score must be a number between 0 and 1");
            break;
        }
        case O_PRODUCER: producer = optarg; break;
        case O_TLP:
            tlp = hu_tlp_parse(optarg);
            if (tlp < 0) return hu_cli_usage_error("export", "--tlp must be clear, green, amber, amber+strict or red");
            break;
        case O_SHARE: share = optarg; break;
        case O_NOW: now = 1; break;
        case 'o': case O_OUT: out = optarg; break;
        case O_SIGN: sign = optarg; break;
        case O_KEYGEN: keygen = optarg; break;
        case O_VERIFY: verify = optarg; break;
        case O_BUNDLE: bundle = optarg; break;
        case O_CHECK: check = optarg; break;
        case O_INSPECT: inspect = 1; break;
        case O_REQSIGNED:
            if (n_pubs == MAX_PUBKEYS) return hu_cli_usage_error("export", "at most %d --require-signed keys", MAX_PUBKEYS);
            pubs[n_pubs++] = optarg;
            break;
        case O_HELP: fputs(hu_cmd_export_help, stdout); return HU_EXIT_OK;
        default: return hu_cli_usage_error("export", "unknown option");
        }
    }
    if (inspect) {
        if (optind >= argc) return hu_cli_usage_error("export", "--inspect needs BUNDLE files");
        return do_inspect(argv + optind, argc - optind, pubs, n_pubs);
    }
    if (n_pubs)
        return hu_cli_usage_error("export", "--require-signed goes with --inspect");
    if (optind < argc)
        return hu_cli_usage_error("export", "unexpected argument '%s'", argv[optind]);
    if (keygen) {
        int rc = hu_sign_keygen(keygen);
        if (rc == HU_EEXIST) return hu_cli_usage_error("export", "%s.key already exists; not overwriting", keygen);
        if (rc) { fprintf(stderr, "huella export: keygen: %s\n", hu_status_str(rc)); return HU_EXIT_FAIL; }
        if (!hu_cli_quiet) printf("wrote %s.key (secret, mode 0600) and %s.pub\n", keygen, keygen);
        return HU_EXIT_OK;
    }
    if (verify) {
        if (!bundle) return hu_cli_usage_error("export", "--verify needs --bundle FILE");
        return do_verify(verify, bundle);
    }
    if (check)
        return do_check(check);
    if (!dir)
        return hu_cli_usage_error("export", "nothing to do: give --stix DIR, --keygen, --verify or --check");
    if (sign && !out)
        return hu_cli_usage_error("export", "--sign needs --out FILE (the signature goes to FILE.sig)");
    if (strlen(producer) == 0 || strlen(producer) > 200)
        return hu_cli_usage_error("export", "--producer must be 1 to 200 bytes");

    int ret = HU_EXIT_FAIL;
    char *json = NULL, path[4096], err[512];
    size_t len = 0;
    uint8_t key[HU_SHARE_KEY_MAX], sk[HU_ED25519_SK];
    size_t key_len = 0;
    struct hu_buf b;
    /* Cap the bundle at what a partner's huella will load (HU_MAX_STIX_BYTES). */
    hu_buf_init(&b, HU_MAX_STIX_BYTES);
    snprintf(path, sizeof path, "%s/campaigns.json", dir);
    int rc = hu_ioc_read_file(path, HU_MAX_STIX_BYTES, &json, &len);
    if (rc == HU_ENOMEM) { fprintf(stderr, "huella export: out of memory\n"); goto done; }  /* exit 1 */
    if (rc) { ret = hu_cli_usage_error("export", "cannot read %s: %s", path, hu_status_str(rc)); goto done; }
    if (share) {
        rc = hu_share_key_load(share, key, &key_len);
        if (rc) {
            ret = hu_cli_usage_error("export", "share key %s: %s", share,
                                     rc == HU_EINVAL ? "shorter than 16 bytes" : hu_status_str(rc));
            goto done;
        }
    }
    if (sign) {
        rc = hu_sign_load_secret(sign, sk);
        if (rc) { ret = hu_cli_usage_error("export", "cannot read secret key %s: %s", sign, hu_status_str(rc)); goto done; }
    }
    struct hu_stix_opts so = { producer, (enum hu_tlp)tlp, share ? key : NULL, key_len, -1, min_score };
    if (now) so.now_ms = (int64_t)time(NULL) * 1000;
    struct hu_stix_stats st;
    err[0] = 0;
    rc = hu_stix_export(json, len, &so, &b, &st, err, sizeof err);
    if (rc) {
        fprintf(stderr, "huella export: %s: %s\n", path, err[0] ? err : hu_status_str(rc));
        ret = rc == HU_EPARSE || rc == HU_EUTF8 ? HU_EXIT_USAGE : HU_EXIT_FAIL;
        goto done;
    }
    if (st.omitted_payment)
        fprintf(stderr, "huella export: note: %u payment fingerprint(s) omitted: give --share-key FILE "
                        "to export them as keyed hashes\n", st.omitted_payment);
    if (st.skipped_values)
        fprintf(stderr, "huella export: note: %u malformed indicator value(s) skipped\n", st.skipped_values);
    if (write_all(out, b.ptr, b.len)) {
        fprintf(stderr, "huella export: cannot write %s\n", out ? out : "standard output");
        goto done;
    }
    if (sign) {
        char line[300];
        snprintf(path, sizeof path, "%s.sig", out);
        if (hu_sign_line(sk, b.ptr, b.len, line, sizeof line) || write_all(path, line, strlen(line))) {
            fprintf(stderr, "huella export: cannot write %s\n", path);
            goto done;
        }
    }
    if (!hu_cli_quiet)
        fprintf(stderr, "huella export: %u campaign(s), %u indicator(s), %u relationship(s), TLP:%s%s%s\n",
                st.campaigns, st.indicators, st.relationships, tlp_names[tlp],
                sign ? ", signed " : "", sign ? path : "");
    ret = HU_EXIT_OK;
done:
    sodium_memzero(key, sizeof key);
    sodium_memzero(sk, sizeof sk);
    hu_free(json);
    hu_buf_fini(&b);
    return ret;
}
