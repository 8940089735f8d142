#!/bin/sh
# bench/bench_cluster.sh HUELLA EVENTS [WORKERS...]: throughput of the
# scale-out pipeline on this machine (docs/scale-out.md).  For each worker
# count (default "1 2") it starts a fresh three-node JetStream cluster on
# loopback, publishes EVENTS (timed), starts that many workers on disjoint
# shard ranges (timed until every shard's lag is 0), then runs the linker
# (timed).  Prints one JSON line per worker count.  Not part of make test.
H=${1:?huella binary}; EV=${2:?events file}; shift 2
COUNTS=${*:-1 2}
T=$(mktemp -d)
PIDS=""
trap 'for p in $PIDS; do kill -9 $p 2>/dev/null; done; for f in $T/*/n*.pid; do [ -f "$f" ] && kill -9 $(cat $f) 2>/dev/null; done; rm -rf $T' EXIT
now() { date +%s.%N; }
lines=$(grep -c . "$EV")
for nw in $COUNTS; do
    d=$T/c$nw; mkdir -p $d
    B=$((21000 + nw * 100))
    for i in 1 2 3; do
        routes=""
        for j in 1 2 3; do [ $j = $i ] || routes="$routes${routes:+, }nats://127.0.0.1:$((B + 10 + j))"; done
        printf 'server_name: n%s\nlisten: 127.0.0.1:%s\njetstream { store_dir: "%s/n%s", max_file_store: 8GB }\ncluster { name: b, listen: 127.0.0.1:%s, routes: [ %s ] }\n' \
            $i $((B + i)) $d $i $((B + 10 + i)) "$routes" >$d/n$i.conf
        nats-server -c $d/n$i.conf >$d/n$i.log 2>&1 & echo $! >$d/n$i.pid
    done
    URL="nats://127.0.0.1:$((B + 1)),nats://127.0.0.1:$((B + 2)),nats://127.0.0.1:$((B + 3))"
    sleep 3
    t0=$(now)
    until $H publish --nats $URL --quiet "$EV" 2>/dev/null; do sleep 1; done
    t1=$(now)
    per=$((16 / nw)); k=0
    while [ $k -lt $nw ]; do
        $H worker --nats $URL --shards $((k * per))-$((k * per + per - 1)) --db $d/w$k.db --id w$k --quiet &
        PIDS="$PIDS $!"; k=$((k + 1))
    done
    # caught up: every shard has a cursor and nothing undelivered or unacknowledged
    until $H cluster status --nats $URL --format json 2>/dev/null | grep -v '"cursor":false' | grep -q '"lag":0,'; do
        sleep 0.2
    done
    t2=$(now)
    $H linker --nats $URL --out $d/out --quiet
    t3=$(now)
    for p in $PIDS; do kill $p; wait $p 2>/dev/null; done; PIDS=""
    for f in $d/n*.pid; do kill $(cat $f); done
    echo "$lines $nw $t0 $t1 $t2 $t3" | awk '{ printf "{\"events\":%d,\"workers\":%d,\"publish_s\":%.2f,\"publish_eps\":%.0f,\"workers_s\":%.2f,\"workers_eps\":%.0f,\"linker_s\":%.2f}\n", $1, $2, $4-$3, $1/($4-$3), $5-$4, $1/($5-$4), $6-$5 }'
done
