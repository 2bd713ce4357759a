"""Drives headless Chromium through the web door as a reader would, for the Swift test that starts it.

Usage: python3 browser.py BASE_URL   (e.g. http://127.0.0.1:8080)

Chromium is Debian's (/usr/bin/chromium), driven by Playwright for Python; Playwright's own browsers are
never downloaded. The Swift test (Tests/MicroblogTests/EndToEnd/WebBrowserTests.swift) talks to this
script in JSON lines, one object a line, on its standard input and output:

  script: {"step": "ready", ...}       `/` is loaded and its live stream (/events) answered
  test:   {"live": [ID, ...], "hostile": [{"id", "path"}, ...], "signIn": {"name", "password", "text"}}
                                       the posts made after the page loaded, the pages to read a (hostile)
                                       post on, and the account to sign in as and what to post
  script: {"step": "live", ...}        each live post as the page showed it, without a reload
  script: {"step": "posted", ...}      signed in with the order's "signIn" name and password, posted its
                                       text from the form, signed out: what each page showed
  script: {"step": "links", ...}       the author's profile and the post's thread, reached by clicking
  script: {"step": "pages", ...}       each hostile post's text as its page shows it, and what the page holds
  script: {"step": "report", ...}      every dialog, console message, page error and failed request seen

The script reports what it saw; the test decides what is right. An error ends the script with a
{"step": "error"} line.
"""

import json
import sys
import traceback
from urllib.parse import urlsplit

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Generous: the test machine may be busy building.
TIMEOUT_MS = 30_000


def say(step, **fields):
    print(json.dumps({"step": step, **fields}), flush=True)


def listen():
    line = sys.stdin.readline()
    if not line:
        raise RuntimeError("the test closed the conversation")
    return json.loads(line)


class Observer:
    """Everything the page does that the test should know of: dialogs, console messages, uncaught
    errors, failed requests to the site, main-frame navigations."""

    def __init__(self, page, base):
        self.base = base
        self.dialogs = []
        self.console = []
        self.errors = []
        self.failed = []
        self.assets = {}
        self.navigations = 0
        page.on("dialog", self.dialog)
        page.on("console", lambda message: self.console.append({"type": message.type, "text": message.text}))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("requestfailed", self.request_failed)
        page.on("response", self.response)
        page.on("framenavigated", lambda frame: self.navigated(page, frame))

    def dialog(self, dialog):
        self.dialogs.append({"type": dialog.type, "message": dialog.message, "url": dialog.page.url})
        dialog.dismiss()

    def own(self, url):
        return url.startswith(self.base + "/")

    def request_failed(self, request):
        # A live stream is cut when its page is left: that is no failure.
        if self.own(request.url) and urlsplit(request.url).path.endswith("/events"):
            return
        self.failed.append({"url": request.url, "error": request.failure})

    def response(self, response):
        if not self.own(response.url):
            return
        path = urlsplit(response.url).path
        if path.startswith("/static/"):
            self.assets[path] = response.status
        if response.status >= 400:
            self.failed.append({"url": response.url, "error": f"status {response.status}"})

    def navigated(self, page, frame):
        if frame == page.main_frame:
            self.navigations += 1


def is_stream(response):
    return urlsplit(response.url).path == "/events"


def article(page, post_id):
    """What a page shows of post `post_id`: its text, its author link, its permalink."""
    selector = f"#post-{post_id}"
    if page.locator(selector).count() == 0:
        return None
    found = page.locator(selector).first
    return {
        "text": found.locator(".text").inner_text(),
        "author": found.locator("a.author").inner_text(),
        "authorHref": found.locator("a.author").get_attribute("href"),
        "permalink": found.locator("a.permalink").get_attribute("href"),
        "images": found.locator("img").count(),
        "scriptLinks": found.locator("a[href^='javascript:' i]").count(),
    }


def page_facts(page):
    return {
        "path": urlsplit(page.url).path,
        "h1": page.locator("h1").first.inner_text(),
        "scripts": page.eval_on_selector_all("script", "all => all.map(s => s.getAttribute('src'))"),
        "current": page.eval_on_selector_all("[aria-current='true'] > article[id]", "all => all.map(a => a.id)"),
    }


def run(base):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            observer = Observer(page, base)

            with page.expect_response(is_stream) as stream:
                page.goto(base + "/")
            say(
                "ready",
                stream=urlsplit(stream.value.url).path + "?" + urlsplit(stream.value.url).query,
                streamStatus=stream.value.status,
                articles=page.eval_on_selector_all("article[id]", "all => all.map(a => a.id)"),
            )
            order = listen()

            # The posts made after the page loaded arrive through the live stream; the page is not read again.
            navigations = observer.navigations
            shown = []
            for post_id in order["live"]:
                try:
                    page.wait_for_selector(f"#post-{post_id}")
                except Exception as error:
                    shown.append({"id": post_id, "article": None, "error": str(error).splitlines()[0]})
                    continue
                shown.append({"id": post_id, "article": article(page, post_id)})
            say(
                "live",
                posts=shown,
                reloaded=observer.navigations != navigations,
                path=urlsplit(page.url).path,
            )

            # Signing in on /signin, posting from the home page's form (the post is at the top of the page
            # the form leads back to), and signing out; the session cookie's flags as the browser keeps them.
            account = order["signIn"]
            page.goto(base + "/signin")
            page.fill("#signin-name", account["name"])
            page.fill("#signin-password", account["password"])
            with page.expect_navigation():
                page.click("form.signin button[type=submit]")
            signed_in = page.locator("header.site").inner_text()
            cookies = {c["name"]: c for c in page.context.cookies()}
            session = cookies.get("microblogd_session", {})
            page.fill("#compose-text", account["text"])
            with page.expect_navigation():
                page.click("form.compose button[type=submit]")
            posted_id = int(page.locator("section.posts article[id]").first.get_attribute("id")[len("post-"):])
            posted = article(page, posted_id)
            with page.expect_navigation():
                page.click("form.signout button[type=submit]")
            say(
                "posted",
                signedIn=signed_in,
                cookie={"httpOnly": session.get("httpOnly"), "sameSite": session.get("sameSite")},
                id=posted_id,
                article=posted,
                signedOut=page.locator("header.site").inner_text(),
                path=urlsplit(page.url).path,
            )

            # Following links, as a reader does: the first live post's author, then its thread.
            first = order["live"][0]
            with page.expect_navigation():
                page.locator(f"#post-{first} a.author").click()
            profile = page_facts(page)
            profile["lists"] = page.locator(f"#post-{first}").count() == 1
            page.go_back()
            page.wait_for_selector(f"#post-{first}")
            with page.expect_navigation():
                page.locator(f"#post-{first} a.permalink").click()
            thread = page_facts(page)
            say("links", profile=profile, thread=thread)

            # Each hostile post on the pages it is listed on.
            pages = []
            for post in order["hostile"]:
                page.goto(base + post["path"])
                pages.append({"id": post["id"], "page": page_facts(page), "article": article(page, post["id"])})
            say("pages", pages=pages)

            say(
                "report",
                dialogs=observer.dialogs,
                console=observer.console,
                errors=observer.errors,
                failed=observer.failed,
                assets=observer.assets,
            )
        finally:
            browser.close()


if __name__ == "__main__":
    try:
        run(sys.argv[1].rstrip("/"))
    except Exception as error:
        say("error", error=f"{type(error).__name__}: {error}", trace=traceback.format_exc())
        sys.exit(1)
