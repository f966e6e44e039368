"""Turns newsmill's clusters.csv into the id,cluster file that score_dedupe.py reads: every
document of the corpus with its duplicate cluster, or its own id when it has none.

    python3 scripts/clusters-to-pred.py CLUSTERS_CSV CORPUS_JSONL PRED_CSV
"""
import csv
import json
import sys

clusters_csv, corpus, pred = sys.argv[1:4]
cluster = {}
with open(clusters_csv, newline="", encoding="utf-8-sig") as f:
    for row in csv.DictReader(f):
        if row["kind"] == "duplicate":
            cluster[row["article_id"]] = row["cluster"]
with open(corpus, encoding="utf-8") as f, open(pred, "w", newline="") as out:
    w = csv.writer(out)
    w.writerow(["id", "cluster"])
    for line in f:
        doc_id = json.loads(line)["id"]
        w.writerow([doc_id, cluster.get(doc_id, doc_id)])
