"""Reads a /metrics page with the Prometheus Python client's parser, as a scraper would.

Usage: python3 metrics.py URL

Prints one JSON line: {"contentType", "error", "families": [{"name", "type", "documentation",
"samples": [{"name", "labels", "value"}]}]}. "error" is what the parser raised (then "families" is empty),
or null; a value is the float's repr ("nan" and "inf" included). Note that the parser names a counter's
family without its "_total", which its samples keep. The checks themselves are the Swift test's
(Tests/MicroblogTests/EndToEnd/WebParserTests.swift).
"""

import json
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def report(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        content_type = response.headers.get("Content-Type")
        text = response.read().decode("utf-8")
    try:
        families = [
            {
                "name": family.name,
                "type": family.type,
                "documentation": family.documentation,
                "samples": [
                    {"name": sample.name, "labels": sample.labels, "value": repr(sample.value)}
                    for sample in family.samples
                ],
            }
            for family in text_string_to_metric_families(text)
        ]
        error = None
    except Exception as problem:
        families = []
        error = f"{type(problem).__name__}: {problem}"
    return {"contentType": content_type, "error": error, "families": families}


if __name__ == "__main__":
    print(json.dumps(report(sys.argv[1])), flush=True)
