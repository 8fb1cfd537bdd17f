#!/usr/bin/python3
"""PyMySQL clients (see ../README.md, MySQL programs). Mode:
  text  queries with parameters (PyMySQL escapes them into the text: COM_QUERY only)
Before the clients start: a wrong password must give 1045 and an unknown database 1049
(UNKNOWN_DATABASE_ERROR: MariaDB itself answers 1044 to a user without global privileges).
"""
import os

import pymysql

from common import arguments, check, fail, run_threads

MODES = ("text",)
TABLE = "driver_rows_pymysql"


def connect(**overrides):
    """A connection from the MYSQL_* environment, with `overrides` (password, database)."""
    settings = {
        "host": os.environ["MYSQL_HOST"],
        "port": int(os.environ["MYSQL_TCP_PORT"]),
        "user": os.environ["MYSQL_USER"],
        "password": os.environ["MYSQL_PWD"],
        "database": os.environ["MYSQL_DATABASE"],
        "connect_timeout": 10,
        "read_timeout": 30,
        "write_timeout": 30,
        "autocommit": True,
    }
    settings.update(overrides)
    return pymysql.connect(**settings)


def expect_login_error(code, **overrides):
    try:
        connect(**overrides).close()
    except pymysql.err.OperationalError as error:
        if error.args[0] != code:
            fail(f"login with {overrides}: expected error {code}, got {error.args}")
        return
    fail(f"login with {overrides}: expected error {code}, it succeeded")


def one_value(cursor, sql, parameters=None):
    cursor.execute(sql, parameters)
    return cursor.fetchone()[0]


def run_iteration(conn, client, iteration):
    """Four compared values: two parameterized queries, a committed row, a rolled-back one."""
    with conn.cursor() as cursor:
        check(client, iteration, "int query", one_value(cursor, f"SELECT %s * 2 + {client}", (iteration,)),
              iteration * 2 + client)
        check(client, iteration, "text query", one_value(cursor, "SELECT CONCAT(%s, '/', %s)",
                                                         (str(iteration), str(client))), f"{iteration}/{client}")
        conn.begin()
        cursor.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, %s)", (client, iteration, f"c{client}i{iteration}"))
        conn.commit()
        check(client, iteration, "committed row",
              one_value(cursor, f"SELECT label FROM {TABLE} WHERE client = %s AND iteration = %s", (client, iteration)),
              f"c{client}i{iteration}")
        conn.begin()
        cursor.execute(f"INSERT INTO {TABLE} VALUES (%s, %s, 'rolled back')", (client, -1 - iteration))
        conn.rollback()
        check(client, iteration, "rolled-back row",
              one_value(cursor, f"SELECT COUNT(*) FROM {TABLE} WHERE client = %s AND iteration = %s",
                        (client, -1 - iteration)), 0)


def run_client(client, iterations, done):
    try:
        conn = connect()
        try:
            for iteration in range(iterations):
                run_iteration(conn, client, iteration)
                done[client] += 4
        finally:
            conn.close()
    except Exception as error:  # any driver or server error fails the run, with its message
        fail(f"client {client} after {done[client]} checks: {type(error).__name__}: {error}")


def prepare_table():
    conn = connect()
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (client INT NOT NULL, iteration INT NOT NULL, "
                       "label VARCHAR(64) NOT NULL, PRIMARY KEY (client, iteration)) ENGINE=InnoDB")
        cursor.execute(f"DELETE FROM {TABLE}")
    conn.close()


def main():
    _, clients, iterations, deadline = arguments(MODES)
    expect_login_error(1045, password=os.environ["MYSQL_PWD"] + "-wrong")
    expect_login_error(int(os.environ.get("UNKNOWN_DATABASE_ERROR", "1049")), database="no_such_database")
    prepare_table()
    run_threads(clients, deadline, lambda client, done: run_client(client, iterations, done))


if __name__ == "__main__":
    main()
