"""Where one guest function's instructions go: the machine code Wasmtime
compiled for it (from Viceroy's jitdump), in runs of instructions that
ran equally often, each with how often it ran per request. Callgrind
knows the guest's code only by address; with `--dump-instr=yes` it
counts each instruction, and the perf map of the same run gives the
function's start, so each count has its offset in the function. The
jitdump, from another run of the same module, has the function's code
at the same offsets. Used by scripts/count-instructions (HOT=...).

Usage: callgrind-hot.py PROFILE PERF_MAP JITDUMP REQUESTS PATTERN [MIN]
MIN (default 100) leaves out runs costing fewer instructions a request.
"""
import collections
import importlib.util
import os
import re
import struct
import subprocess
import sys
import tempfile

# The perf map's reader and the names' tidying, from callgrind-functions.py.
_spec = importlib.util.spec_from_file_location(
    "callgrind_functions", os.path.join(os.path.dirname(__file__), "callgrind-functions.py"))
_functions = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_functions)
perf_map, tidy = _functions.perf_map, _functions.tidy


def costs(profile, start, size):
    """Instructions run at each offset of [start, start + size), from a
    callgrind profile written with --dump-instr=yes (positions: instr
    line). The line after a `calls=` line is the call's inclusive cost,
    not the instruction's own."""
    cost = collections.Counter()
    address = 0
    after_call = False
    with open(profile) as f:
        for line in f:
            if line.startswith("calls="):
                after_call = True
                continue
            if not line or line[0] not in "0123456789+-*":
                continue
            parts = line.split()
            where = parts[0]
            if where.startswith("0x"):
                address = int(where, 16)
            elif where[0] in "+-":
                step = int(where[1:], 0)
                address += step if where[0] == "+" else -step
            if after_call:
                after_call = False
                continue
            if len(parts) >= 3 and start <= address < start + size:
                cost[address - start] += int(parts[2])
    return cost


def code_of(jitdump, name):
    """The machine code of the function `name` in a jitdump file (perf's
    format: a header, then records; a code load record is id 0)."""
    data = open(jitdump, "rb").read()
    offset = struct.unpack_from("<III", data, 0)[2]
    while offset + 16 <= len(data):
        record, size, _ = struct.unpack_from("<IIQ", data, offset)
        if size == 0:
            break
        if record == 0:
            code_size = struct.unpack_from("<Q", data, offset + 16 + 24)[0]
            name_at = offset + 16 + 40
            name_end = data.index(b"\0", name_at)
            if data[name_at:name_end].decode("utf-8", "replace") == name:
                return data[name_end + 1 : name_end + 1 + code_size]
        offset += size
    sys.exit(f"{name} is not in {jitdump}")


def main():
    profile, map_path, jitdump, requests, pattern = sys.argv[1:6]
    requests = int(requests)
    least = int(sys.argv[6]) if len(sys.argv) > 6 else 100
    found = [row for row in perf_map(map_path) if re.search(pattern, tidy(row[2]))]
    if len(found) != 1:
        sys.exit(f"{pattern!r} names {len(found)} functions: {[r[2][:80] for r in found[:10]]}")
    start, size, name = found[0]
    cost = costs(profile, start, size)
    print(f"{tidy(name)}: {sum(cost.values()) // requests} instructions a request")
    with tempfile.NamedTemporaryFile() as code:
        code.write(code_of(jitdump, name))
        code.flush()
        listing = subprocess.run(
            ["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", "-M", "intel", code.name],
            capture_output=True, text=True, check=True,
        ).stdout
    runs = []  # [times a request, instructions]
    for line in listing.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\t", line)
        if not m:
            continue
        times = cost.get(int(m.group(1), 16), 0) // requests
        if runs and runs[-1][0] == times:
            runs[-1][1].append(line.strip())
        else:
            runs.append([times, [line.strip()]])
    for times, lines in runs:
        if times * len(lines) >= least:
            print(f"  {times} a request x {len(lines)} instructions = {times * len(lines)}")
            for line in lines:
                print(f"      {line[:110]}")


if __name__ == "__main__":
    main()
