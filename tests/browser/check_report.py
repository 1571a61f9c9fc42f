#!/usr/bin/env python3
"""Loads an HTML report of sigaudit in a real headless Chromium and checks it, Python stdlib only.

Chromium is driven over the DevTools protocol on a pipe (--remote-debugging-pipe: commands on
fd 3, replies and events on fd 4, NUL-delimited JSON). For report.html and every image page it
links to, with JavaScript enabled and disabled, it records console errors, exceptions and every
network request other than the page's own file, and counts the image rows. On the first page
with images it types a filter term, counts the rows still shown, and sorts by a column. It takes
a screenshot (PNG) of report.html and prints one JSON object on stdout.

usage: check_report.py REPORT_HTML --filter TERM --screenshot OUT.png [--chromium PATH]
"""

import argparse
import base64
import fcntl
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time


class Browser:
    """One headless Chromium and one page (a target attached in flat mode)."""

    def __init__(self, binary, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="sigaudit-chromium-")
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def child_fds():
            # The browser reads commands on fd 3 and writes on fd 4. Both ends are first moved
            # above 10, so neither is overwritten by the other's dup2.
            r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            binary,
            "--headless=new",
            "--remote-debugging-pipe",
            "--user-data-dir=" + self.profile,
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-gpu",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            "about:blank",
        ]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")
        self.proc = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            # Python's own descriptors are close-on-exec; the two dup2'ed ones are inherited.
            close_fds=False,
            preexec_fn=child_fds,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.session = None
        target = self.call("Target.createTarget", {"url": "about:blank"}, session=False)
        attached = self.call(
            "Target.attachToTarget",
            {"targetId": target["targetId"], "flatten": True},
            session=False,
        )
        self.session = attached["sessionId"]
        for domain in ("Runtime", "Log", "Network", "Page", "DOM"):
            self.call(domain + ".enable")

    def _read_message(self, deadline):
        while b"\0" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError("no reply from chromium")
            chunk = os.read(self.from_browser, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.stderr else ""
                raise RuntimeError("chromium closed the pipe: " + err[-2000:])
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def call(self, method, params=None, session=True):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session and self.session:
            msg["sessionId"] = self.session
        os.write(self.to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def wait_event(self, method, since):
        deadline = time.monotonic() + self.timeout
        while True:
            for e in self.events[since:]:
                if e["method"] == method:
                    return e
            since = len(self.events)
            self.events.append(self._read_message(deadline))

    def evaluate(self, expression):
        r = self.call(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
        )
        if "exceptionDetails" in r:
            raise RuntimeError(f"{expression}: {r['exceptionDetails']}")
        return r["result"].get("value")

    def load(self, url):
        """Navigates and waits for the load event; returns the milliseconds it took."""
        since = len(self.events)
        start = time.monotonic()
        self.call("Page.navigate", {"url": url})
        self.wait_event("Page.loadEventFired", since)
        return round((time.monotonic() - start) * 1000), since

    def count(self, selector):
        """Elements matching `selector`, through the DOM domain (works with scripts disabled)."""
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        return len(self.call("DOM.querySelectorAll", {"nodeId": root, "selector": selector})["nodeIds"])

    def html_attribute(self, name):
        root = self.call("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        html = self.call("DOM.querySelector", {"nodeId": root, "selector": "html"})["nodeId"]
        attrs = self.call("DOM.getAttributes", {"nodeId": html})["attributes"]
        return dict(zip(attrs[::2], attrs[1::2])).get(name)

    def close(self):
        try:
            self.call("Browser.close", session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_browser)
        os.close(self.from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)


# 190 mm (A4 less the print stylesheet's margins) at 96 CSS pixels per inch.
A4_CONTENT_PX = round(190 / 25.4 * 96)

# Measures the print layout (run under print media, the viewport as wide as the paper's
# content): every element within the paper's width; every visible table cell's width against 8
# characters ("00000000") of its own font;
# every result code and digest (code.rc, .dg) on one line and inside its cell; and every word of
# every table cell whose line breaks fall between two letters, digits or full stops (as in a
# digest shortened to sha256:0123456789ab...cdef), or beside an ellipsis: a word broken
# mid-word, found by the lines its characters are laid on.
PRINT_LAYOUT_JS = r"""
(() => {
  const visible = e => e.getClientRects().length > 0;
  // 8 characters of a font, measured once per font (a probe moved into each cell would lay a
  // page of a thousand images out again for every cell).
  const probe = document.createElement('span');
  probe.textContent = '00000000';
  probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;';
  document.body.appendChild(probe);
  const widths = new Map();
  const eight = cell => {
    const cs = getComputedStyle(cell);
    const font = [cs.fontStyle, cs.fontWeight, cs.fontSize, cs.fontFamily, cs.letterSpacing].join('|');
    if (!widths.has(font)) {
      probe.style.fontStyle = cs.fontStyle; probe.style.fontWeight = cs.fontWeight;
      probe.style.fontSize = cs.fontSize; probe.style.fontFamily = cs.fontFamily;
      probe.style.letterSpacing = cs.letterSpacing;
      widths.set(font, probe.getBoundingClientRect().width);
    }
    return widths.get(font);
  };
  const cells = [];
  let narrow = [];
  document.querySelectorAll('table').forEach(t => {
    t.querySelectorAll(':scope > * > tr > th, :scope > * > tr > td, :scope > tr > th, :scope > tr > td')
      .forEach(c => {
        if (!visible(c)) return;
        const min = eight(c);
        const w = c.getBoundingClientRect().width;
        cells.push(w);
        if (w + 0.5 < min) narrow.push({table: t.id || t.className, cell: c.textContent.trim().slice(0, 40),
                                        width: Math.round(w), min: Math.round(min)});
      });
  });
  const whole = [];
  const overflow = [];
  let whole_checked = 0;
  document.querySelectorAll('code.rc, .dg').forEach(e => {
    if (!visible(e)) return;
    whole_checked++;
    const tops = new Set(Array.from(e.getClientRects()).map(r => Math.round(r.top)));
    if (tops.size > 1) whole.push(e.textContent);
    const cell = e.closest('td, th');
    if (cell && e.getBoundingClientRect().right > cell.getBoundingClientRect().right + 1)
      overflow.push(e.textContent);
  });
  const broken = [];
  let words = 0;
  const alnum = /[\p{L}\p{N}.\u2026\u22ef]/u;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const range = document.createRange();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || !el.closest('td, th') || !visible(el)) continue;
    const text = n.data;
    const re = /\S+/g;
    let m;
    while ((m = re.exec(text))) {
      words++;
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      if (new Set(Array.from(range.getClientRects()).map(r => Math.round(r.top))).size < 2) continue;
      // The word spans lines: find where, character by character.
      let prevTop = null;
      for (let i = 0; i < m[0].length; i++) {
        range.setStart(n, m.index + i);
        range.setEnd(n, m.index + i + 1);
        const r = range.getClientRects()[0];
        if (!r) continue;
        const top = Math.round(r.top);
        if (prevTop !== null && top > prevTop + 2 &&
            alnum.test(m[0][i - 1]) && alnum.test(m[0][i])) {
          broken.push(m[0].slice(0, 60) + ' (at ' + i + ')');
          break;
        }
        prevTop = top;
      }
    }
  }
  document.body.removeChild(probe);
  // Nothing wider than the paper: the page would cut it off.
  const page = document.documentElement.clientWidth;
  const too_wide = [];
  document.querySelectorAll('body *').forEach(e => {
    const r = e.getBoundingClientRect();
    if (r.width > 0 && r.right > page + 0.5)
      too_wide.push(e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + ': ' + (e.textContent || '').trim().slice(0, 40));
  });
  narrow.sort((a, b) => a.width - b.width);
  return {cells: cells.length, narrowest: Math.round(Math.min(...cells)), narrow: narrow.slice(0, 20),
          narrow_count: narrow.length, whole_checked, codes_or_digests_wrapped: whole,
          codes_or_digests_overflowing: overflow, words, broken_words: broken.slice(0, 20),
          broken_count: broken.length, checks_cells: document.querySelectorAll('table.checks td').length,
          page_width: page, wider_than_page: too_wide.slice(0, 20)};
})()
"""


def pdf_pages(data):
    """Pages of a PDF as Chromium writes it (page objects in the clear, no object streams)."""
    import re
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def problems(events, page_url):
    """Console errors, exceptions and foreign requests among `events`."""
    errors, requests = [], []
    for e in events:
        m, p = e["method"], e.get("params", {})
        if m == "Runtime.exceptionThrown":
            errors.append("exception: " + p.get("exceptionDetails", {}).get("exception", {}).get("description", json.dumps(p.get("exceptionDetails", {})))[:500])
        elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
            errors.append("console." + p["type"] + ": " + json.dumps(p.get("args", []))[:500])
        elif m == "Log.entryAdded" and p.get("entry", {}).get("level") in ("error", "warning"):
            entry = p["entry"]
            errors.append(f"log {entry.get('level')}: {entry.get('text')} {entry.get('url', '')}")
        elif m == "Network.requestWillBeSent":
            url = p.get("request", {}).get("url", "")
            if url != page_url:
                requests.append(url)
    return errors, requests


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("report")
    ap.add_argument("--filter", required=True, help="term typed into the filter box")
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    binary = shutil.which(a.chromium) or a.chromium
    report = pathlib.Path(a.report).resolve()
    out = {"report": str(report), "pages": [], "errors": [], "requests": []}

    b = Browser(binary, a.timeout)
    try:
        out["chromium"] = b.call("Browser.getVersion", session=False).get("product")
        # With JavaScript: report.html, then every image page it links to.
        url = report.as_uri()
        load_ms, since = b.load(url)
        pages = b.evaluate(
            "Array.from(document.querySelectorAll('a[data-page]')).map(a => a.href)"
        )
        out["overview"] = {
            "url": url,
            "load_ms": load_ms,
            "rows": b.count("#image-table tr.img"),
            "js": b.html_attribute("data-js"),
            "page_links": len(pages),
            "external_refs": b.evaluate(
                "Array.from(document.querySelectorAll('[src],[href]'))"
                ".map(e => e.getAttribute('src') || e.getAttribute('href'))"
                ".filter(v => !/^(#|report-images-[0-9]+\\.html(#.*)?$|report\\.html(#.*)?$)/.test(v))"
            ),
        }
        b.call("Page.captureScreenshot", {"format": "png"})  # warm-up: fonts, layout
        shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": False})
        path = pathlib.Path(a.screenshot)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        out["screenshot"] = str(path.resolve())
        errs, reqs = problems(b.events[since:], url)
        out["errors"] += errs
        out["requests"] += reqs

        first_with_rows = url if out["overview"]["rows"] > 0 else (pages[0] if pages else None)
        for page in pages:
            ms, since = b.load(page)
            rows = b.count("#image-table tr.img")
            nav = b.evaluate(
                "({prev: !!document.querySelector('a[rel=prev]'), next: !!document.querySelector('a[rel=next]')})"
            )
            out["pages"].append({"url": page, "load_ms": ms, "rows": rows, **nav})
            errs, reqs = problems(b.events[since:], page)
            out["errors"] += errs
            out["requests"] += reqs

        # Filter and sort, on the first page that has images.
        if first_with_rows:
            _, since = b.load(first_with_rows)
            visible = "document.querySelectorAll('#image-table tr.img:not(.hidden)').length"
            before = b.evaluate(visible)
            b.evaluate("document.getElementById('filter').focus()")
            b.call("Input.insertText", {"text": a.filter})
            b.evaluate("new Promise(r => setTimeout(r, 400))")
            after = b.evaluate(visible)
            # A second screenshot: the filtered images table, a drill-down opened.
            b.evaluate("(() => { const d = document.querySelector('#image-table tr.img:not(.hidden) details');"
                       " if (d) d.open = true; document.querySelector('.controls').scrollIntoView(); })()")
            shot = b.call("Page.captureScreenshot", {"format": "png"})
            images_shot = path.with_name(path.stem + "-images.png")
            images_shot.write_bytes(base64.b64decode(shot["data"]))
            out["screenshot_images"] = str(images_shot.resolve())
            shown_text = b.evaluate("document.getElementById('shown').textContent")
            b.evaluate("document.getElementById('filter').value = ''; "
                       "document.getElementById('filter').dispatchEvent(new Event('input'))")
            b.evaluate("new Promise(r => setTimeout(r, 400))")
            reset = b.evaluate(visible)
            # The compliance menu keeps the images failing a rule.
            b.evaluate("(() => { const s = document.getElementById('compliance-filter');"
                       " s.value = 'fail'; s.dispatchEvent(new Event('change')); })()")
            failing = b.evaluate(visible)
            b.evaluate("(() => { const s = document.getElementById('compliance-filter');"
                       " s.value = ''; s.dispatchEvent(new Event('change')); })()")
            out["compliance_filter"] = {"fail": failing, "after_clear": b.evaluate(visible)}
            # Sort by status (column 2), ascending then descending, within each repository.
            order = (
                "Array.from(document.querySelectorAll('#image-table tbody')).map(t => "
                "Array.from(t.querySelectorAll('tr.img')).map(r => r.cells[2].textContent.trim()))"
            )
            b.evaluate("document.querySelector('#image-table th[data-sort=\"2\"]').click()")
            asc = b.evaluate(order)
            b.evaluate("document.querySelector('#image-table th[data-sort=\"2\"]').click()")
            desc = b.evaluate(order)
            out["filter"] = {
                "url": first_with_rows,
                "term": a.filter,
                "before": before,
                "after": after,
                "shown_text": shown_text,
                "after_clear": reset,
            }
            out["sort"] = {
                "ascending": all(g == sorted(g) for g in asc),
                "descending": all(g == sorted(g, reverse=True) for g in desc),
                "changed_order": asc != desc,
            }
            errs, reqs = problems(b.events[since:], first_with_rows)
            out["errors"] += errs
            out["requests"] += reqs

        # Printing: with the print stylesheet, closed drill-downs show their content and the
        # controls and navigation are hidden; the PDF is kept beside the screenshot.
        if first_with_rows:
            b.load(first_with_rows)
            b.call("Emulation.setEmulatedMedia", {"media": "print"})
            out["print"] = b.evaluate(
                "(() => { const d = document.querySelector('#image-table details:not([open]) .sig');"
                " const c = document.querySelector('.controls');"
                " const n = document.querySelector('nav');"
                " return {drilldown_visible: !!d && d.getClientRects().length > 0,"
                " controls_hidden: !c || getComputedStyle(c).display === 'none',"
                " nav_hidden: !n || getComputedStyle(n).display === 'none'}; })()"
            )
            # The layout of the printed page: the viewport as wide as the A4 page's content
            # (210 mm less the stylesheet's 2 x 10 mm margins), print media.
            b.call("Emulation.setDeviceMetricsOverride",
                   {"width": A4_CONTENT_PX, "height": 1000, "deviceScaleFactor": 1, "mobile": False})
            b.call("Emulation.setScrollbarsHidden", {"hidden": True})
            out["print_layout"] = b.evaluate(PRINT_LAYOUT_JS)
            b.call("Emulation.setScrollbarsHidden", {"hidden": False})
            b.call("Emulation.clearDeviceMetricsOverride")
            b.call("Emulation.setEmulatedMedia", {"media": ""})
            # The stylesheet's @page (A4, its margins) decides the paper.
            pdf = b.call("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
            pdf_path = path.with_suffix(".pdf")
            data = base64.b64decode(pdf["data"])
            pdf_path.write_bytes(data)
            out["pdf"] = str(pdf_path.resolve())
            out["pdf_pages"] = pdf_pages(data)

        # Without JavaScript: every row is in the documents, the script never ran.
        b.call("Emulation.setScriptExecutionDisabled", {"value": True})
        _, since = b.load(url)
        nojs = {"overview_rows": b.count("#image-table tr.img"), "js": b.html_attribute("data-js"),
                "page_rows": 0, "controls": b.count(".controls"),
                "controls_hidden": b.count(".controls[hidden]")}
        for page in pages:
            b.load(page)
            nojs["page_rows"] += b.count("#image-table tr.img")
            nojs["controls"] += b.count(".controls")
            nojs["controls_hidden"] += b.count(".controls[hidden]")
        out["nojs"] = nojs
        errs, reqs = problems(b.events[since:], url)
        out["errors"] += errs
        out["requests"] += [r for r in reqs if r not in pages]
    finally:
        b.close()
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
