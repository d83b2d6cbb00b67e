#!/usr/bin/python3
"""console.py: the web console driven in Debian's headless chromium through
chromium-driver (selenium), as each role uses it.  Run by
tests/integration/t_console.sh, which starts eseald and passes URL, T (its
temporary directory: CSRs, fingerprints, downloads in T/dl), SHOTS (where
the screenshots go) and the initial passwords RA_PW, AUD_PW, ADM_PW.

Prints "  ok   ..." / "  FAIL ..." per check and "N passed, N failed" last.
"""
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from urllib.parse import urlparse

from selenium import webdriver
from selenium.common.exceptions import (NoAlertPresentException,
                                        TimeoutException)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

URL = os.environ["URL"]
T = os.environ["T"]
SHOTS = os.environ["SHOTS"]
ORIGIN = URL.rstrip("/")
CON = ORIGIN + "/console/"
HOSTILE = '<img src=x onerror=alert(1)>"><script>'
REJECT_REASON = "the name does not match the registry extract"
RA_NEW = "ra officer password 2026"
AUD_NEW = "auditor password 2026"
ADM_NEW = "admin password 2026"

passed = failed = 0


def check(desc, cond, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("  ok   " + desc)
    else:
        failed += 1
        print("  FAIL " + desc + (": " + str(detail) if detail else ""))
    sys.stdout.flush()
    return cond


def browser(lang="en-US"):
    o = webdriver.ChromeOptions()
    o.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--disable-dev-shm-usage", "--window-size=1280,1000",
              "--lang=" + lang, "--no-first-run",
              "--disable-background-networking",
              "--disable-component-update", "--disable-sync",
              "--disable-default-apps"):
        o.add_argument(a)
    o.accept_insecure_certs = True  # the test's own self-signed TLS cert
    o.add_experimental_option("prefs", {
        "intl.accept_languages": lang,
        "download.default_directory": T + "/dl",
        "download.prompt_for_download": False,
    })
    o.set_capability("goog:loggingPrefs",
                     {"performance": "ALL", "browser": "ALL"})
    d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    d.set_page_load_timeout(30)
    d.execute_cdp_cmd("Browser.setDownloadBehavior",
                      {"behavior": "allow", "downloadPath": T + "/dl"})
    return d


def wait(d, cond, secs=15):
    return WebDriverWait(d, secs).until(cond)


def el(d, css, secs=15):
    return wait(d, EC.presence_of_element_located((By.CSS_SELECTOR, css)),
                secs)


def visible(d, css, secs=15):
    return wait(d, EC.visibility_of_element_located((By.CSS_SELECTOR, css)),
                secs)


def text_in(d, css, text, secs=15):
    try:
        wait(d, EC.text_to_be_present_in_element((By.CSS_SELECTOR, css),
                                                 text), secs)
        return True
    except TimeoutException:
        return False


def go(d, page):
    """Opens a console page (#/page) and waits for it to render."""
    if not d.current_url.startswith(CON):
        d.get(CON + "#/" + page)
    elif d.execute_script("return location.hash") == "#/" + page:
        d.refresh()  # the same hash fires no hashchange
    else:
        d.execute_script("location.hash = arguments[0]", "#/" + page)
    el(d, "main h1")
    time.sleep(0.3)


def shot(d, name):
    d.execute_script("window.scrollTo(0, 0)")
    h = d.execute_script("return Math.min(4000, Math.max("
                         "document.documentElement.scrollHeight, 700))")
    d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": 1280, "height": h, "deviceScaleFactor": 1, "mobile": False})
    time.sleep(0.2)
    d.save_screenshot(os.path.join(SHOTS, name + ".png"))
    d.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def no_alert(d):
    try:
        d.switch_to.alert
        return False
    except NoAlertPresentException:
        return True


def hostile_is_text(d, where):
    """The hostile name shows as text: no alert, no img, no extra script."""
    src = d.execute_script("return document.body.innerText")
    check(where + ": hostile name shown as text", HOSTILE in src)
    check(where + ": no alert", no_alert(d))
    n = d.execute_script("return [document.images.length, "
                         "document.scripts.length, "
                         "document.querySelectorAll('main script, "
                         "main img').length]")
    check(where + ": no img and no script node made from it "
          "(one script: the module)", n == [0, 1, 0], n)


def set_input(d, css, value):
    e = el(d, css)
    e.clear()
    e.send_keys(value)


def login(d, user, pw, new_pw=None):
    go(d, "login")
    set_input(d, "#login-user", user)
    set_input(d, "#login-pw", pw)
    el(d, "#login-submit").click()
    if new_pw is None:
        # logged in and moved on to the role's first page
        wait(d, lambda x: x.execute_script(
            "return !!sessionStorage.getItem('eseal.session') && "
            "location.hash !== '#/login'"))
        el(d, "main h1")
        return
    visible(d, "#pw-form")
    set_input(d, "#pw-old", pw)
    set_input(d, "#pw-new", new_pw)
    set_input(d, "#pw-new2", new_pw)
    el(d, "#pw-submit").click()
    wait(d, lambda x: x.execute_script(
        "return JSON.parse(sessionStorage.getItem('eseal.session')||'{}')"
        ".must_change === false"))


def logout(d):
    el(d, "#logout").click()
    visible(d, "#login-form")


def api(d, method, path, body=None, token=None):
    """fetch() from the page itself, as a forged call would be made."""
    return d.execute_async_script("""
        const [m, p, b, tok, done] = arguments;
        const s = JSON.parse(sessionStorage.getItem('eseal.session')||'null');
        const h = {'Content-Type': 'application/json'};
        const t = tok || (s && s.token);
        if (t) h['Authorization'] = 'Bearer ' + t;
        fetch(p, {method: m, headers: h, body: b ? JSON.stringify(b) : undefined})
          .then(async r => done([r.status, await r.text()]))
          .catch(e => done([0, String(e)]));""", method, path, body, token)


def ra_setup(d):
    d.get(CON)
    el(d, "main h1")
    shot(d, "home")
    check("home: English for an en-US browser",
          text_in(d, "#nav", "Enrol"))
    go(d, "queue")
    check("an operator page without a session asks for a login",
          text_in(d, "main", "Log in first"))
    go(d, "login")
    set_input(d, "#login-user", "ra1")
    set_input(d, "#login-pw", os.environ["RA_PW"])
    shot(d, "login")
    el(d, "#login-submit").click()
    visible(d, "#pw-form")
    check("first login: the password change form, nothing else",
          text_in(d, "#pw-form", "first login"))
    go(d, "orgs")
    check("first login: other pages go back to the password change",
          el(d, "#pw-form") is not None)
    set_input(d, "#pw-old", os.environ["RA_PW"])
    set_input(d, "#pw-new", RA_NEW)
    set_input(d, "#pw-new2", RA_NEW + "x")
    el(d, "#pw-submit").click()
    check("password change: two different new passwords refused",
          text_in(d, "#banner", "differ"))
    set_input(d, "#pw-new2", RA_NEW)
    shot(d, "password-change")
    el(d, "#pw-submit").click()
    visible(d, "#queue")
    check("after the change: the queue, empty",
          text_in(d, "#queue", "No request"))
    check("idle timeout shown", re.search(
        r"idle timeout in \d+:\d\d", el(d, "#idle").text) is not None,
        el(d, "#idle").text)
    check("token in sessionStorage, nothing in localStorage",
          d.execute_script("return !!JSON.parse(sessionStorage.getItem("
                           "'eseal.session')).token && "
                           "localStorage.length === 0"))
    check("no cookie", d.execute_script("return document.cookie") == "")

    go(d, "orgs")
    visible(d, "#org-form")
    set_input(d, "#org-name", "株式会社サンプル")
    set_input(d, "#org-en", "Sample Co., Ltd.")
    set_input(d, "#org-corp", "7123456789013")
    set_input(d, "#org-evidence", "registry extract 2026-11-20 #4711")
    el(d, "#org-submit").click()
    check("register with a bad check digit: the server's rule shown",
          text_in(d, "#banner", "check digit"))
    set_input(d, "#org-corp", "7123456789012")
    el(d, "#org-submit").click()
    check("register: NTRJP- identifier shown",
          text_in(d, "#banner", "NTRJP-7123456789012"))
    el(d, "#org-name").send_keys(HOSTILE)
    set_input(d, "#org-corp", "4011001098993")
    set_input(d, "#org-evidence", "registry extract #4712")
    el(d, "#org-submit").click()
    check("register the hostile name",
          text_in(d, "#banner", "NTRJP-4011001098993"))
    text_in(d, "#orgs-table", "NTRJP-4011001098993")
    hostile_is_text(d, "organisations")
    codes = {}
    for oid in (1, 2):
        el(d, "#code-%d" % oid).click()
        codes[oid] = visible(d, "#code-out-%d code" % oid).text
    check("enrolment codes shown", all(len(c) >= 16 for c in codes.values()),
          codes)
    shot(d, "organisations")
    logout(d)
    check("logout: the token is gone from sessionStorage",
          d.execute_script("return sessionStorage.getItem('eseal.session')")
          is None)
    return codes


def enrol(d, code, csr_path, holder, name, title, tag):
    go(d, "enrol")
    visible(d, "#disclosure")
    disc = json.load(open(T + "/disclosure.json"))
    check(tag + ": disclosure version and SHA-256 shown",
          el(d, "#disc-version").text == disc["version"] and
          el(d, "#disc-sha256").text == disc["sha256"])
    ja = el(d, "#disc-ja pre").text
    en = el(d, "#disc-en pre").text
    check(tag + ": the disclosure in full, Japanese and English",
          ja.split() == disc["text"]["ja"].split() and
          en.split() == disc["text"]["en"].split() and "eシール" in ja)
    set_input(d, "#code", code)
    set_input(d, "#ack-name", name)
    set_input(d, "#ack-title", title)
    el(d, "#csr-file").send_keys(csr_path)
    el(d, "#holder-" + holder).click()
    el(d, "#enrol-submit").click()
    check(tag + ": not acknowledged yet: refused in the page",
          text_in(d, "#banner", "acknowledged first"))
    el(d, "#ack-read").click()
    if tag == "subscriber 1":
        shot(d, "enrol")
    el(d, "#enrol-submit").click()
    visible(d, "#new-token")
    rid = el(d, "#new-id").text
    tok = el(d, "#new-token").text
    check(tag + ": request received, pending",
          el(d, "#new-status").text.startswith("pending") and
          re.fullmatch(r"[A-Za-z0-9_-]{20,}", tok) is not None, tok)
    if tag == "subscriber 1":
        shot(d, "enrol-done")
    return rid, tok


def ra_decide(d):
    login(d, "ra1", RA_NEW)
    visible(d, "#queue-table")
    rows = d.find_elements(By.CSS_SELECTOR, "#queue-table tbody tr")
    check("queue: both requests", len(rows) == 2, len(rows))
    txt = el(d, "#queue-table").text
    fp1 = open(T + "/sub1.fp").read().strip()
    fp2 = open(T + "/sub2.fp").read().strip()
    check("queue: organisation name, identifier and corporate number",
          "株式会社サンプル" in txt and "NTRJP-7123456789012" in txt and
          "7123456789012" in txt)
    check("queue: SHA-256 of each CSR's key, as openssl computes it",
          fp1 in txt and fp2 in txt)
    check("queue: key type, key holder, disclosure and who acknowledged",
          "ec-p256" in txt and "remote sealing service" in txt and
          "山田太郎 (代表取締役)" in txt)
    hostile_is_text(d, "queue")
    shot(d, "queue")
    el(d, "#approve-1").click()
    check("approve: issued", text_in(d, "#banner", "Approved and issued"))
    el(d, "#reject-2").click()
    check("reject without a reason: refused in the page",
          text_in(d, "#banner", "needs a reason"))
    el(d, "#reason-2").send_keys(REJECT_REASON)
    el(d, "#reject-2").click()
    check("reject: done", text_in(d, "#banner", "Rejected"))
    time.sleep(0.5)
    check("queue: empty after the decisions",
          text_in(d, "#queue", "No request"))
    Select(el(d, "#queue-status")).select_by_value("rejected")
    check("queue: the rejected one with its reason",
          text_in(d, "#queue-table", REJECT_REASON))
    hostile_is_text(d, "rejected list")
    logout(d)


def wait_file(path, secs=10):
    end = time.time() + secs
    while time.time() < end:
        if os.path.exists(path) and os.path.getsize(path) > 0 and \
                not os.path.exists(path + ".crdownload"):
            return True
        time.sleep(0.1)
    return False


def subscriber_gets(d, rid, tok):
    go(d, "request?id=" + rid)
    set_input(d, "#req-token", tok)
    el(d, "#req-submit").click()
    check("subscriber: issued", text_in(d, "#req-status", "issued"))
    serial = el(d, "#req-serial").text
    names = {"dl-cert-pem": "cert.pem", "dl-cert-der": "cert.der",
             "dl-chain-pem": "chain.pem", "dl-chain-der": "chain.der"}
    for link, want in names.items():
        a = el(d, "#" + link)
        got = a.get_attribute("download")
        a.click()
        path = os.path.join(T, "dl", got)
        ok = wait_file(path)
        check("download " + link + " (" + got + ")", ok)
        if ok:
            shutil.copy(path, os.path.join(T, "dl", want))
    shot(d, "request-issued")
    return serial


def subscriber_revokes(d, serial):
    Select(el(d, "#sub-revoke-reason")).select_by_value("keyCompromise")
    el(d, "#sub-revoke-submit").click()
    check("revocation needs the confirmation box",
          d.execute_script("return !document.getElementById("
                           "'sub-revoke').checkValidity()"))
    el(d, "#sub-revoke-sure").click()
    el(d, "#sub-revoke-submit").click()
    check("subscriber revokes from its page",
          text_in(d, "#banner", "Revoked: " + serial + " (keyCompromise)"))


def standalone_revoke(d, serial, tok):
    go(d, "revoke")
    set_input(d, "#rv-serial", serial)
    set_input(d, "#rv-cred", "wrong-credential")
    el(d, "#rv-form button").click()
    check("revoke page: a wrong credential gets the server's 401",
          text_in(d, "#banner", "401"))
    set_input(d, "#rv-cred", tok)
    Select(el(d, "#rv-reason")).select_by_value("superseded")
    el(d, "#rv-form button").click()
    check("revoke page: revoked already: the server's 409 shown",
          text_in(d, "#banner", "409"))
    shot(d, "revoke")


def subscriber_rejected(d, rid, tok):
    go(d, "request?id=" + rid)
    set_input(d, "#req-token", tok)
    el(d, "#req-submit").click()
    check("subscriber 2: rejected", text_in(d, "#req-status", "rejected"))
    check("subscriber 2: the RA's reason",
          el(d, "#req-reason").text == REJECT_REASON)
    check("subscriber 2: nothing to download",
          not d.find_elements(By.CSS_SELECTOR, "#downloads"))
    shot(d, "request-rejected")
    set_input(d, "#req-token", "not-the-token")
    el(d, "#req-submit").click()
    check("wrong token: the server's 401 shown",
          text_in(d, "#req-error", "401"))


def ra_certs(d, serial):
    login(d, "ra1", RA_NEW)
    go(d, "certs")
    set_input(d, "#cs-serial", serial[:10])
    el(d, "#cs-submit").click()
    time.sleep(0.5)
    check("certificate search by serial: revoked, with the reason",
          text_in(d, "#certs-table", serial) and
          text_in(d, "#certs-table", "keyCompromise"))
    set_input(d, "#cs-serial", "")
    set_input(d, "#cs-org", "onerror")
    el(d, "#cs-submit").click()
    check("search by a piece of the hostile name: nothing issued",
          text_in(d, "#certs", "No certificate"))
    # A second certificate for the same organisation, issued at the CA
    # with esealctl: the RA revokes it from this page.
    out = subprocess.run([os.environ["ESEALCTL"], "--config",
                          os.environ["CONF"], "issue", "--csr",
                          T + "/sub3.csr", "--org", "NTRJP-7123456789012",
                          "--out", T + "/sub3.pem"], capture_output=True,
                         text=True)
    check("esealctl issue for the organisation", out.returncode == 0,
          out.stderr)
    db = sqlite3.connect(T + "/eseal.db")
    serial3 = db.execute("SELECT serial FROM certificates WHERE serial != ? "
                         "AND status = 'issued'", (serial,)).fetchone()[0]
    db.close()
    set_input(d, "#cs-org", "サンプル")
    el(d, "#cs-submit").click()
    time.sleep(0.5)
    rows = d.find_elements(By.CSS_SELECTOR, "#certs-table tbody tr")
    check("certificate search by organisation name: both",
          len(rows) == 2 and text_in(d, "#certs-table", serial) and
          text_in(d, "#certs-table", serial3), (len(rows), serial3))
    shot(d, "certificates")
    Select(el(d, "#cr-reason-" + serial3)).select_by_value("superseded")
    el(d, "#cr-revoke-" + serial3).click()
    check("RA revokes from the certificates page",
          text_in(d, "#banner", "Revoked: " + serial3))
    time.sleep(0.5)
    check("certificates page: no revoke button left",
          not d.find_elements(By.CSS_SELECTOR, "[id^=cr-revoke-]") and
          text_in(d, "#certs-table", "superseded"))
    logout(d)


def auditor(d):
    login(d, "aud1", os.environ["AUD_PW"], AUD_NEW)
    go(d, "queue")
    Select(el(d, "#queue-status")).select_by_value("rejected")
    visible(d, "#queue-table")
    check("auditor: sees the queue", text_in(d, "#queue-table",
                                             REJECT_REASON))
    go(d, "queue")
    Select(el(d, "#queue-status")).select_by_value("issued")
    visible(d, "#queue-table")
    check("auditor: no approve or reject button",
          not d.find_elements(By.CSS_SELECTOR,
                              "button.approve, button.reject"))
    st, body = api(d, "POST", "/api/v1/requests/1/approve", {})
    check("auditor: a forged approve from the page gets 403",
          st == 403 and "forbidden" in body, (st, body))
    st, body = api(d, "POST", "/api/v1/organizations/1/enrolment-codes", {})
    check("auditor: a forged enrolment code gets 403", st == 403,
          (st, body))
    go(d, "orgs")
    check("auditor: no registration form, no code button",
          not d.find_elements(By.CSS_SELECTOR, "#org-form, #code-1"))
    hostile_is_text(d, "auditor's organisations")
    go(d, "audit")
    el(d, "#audit-verify").click()
    check("audit: the whole chain verified from the page: intact",
          text_in(d, "#audit-verify-out", "Intact"),
          el(d, "#audit-verify-out").text)
    st, _ = api(d, "GET", "/api/v1/audit?limit=1")
    if st == 200:
        visible(d, "#audit-table")
        check("audit: the records, with the RA's approval",
              text_in(d, "#audit-table", "ra1"))
        hostile_is_text(d, "audit trail")
        set_input(d, "#audit-f-actor", "ra1")
        el(d, "#audit-filters button").click()
        time.sleep(0.5)
        actors = [e.text for e in d.find_elements(
            By.CSS_SELECTOR, "#audit-table tbody tr td:nth-child(3)")]
        check("audit: filtered by actor", actors and
              all(a == "ra1" for a in actors), actors)
        set_input(d, "#audit-f-actor", "")
        el(d, "#audit-filters button").click()
        time.sleep(0.3)
    for page, key in (("audit", "audit"), ("operations", "ops")):
        go(d, page)
        el(d, "#%s-box > *" % key)
        time.sleep(0.5)
        st, _ = api(d, "GET", "/api/v1/" + page + "?limit=1")
        if st == 404:
            check(page + ": 'not available' while the route is missing",
                  text_in(d, "#%s-unavailable" % key, "Not available"))
        else:
            check(page + ": the route answers " + str(st) + " and the page "
                  "shows its rows, not an error",
                  st == 200 and not d.find_elements(
                      By.CSS_SELECTOR, "#%s-box .error" % key), st)
        if page == "audit":
            el(d, "#audit-verify").click()
            text_in(d, "#audit-verify-out", "Intact")
        shot(d, page)
    logout(d)


def tampered(d):
    """A record edited behind the CA's back: the audit page says so."""
    db = sqlite3.connect(T + "/eseal.db")
    db.execute("UPDATE audit SET detail = detail || ' edited' WHERE seq = 3")
    db.commit()
    db.close()
    login(d, "aud1", AUD_NEW)
    go(d, "audit")
    el(d, "#audit-verify").click()
    check("audit: an edited record: NOT intact, naming it",
          text_in(d, "#audit-verify-out", "NOT intact") and
          text_in(d, "#audit-verify-out", "record 3"),
          el(d, "#audit-verify-out").text)
    shot(d, "audit-tampered")
    logout(d)


def admin(d, serial):
    login(d, "adm1", os.environ["ADM_PW"], ADM_NEW)
    go(d, "status")
    visible(d, "#issuers-table")
    check("status: the issuer, active", text_in(d, "#issuers-table", "it-ca")
          and text_in(d, "#issuers-table", "active"))
    check("status: counts (0 valid, 2 revoked, 2 organisations)",
          el(d, "#count-issued strong").text == "0" and
          el(d, "#count-revoked strong").text == "2" and
          el(d, "#count-organizations strong").text == "2")
    check("status: the HSM token's CMVP status", text_in(d, "#hsm-token",
                                                          "SoftHSM"))
    check("status: registry modules with a sunset",
          len(d.find_elements(By.CSS_SELECTOR,
                              "#modules-table tbody tr")) >= 1)
    check("status: CRL per shard", text_in(d, "#crls-table", "it-ca"))
    bars = d.find_elements(By.CSS_SELECTOR, "#chart-per-day rect.bar")
    check("status: issuance per day, one SVG bar per day (30)",
          len(bars) == 30, len(bars))
    today = [b for b in bars if b.find_element(By.TAG_NAME, "title")
             .get_attribute("textContent").endswith(": 2")]
    check("status: today's bar counts the two issued", len(today) == 1)
    check("status: sunset timeline in SVG",
          len(d.find_elements(By.CSS_SELECTOR, "#chart-sunset circle")) >= 1)
    shot(d, "status")
    st, body = api(d, "GET", "/api/v1/operations")
    if st == 200:
        st, body = api(d, "POST", "/api/v1/operations", {
            "kind": "key.generate", "parameters": {"type": "ec-p384"}})
        check("admin proposes an operation (dual control): 201 pending",
              st == 201 and '"pending"' in body, (st, body))
        go(d, "operations")
        check("operations page: the proposal with its kind and status",
              text_in(d, "#ops-table", "key.generate") and
              text_in(d, "#ops-table", "pending"))
        set_input(d, "#ops-f-status", "executed")
        el(d, "#ops-filters button").click()
        check("operations page: filtered by status",
              text_in(d, "#ops-box", "Nothing to show"))
        set_input(d, "#ops-f-status", "")
        el(d, "#ops-filters button").click()
        text_in(d, "#ops-table", "key.generate")
        shot(d, "operations")
    logout(d)


def japanese():
    d = browser("ja-JP")
    try:
        d.get(CON + "#/enrol")
        visible(d, "#disclosure")
        check("ja-JP browser: Japanese pages",
              text_in(d, "main h1", "申込み") and
              d.execute_script("return document.documentElement.lang")
              == "ja")
        shot(d, "enrol-ja")
        el(d, "#lang").click()
        check("language switch: English", text_in(d, "main h1", "Enrolment"))
        el(d, "#lang").click()
        check("language switch: back to Japanese",
              text_in(d, "main h1", "申込み"))
    finally:
        d.quit()


def origin_only(d):
    """Every request the browser made went to the CA's own origin."""
    urls = set()
    for e in d.get_log("performance"):
        m = json.loads(e["message"])["message"]
        if m.get("method") == "Network.requestWillBeSent":
            urls.add(m["params"]["request"]["url"])
    own = urlparse(ORIGIN)
    bad = [u for u in urls if not u.startswith("blob:") and
           not u.startswith("data:") and
           (urlparse(u).scheme, urlparse(u).netloc) !=
           (own.scheme, own.netloc)]
    check("performance log: requests seen (%d)" % len(urls), len(urls) > 10)
    check("performance log: no request left the CA's origin", not bad, bad)
    api_calls = [u for u in urls if "/api/v1/" in u]
    check("performance log: the console is a client of /api/v1",
          len(api_calls) > 5)
    logs = d.get_log("browser")
    csp = [x["message"] for x in logs if "Content Security Policy" in
           x["message"] or "Refused to" in x["message"]]
    check("no CSP violation in the console's log", not csp, csp)
    mods = d.execute_script("return [...document.scripts].map(s => "
                            "[s.type, !!s.src, s.textContent.length])")
    check("JavaScript modules only, none inline", mods == [["module", True,
                                                            0]], mods)


def second_factor():
    """Outside the secure zone: the login asks for the one-time code."""
    d = browser()
    try:
        go(d, "login")
        set_input(d, "#login-user", "adm1")
        set_input(d, "#login-pw", ADM_NEW)
        el(d, "#login-submit").click()
        check("outside the zone: the server's 'second factor' shown",
              text_in(d, "#banner", "second factor"))
        visible(d, "#login-otp")
        check("outside the zone: the one-time code field appears", True)
        now = int(time.time())
        code = subprocess.run(["oathtool", "--totp", "-b",
                               os.environ["TOTP_SECRET"], "-N",
                               "@%d" % (now + 30)], capture_output=True,
                              text=True).stdout.strip()
        set_input(d, "#login-otp", code)
        shot(d, "login-totp")
        el(d, "#login-submit").click()
        visible(d, "#issuers-table")
        check("password + TOTP: logged in, on the status page",
              text_in(d, "#whoami", "adm1"))
    except Exception as e:
        check("second-factor steps ran to the end", False, repr(e))
    finally:
        d.quit()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ["totp"]:
        return second_factor()
    d = browser()
    try:
        codes = ra_setup(d)
        rid1, tok1 = enrol(d, codes[1], T + "/sub1.csr", "subscriber",
                           "山田太郎", "代表取締役", "subscriber 1")
        rid2, tok2 = enrol(d, codes[2], T + "/sub2.der", "remote-service",
                           "Mallory", "CEO", "subscriber 2 (DER CSR)")
        ra_decide(d)
        serial = subscriber_gets(d, rid1, tok1)
        subscriber_revokes(d, serial)
        standalone_revoke(d, serial, tok1)
        subscriber_rejected(d, rid2, tok2)
        ra_certs(d, serial)
        auditor(d)
        admin(d, serial)
        origin_only(d)
        tampered(d)
    except Exception as e:  # a step that could not run is a failure
        check("browser steps ran to the end", False, repr(e))
        try:
            d.save_screenshot(os.path.join(SHOTS, "failure.png"))
        except Exception:
            pass
    finally:
        d.quit()
    try:
        japanese()
    except Exception as e:
        check("Japanese browser steps ran", False, repr(e))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
