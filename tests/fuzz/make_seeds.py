#!/usr/bin/env python3
"""Writes the fuzz seed corpus (tests/fuzz/corpus/<target>/) and dictionaries (dict/).

Reproducible: the same files every run, from the protocol documentation's message layouts
and RFC 7677's SCRAM example, which targets/scram_fixture.hpp uses as well (password
"pencil", salt, 4096 iterations, both nonces): change both together. Each corpus directory
is rewritten whole; regressions/ is never touched. Stdlib only: python3 make_seeds.py
"""

import base64
import hashlib
import hmac
import pathlib
import shutil
import struct

HERE = pathlib.Path(__file__).resolve().parent

# --- PostgreSQL wire format (protocol v3) -----------------------------------------------

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104
CANCEL_REQUEST = 80877102


def be32(value):
    return struct.pack("!I", value & 0xFFFFFFFF)


def be16(value):
    return struct.pack("!H", value & 0xFFFF)


def cstr(text):
    return (text.encode() if isinstance(text, str) else text) + b"\0"


def msg(type_byte, body=b""):
    return type_byte.encode() + be32(len(body) + 4) + body


def untyped(code, body=b""):
    return be32(len(body) + 8) + be32(code) + body


def startup(params, version=PROTOCOL_3_0):
    return untyped(version, b"".join(cstr(k) + cstr(v) for k, v in params) + b"\0")


def auth(code, data=b""):
    return msg("R", be32(code) + data)


def error_fields(pairs):
    return b"".join(code.encode() + cstr(text) for code, text in pairs) + b"\0"


def row_description(columns):
    body = be16(len(columns))
    for name, type_oid in columns:
        body += cstr(name) + be32(16384) + be16(1) + be32(type_oid) + be16(4) + be32(0xFFFFFFFF) + be16(0)
    return msg("T", body)


def data_row(values):
    body = be16(len(values))
    for value in values:
        body += be32(0xFFFFFFFF) if value is None else be32(len(value)) + value
    return msg("D", body)


# --- SCRAM-SHA-256 (RFC 5802 / RFC 7677) --------------------------------------------------

PASSWORD = b"pencil"
SALT_B64 = "W22ZaJ0SNY7soEsUEjb6gQ=="
ITERATIONS = 4096
CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
COMBINED_NONCE = CLIENT_NONCE + SERVER_NONCE
SERVER_FIRST = f"r={COMBINED_NONCE},s={SALT_B64},i={ITERATIONS}"


def scram_keys(salt_b64=SALT_B64, iterations=ITERATIONS):
    salted = hashlib.pbkdf2_hmac("sha256", PASSWORD, base64.b64decode(salt_b64), iterations)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    return client_key, hashlib.sha256(client_key).digest(), server_key


def scram_final(client_first_bare, server_first, without_proof, keys=None):
    """(client-final-message, server-final-message) for one exchange."""
    client_key, stored_key, server_key = keys or scram_keys()
    auth_message = f"{client_first_bare},{server_first},{without_proof}".encode()
    signature = hmac.new(stored_key, auth_message, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, signature))
    server_signature = hmac.new(server_key, auth_message, "sha256").digest()
    return (f"{without_proof},p={base64.b64encode(proof).decode()}",
            f"v={base64.b64encode(server_signature).decode()}")


def b64(text):
    return base64.b64encode(text.encode()).decode()


def client_exchange(gs2="n,,", user="user", extension="", final_extension=""):
    """client-first, client-final for Sluice as server (which uses SERVER_NONCE)."""
    bare = f"n={user},r={CLIENT_NONCE}{extension}"
    final, _ = scram_final(bare, SERVER_FIRST, f"c={b64(gs2)},r={COMBINED_NONCE}{final_extension}")
    return gs2 + bare, final


def server_exchange(salt_b64=SALT_B64, iterations=ITERATIONS, extension=""):
    """server-first, server-final for Sluice as client ("n,,n=,r=CLIENT_NONCE", as it sends)."""
    server_first = f"r={COMBINED_NONCE},s={salt_b64},i={iterations}{extension}"
    _, server_final = scram_final(f"n=,r={CLIENT_NONCE}", server_first, f"c=biws,r={COMBINED_NONCE}",
                                  scram_keys(salt_b64, iterations))
    return server_first, server_final


def md5_response(user=b"user", salt=b"\x01\x02\x03\x04"):
    stored = hashlib.md5(PASSWORD + user).hexdigest().encode()
    return b"md5" + hashlib.md5(stored + salt).hexdigest().encode()


def sasl_initial(mechanism, data):
    return msg("p", cstr(mechanism) + be32(len(data)) + data.encode())


def joined(*parts):
    return "\0".join(parts).encode()


# --- seeds per target ---------------------------------------------------------------------

def pg_startup():
    client = startup([("user", "alice"), ("database", "app"), ("application_name", "psql"),
                      ("client_encoding", "UTF8")])
    return {
        "startup_psql": client,
        "startup_user_only": startup([("user", "bob")]),
        "startup_options_3_2": startup([("user", "carol"), ("options", "-c search_path=public"),
                                        ("_pq_.compression", "on")], version=(3 << 16) | 2),
        "startup_empty_value_repeated": startup([("user", "a"), ("database", ""), ("user", "b")]),
        "ssl_request": untyped(SSL_REQUEST),
        "gssenc_request": untyped(GSSENC_REQUEST),
        "cancel_request": untyped(CANCEL_REQUEST, be32(4242) + be32(0xDEADBEEF)),
        "ssl_then_startup": untyped(SSL_REQUEST) + client,
        "gssenc_ssl_then_startup": untyped(GSSENC_REQUEST) + untyped(SSL_REQUEST) + client,
        "ssl_then_cancel": untyped(SSL_REQUEST) + untyped(CANCEL_REQUEST, be32(1) + be32(2)),
        "startup_without_user": startup([("database", "app")]),
        "protocol_2": untyped(2 << 16, b"\0"),
    }


def pg_client_stream():
    parse = msg("P", cstr("s1") + cstr("SELECT $1::int") + be16(1) + be32(23))
    bind = msg("B", cstr("p1") + cstr("s1") + be16(1) + be16(0) + be16(1) + be32(1) + b"7" + be16(1) + be16(0))
    extended = (parse + bind + msg("D", b"P" + cstr("p1")) + msg("E", cstr("p1") + be32(0)) +
                msg("C", b"P" + cstr("p1")) + msg("C", b"S" + cstr("s1")) + msg("S"))
    return {
        "simple_query": msg("Q", cstr("SELECT 1")) + msg("X"),
        "extended_query": extended,
        "unnamed_extended_flush": msg("P", cstr("") + cstr("SELECT now()") + be16(0)) +
                                  msg("B", cstr("") + cstr("") + be16(0) + be16(0) + be16(0)) +
                                  msg("H") + msg("E", cstr("") + be32(10)) + msg("S"),
        "copy_in": msg("Q", cstr("COPY t FROM STDIN")) + msg("d", b"1\tone\n") + msg("d", b"2\ttwo\n") +
                   msg("c") + msg("Q", cstr("COPY t FROM STDIN")) + msg("f", cstr("aborted")),
        "function_call": msg("F", be32(1598) + be16(1) + be16(0) + be16(1) + be32(2) + b"42" + be16(0)),
        "password": msg("p", cstr("secret")),
        "md5_password": msg("p", cstr(md5_response())),
        "sasl_initial_and_response": sasl_initial("SCRAM-SHA-256", client_exchange()[0]) +
                                     msg("p", client_exchange()[1].encode()),
        "sasl_initial_no_data": msg("p", cstr("SCRAM-SHA-256") + be32(0xFFFFFFFF)),
        "terminate_then_more": msg("Q", cstr("BEGIN")) + msg("X") + msg("Q", cstr("SELECT 2")),
        "long_query": msg("Q", cstr("SELECT '" + "x" * 1100 + "'")),
        "empty_query_and_sync": msg("Q", cstr("")) + msg("S") + msg("S"),
    }


def pg_server_stream():
    login = (auth(0) + msg("S", cstr("server_version") + cstr("15.5")) +
             msg("S", cstr("client_encoding") + cstr("UTF8")) +
             msg("S", cstr("application_name") + cstr("psql")) + msg("K", be32(4242) + be32(0x12345678)) +
             msg("Z", b"I"))
    server_first, server_final = server_exchange()
    error = error_fields([("S", "ERROR"), ("V", "ERROR"), ("C", "42P01"),
                          ("M", 'relation "nope" does not exist'), ("D", "detail"), ("H", "hint"),
                          ("P", "15"), ("F", "parse_relation.c"), ("L", "1392"), ("R", "parserOpenTable")])
    return {
        "login_trust": login,
        "login_scram": auth(10, cstr("SCRAM-SHA-256-PLUS") + cstr("SCRAM-SHA-256") + b"\0") +
                       auth(11, server_first.encode()) + auth(12, server_final.encode()) + login,
        "login_md5": auth(5, b"\x01\x02\x03\x04") + login,
        "login_cleartext": auth(3) + login,
        "query_result": row_description([("id", 23), ("name", 25)]) +
                        data_row([b"1", b"one"]) + data_row([b"2", None]) +
                        msg("C", cstr("SELECT 2")) + msg("Z", b"I"),
        "error_in_transaction": msg("C", cstr("BEGIN")) + msg("Z", b"T") + msg("E", error) + msg("Z", b"E"),
        "notice_and_notification": msg("N", error_fields([("S", "NOTICE"), ("C", "00000"), ("M", "hi")])) +
                                   msg("A", be32(77) + cstr("channel") + cstr("payload")) + msg("Z", b"I"),
        "extended_results": msg("1") + msg("2") + msg("t", be16(1) + be32(23)) + msg("n") +
                            msg("s") + msg("3") + msg("I") + msg("Z", b"I"),
        "copy_out_in_both": msg("H", b"\0" + be16(1) + be16(0)) + msg("d", b"row\n") + msg("c") +
                            msg("C", cstr("COPY 1")) + msg("G", b"\0" + be16(0)) +
                            msg("W", b"\0" + be16(0)) + msg("Z", b"I"),
        "function_and_negotiate": msg("v", be32(0) + be32(1) + cstr("_pq_.x")) +
                                  msg("V", be32(2) + b"42") + msg("Z", b"I"),
        "big_parameter_status": msg("S", cstr("search_path") + cstr("s" * 300)) + msg("Z", b"I"),
        "error_login_failed": msg("E", error_fields([("S", "FATAL"), ("V", "FATAL"), ("C", "28P01"),
                                                     ("M", 'password authentication failed for user "x"')])),
    }


def pg_client_login():
    first, final = client_exchange()
    libpq_first, libpq_final = client_exchange(user="")
    return {
        "scram_rfc7677": sasl_initial("SCRAM-SHA-256", first) + msg("p", final.encode()),
        "scram_libpq": sasl_initial("SCRAM-SHA-256", libpq_first) + msg("p", libpq_final.encode()),
        "scram_wrong_proof": sasl_initial("SCRAM-SHA-256", first) +
                             msg("p", (final[:-5] + "AAAA=").encode()),
        "scram_plus_refused": sasl_initial("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc"),
        "md5": msg("p", cstr(md5_response())),
        "cleartext": msg("p", cstr("pencil")),
    }


def pg_server_login():
    server_first, server_final = server_exchange()
    params = msg("S", cstr("server_version") + cstr("15.5")) + msg("K", be32(1) + be32(2)) + msg("Z", b"I")
    return {
        "scram": auth(10, cstr("SCRAM-SHA-256") + b"\0") + auth(11, server_first.encode()) +
                 auth(12, server_final.encode()) + auth(0) + params,
        "scram_low_iterations": auth(10, cstr("SCRAM-SHA-256") + b"\0") +
                                auth(11, server_exchange("c2FsdA==", 2)[0].encode()) +
                                auth(12, server_exchange("c2FsdA==", 2)[1].encode()) + auth(0) + params,
        "md5": auth(5, b"\x01\x02\x03\x04") + auth(0) + params,
        "cleartext": auth(3) + auth(0) + params,
        "trust": auth(0) + msg("N", error_fields([("S", "NOTICE"), ("M", "hi")])) + params,
        "rejected": auth(10, cstr("SCRAM-SHA-256") + b"\0") +
                    msg("E", error_fields([("S", "FATAL"), ("C", "28P01"), ("M", "password authentication failed")])),
    }


def scram_server():
    rfc_first, rfc_final = client_exchange()
    y_first, y_final = client_exchange(gs2="y,,", user="")
    ext_first, ext_final = client_exchange(user="we=2Cird=3D", extension=",x=ext")
    return {
        "rfc7677": joined(rfc_first, rfc_final),
        "flag_y_no_user": joined(y_first, y_final),
        "escaped_user_extension": joined(ext_first, ext_final),
        "final_extension_before_proof": joined(*client_exchange(final_extension=",x=1")),
        "wrong_nonce": joined(rfc_first, rfc_final.replace(SERVER_NONCE, "zzz")),
        "channel_binding_p": joined("p=tls-server-end-point,,n=,r=" + CLIENT_NONCE),
        "authzid": joined("n,a=admin,n=,r=" + CLIENT_NONCE),
        "mandatory_extension": joined("n,,m=x,n=,r=" + CLIENT_NONCE),
    }


def scram_client():
    first, final = server_exchange()
    low_first, low_final = server_exchange("c2FsdA==", 1)
    ext_first, ext_final = server_exchange(extension=",x=extension")
    return {
        "rfc7677_keys": joined(first, final),
        "other_salt_one_iteration": joined(low_first, low_final),
        "extension_after_count": joined(ext_first, ext_final),
        "server_error": joined(first, "e=invalid-proof"),
        "huge_iteration_count": joined(f"r={COMBINED_NONCE},s={SALT_B64},i=100000000", "v=AAAA"),
        "mandatory_extension": joined(f"m=x,r={COMBINED_NONCE},s={SALT_B64},i=4096"),
        "nonce_not_extended": joined(f"r={CLIENT_NONCE},s={SALT_B64},i=4096"),
    }


def base64_seeds():
    return {
        "empty": b"",
        "one_byte": b"Zg==",
        "two_bytes": b"Zm8=",
        "three_bytes": b"Zm9v",
        "salt": SALT_B64.encode(),
        "key": base64.b64encode(bytes(range(32))),
        "gs2_header": b"biws",
        "non_canonical": b"Zh==",
        "padding_inside": b"Zg==Zg==",
    }


def admin_command():
    return {
        "show_pools": b"SHOW POOLS;",
        "show_lower": b"show clients",
        "pause_db": b"PAUSE mydb",
        "kill_quoted": b'KILL "My-DB"',
        "resume_doubled_quote": b'RESUME "a""b" ;',
        "set_equals": b"SET default_pool_size = 20",
        "set_to_literal": b"set log_connections TO 'on';",
        "reload": b"RELOAD",
        "shutdown_padded": b"  \tSHUTDOWN;\n",
        "only_semicolon": b" ;",
        "two_statements": b"SHOW POOLS; SHOW CLIENTS",
    }


# --- issue 12: SQL statements and protocol-level prepared statements ------------------------
# pg_sql_lexer: one options byte (low 3 bits: ClientEncoding, bit 3: standard_conforming_strings
# off), then the SQL text. pg_statement_messages: read as raw messages and also as a program of
# the tracker's target (targets/pg_statement_messages.cpp): a byte for the eviction limit, then
# operations.

UTF8, SJIS, BIG5, GBK, UHC, GB18030, JOHAB, UNKNOWN = range(8)
ESCAPES = 8  # standard_conforming_strings off


def sql(text, encoding=UTF8, flags=0):
    return bytes([encoding | flags]) + (text.encode("latin-1") if isinstance(text, str) else text)


def pg_sql_lexer():
    return {
        "set_forms": sql("SET search_path TO \"$user\", public; SET SESSION work_mem = '64MB'; "
                         "SET TIME ZONE 'Europe/Paris'; SET NAMES 'UTF8'; SET SCHEMA 'app'; SET ROLE NONE; "
                         "SET SESSION AUTHORIZATION DEFAULT; SET LOCAL x = 1; SET TRANSACTION READ ONLY"),
        "reset_forms": sql("RESET search_path; RESET ALL; RESET TIME ZONE; RESET ROLE; RESET SESSION AUTHORIZATION"),
        "characteristics": sql("SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"),
        "set_config": sql("SELECT set_config('search_path', '\"$user\", public', false), "
                          "pg_catalog.set_config(E'a.b''c', $v$x$v$, false), set_config('t', 'x', true)"),
        "pins": sql("LISTEN ch; CREATE TEMP TABLE t (x int) ON COMMIT DELETE ROWS; SELECT pg_advisory_lock(1); "
                    "DECLARE c CURSOR WITH HOLD FOR SELECT 1; PREPARE q(int) AS SELECT $1; DO $$ BEGIN END $$"),
        "clears": sql("UNLISTEN *; DISCARD TEMP; SELECT pg_advisory_unlock_all(); CLOSE ALL; DEALLOCATE ALL; "
                      "DISCARD ALL"),
        "temp_spellings": sql("SELECT * INTO TEMP t FROM x; CREATE TABLE pg_temp.t (); "
                              "EXPLAIN ANALYZE CREATE GLOBAL TEMPORARY TABLE u AS SELECT 1"),
        "comments_nested": sql("/* a /* nested ; */ still */ SELECT 1 -- line ; comment\n; SELECT 2"),
        "string_forms": sql("SELECT 'it''s', E'\\'';', U&'d\\0061t', B'01', X'1F', N'n', 'a'\n  'b', 'c' 'd'"),
        "dollar_forms": sql("SELECT $$a;b$$, $tag$ $x$ ; $tag$, $1, a$b$, $ab c, $e'x'"),
        "escapes_off": sql("SET application_name = 'a\\'; LISTEN b'; SELECT 1", flags=ESCAPES),
        "sjis_trailing_5c": sql(b"SET application_name = E'\x83\x5c'; LISTEN x; SELECT '\x83\x5c\\'", SJIS),
        "big5_dollar_tag": sql(b"SELECT $\xa4\x5c$ ; $\xa4\x5c$; LISTEN y", BIG5),
        "gb18030_four_byte": sql(b"SELECT E'\x81\x30\x81\x5c'; SELECT E'\x81\x5c'; LISTEN z", GB18030),
        "johab_semicolon": sql(b"SELECT \x84\x3b FROM t; LISTEN j", JOHAB),
        "unterminated_quote": sql("SET a = 1; SELECT 'never closed; LISTEN x"),
        "unterminated_comment": sql("LISTEN a; /* /* */ LISTEN b"),
        "numbers_and_junk": sql("SELECT 1e5, 0x1F, 1_000, 1.5$$x$$, .5, 1..2"),
        "unknown_encoding": sql(b"SET a = '\xe9t\xe9'", UNKNOWN),
    }


# Operations of the tracker program (targets/pg_statement_messages.cpp).
OP_PARSE, OP_BIND, OP_DESCRIBE_S, OP_DESCRIBE_P, OP_CLOSE_S, OP_CLOSE_P, OP_EXECUTE, OP_SYNC, OP_FLUSH, \
    OP_DELIVER_ALL, OP_DELIVER_ONE, OP_SWITCH = range(12)
# Indexes into the target's name and query lists.
N_UNNAMED, N_A, N_B, N_C, N_SLUICE_S1, N_SLUICE_S2, N_SLUICE_S = range(7)
Q_1, Q_2, Q_3, Q_FAIL, Q_PARAM = range(5)


def program(limit, *ops):
    out = bytearray([limit])
    for op in ops:
        out += bytes(op) if isinstance(op, (list, tuple)) else bytes([op])
    return bytes(out)


def parse_op(name, query, typed=0):
    return [OP_PARSE, name, query, typed]


def pg_statement_messages():
    parse = msg("P", cstr("S_1") + cstr("SELECT $1::int") + be16(1) + be32(23))
    bind = msg("B", cstr("p") + cstr("S_1") + be16(1) + be16(1) + be16(2) + be32(4) + be32(7) + be32(0xFFFFFFFF) +
               be16(1) + be16(0))
    return {
        "wire_extended": parse + bind + msg("D", b"S" + cstr("S_1")) + msg("E", cstr("p") + be32(0)) +
                         msg("C", b"S" + cstr("S_1")) + msg("S"),
        "wire_bind_null_and_formats": bind,
        "wire_describe_portal": msg("D", b"P" + cstr("")) + msg("C", b"P" + cstr("p")),
        "pipeline_two_statements": program(3, parse_op(N_A, Q_1), [OP_BIND, N_A], OP_EXECUTE,
                                           parse_op(N_B, Q_PARAM, 1), [OP_BIND, N_B], OP_EXECUTE, OP_SYNC,
                                           OP_DELIVER_ALL),
        "eviction_limit_1": program(0, parse_op(N_A, Q_1), OP_SYNC, OP_DELIVER_ALL, parse_op(N_B, Q_2), OP_SYNC,
                                    OP_DELIVER_ALL, [OP_BIND, N_A], OP_EXECUTE, OP_SYNC, OP_DELIVER_ALL),
        "failing_parse": program(3, parse_op(N_A, Q_FAIL), [OP_BIND, N_A], OP_EXECUTE, OP_SYNC,
                                 parse_op(N_A, Q_1), OP_SYNC, OP_DELIVER_ONE, OP_DELIVER_ALL),
        "shared_across_clients": program(3, parse_op(N_A, Q_1), OP_SYNC, OP_SWITCH, parse_op(N_B, Q_1),
                                         [OP_BIND, N_B], [OP_DESCRIBE_S, N_B], OP_SYNC, OP_DELIVER_ALL),
        "close_and_reuse": program(3, parse_op(N_A, Q_1), OP_SYNC, OP_DELIVER_ALL, [OP_CLOSE_S, N_A],
                                   parse_op(N_A, Q_2), [OP_BIND, N_A], OP_SYNC, OP_DELIVER_ALL),
        "describe_flush": program(3, parse_op(N_C, Q_3), OP_SYNC, OP_SWITCH, OP_SWITCH, [OP_DESCRIBE_S, N_C],
                                  OP_FLUSH, OP_DELIVER_ONE, OP_DESCRIBE_P, OP_SYNC),
        "error_then_skipped": program(3, parse_op(N_A, Q_1), OP_SYNC, OP_DELIVER_ALL, parse_op(N_B, Q_FAIL),
                                      OP_FLUSH, OP_DELIVER_ALL, [OP_CLOSE_S, N_A], parse_op(N_C, Q_2), OP_SYNC),
        "guessed_sluice_names": program(3, parse_op(N_A, Q_1), OP_SYNC, OP_SWITCH, [OP_BIND, N_SLUICE_S1],
                                        [OP_CLOSE_S, N_SLUICE_S1], [OP_DESCRIBE_S, N_SLUICE_S], OP_SYNC),
        "pending_copy": program(3, parse_op(N_A, Q_FAIL), OP_SYNC, parse_op(N_B, Q_FAIL), OP_SYNC,
                                parse_op(N_C, Q_2), parse_op(N_SLUICE_S2, Q_2), OP_SYNC, OP_DELIVER_ALL),
    }


TARGETS = {
    "pg_startup": pg_startup,
    "pg_client_stream": pg_client_stream,
    "pg_server_stream": pg_server_stream,
    "pg_client_login": pg_client_login,
    "pg_server_login": pg_server_login,
    "scram_server": scram_server,
    "scram_client": scram_client,
    "base64": base64_seeds,
    "admin_command": admin_command,
    "pg_sql_lexer": pg_sql_lexer,
    "pg_statement_messages": pg_statement_messages,
}

# --- dictionaries ---------------------------------------------------------------------------

PG_WORDS = ["user", "database", "application_name", "options", "replication", "client_encoding",
            "_pq_.", "SCRAM-SHA-256", "SCRAM-SHA-256-PLUS"]
SCRAM_WORDS = ["n,,", "y,,", "p=", "a=", "n=", "r=", "s=", "i=", "c=", "p=", "v=", "e=", "m=",
               "=2C", "=3D", "biws", "eSws", ",", "==", CLIENT_NONCE, SERVER_NONCE, SALT_B64, "4096"]
INT32S = {"v3": PROTOCOL_3_0, "ssl": SSL_REQUEST, "gssenc": GSSENC_REQUEST, "cancel": CANCEL_REQUEST,
          "len4": 4, "len8": 8, "len16": 16, "minus1": 0xFFFFFFFF, "sasl": 10, "sasl_continue": 11,
          "sasl_final": 12, "md5": 5}


def dict_entry(raw):
    return '"' + "".join(chr(b) if 0x20 <= b < 0x7F and b not in b'"\\' else f"\\x{b:02x}" for b in raw) + '"'


def dictionary(words, int32s):
    lines = [dict_entry(w.encode()) for w in words]
    lines += [f"{name}={dict_entry(be32(value))}" for name, value in int32s.items()]
    return "\n".join(lines) + "\n"


DICTIONARIES = {
    "pg_startup": (PG_WORDS, INT32S),
    "pg_client_stream": (PG_WORDS, INT32S),
    "pg_server_stream": (PG_WORDS + ["ERROR", "FATAL", "server_version"], INT32S),
    "pg_client_login": (PG_WORDS + SCRAM_WORDS, INT32S),
    "pg_server_login": (PG_WORDS + SCRAM_WORDS, INT32S),
    "scram_server": (SCRAM_WORDS, {}),
    "scram_client": (SCRAM_WORDS, {}),
    "base64": (["=", "==", "A", "/", "+"], {}),
    "admin_command": (["SHOW", "PAUSE", "RESUME", "RECONNECT", "KILL", "RELOAD", "SHUTDOWN", "SET",
                       "TO", "HELP", "POOLS", "=", ";", '"', "'", '""', "''"], {}),
    "pg_sql_lexer": (["SET ", "RESET ", "SESSION ", "LOCAL ", "TIME ZONE ", "NAMES ", "SCHEMA ", "ROLE ",
                      "AUTHORIZATION ", "CHARACTERISTICS AS TRANSACTION ", "TO ", "=", "DEFAULT", "ALL",
                      "LISTEN ", "UNLISTEN ", "*", "CREATE ", "TEMP ", "TEMPORARY ", "TABLE ", "ON COMMIT DROP",
                      "INTO ", "pg_temp.", "SELECT ", "set_config(", "pg_catalog.", "pg_advisory_lock(",
                      "pg_advisory_unlock_all()", "DECLARE ", "CURSOR WITH HOLD FOR ", "CLOSE ", "PREPARE ",
                      "DEALLOCATE ", "DISCARD ", "DO ", "EXPLAIN ANALYZE ", "false", "true", ";", ",", "(", ")",
                      "'", "''", "E'", "U&'", "\\", '"', "$$", "$a$", "$1", "--", "/*", "*/", "\n"], {}),
    "pg_statement_messages": (["sluice_s", "S_1", "SELECT 1"], {"len4": 4, "minus1": 0xFFFFFFFF}),
}


def main():
    for target, make in TARGETS.items():
        directory = HERE / "corpus" / target
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
        for name, data in make().items():
            assert len(data) < 2048, (target, name, len(data))
            (directory / name).write_bytes(data)
    (HERE / "dict").mkdir(exist_ok=True)
    for target, (words, int32s) in DICTIONARIES.items():
        (HERE / "dict" / f"{target}.dict").write_text(dictionary(words, int32s))


if __name__ == "__main__":
    main()
