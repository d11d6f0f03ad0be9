"""Reads `perf script -F ip,sym` of a Viceroy process on stdin and prints
CPU microseconds per request: outside the guest (Viceroy, the kernel), and
inside it by what the service was doing. Used by scripts/profile.

Usage: profile-breakdown.py REQUESTS SAMPLES_PER_SECOND
"""
import collections
import re
import sys

# What a sample inside the guest is counted as: the first step of this
# list whose pattern appears anywhere in its stack (so a response built
# inside the origin send counts as the send, not as response headers).
STEPS = [
    ("origin send refused by Viceroy (after-send hook)", "SendError"),
    ("origin send", "Request::send"),
    ("origin request: build (URL parse)", "Request::new"),
    ("config: Config Store reads and parsing", "Config::load"),
    ("config: Config Store reads and parsing", "ConfigStoreSource"),
    ("config: Config Store reads and parsing", "config::"),
    ("log: record, lines, writes", "RequestLog"),
    ("log: record, lines, writes", "log_record"),
    ("log: record, lines, writes", "LogRecord"),
    ("log: record, lines, writes", "log::Endpoint"),
    ("client request view (headers, raw URI, geo)", "ClientRequest::take"),
    ("client request view (headers, raw URI, geo)", "from_handles"),
    ("response headers (cache policy, strip, 304)", "origin::finish"),
    ("response to client", "send_to_client"),
    ("response to client", "deliver"),
    ("decision, locality, shield choice", "dl_edge::decision"),
    ("decision, locality, shield choice", "locality"),
    ("decision, locality, shield choice", "shield"),
    ("runtime environment (POP, service version)", "env::_var"),
]
GUEST = "catch_traps"
OTHER = "other guest work (allocation, page faults, glue)"


def main():
    requests, rate = int(sys.argv[1]), float(sys.argv[2])
    per_request = 1e6 / rate / requests
    guest = collections.Counter()
    # For samples no step claims: the innermost named function.
    other = collections.Counter()
    outside = 0
    for stack in sys.stdin.read().split("\n\n"):
        frames = [line.split(None, 1)[-1] for line in stack.strip().splitlines() if line.strip()]
        if not frames:
            continue
        if not any(GUEST in f for f in frames):
            outside += 1
            continue
        step = next(
            (name for name, pattern in STEPS if any(pattern in f for f in frames)),
            OTHER,
        )
        guest[step] += 1
        if step == OTHER:
            other[re.sub(r"::h[0-9a-f]{16}$", "", frames[0])[:80]] += 1
    total_guest = sum(guest.values())
    print(f"    {outside * per_request:7.1f}  outside the guest (Viceroy, kernel, wrk's connections)")
    print(f"    {total_guest * per_request:7.1f}  inside the guest, of which:")
    for step, count in guest.most_common():
        print(f"    {count * per_request:7.1f}    {step}")
    print("    the largest parts of the other guest work:")
    for function, count in other.most_common(8):
        print(f"    {count * per_request:7.1f}      {function}")


if __name__ == "__main__":
    main()
