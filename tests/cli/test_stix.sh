#!/bin/sh
# `huella export`: STIX bundles valid against the official OASIS 2.1 JSON
# Schemas (ajv, tests/stix/validate.js) and huella's own checks, byte-
# identical on re-export, no account ids or raw payment fingerprints,
# keyed payment hashes, TLP levels, Ed25519 keys, signing and verifying.
. "$SRC/tests/cli/lib.sh"
CASES="$SRC/tests/cases/stix"
SCHEMAS="${HUELLA_STIX_SCHEMAS:-$SRC/../shared/stix2-json-schemas}"
check "official STIX 2.1 schemas found at $SCHEMAS (set HUELLA_STIX_SCHEMAS)" [ -f "$SCHEMAS/schemas/common/bundle.json" ]

# npm packages (ajv, ajv-formats) cached under build/, installed on first use.
NODE_PATH=$(sh "$SRC/tests/stix/setup.sh" "$SRC/build/stix-npm" 2>"$TMP/npm.log"); rc=$?
check "npm set-up of ajv + ajv-formats (tests/stix/setup.sh)" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat "$TMP/npm.log"
export NODE_PATH
validate() { node "$SRC/tests/stix/validate.js" "$SCHEMAS" "$@" >"$TMP/ajv.log" 2>&1 || { cat "$TMP/ajv.log"; return 1; }; }

printf 'partners-shared-secret-2026\n' >"$TMP/share.key"
for c in basic empty hostile; do
    "$HUELLA" export --stix "$CASES/$c" >"$TMP/$c.json" 2>"$TMP/$c.err"; rc=$?
    check "export $c exits 0" [ $rc -eq 0 ]
    check "export $c: huella's checks (timestamps, refs, patterns)" sh -c "'$HUELLA' export --check '$TMP/$c.json' >/dev/null"
    check "export $c: valid against the OASIS STIX 2.1 schemas" validate "$TMP/$c.json"
done
for t in clear green amber amber+strict red; do
    "$HUELLA" export --stix "$CASES/basic" --tlp "$t" --producer "Example AI" --share-key "$TMP/share.key" \
        --out "$TMP/tlp-$t.json" 2>/dev/null
    check "--tlp $t: schema-valid" validate "$TMP/tlp-$t.json"
    check "--tlp $t: the TLP 2.0 marking is used" grep -q "\"tlp_2_0\":\"$t\"" "$TMP/tlp-$t.json"
done

"$HUELLA" export --stix "$CASES/basic" >"$TMP/again.json" 2>/dev/null
check "re-export is byte-identical" cmp -s "$TMP/basic.json" "$TMP/again.json"
check "no account id is exported" sh -c "! grep -q acct- '$TMP/basic.json' '$TMP/tlp-red.json'"
check "no raw payment fingerprint is exported" sh -c "! grep -q pfp-9f8e7d6c5b4a '$TMP/basic.json' '$TMP/tlp-red.json'"
check "without --share-key payment indicators are omitted, with a note" grep -q "payment fingerprint(s) omitted" "$TMP/basic.err"
check "without --share-key there is no payment_hmac" sh -c "! grep -q payment_hmac '$TMP/basic.json'"
hmac=$(node -e "console.log(require('crypto').createHmac('sha256','partners-shared-secret-2026').update('pfp-9f8e7d6c5b4a').digest('hex'))")
check "with --share-key the payment fingerprint is HMAC-SHA256 under the key" grep -q "$hmac" "$TMP/tlp-red.json"
check "patterns: IPv4, IPv6 prefix, ASN, user agent" sh -c "grep -q \"\\[ipv4-addr:value = '198.51.100.7'\\]\" '$TMP/basic.json' &&
    grep -q \"\\[ipv6-addr:value ISSUBSET '2001:db8:1::/48'\\]\" '$TMP/basic.json' &&
    grep -q '\\[autonomous-system:number = 64500\\]' '$TMP/basic.json' &&
    grep -q \"network-traffic:extensions.'http-request-ext'.request_header.'User-Agent' = 'python-httpx/0.27.0'\" '$TMP/basic.json'"
check "hostile values never reach a pattern unquoted" sh -c "! grep -q \"= '1.1.1.1'\\]\" '$TMP/hostile.json'"
check "text in a template field is not exported" sh -c "! grep -q 'step by step' '$TMP/hostile.json'"

"$HUELLA" export --stix "$CASES/basic" --now >"$TMP/now.json" 2>/dev/null
check "--now bundle is valid" validate "$TMP/now.json"
check "--now changes modified" sh -c "! cmp -s '$TMP/basic.json' '$TMP/now.json'"

"$HUELLA" export --stix "$CASES/basic" --tlp purple >/dev/null 2>&1; rc=$?
check "bad --tlp exits 2" [ $rc -eq 2 ]
"$HUELLA" export --stix "$TMP/nope" >/dev/null 2>&1; rc=$?
check "missing DIR exits 2" [ $rc -eq 2 ]
mkdir -p "$TMP/garbage"; printf '[{"id":' >"$TMP/garbage/campaigns.json"
"$HUELLA" export --stix "$TMP/garbage" >/dev/null 2>&1; rc=$?
check "truncated campaigns.json exits 2" [ $rc -eq 2 ]
printf 'short\n' >"$TMP/short.key"
"$HUELLA" export --stix "$CASES/basic" --share-key "$TMP/short.key" >/dev/null 2>&1; rc=$?
check "a share key under 16 bytes is refused" [ $rc -eq 2 ]

# keys, signing, verifying
"$HUELLA" export --keygen "$TMP/k" >/dev/null; rc=$?
check "--keygen exits 0" [ $rc -eq 0 ]
check "secret key is mode 0600" [ "$(stat -c %a "$TMP/k.key")" = 600 ]
"$HUELLA" export --keygen "$TMP/k" >/dev/null 2>&1; rc=$?
check "--keygen refuses to overwrite" [ $rc -eq 2 ]
"$HUELLA" export --keygen "$TMP/other" >/dev/null
"$HUELLA" export --stix "$CASES/basic" --out "$TMP/signed.json" --sign "$TMP/k.key" 2>/dev/null
check "--sign writes FILE.sig" [ -s "$TMP/signed.json.sig" ]
check "signed bundle equals the unsigned one (detached signature)" cmp -s "$TMP/signed.json" "$TMP/basic.json"
check "--verify accepts the right key" sh -c "'$HUELLA' export --verify '$TMP/k.pub' --bundle '$TMP/signed.json' >/dev/null"
"$HUELLA" export --verify "$TMP/other.pub" --bundle "$TMP/signed.json" >/dev/null 2>&1; rc=$?
check "--verify rejects another key (exit 1)" [ $rc -eq 1 ]
sed 's/C-0123456789ab/C-0123456789ac/' "$TMP/signed.json" >"$TMP/tampered.json"
cp "$TMP/signed.json.sig" "$TMP/tampered.json.sig"
"$HUELLA" export --verify "$TMP/k.pub" --bundle "$TMP/tampered.json" >/dev/null 2>&1; rc=$?
check "--verify rejects a tampered bundle (exit 1)" [ $rc -eq 1 ]
"$HUELLA" export --verify "$TMP/k.pub" --bundle "$TMP/basic.json" >/dev/null 2>&1; rc=$?
check "--verify rejects an unsigned bundle (exit 1)" [ $rc -eq 1 ]
"$HUELLA" export --stix "$CASES/basic" --sign "$TMP/k.key" >/dev/null 2>&1; rc=$?
check "--sign without --out is a usage error" [ $rc -eq 2 ]

# import: what `analyze --iocs` would load (features/ioc.c), through --inspect
"$HUELLA" export --inspect "$TMP/tlp-red.json" >"$TMP/inspect.txt"; rc=$?
check "--inspect loads a huella bundle" [ $rc -eq 0 ]
check "--inspect reads every exported indicator" grep -q "indicators 18, values 18, duplicates 0, unsupported 0" "$TMP/inspect.txt"
check "--inspect reads the keyed payment hash" grep -q "payment_hmac *1" "$TMP/inspect.txt"
"$HUELLA" export --inspect --require-signed "$TMP/k.pub" "$TMP/signed.json" >/dev/null; rc=$?
check "--require-signed accepts a signed bundle" [ $rc -eq 0 ]
"$HUELLA" export --inspect --require-signed "$TMP/other.pub" --require-signed "$TMP/k.pub" "$TMP/signed.json" >/dev/null; rc=$?
check "--require-signed accepts any of several keys" [ $rc -eq 0 ]
"$HUELLA" export --inspect --require-signed "$TMP/k.pub" "$TMP/basic.json" >/dev/null 2>"$TMP/unsigned.err"; rc=$?
check "--require-signed rejects an unsigned bundle (exit 1)" [ $rc -eq 1 ]
check "... with a clear message" grep -q "unsigned" "$TMP/unsigned.err"
"$HUELLA" export --inspect --require-signed "$TMP/k.pub" "$TMP/tampered.json" >/dev/null 2>&1; rc=$?
check "--require-signed rejects a tampered bundle" [ $rc -eq 1 ]
head -c 1500 "$TMP/basic.json" >"$TMP/truncated.json"
"$HUELLA" export --inspect "$TMP/truncated.json" >/dev/null 2>"$TMP/trunc.err"; rc=$?
check "a truncated bundle is rejected (exit 1), not a crash" [ $rc -eq 1 ]
check "... naming the file" grep -q "truncated.json" "$TMP/trunc.err"
head -c 3000 /dev/urandom >"$TMP/garbage.json"
"$HUELLA" export --inspect "$TMP/garbage.json" >/dev/null 2>&1; rc=$?
check "a garbage bundle is rejected (exit 1)" [ $rc -eq 1 ]
truncate -s 65M "$TMP/huge.json"
"$HUELLA" export --inspect "$TMP/huge.json" >/dev/null 2>"$TMP/huge.err"; rc=$?
check "an oversized bundle is rejected (exit 1)" [ $rc -eq 1 ]
check "... with the limit named" grep -q "HU_MAX_STIX_BYTES" "$TMP/huge.err"
rm -f "$TMP/huge.json"

# the C check catches a dangling reference
sed 's/"target_ref":"campaign--d/"target_ref":"campaign--e/' "$TMP/basic.json" >"$TMP/dangling.json"
"$HUELLA" export --check "$TMP/dangling.json" >/dev/null 2>&1; rc=$?
check "--check rejects a dangling target_ref" [ $rc -eq 1 ]
finish
