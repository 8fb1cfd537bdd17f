#!/usr/bin/python3
"""asyncpg clients (see ../README.md). Modes:
  cache  asyncpg's default statement cache: every query is a named server-side statement
  copy   copy_records_to_table (whose column introspection goes through that cache too), then
         the rows that arrived are counted and summed in the same transaction
"""
import asyncio

import asyncpg

from common import arguments, check, expected_int, expected_text, fail, int_query, text_query

COPY_TABLE = "driver_asyncpg_copy"
COPY_ROWS = 5  # rows per transaction: seq 0..4, sum 10


def placeholder(number):
    return f"${number}"


async def cache_iteration(conn, client, iteration):
    value = await conn.fetchval(int_query(placeholder, client), iteration)
    check(client, iteration, "int query", value, expected_int(client, iteration))
    value = await conn.fetchval(text_query(placeholder), str(iteration), str(client))
    check(client, iteration, "text query", value, expected_text(client, iteration))


async def copy_iteration(conn, client, iteration):
    records = [(client, iteration, seq, f"c{client}-i{iteration}-s{seq}") for seq in range(COPY_ROWS)]
    await conn.copy_records_to_table(COPY_TABLE, records=records, columns=["client", "iteration", "seq", "label"])
    row = await conn.fetchrow(
        f"SELECT count(*), sum(seq), min(label) FROM {COPY_TABLE} WHERE client = $1 AND iteration = $2",
        client, iteration)
    check(client, iteration, "copied rows", (row[0], row[1]), (COPY_ROWS, sum(range(COPY_ROWS))))
    check(client, iteration, "first label", row[2], f"c{client}-i{iteration}-s0")


async def run_client(client, iterations, step, done):
    try:
        # Connection parameters come from the PG* environment.
        conn = await asyncpg.connect()
        try:
            for iteration in range(iterations):
                async with conn.transaction():
                    await step(conn, client, iteration)
                done[client] += 2
        finally:
            await conn.close()
    except Exception as error:  # any driver or server error fails the run, with its message
        fail(f"client {client} after {done[client]} checks: {type(error).__name__}: {error}")


async def prepare_copy_table():
    conn = await asyncpg.connect()
    try:
        await conn.execute(f"CREATE TABLE IF NOT EXISTS {COPY_TABLE} "
                           "(client int, iteration int, seq int, label text)")
        await conn.execute(f"TRUNCATE {COPY_TABLE}")  # a rerun starts empty
    finally:
        await conn.close()


async def run(mode, clients, iterations, deadline):
    step = cache_iteration if mode == "cache" else copy_iteration
    if mode == "copy":
        await prepare_copy_table()
    done = [0] * clients
    tasks = asyncio.gather(*(run_client(c, iterations, step, done) for c in range(clients)))
    try:
        await asyncio.wait_for(tasks, timeout=deadline)
    except asyncio.TimeoutError:
        fail(f"deadline of {deadline:g} s passed; checks done per client: {done}", code=2)
    print(f"ok {sum(done)}", flush=True)


def main():
    mode, clients, iterations, deadline = arguments(["cache", "copy"])
    asyncio.run(run(mode, clients, iterations, deadline))


if __name__ == "__main__":
    main()
