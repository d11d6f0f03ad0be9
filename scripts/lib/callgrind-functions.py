"""Reads a callgrind profile of a Viceroy process and the perf map Viceroy
wrote for the guest's compiled code (`--profile=perfmap`), and prints
instructions per request by function: the guest's (W) named from the map,
Viceroy's own (H) from its symbols. Callgrind knows the guest's code only
by address, so each address is looked up in the map's ranges. Used by
scripts/count-instructions.

Usage: callgrind-functions.py PROFILE PERF_MAP REQUESTS TOP
"""
import bisect
import collections
import re
import subprocess
import sys


def perf_map(path):
    """(start, size, name) of each compiled function, by start."""
    rows = []
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(" ", 2)
            if len(parts) == 3:
                rows.append((int(parts[0], 16), int(parts[1], 16), parts[2]))
    rows.sort()
    return rows


def tidy(name):
    """A function name without the crate and symbol hashes."""
    name = re.sub(r"\[[0-9a-f]{16}\]", "", name)
    return re.sub(r"::h[0-9a-f]{16}$", "", name)


def main():
    profile, map_path, requests, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rows = perf_map(map_path)
    starts = [r[0] for r in rows]

    def guest_name(address):
        i = bisect.bisect_right(starts, address) - 1
        if i >= 0 and address < rows[i][0] + rows[i][1]:
            return tidy(rows[i][2])
        return "(guest code not in the map)"

    text = subprocess.run(
        ["callgrind_annotate", "--threshold=100", profile],
        capture_output=True, text=True, check=True,
    ).stdout
    cost = collections.Counter()
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$", line)
        if not m or "PROGRAM TOTALS" in m.group(2):
            continue
        where = m.group(2)
        address = re.search(r"\?\?\?:0x([0-9a-f]+)", where)
        if address:
            name = "W " + guest_name(int(address.group(1), 16))
        else:
            # "file:function [object]" -> "function"
            where = re.sub(r"\s*\[[^\]]*\]$", "", where)
            name = "H " + tidy(where.split(":", 1)[-1] if ":" in where else where)
        cost[name] += int(m.group(1).replace(",", ""))
    guest = sum(v for k, v in cost.items() if k.startswith("W "))
    print(f"    {guest // requests:>9}  in the guest")
    print(f"    {(sum(cost.values()) - guest) // requests:>9}  in Viceroy (host calls, instances, HTTP)")
    for name, n in cost.most_common(top):
        print(f"    {n // requests:>9}  {name[:110]}")


if __name__ == "__main__":
    main()
