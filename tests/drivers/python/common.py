"""What every Python driver program shares: its command line, the queries, the expected values
and how it reports (see ../README.md)."""
import os
import sys
import threading
import time

# A client-specific constant in the text: statements of different clients under the same
# driver-chosen name differ, so a mix-up shows as a wrong value.
def int_query(placeholder, client):
    return f"SELECT {placeholder(1)}::int * 2 + {client}"


# The same text in every client: one server-side statement may serve them all.
def text_query(placeholder):
    return f"SELECT {placeholder(1)}::text || '/' || {placeholder(2)}::text"


def expected_int(client, iteration):
    return iteration * 2 + client


def expected_text(client, iteration):
    return f"{iteration}/{client}"


def arguments(modes):
    """(mode, clients, iterations, deadline_seconds) from argv, or exit 64 with the usage."""
    args = sys.argv[1:]
    if len(args) not in (3, 4) or args[0] not in modes:
        usage = f"usage: {os.path.basename(sys.argv[0])} {'|'.join(modes)} CLIENTS ITERATIONS [DEADLINE_SECONDS]"
        print(usage, file=sys.stderr)
        sys.exit(64)
    deadline = float(args[3]) if len(args) == 4 else 60.0
    return args[0], int(args[1]), int(args[2]), deadline


def fail(message, code=1):
    """Prints the failure and ends the whole process at once (other clients may be stuck)."""
    print(f"FAIL {message}", flush=True)
    os._exit(code)


def check(client, iteration, what, got, want):
    if got != want:
        fail(f"client {client} iteration {iteration}: {what}: expected {want!r}, got {got!r}")


def run_threads(clients, deadline, run_client):
    """Runs run_client(client, done) on a thread per client; prints `ok <checks>`, or fails
    naming the checks each client had done when the deadline passed."""
    done = [0] * clients
    threads = [threading.Thread(target=run_client, args=(c, done), daemon=True) for c in range(clients)]
    end = time.monotonic() + deadline
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, end - time.monotonic()))
        if thread.is_alive():
            fail(f"deadline of {deadline:g} s passed; checks done per client: {done}", code=2)
    print(f"ok {sum(done)}", flush=True)
