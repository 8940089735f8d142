/*
 * featurize.c -- libhuella in a gateway, in miniature: read event lines on
 * standard input, write them featurized on standard output.
 *
 *   cc featurize.c $(pkg-config --cflags --libs huella) -o featurize
 *   ./featurize /etc/huella/feature.key /usr/local/share/huella/targets.model \
 *       < events.jsonl > featurized.jsonl
 *
 * The model is the one `huella analyze` uses (`make install` puts it in
 * PREFIX/share/huella): featurized with another, or none, the same traffic
 * gets other verdicts.
 *
 * A real gateway creates the featurizer once at start-up, one session per
 * worker thread, and calls hu_fz_session_line() on each request's log line
 * before it is written anywhere.  Lines that are not usable events are
 * dropped and counted (they may hold text: never log them).
 */
#include <stdio.h>
#include <stdlib.h>

#include <huella/huella.h>

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 3) {
        fprintf(stderr, "usage: %s KEY_FILE [MODEL_FILE] < events.jsonl > featurized.jsonl\n", argv[0]);
        return 2;
    }
    if (hu_abi_version() != HU_ABI_VERSION) {
        fprintf(stderr, "libhuella ABI %d, built for %d\n", hu_abi_version(), HU_ABI_VERSION);
        return 1;
    }
    struct hu_featurizer_options opt = HU_FEATURIZER_OPTIONS_INIT;
    opt.key_file = argv[1];
    opt.model_file = argc == 3 ? argv[2] : NULL;
    struct hu_featurizer *fz = NULL;
    struct hu_fz_session *s = NULL;
    char err[256];
    int rc = hu_featurizer_create(&opt, &fz, err, sizeof err);
    if (rc != HU_OK) {
        fprintf(stderr, "featurizer: %s (%s)\n", err, hu_status_str(rc));
        return 2;
    }
    rc = hu_fz_session_create(fz, &s);
    if (rc != HU_OK) {
        fprintf(stderr, "session: %s\n", hu_status_str(rc));
        hu_featurizer_destroy(fz);
        return 1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long done = 0, dropped = 0;
    for (;;) {
        n = getline(&line, &cap, stdin);
        if (n <= 0)
            break;
        const char *out;
        size_t out_len;
        rc = hu_fz_session_line(s, line, (size_t)n, &out, &out_len);
        if (rc > 0) {
            fwrite(out, 1, out_len, stdout);
            fputc('\n', stdout);
            done++;
        } else if (rc == HU_EPARSE || rc == HU_ETOOBIG) {
            const char *why = hu_fz_session_reject_reason(s);
            fprintf(stderr, "dropped line %lu: %s\n", done + dropped + 1, why ? why : hu_status_str(rc));
            dropped++;
        } else {
            fprintf(stderr, "featurize: %s\n", hu_status_str(rc));
            break;
        }
    }
    free(line);
    fprintf(stderr, "%lu lines written, %lu dropped; key id %016llx (libhuella %s)\n", done, dropped,
            (unsigned long long)hu_featurizer_key_id(fz), hu_version());
    hu_fz_session_destroy(s);
    hu_featurizer_destroy(fz);
    return rc < 0 && rc != HU_EPARSE && rc != HU_ETOOBIG ? 1 : 0;
}
