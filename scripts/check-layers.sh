#!/bin/sh
# check-layers.sh -- data flows one way (STYLE.md rule 1).
# The pipeline is core < sketch < ingest < features < profile < link < score
# < {store, report} < serve < cluster < cli; transport/ (the distributed
# log, NATS) sits beside sketch/: it knows nothing of huella's stages.
# A file may include headers of its own stage, core/, sketch/ and the
# stages before it, never those after it.
# sim/ may include only core/ (the simulator must not share the detector's
# code).  eval/ may include anything below cli/.  Exits 1 on a violation.
cd "${1:-$(dirname "$0")/..}" || exit 2
rank() {
    case $1 in
        core|huella) echo 0 ;; sketch|transport) echo 1 ;; ingest) echo 2 ;; features) echo 3 ;;
        profile) echo 4 ;; link) echo 5 ;; score) echo 6 ;; store|report) echo 7 ;;
        fprint) echo 6 ;; serve) echo 8 ;; eval|lib|cluster) echo 9 ;; cli) echo 10 ;; *) echo 99 ;;
    esac
}
bad=0
for f in $(find src sim eval -name '*.c' -o -name '*.h' -o -name '*.cpp' 2>/dev/null); do
    stage=$(echo "$f" | cut -d/ -f2)
    case $f in sim/*) stage=sim ;; eval/*) stage=eval ;; esac
    for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*".*/\1/p' "$f"); do
        if [ "$stage" = sim ]; then
            case $inc in core|huella|sim) continue ;; esac
            echo "$f: the simulator includes $inc/ (only core/ is allowed)"; bad=1; continue
        fi
        [ "$inc" = sim ] && [ "$stage" = cli ] && continue
        [ "$inc" = "$stage" ] && continue
        r_stage=$(rank "$stage"); r_inc=$(rank "$inc")
        if [ "$r_inc" -gt "$r_stage" ]; then
            echo "$f: stage $stage includes $inc/, which comes after it"; bad=1
        fi
    done
done
exit $bad
