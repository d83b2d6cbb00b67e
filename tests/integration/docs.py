#!/usr/bin/python3
"""docs.py: what the documentation tests read out of the docs.

docs/doc-tests.md describes the markers; in short:

  examples TOP OUTDIR  Writes each runnable example to OUTDIR/NN.sh and
                       prints one line per example:
                       NN<TAB>ca<TAB>FILE[ name=N]<TAB>FILE:LINE ...
                       A runnable example is a Markdown fence opened with
                       ```sh example [name=N] [ca=none|new|running], or in a
                       man page the .nf/.fi block right after a line
                       .\\" example [name=N] [ca=...].  The blocks of one
                       file with the same name (default: one per file) make
                       one script, in order.
  lint TOP             Prints every literal command (esealctl, curl,
                       openssl) in a code block that is neither a runnable
                       example nor labelled with another language (```text,
                       ```ini), and every unmarked .nf block of a man page;
                       exits 1 if there is one.
  check-refs TOP ESEALCTL URL CAFILE
                       Checks each mention refs finds: an esealctl command
                       exists if `ESEALCTL WORDS --help` exits 0; a route
                       exists if the daemon at URL answers it otherwise
                       than a path it has no route for (404 "no such
                       resource"), with the method if one is named.  Prints
                       PASS or FAIL<TAB>what, one line per command or
                       route: a missing one passes only if every line
                       that mentions it says "(planned, issue N)".
  check-compliance TOP Checks that every test docs/compliance.md cites
                       exists: PASS or FAIL<TAB>what, one line each.
  refs TOP             Prints every mention of an esealctl command
                       ("esealctl WORDS", the COMMANDS of esealctl(8), the
                       first column of a table in a Markdown section whose
                       heading names esealctl) and of an HTTP route ("GET
                       /path", a local URL, $URL/path, {base}/path, `/path`)
                       in README.md, docs/ and conf/:
                       KIND<TAB>WHAT<TAB>METHOD<TAB>FILE:LINE<TAB>PLANNED
                       (KIND esealctl or route; PLANNED 1 when the line
                       says "(planned, issue N)").

Run by tests/integration/t_docs_examples.sh and t_docs_refs.sh.
"""
import os
import re
import shlex
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

# Commands whose literal use must be a runnable example (see lint).
COMMANDS = ("esealctl", "build/esealctl", "curl", "openssl")
# Languages of fenced blocks that hold commands to type.
SHELL_LANGS = ("sh", "shell", "bash", "console")
CA_STATES = ("none", "new", "running")
PLANNED_RE = re.compile(r"\(planned, issue \d+\)")
FENCE_RE = re.compile(r"^ {0,3}(```+|~~~+)\s*(.*)$")
MAN_MARK_RE = re.compile(r'^\.\\"\s*example\b(.*)$')
# A synopsis has a placeholder: [optional], <thing>, a|b, ..., or a word
# in capitals (FILE, USER, N, FILE.csv).
PLACEHOLDER_RE = re.compile(
    r"\[|<[^>]*>|\.\.\.|\u2026|\||(?:^|\s)[A-Z][A-Z0-9_]*(?:\.[a-z]+)?(?=\s|$)")
# Folders of a file system, not routes of the daemon.
# Words that follow "esealctl" in prose ("esealctl commands"), not commands.
PROSE_WORDS = {"command", "commands", "and", "or", "the", "runs", "reads",
               "is", "exits", "takes", "against", "itself", "talks", "prints",
               "as", "in", "on", "with", "to"}
FS_ROOTS = {"etc", "var", "usr", "tmp", "dev", "proc", "sys", "opt", "home",
            "run", "lib", "bin", "sbin", "srv", "root", "mnt", "media"}


def doc_files(top):
    """README.md, docs/**/*.md and the man pages, in a stable order."""
    out = [os.path.join(top, "README.md")]
    for d, _, fs in sorted(os.walk(os.path.join(top, "docs"))):
        for f in sorted(fs):
            if f.endswith(".md") or re.search(r"\.[1-9]$", f):
                out.append(os.path.join(d, f))
    return out


def ref_files(top):
    """What refs reads: the documentation and every text file in conf/."""
    out = doc_files(top)
    for d, _, fs in sorted(os.walk(os.path.join(top, "conf"))):
        out.extend(os.path.join(d, f) for f in sorted(fs))
    return out


def is_man(path):
    return re.search(r"\.[1-9]$", path) is not None


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        return f.read().split("\n")


def options(words, where):
    """name= and ca= of a marker; anything else is an error."""
    opts = {}
    for w in words:
        k, eq, v = w.partition("=")
        if not eq or k not in ("name", "ca") or not v:
            sys.exit("%s: unknown example option %r (name=N, ca=%s)"
                     % (where, w, "|".join(CA_STATES)))
        if k == "ca" and v not in CA_STATES:
            sys.exit("%s: ca=%s is not one of %s" % (where, v, CA_STATES))
        opts[k] = v
    return opts


def roff_text(line, where):
    """The text of a line in an .nf block, escapes undone."""
    out, i = [], 0
    while i < len(line):
        c = line[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        rest = line[i + 1:]
        for esc, repl in (("-", "-"), ("e", "\\"), ("(aq", "'"),
                          ("(dq", '"'), ("&", ""), ("(ti", "~")):
            if rest.startswith(esc):
                out.append(repl)
                i += 1 + len(esc)
                break
        else:
            sys.exit("%s: roff escape \\%s in an example: not known to "
                     "docs.py" % (where, rest[:3]))
    return "".join(out)


def blocks(path):
    """Yields (kind, info words, first line number, lines) for each block.

    kind is "fence" (info: the words after the fence), "indent" (an
    indented Markdown block), "man-example" (info: the marker's words) or
    "man-nf" (an unmarked .nf block)."""
    lines = read_lines(path)
    if is_man(path):
        i = 0
        while i < len(lines):
            m = MAN_MARK_RE.match(lines[i])
            if m or lines[i].startswith(".nf"):
                start = i + 1 if m else i
                if m and (start >= len(lines) or
                          not lines[start].startswith(".nf")):
                    sys.exit("%s:%d: an example marker must be followed by "
                             ".nf" % (path, i + 1))
                j = start + 1
                while j < len(lines) and not lines[j].startswith(".fi"):
                    j += 1
                where = "%s:%d" % (path, start + 2)
                body = [roff_text(x, where) for x in lines[start + 1:j]]
                yield ("man-example" if m else "man-nf",
                       m.group(1).split() if m else [], start + 2, body)
                i = j + 1
                continue
            i += 1
        return
    i, prev_blank = 0, True
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if m:
            fence = m.group(1)
            j = i + 1
            while j < len(lines) and not lines[j].lstrip().startswith(fence):
                j += 1
            yield ("fence", m.group(2).split(), i + 2, lines[i + 1:j])
            i, prev_blank = j + 1, False
            continue
        if prev_blank and lines[i].startswith("    ") and lines[i].strip():
            j = i
            while j < len(lines) and (lines[j].startswith("    ") or
                                      not lines[j].strip()):
                j += 1
            body = [x[4:] for x in lines[i:j]]
            while body and not body[-1].strip():
                body.pop()
            yield ("indent", [], i + 1, body)
            i, prev_blank = j, True
            continue
        prev_blank = not lines[i].strip()
        i += 1


def is_example(kind, info):
    if kind == "man-example":
        return True
    return (kind == "fence" and len(info) >= 2 and
            info[0] in SHELL_LANGS and info[1] == "example")


def cmd_examples(top, outdir):
    groups = {}                 # (file, name) -> [opts, [where], [lines]]
    order = []
    for path in doc_files(top):
        rel = os.path.relpath(path, top)
        for kind, info, line, body in blocks(path):
            if not is_example(kind, info):
                continue
            where = "%s:%d" % (rel, line)
            opts = options(info if kind == "man-example" else info[2:],
                           where)
            key = (rel, opts.get("name", ""))
            if key not in groups:
                groups[key] = [{}, [], []]
                order.append(key)
            g = groups[key]
            if "ca" in opts:
                if g[0].get("ca", opts["ca"]) != opts["ca"]:
                    sys.exit("%s: ca=%s, but an earlier block of this "
                             "example says ca=%s" % (where, opts["ca"],
                                                    g[0]["ca"]))
                g[0]["ca"] = opts["ca"]
            g[1].append(where)
            g[2].append("# --- %s" % where)
            g[2].extend(body)
    os.makedirs(outdir, exist_ok=True)
    for n, key in enumerate(order, 1):
        opts, wheres, body = groups[key]
        with open(os.path.join(outdir, "%02d.sh" % n), "w",
                  encoding="utf-8") as f:
            f.write("\n".join(body) + "\n")
        label = key[0] + (" name=" + key[1] if key[1] else "")
        print("%02d\t%s\t%s\t%s" % (n, opts.get("ca", "running"), label,
                                    " ".join(wheres)))


def logical_lines(body, first):
    """Joins backslash continuations; yields (line number, text)."""
    cur, start = "", None
    for k, x in enumerate(body):
        if start is None:
            start = first + k
        if x.endswith("\\"):
            cur += x[:-1] + " "
            continue
        yield start, cur + x
        cur, start = "", None
    if start is not None:
        yield start, cur


def cmd_lint(top):
    bad = 0
    for path in doc_files(top):
        rel = os.path.relpath(path, top)
        for kind, info, line, body in blocks(path):
            if kind == "man-nf":
                print("%s:%d: an .nf block without an example marker "
                      "(.\\\" example)" % (rel, line))
                bad += 1
                continue
            if is_example(kind, info) or kind == "man-example":
                continue
            if kind == "fence" and info and info[0] not in SHELL_LANGS:
                continue        # ```text, ```ini: output, files, illustrations
            for n, text in logical_lines(body, line):
                t = text.strip()
                if t.startswith("$ "):
                    t = t[2:]
                words = t.split()
                if not words or words[0] not in COMMANDS:
                    continue
                if PLACEHOLDER_RE.search(t):
                    continue    # a synopsis
                print("%s:%d: a literal command outside a runnable example "
                      "(mark the block ```sh example, or write a synopsis "
                      "with placeholders): %s" % (rel, n, t))
                bad += 1
    return 1 if bad else 0


def man_plain(line):
    """A man page line as text: macro arguments joined, escapes undone."""
    m = re.match(r"^\.(B|I|R|BR|RB|BI|IB|IR|RI|TP|SH|SS)\b\s*(.*)$", line)
    if m:
        try:
            args = shlex.split(m.group(2).replace("\\", "\\\\"))
        except ValueError:
            args = m.group(2).split()
        line = ("" if len(m.group(1)) == 2 and m.group(1) not in
                ("TP", "SH", "SS") else " ").join(args)
    line = re.sub(r"\\f[BIRP]", "", line)
    return line.replace("\\-", "-").replace("\\(aq", "'").replace("\\e", "\\")


def man_commands(lines):
    """esealctl(8) COMMANDS: the bold command names of each .TP entry."""
    out, section, after_tp = [], "", False
    for k, line in enumerate(lines):
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"')
        if section == "COMMANDS" and after_tp and line.startswith(".B "):
            pieces = re.split(r"(\\f[BIRP])", line[3:])
            font, prev = "B", ""
            for p in pieces:
                if re.fullmatch(r"\\f[BIRP]", p):
                    font = p[2]
                    continue
                text = p.replace("\\-", "-")
                if font == "B" and (not out or prev.endswith(", ") or
                                    prev == "") and text.strip():
                    words = []
                    for w in text.split():
                        if not re.fullmatch(r"[a-z][a-z0-9-]*", w):
                            break
                        words.append(w)
                    if words:
                        out.append((k + 1, " ".join(words)))
                prev = text if font == "R" else ("" if font == "B" and
                                                 not text.strip() else "x")
        after_tp = line.startswith(".TP")
    return out


ESEALCTL_RE = re.compile(
    r"(?<![\w/.-])(?:build/)?esealctl(?: --config \S+)?((?: [a-z][a-z0-9-]*)+)")
ROUTE_CHARS = r"[A-Za-z0-9_.~{}<>$/=&%-]"
METHOD_RE = re.compile(r"\b(GET|POST|DELETE|PUT|PATCH|HEAD) (/%s*)" %
                       ROUTE_CHARS)
URL_RE = re.compile(r"(?:\$URL|\$PUB|\$\{URL\}|\{base\}|https?://127\.0\.0\.1:"
                    r"\d+|https?://localhost(?::\d+)?)(/%s*)" % ROUTE_CHARS)
TICK_RE = re.compile(r"`(/[a-z]%s*)(?:\?[^`]*)?`" % ROUTE_CHARS)


def clean_route(path):
    """None for a family (/api/v1/...) or a file system path."""
    path = path.rstrip(".,;:")
    if path.endswith("...") or path.endswith("\u2026") or path in ("", "/"):
        return None
    first = path.lstrip("/").split("/")[0]
    if first in FS_ROOTS:
        return None
    return path


def mentions(top):
    """(kind, what, method, where, planned) for every mention."""
    out = []
    for path in ref_files(top):
        rel = os.path.relpath(path, top)
        try:
            lines = read_lines(path)
        except UnicodeDecodeError:
            continue
        planned = [bool(PLANNED_RE.search(x)) for x in lines]
        if is_man(path):
            for n, cmd in man_commands(lines):
                out.append(("esealctl", cmd, "", "%s:%d" % (rel, n),
                            planned[n - 1]))
        in_ctl = False          # in a Markdown section about esealctl
        for k, raw in enumerate(lines):
            text = man_plain(raw) if is_man(path) else raw
            where = "%s:%d" % (rel, k + 1)
            if not is_man(path) and raw.startswith("#"):
                in_ctl = re.match(r"^#+ .*\besealctl\b", raw) is not None
            if in_ctl and raw.startswith("|"):
                # a table of commands: `hsm status`, `revoke --serial HEX`
                for span in re.findall(r"`([a-z][^`]*)`", raw.split("|")[1]):
                    words = []
                    for w in span.split():
                        if not re.fullmatch(r"[a-z][a-z0-9-]*", w):
                            break
                        words.append(w)
                    if words:
                        out.append(("esealctl", " ".join(words), "", where,
                                    planned[k]))
            for m in ESEALCTL_RE.finditer(text):
                words = m.group(1).split()
                if words[0] not in PROSE_WORDS:
                    out.append(("esealctl", " ".join(words), "", where,
                                planned[k]))
            seen = set()
            for m in METHOD_RE.finditer(text):
                p = clean_route(m.group(2))
                if p:
                    seen.add(p)
                    out.append(("route", p, m.group(1), where, planned[k]))
            for rx in (URL_RE, TICK_RE):
                for m in rx.finditer(text):
                    p = clean_route(m.group(1))
                    if p and p not in seen:
                        seen.add(p)
                        out.append(("route", p, "", where, planned[k]))
    return out


def cmd_refs(top):
    for kind, what, method, where, planned in mentions(top):
        print("%s\t%s\t%s\t%s\t%d" % (kind, what, method, where, planned))
    return 0


def esealctl_command(esealctl, words, cache):
    """The command that words start with ("hsm status"), or None."""
    for n in range(1, len(words) + 1):
        key = " ".join(words[:n])
        if key not in cache:
            r = subprocess.run([esealctl] + words[:n] + ["--help"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, check=False)
            cache[key] = r.returncode == 0
        if cache[key]:
            return key
    return None


def probe_path(path):
    """A route mention with its placeholders filled in."""
    for rx, v in ((r"[{<]issuer[}>]", "it-ca"), (r"[{<]shard[}>]", "0"),
                  (r"[{<]serial[}>]", "01"), (r"\{base64[^}/]*\}?", "MA"),
                  (r"\$\{?[A-Za-z_]+\}?", "1"), (r"\{[^}/]*\}?", "1"),
                  (r"<[^>/]*>", "1")):
        path = re.sub(rx, v, path)
    return path


def http_answer(url, method, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    req = urllib.request.Request(url, method=method,
                                 data=b"" if method in ("POST", "PUT",
                                                        "PATCH") else None)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def places(ws):
    return ", ".join(ws[:4]) + (" and %d more" % (len(ws) - 4)
                                if len(ws) > 4 else "")


def cmd_check_refs(top, esealctl, base, cafile):
    """PASS/FAIL<TAB>description, one line per command and route."""
    groups, order, cache = {}, [], {}
    for kind, what, method, where, planned in mentions(top):
        if kind == "esealctl":
            name = esealctl_command(esealctl, what.split(), cache)
            key = ("esealctl", name or " ".join(what.split()[:2]), "",
                   name is not None)
        else:
            key = ("route", probe_path(what), method, None)
        if key not in groups:
            groups[key] = ([], [])
            order.append(key)
        groups[key][1 if planned else 0].append(where)
    bogus = http_answer(base + "/no/such/route/at/all", "GET", cafile)
    for key in order:
        kind, what, method, exists = key
        plain, marked = groups[key]
        if kind == "route":
            st, body = http_answer(base + what, method or "GET", cafile)
            exists = (st, body) != bogus and (st != 405 or not method)
            what = "%s%s" % (method + " " if method else "", what)
            how = "answers %d" % st
        else:
            what = "esealctl " + what
            how = "in the command table"
        if exists:
            print("PASS\t%s: %s (%s)" % (what, how, places(plain + marked)))
        elif not plain:
            print("PASS\t%s: marked planned (%s)" % (what, places(marked)))
        else:
            print("FAIL\t%s: does not exist and is not marked \"(planned, "
                  "issue N)\" at %s" % (what, places(plain)))
    return 0


def example_labels(top):
    """The labels t_docs_examples.sh gives its examples ("FILE name=N")."""
    labels = set()
    for path in doc_files(top):
        rel = os.path.relpath(path, top)
        for kind, info, line, _ in blocks(path):
            if is_example(kind, info):
                words = info if kind == "man-example" else info[2:]
                name = options(words, "%s:%d" % (rel, line)).get("name")
                labels.add(rel + (" name=" + name if name else ""))
    return labels


def cmd_check_compliance(top):
    """PASS/FAIL<TAB>what, one line per test cited by docs/compliance.md.

    A citation is a list item "- `tests/...`: ..." naming checks in double
    quotes (integration: the text occurs in the script; for
    t_docs_examples.sh, "example LABEL exits 0" names an example that
    exists) or test functions in backquotes (unit: START_TEST(name) and
    tcase_add_test(..., name) are in the file)."""
    doc = os.path.join(top, "docs", "compliance.md")
    lines = read_lines(doc)
    labels = example_labels(top)
    n = 0
    for k, line in enumerate(lines):
        m = re.match(r"^- `(tests/[^`]+)`:(.*)$", line)
        if not m:
            continue
        rel, rest = m.group(1), m.group(2)
        where = "docs/compliance.md:%d" % (k + 1)
        path = os.path.join(top, rel)
        if not os.path.isfile(path):
            print("FAIL\tcompliance.md cites %s, which does not exist (%s)"
                  % (rel, where))
            continue
        with open(path, encoding="utf-8") as f:
            src = f.read()
        for name in re.findall(r'"([^"]+)"', rest):
            n += 1
            if rel.endswith("t_docs_examples.sh"):
                lm = re.fullmatch(r"example (.+) exits 0", name)
                found = lm is not None and lm.group(1) in labels
            else:
                found = name in src
            print("%s\tcompliance.md cites %s: \"%s\" (%s)"
                  % ("PASS" if found else "FAIL", rel, name, where))
        for name in re.findall(r"`(test_[a-z0-9_]+)`", rest):
            n += 1
            found = ("START_TEST(%s)" % name in src and
                     re.search(r"tcase_add_(?:loop_)?test\(\w+, %s\b" % name, src))
            print("%s\tcompliance.md cites %s: %s (%s)"
                  % ("PASS" if found else "FAIL", rel, name, where))
    if n == 0:
        print("FAIL\tcompliance.md cites no test")
    return 0


def main(argv):
    if len(argv) == 4 and argv[1] == "examples":
        cmd_examples(argv[2], argv[3])
        return 0
    if len(argv) == 3 and argv[1] == "lint":
        return cmd_lint(argv[2])
    if len(argv) == 3 and argv[1] == "refs":
        return cmd_refs(argv[2])
    if len(argv) == 3 and argv[1] == "check-compliance":
        return cmd_check_compliance(argv[2])
    if len(argv) == 6 and argv[1] == "check-refs":
        return cmd_check_refs(argv[2], argv[3], argv[4], argv[5])
    sys.exit("usage: docs.py examples TOP OUTDIR | lint TOP | refs TOP | "
             "check-refs TOP ESEALCTL BASE-URL CAFILE | check-compliance TOP")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
