#!/usr/bin/env python3
"""Writes meetingd.conf(5) from its template and the key reference `meetingd --keys` prints.

    keys2man.py MEETINGD TEMPLATE OUTPUT

The template holds the hand-written parts of the page in man(7); the line `.\\" @KEYS@` is
replaced by one subsection per configuration section with one tagged paragraph per key (type,
default, meaning). Only the printed reference is read, never the daemon's sources, so the page
says what the binary that was built accepts. Anything in the reference this script does not
understand stops the build: the page must not silently lose a key.
"""

import os
import re
import subprocess
import sys

MARKER = '.\\" @KEYS@'


def fail(msg):
    sys.exit("keys2man: %s" % msg)


def cells(row):
    """The cells of a markdown table row; '\\|' is a literal bar inside a cell."""
    inner = row.strip()
    if not (inner.startswith("|") and inner.endswith("|")):
        fail("not a table row: %r" % row)
    parts = re.split(r"(?<!\\)\|", inner[1:-1])
    return [p.strip().replace("\\|", "|") for p in parts]


def parse(reference):
    """[(section heading, [(key, type, default, description)])] in the printed order."""
    sections = []
    header_seen = False
    for line in reference.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^### (\[[a-z]+(?: NAME)?\])$", line)
        if m:
            sections.append((m.group(1), []))
            header_seen = False
            continue
        if not sections:
            fail("text before the first section: %r" % line)
        row = cells(line)
        if len(row) != 4:
            fail("expected 4 columns (key, type, default, description): %r" % line)
        if not header_seen:
            if [c.lower() for c in row] != ["key", "type", "default", "description"]:
                fail("unexpected table header: %r" % line)
            header_seen = True
            continue
        if set("".join(row)) <= set("-: "):
            continue  # the |---|---| separator
        key = re.fullmatch(r"`([a-z0-9_]+)`", row[0])
        if not key:
            fail("not a key name: %r" % row[0])
        sections[-1][1].append((key.group(1), row[1], row[2], row[3]))
    if not sections or not all(keys for _, keys in sections):
        fail("no keys in the reference")
    return sections


def roff(text):
    """Plain text as a man(7) text line: backslashes and hyphens escaped, no control line."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def render(sections):
    out = []
    for heading, keys in sections:
        out.append(".SS %s" % roff(heading))
        for key, typ, default, desc in keys:
            out.append(".TP")
            out.append(".B %s" % roff(key))
            out.append(roff(desc))
            out.append(".br")
            out.append("Type: %s.\\ \\ Default: %s." % (roff(typ), roff(default)))
    return "\n".join(out)


def main():
    if len(sys.argv) != 4:
        fail("usage: keys2man.py MEETINGD TEMPLATE OUTPUT")
    binary, template_path, output = sys.argv[1:]
    reference = subprocess.run([binary, "--keys"], check=True, stdout=subprocess.PIPE,
                               text=True).stdout
    with open(template_path, encoding="utf-8") as f:
        template = f.read()
    if template.count(MARKER + "\n") != 1:
        fail("%s must hold the line %s exactly once" % (template_path, MARKER))
    page = template.replace(MARKER + "\n", render(parse(reference)) + "\n")
    with open(output + ".tmp", "w", encoding="utf-8") as f:
        f.write(page)
    os.replace(output + ".tmp", output)


if __name__ == "__main__":
    main()
