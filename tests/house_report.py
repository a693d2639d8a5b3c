#!/usr/bin/env python3
"""Prints the shape of the source tree: files and lines per folder, the longest functions, every include
from app/ into an engine header, and the include and call cycles between files and modules.

Run from the top of the checkout after `make` (the call graph is read from build/'s object files with nm):
    python3 tests/house_report.py
"""
import collections, os, re, subprocess, sys

FOLDERS = ["engine", "app", "ui", "tests"]
SOURCE = re.compile(r".*\.[ch]$")


def sources(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder) if SOURCE.match(f))


def lines_of(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        return f.read().split("\n")


def folder_sizes():
    print("## Files and lines per folder")
    for folder in FOLDERS:
        files = sources(folder)
        n = sum(len(lines_of(p)) - 1 for p in files)
        print(f"  {folder + '/':8} {len(files):3} files {n:6} lines")


FUNC_START = re.compile(r"^[A-Za-z_][\w \*]*\b(\w+)\s*\([^;]*$")


def functions(path):
    """(name, first line, length) of each function defined at column 0 and closed by a '}' at column 0."""
    text = lines_of(path)
    out, i = [], 0
    while i < len(text):
        m = FUNC_START.match(text[i])
        if m and not text[i].startswith(("typedef", "struct", "enum", "union", "static const", "#")):
            j = i
            while j < len(text) and "{" not in text[j] and ";" not in text[j]:
                j += 1
            if j < len(text) and "{" in text[j] and ";" not in text[j].split("{")[0]:
                k = j
                while k < len(text) and text[k] != "}":
                    k += 1
                out.append((m.group(1), i + 1, k - i + 1))
                i = k
        i += 1
    return out


def longest_functions(n=10):
    print(f"## The {n} longest functions (engine/, app/, ui/)")
    rows = [(length, f"{p}:{line}", name) for folder in FOLDERS[:3] for p in sources(folder)
            for name, line, length in functions(p)]
    for length, where, name in sorted(rows, reverse=True)[:n]:
        print(f"  {length:4} lines  {name:40} {where}")


INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def includes(path):
    return [m.group(1) for m in map(INCLUDE.match, lines_of(path)) if m]


def app_into_engine():
    print("## Includes from app/ into engine/ headers")
    seen = collections.defaultdict(list)
    for p in sources("app"):
        for inc in includes(p):
            if inc.startswith("engine/"):
                seen[inc].append(os.path.basename(p))
    for header in sorted(seen):
        print(f"  {header:30} <- {', '.join(seen[header])}")
    print(f"  ({len(seen)} engine headers)")


def cycles(edges):
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]
    nodes = set(edges) | {b for bs in edges.values() for b in bs}

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def include_cycles():
    """Headers that include each other, directly or through others (a .c file is never included, so only
    header-to-header edges can close a loop)."""
    edges = collections.defaultdict(set)
    for folder in FOLDERS[:3]:
        for p in sources(folder):
            if not p.endswith(".h"):
                continue
            for inc in includes(p):
                target = inc if "/" in inc else os.path.join(folder, inc)
                if os.path.exists(target):
                    edges[p].add(target)
    found = cycles(edges)
    print(f"## Include cycles between headers: {len(found) or 'none'}")
    for c in found:
        print("  " + " <-> ".join(c))


def module_cycles():
    """Modules (x.c with its x.h) of one folder that include each other, directly or through others: the
    loops tests/test_module_cycles.c refuses."""
    found = []
    for folder in FOLDERS[:3]:
        edges = collections.defaultdict(set)
        for p in sources(folder):
            stem = os.path.splitext(p)[0]
            for inc in includes(p):
                if "/" in inc and not inc.startswith(folder + "/"):
                    continue
                target = os.path.join(folder, os.path.basename(inc))
                if os.path.exists(target) and os.path.splitext(target)[0] != stem:
                    edges[stem].add(os.path.splitext(target)[0])
        found += cycles(edges)
    print(f"## Include cycles between modules (x.c with x.h): {len(found) or 'none'}")
    for c in found:
        print("  " + " <-> ".join(c))


def symbols(obj):
    out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def call_cycles(build="build"):
    objs = {}
    for folder in FOLDERS[:3]:
        d = os.path.join(build, folder)
        if os.path.isdir(d):
            for f in sorted(os.listdir(d)):
                if f.endswith(".o"):
                    objs[f"{folder}/{f[:-2]}"] = symbols(os.path.join(d, f))
    if not objs:
        print("## Call cycles: no object files under build/ (run make first)")
        return
    owner = {s: m for m, (defined, _) in objs.items() for s in defined}
    edges = {m: {owner[s] for s in used if s in owner and owner[s] != m} for m, (_, used) in objs.items()}
    found = cycles(edges)
    print(f"## Call cycles between object files: {len(found) or 'none'}")
    for c in found:
        print("  " + " <-> ".join(c))


if __name__ == "__main__":
    folder_sizes()
    longest_functions()
    app_into_engine()
    include_cycles()
    module_cycles()
    call_cycles()
