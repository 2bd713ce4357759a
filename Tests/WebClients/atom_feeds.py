"""Reads Atom feeds with feedparser, as a feed reader does, and reports what it understood.

Usage: python3 atom_feeds.py URL...

Prints one JSON line: {"feeds": [FEED, ...]}, a FEED per URL in order. A FEED says whether feedparser
found the document ill-formed (bozo) and why, and gives the feed's and each entry's fields as feedparser
parsed them. Relative links are not resolved (the body is parsed without its address), so a link that is
not absolute in the document is not absolute here either. An entry's content is given as the text of each
of its paragraphs and the targets of its links, read from the HTML feedparser kept after sanitizing it.
The checks themselves are the Swift test's (Tests/MicroblogTests/EndToEnd/WebParserTests.swift).
"""

import html.parser
import json
import sys
import time
import urllib.request

import feedparser


class ContentReader(html.parser.HTMLParser):
    """The text of each <p> and every <a href> of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.paragraphs = []
        self.hrefs = []
        self.current = None

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.current = ""
        elif tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href")

    def handle_endtag(self, tag):
        if tag == "p" and self.current is not None:
            self.paragraphs.append(self.current)
            self.current = None

    def handle_data(self, data):
        if self.current is not None:
            self.current += data


def time_of(element, key):
    """The time `key` as given in the document: feedparser's own lookup would give `published` for a
    missing `updated`."""
    parsed = dict.get(element, key + "_parsed")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", parsed) if parsed else None


def links(element):
    return [{"rel": link.get("rel"), "href": link.get("href")} for link in element.get("links", [])]


def entry_report(entry):
    contents = []
    for content in entry.get("content", []):
        reader = ContentReader()
        reader.feed(content.value)
        reader.close()
        contents.append({"type": content.type, "paragraphs": reader.paragraphs, "hrefs": reader.hrefs})
    author = entry.get("author_detail", {})
    return {
        "id": entry.get("id"),
        "title": entry.get("title"),
        "titleType": entry.get("title_detail", {}).get("type"),
        "updated": time_of(entry, "updated"),
        "published": time_of(entry, "published"),
        "link": entry.get("link"),
        "links": links(entry),
        "author": author.get("name"),
        "authorURI": author.get("href"),
        "content": contents,
    }


def feed_report(url):
    with urllib.request.urlopen(url, timeout=30) as response:
        content_type = response.headers.get("Content-Type")
        body = response.read()
    parsed = feedparser.parse(body, response_headers={"content-type": content_type or ""})
    exception = parsed.get("bozo_exception")
    return {
        "url": url,
        "contentType": content_type,
        "bozo": bool(parsed.bozo),
        "bozoException": f"{type(exception).__name__}: {exception}" if exception else None,
        "version": parsed.get("version"),
        "title": parsed.feed.get("title"),
        "id": parsed.feed.get("id"),
        "updated": time_of(parsed.feed, "updated"),
        "links": links(parsed.feed),
        "entries": [entry_report(entry) for entry in parsed.entries],
    }


if __name__ == "__main__":
    print(json.dumps({"feeds": [feed_report(url) for url in sys.argv[1:]]}), flush=True)
