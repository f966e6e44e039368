#!/usr/bin/env python3
"""A newsmill exec stage: adds an estimated reading time and drops very short articles.

newsmill writes one JSON document per line on stdin and reads one answer per line on stdout:
the fields to change (here a new field, kept under `extra`), or {"drop": "reason"}.
Use it with:

    [[stage]]
    type = "exec"
    command = ["python3", "examples/exec/reading_time.py"]
    on_error = "skip"
"""
import json
import os
import sys

MIN_WORDS = int(os.environ.get("MIN_WORDS", "50"))
WORDS_PER_MINUTE = 230

for line in sys.stdin:
    doc = json.loads(line)
    words = len(doc.get("text", "").split())
    if words < MIN_WORDS:
        answer = {"drop": f"shorter than {MIN_WORDS} words"}
    else:
        answer = {"reading_minutes": round(words / WORDS_PER_MINUTE, 1)}
    print(f"{doc['id']}: {words} words", file=sys.stderr)
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()
