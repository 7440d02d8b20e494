"""Temporary exploration (not committed)."""
import json
from browser_helpers import PHONE, sign_in, AXE

def survey(page, what, out):
    page.wait_for_load_state("networkidle")
    info = {"what": what, "url": page.url}
    info["overflow"] = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    page.evaluate(AXE.read_text())
    r = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa']}})""")
    info["axe"] = [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in r["violations"]]
    info["csp"] = list(page.csp_blocked)
    page.csp_blocked.clear()
    # links on page: check status of internal links
    hrefs = page.evaluate("[...document.querySelectorAll('main a[href]')].map(a => a.href)")
    dead = []
    for h in set(hrefs):
        if h.startswith("http://127.0.0.1") and "/logget-ud" not in h and "/filer/" not in h:
            resp = page.request.get(h, max_redirects=0)
            if resp.status >= 400:
                dead.append((h, resp.status))
    info["dead"] = dead
    # wide elements
    info["wide"] = page.evaluate("""() => [...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0,5).map(e => e.tagName + '#' + e.id + '.' + e.className)""")
    out.append(info)

def test_explore(new_page, live_server, seeded):
    out = []
    for phone in (False, True):
        opts = PHONE if phone else {}
        p = new_page(**opts)
        sign_in(p, live_server, "Medarbejder", slug="norddjurs")
        tag = "phone " if phone else ""
        p.goto(f"{live_server}/norddjurs/katalog"); survey(p, tag+"catalogue", out)
        p.goto(f"{live_server}/norddjurs/katalog?q=robot&sort=newest"); survey(p, tag+"catalogue q", out)
        first = p.locator("#entries li h2 a").first
        first.click(); p.wait_for_url("**/katalog/*-*"); survey(p, tag+"entry", out)
        entry = p.url
        p.goto(entry + "/kontakt"); survey(p, tag+"contact", out)
        p.goto(f"{live_server}/norddjurs/processer/ny"); survey(p, tag+"new idea", out)
        p.get_by_label("Titel").fill("Robot til sygedagpenge opfølgning")
        p.wait_for_timeout(1500)
        out.append({"similar while typing": p.locator("#catalogue-similar").count(), "html": p.locator("#catalogue-similar").inner_text() if p.locator("#catalogue-similar").count() else ""})
        survey(p, tag+"new idea typed", out)
        t = new_page(**opts)
        sign_in(t, live_server, "Automatiseringskonsulent")
        t.goto(f"{live_server}/syddjurs/katalog/indbakke"); survey(t, tag+"inbox empty", out)
        t.goto(f"{live_server}/syddjurs/processer"); 
        t.locator("table a").first.click(); t.wait_for_url("**/processer/*-*"); survey(t, tag+"process page", out)
        pu = t.url
        t.goto(pu + "/del"); survey(t, tag+"preview", out)
        t.goto(pu + "/rediger"); survey(t, tag+"edit", out)
        out.append({"estimates": t.locator("#catalogue-estimates").count(), "similar on process": None})
        o = new_page(**opts)
        o.goto(live_server + "/operator/login")
        o.get_by_role("button", name="Log ind som demo-operatør").click()
        o.goto(live_server + "/operator/katalog/"); survey(o, tag+"operator list", out)
        o.locator("#catalogue-entries tbody tr th a").first.click(); survey(o, tag+"operator entry", out)
    open("/tmp/explore/out.json","w").write(json.dumps(out, indent=1, ensure_ascii=False))
