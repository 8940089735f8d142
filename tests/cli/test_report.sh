#!/bin/sh
# report.html and the output formats: the page is written, deterministic,
# self-contained (no network), escapes hostile account ids and indicator
# values, holds no prompt text, renders in headless Chromium without a
# console error and with every section; campaigns.json is valid against
# docs/formats/campaigns.schema.json and accounts.csv has the documented
# columns (tests/report/check-outputs.sh), and broken copies are refused.
. "$SRC/tests/cli/lib.sh"
H=$HUELLA
cd "$TMP" || exit 1
"$H" simulate --scenario smoke --seed 11 --out in.jsonl --asn-out asn.csv >/dev/null 2>&1
check "simulate smoke" [ -s in.jsonl ]
"$H" analyze in.jsonl --asn asn.csv --out out1 >summary.txt 2>err.txt; rc=$?
check "analyze exits 0" [ $rc -eq 0 ]
check "report.html written" [ -s out1/report.html ]
check "summary names report.html" grep -q "out1/report.html" summary.txt
check "report.html is an HTML5 document" sh -c "head -c 15 out1/report.html | grep -q '<!DOCTYPE html>'"
"$H" analyze in.jsonl --asn asn.csv --out out2 -q
check "report.html is byte-identical across runs" cmp -s out1/report.html out2/report.html
n_camp=$(grep -c '"id":"C-' out1/campaigns.json)
n_cards=$(grep -o '<section class="card[^"]*" id="C-' out1/report.html | wc -l)
check "one card per campaign scored >= 0.5 ($n_cards of $n_camp groups)" [ "$n_cards" -ge 1 ]
check "a card per campaign of the summary" [ "$n_cards" -eq "$(grep -c '^  C-' summary.txt)" ]
check "timeline, heatmap and graph drawn" sh -c "grep -q 'Timeline against all other traffic' out1/report.html &&
    grep -q 'by day of week and hour of day' out1/report.html && grep -q 'class=\"chart graph-svg\"' out1/report.html"
check "flagged table and provenance footer" sh -c "grep -q '<table id=\"flagged\">' out1/report.html &&
    grep -q 'policy digest <code>[0-9a-f]\{16\}</code>' out1/report.html"
urls=$(grep -o 'https\?://[^"'"'"' )]*' out1/report.html | sort -u | tr '\n' ' ')
check "no network reference (only the SVG namespace): $urls" [ "$urls" = "http://www.w3.org/2000/svg " ]
check "a Content-Security-Policy forbids network access" grep -q "default-src 'none'" out1/report.html
size=$(wc -c <out1/report.html)
check "report.html is bounded ($size bytes < 5 MB)" [ "$size" -lt 5000000 ]

# prompt text never appears: 40 prompts' first 24 characters
grep -o '"prompt":"[^"\\]\{24\}' in.jsonl | cut -c11- | sort -u | head -n 40 >prompts.txt
check "prompts sampled" [ "$(wc -l <prompts.txt)" -ge 10 ]
check "no prompt text in report.html" sh -c "! grep -F -f prompts.txt out1/report.html"

# the output formats
sh "$SRC/tests/report/check-outputs.sh" out1 >schema.log 2>&1; rc=$?
check "campaigns.json valid against the schema, accounts.csv columns valid" [ $rc -eq 0 ]
[ $rc -eq 0 ] || cat schema.log
for bad in score links evidence csvcol csvaction; do
    mkdir -p "bad-$bad" && cp out1/campaigns.json out1/accounts.csv "bad-$bad/"
done
sed -i '0,/"score":[0-9.]*/s//"score":"high"/' bad-score/campaigns.json
sed -i '0,/"links":\[/s//"links":["bogus_kind",/' bad-links/campaigns.json
sed -i '0,/,"evidence":\[[^]]*\]/s///' bad-evidence/campaigns.json
sed -i '2s/$/,extra/' bad-csvcol/accounts.csv
sed -i '2s/,\(allow\|monitor\|throttle\|verify\|block\|withhold_reasoning\),/,ban,/' bad-csvaction/accounts.csv
for bad in score links evidence csvcol csvaction; do
    sh "$SRC/tests/report/check-outputs.sh" "bad-$bad" >/dev/null 2>&1; rc=$?
    check "a broken copy ($bad) is refused" [ $rc -eq 1 ]
done

# hostile account ids and user agents
sed -e 's|"account_id":"|"account_id":"<script>alert(1)</script>\\"><img src=x onerror=alert(2)>|' \
    -e 's|"user_agent":"|"user_agent":"<svg onload=alert(3)>\&amp;|' in.jsonl >hostile.jsonl
"$H" analyze hostile.jsonl --asn asn.csv --out out3 -q 2>err3.txt; rc=$?
check "analyze hostile ids exits 0" [ $rc -eq 0 ]
check "hostile run finds the same campaigns" [ "$(grep -c '"id":"C-' out3/campaigns.json)" -eq "$n_camp" ]
check "hostile ids are in the page, escaped" grep -q '&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;' out3/report.html
check "no raw <script>alert, <img, <svg onload in the page" sh -c "! grep -q '<script>alert\|<img\|<svg onload' out3/report.html"
check "exactly two script elements (data, table)" [ "$(grep -o '<script' out3/report.html | wc -l)" -eq 2 ]
check "the data block escapes < as \\u003c" grep -q '\\u003cscript\\u003ealert(1)' out3/report.html
check "hostile schema-valid" sh "$SRC/tests/report/check-outputs.sh" out3

# render in headless Chromium
for o in out1 out3; do
    sh "$SRC/tests/report/render.sh" "$o/report.html" "render-$o" 1280 2600 >"render-$o.log" 2>&1; rc=$?
    check "$o: chromium renders the page" [ $rc -eq 0 ]
    [ $rc -eq 0 ] || { cat "render-$o.log"; tail -n 5 "render-$o"/chromium-*.log; continue; }
    check "$o: no console error or CSP violation" [ ! -s "render-$o/console.txt" ]
    [ -s "render-$o/console.txt" ] && head -n 5 "render-$o/console.txt"
    check "$o: the page's script ran and parsed the data ($n_cards campaigns)" \
        grep -q "data-huella-campaigns=\"$n_cards\"" "render-$o/dom.html"
    check "$o: summary, cards, charts and table in the DOM" sh -c "grep -q 'id=\"summary\"' render-$o/dom.html &&
        [ \$(grep -o '<section class=\"card' render-$o/dom.html | wc -l) -eq $n_cards ] &&
        [ \$(grep -o '<svg' render-$o/dom.html | wc -l) -ge $((n_cards * 4)) ] &&
        grep -q 'id=\"flagged\"' render-$o/dom.html"
    check "$o: no <img> element in the DOM" sh -c "! grep -q '<img' render-$o/dom.html"
    check "$o: screenshot is a PNG" sh -c "head -c 8 render-$o/report.png | od -An -c | grep -q 'P   N   G'"
done

# standard input cannot be read twice: the report says so and still renders
"$H" analyze - --asn asn.csv --out out4 -q <in.jsonl; rc=$?
check "analyze from stdin exits 0" [ $rc -eq 0 ]
check "stdin: the page explains the missing timeline" grep -q 'No timeline: an input was standard input' out4/report.html
check "stdin: the heatmap falls back to the profiles' marginals" grep -q 'Hour of day and day of week separately' out4/report.html
"$H" analyze in.jsonl --asn asn.csv --out out5 --no-report >summary5.txt; rc=$?
check "--no-report: exits 0, writes no report.html" sh -c "[ $rc -eq 0 ] && [ ! -e out5/report.html ] && [ -s out5/campaigns.json ]"
check "--no-report: the summary does not name report.html" sh -c "! grep -q report.html summary5.txt"
finish
