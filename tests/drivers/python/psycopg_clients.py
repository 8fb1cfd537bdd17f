#!/usr/bin/python3
"""psycopg 3 clients (see ../README.md). Modes:
  threshold0  prepare_threshold=0: every query becomes a named server-side statement at once
  default     psycopg's default threshold: prepared from the 5th run of a query on
"""
import psycopg

from common import arguments, check, expected_int, expected_text, fail, int_query, run_threads, text_query

MODES = {"threshold0": {"prepare_threshold": 0}, "default": {}}


def placeholder(_):
    return "%s"


def run_client(client, iterations, options, done):
    try:
        # Connection parameters come from the PG* environment.
        with psycopg.connect("", **options) as conn:
            for iteration in range(iterations):
                row = conn.execute(int_query(placeholder, client), (iteration,)).fetchone()
                check(client, iteration, "int query", row[0], expected_int(client, iteration))
                row = conn.execute(text_query(placeholder), (str(iteration), str(client))).fetchone()
                check(client, iteration, "text query", row[0], expected_text(client, iteration))
                conn.commit()
                done[client] += 2
    except Exception as error:  # any driver or server error fails the run, with its message
        fail(f"client {client} after {done[client]} checks: {type(error).__name__}: {error}")


def main():
    mode, clients, iterations, deadline = arguments(MODES)
    run_threads(clients, deadline, lambda client, done: run_client(client, iterations, MODES[mode], done))


if __name__ == "__main__":
    main()
