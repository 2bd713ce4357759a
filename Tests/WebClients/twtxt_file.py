"""Reads a twtxt file as the twtxt reference client does, and reports the tweets it found.

Usage: python3 twtxt_file.py URL

The client (twtxt.twhttp.retrieve_file) splits the response's text with str.splitlines() and hands the
lines to twtxt.parser.parse_tweets, which drops every line it cannot parse; so does this, after fetching
the file with urllib (the client's own fetch needs its command line's configuration). Prints one JSON
line: {"contentType", "tweets": [{"createdAt", "text"}, ...] (times in UTC, to the second, as the client
keeps them: 2026-12-07T17:01:44Z), "rejected": [{"line", "error"}, ...]}, where
"rejected" lists the lines other than comments (#) that parse_tweet refused, and why. The checks
themselves are the Swift test's (Tests/MicroblogTests/EndToEnd/WebParserTests.swift).
"""

import json
import sys
import urllib.request
from datetime import timezone

from twtxt.models import Source
from twtxt.parser import parse_tweet, parse_tweets


def utc(moment):
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def report(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        content_type = response.headers.get("Content-Type")
        charset = response.headers.get_content_charset() or "utf-8"
        content = response.read().decode(charset)
    source = Source("reader", url=url)
    lines = content.splitlines()
    rejected = []
    for line in lines:
        if line.startswith("#"):
            continue
        try:
            parse_tweet(line, source)
        except (ValueError, OverflowError) as error:
            rejected.append({"line": line, "error": f"{type(error).__name__}: {error}"})
    tweets = parse_tweets(lines, source)
    return {
        "contentType": content_type,
        "tweets": [{"createdAt": utc(tweet.created_at), "text": tweet.text} for tweet in tweets],
        "rejected": rejected,
    }


if __name__ == "__main__":
    print(json.dumps(report(sys.argv[1])), flush=True)
