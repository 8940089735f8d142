#!/usr/bin/python3
"""leiden.py -- cluster the account graph huella clustered with Leiden
(igraph, Debian's python3-igraph) and compare the two clusterings.

    /usr/bin/python3 bench/leiden.py GRAPH.tsv ACCOUNTS.csv [TRUTH.tsv]

GRAPH.tsv is `huella analyze --dump-graph` (account, account, strength,
evidence); ACCOUNTS.csv is the same run's accounts.csv (campaign_id per
account).  Prints one JSON line:

  load_s        seconds to read the graph into igraph
  leiden_s      seconds in community_leiden (modularity, weights = strength)
  nodes, edges  of the graph; communities: Leiden's with >= 2 accounts
  ari, nmi      agreement of the two partitions over the graph's accounts
                (an account huella left out of every campaign is its own
                singleton cluster)
  campaigns     huella campaigns with >= 2 accounts in the graph
  matched       of those, how many have a Leiden community with Jaccard
                >= 0.5 (the "same campaign" found by both)
  mean_best_jaccard  mean over huella campaigns of the best Jaccard
  truth         with TRUTH.tsv (account TAB label, from the simulator's
                account lines): per true campaign (label not benign/...),
                the best Jaccard of a huella campaign and of a Leiden
                community with it (accounts missing from the graph count
                as missed)

No assertion: numbers for docs/performance.md.
"""
import csv
import json
import random
import sys
import time
from collections import defaultdict

import igraph


def main():
    graph_path, accounts_path = sys.argv[1], sys.argv[2]
    random.seed(2026)              # igraph draws from Python's RNG: same run, same answer
    truth_path = sys.argv[3] if len(sys.argv) > 3 else None
    resolution = 1.0
    t0 = time.perf_counter()
    names, index, edges, weights = [], {}, [], []

    def node(a):
        i = index.get(a)
        if i is None:
            i = index[a] = len(names)
            names.append(a)
        return i

    with open(graph_path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3:
                continue
            edges.append((node(parts[0]), node(parts[1])))
            weights.append(float(parts[2]))
    g = igraph.Graph(n=len(names), edges=edges, directed=False)
    g.es["weight"] = weights
    t1 = time.perf_counter()
    part = g.community_leiden(objective_function="modularity", weights="weight",
                              resolution_parameter=resolution, n_iterations=-1)
    t2 = time.perf_counter()

    huella = {}
    with open(accounts_path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row.get("campaign_id"):
                huella[row["account_id"]] = row["campaign_id"]
    n = len(names)
    ours = [huella.get(names[i], "single:" + names[i]) for i in range(n)]
    theirs = list(part.membership)
    # integer labels for igraph.compare_communities
    lab = {}
    ours_i = [lab.setdefault(x, len(lab)) for x in ours]
    ari = igraph.compare_communities(ours_i, theirs, method="adjusted_rand") if n else 1.0
    nmi = igraph.compare_communities(ours_i, theirs, method="nmi") if n else 1.0

    groups_h, groups_l = defaultdict(set), defaultdict(set)
    for i in range(n):
        if not ours[i].startswith("single:"):
            groups_h[ours[i]].add(i)
        groups_l[theirs[i]].add(i)
    big_h = {k: v for k, v in groups_h.items() if len(v) >= 2}
    matched, jac_sum = 0, 0.0
    for members in big_h.values():
        cand = defaultdict(int)
        for i in members:
            cand[theirs[i]] += 1
        best = 0.0
        for c, inter in cand.items():
            j = inter / (len(members) + len(groups_l[c]) - inter)
            best = max(best, j)
        jac_sum += best
        matched += best >= 0.5
    truth = {}
    if truth_path:
        by_label = defaultdict(set)
        with open(truth_path, encoding="utf-8") as f:
            for line in f:
                a, _, lbl = line.rstrip("\n").partition("\t")
                if lbl and not lbl.startswith("benign"):
                    by_label[lbl].add(a)
        for lbl, accts in sorted(by_label.items()):
            row = {}
            for name, assign in (("huella", lambda a: huella.get(a)),
                                 ("leiden", lambda a: theirs[index[a]] if a in index else None)):
                sizes, inter = defaultdict(int), defaultdict(int)
                if name == "huella":
                    for a, c in huella.items():
                        sizes[c] += 1
                else:
                    for c in theirs:
                        sizes[c] += 1
                for a in accts:
                    c = assign(a)
                    if c is not None:
                        inter[c] += 1
                best = max((k / (len(accts) + sizes[c] - k) for c, k in inter.items()), default=0.0)
                row[name] = round(best, 4)
            truth[lbl] = row
    print(json.dumps({
        "load_s": round(t1 - t0, 3), "leiden_s": round(t2 - t1, 3),
        "nodes": n, "edges": len(edges),
        "communities": sum(1 for v in groups_l.values() if len(v) >= 2),
        "ari": round(ari, 4), "nmi": round(nmi, 4),
        "campaigns": len(big_h), "matched": int(matched),
        "mean_best_jaccard": round(jac_sum / len(big_h), 4) if big_h else 1.0,
        "truth": truth,
    }))


if __name__ == "__main__":
    main()
