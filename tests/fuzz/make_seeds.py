#!/usr/bin/env python3
"""Writes the fuzz seed corpus (tests/fuzz/corpus/<target>/) and dictionaries (dict/).

Reproducible: the same files every run, from the protocol documentation's message layouts
and RFC 7677's SCRAM example, which targets/scram_fixture.hpp uses as well (password
"pencil", salt, 4096 iterations, both nonces): change both together. MySQL seeds have a section
of their own. Each corpus directory
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
        # An odd last byte: the target accepts SSLRequest (tls.client on), then reads on.
        "ssl_accepted_then_startup": untyped(SSL_REQUEST) + client + b"\x01",
        "gssenc_ssl_accepted_then_startup": untyped(GSSENC_REQUEST) + untyped(SSL_REQUEST) + client + b"\x01",
        "direct_tls_client_hello": bytes([0x16, 0x03, 0x01, 0x00, 0x2f, 0x01]),
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


# --- MySQL / MariaDB wire format ----------------------------------------------------------
# Layouts from the MySQL source documentation ("Connection Phase Packets", "Generic Response
# Packets", "Text Protocol", "Prepared Statements") and MariaDB's knowledge base. The scramble
# and password match targets/mysql_handshake_response.cpp (kScramble, kPassword).

MY_SCRAMBLE = b"abcdefghijklmnopqrst"
MY_PASSWORD = b"secret"

CLIENT_MYSQL = 1 << 0
CLIENT_CONNECT_WITH_DB = 1 << 3
CLIENT_LOCAL_FILES = 1 << 7
CLIENT_PROTOCOL_41 = 1 << 9
CLIENT_SSL = 1 << 11
CLIENT_TRANSACTIONS = 1 << 13
CLIENT_SECURE_CONNECTION = 1 << 15
CLIENT_MULTI_STATEMENTS = 1 << 16
CLIENT_MULTI_RESULTS = 1 << 17
CLIENT_PLUGIN_AUTH = 1 << 19
CLIENT_CONNECT_ATTRS = 1 << 20
CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21
CLIENT_SESSION_TRACK = 1 << 23
CLIENT_DEPRECATE_EOF = 1 << 24
MARIADB_CLIENT_PROGRESS = 1 << 32
MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1 << 34

SERVER_STATUS_IN_TRANS = 1
SERVER_STATUS_AUTOCOMMIT = 2
SERVER_MORE_RESULTS_EXISTS = 8
SERVER_STATUS_CURSOR_EXISTS = 64
SERVER_STATUS_LAST_ROW_SENT = 128
SERVER_SESSION_STATE_CHANGED = 1 << 14

COM_QUIT, COM_INIT_DB, COM_QUERY, COM_FIELD_LIST = 0x01, 0x02, 0x03, 0x04
COM_STATISTICS, COM_PING, COM_CHANGE_USER = 0x09, 0x0E, 0x11
COM_STMT_PREPARE, COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA = 0x16, 0x17, 0x18
COM_STMT_CLOSE, COM_STMT_RESET, COM_SET_OPTION, COM_STMT_FETCH = 0x19, 0x1A, 0x1B, 0x1C
COM_RESET_CONNECTION, COM_BINLOG_DUMP = 0x1F, 0x12


def le16(value):
    return struct.pack("<H", value & 0xFFFF)


def le24(value):
    return struct.pack("<I", value & 0xFFFFFF)[:3]


def le32(value):
    return struct.pack("<I", value & 0xFFFFFFFF)


def lenenc(value):
    if value < 0xFB:
        return bytes([value])
    if value <= 0xFFFF:
        return b"\xfc" + le16(value)
    if value <= 0xFFFFFF:
        return b"\xfd" + le24(value)
    return b"\xfe" + struct.pack("<Q", value)


def lenenc_str(text):
    data = text.encode() if isinstance(text, str) else text
    return lenenc(len(data)) + data


def my_packet(payload, sequence_id):
    return le24(len(payload)) + bytes([sequence_id & 0xFF]) + payload


def native_scramble(password=MY_PASSWORD, scramble=MY_SCRAMBLE):
    stage1 = hashlib.sha1(password).digest()
    mask = hashlib.sha1(scramble + hashlib.sha1(stage1).digest()).digest()
    return bytes(a ^ b for a, b in zip(stage1, mask))


def sha2_scramble(password=MY_PASSWORD, scramble=MY_SCRAMBLE):
    stage1 = hashlib.sha256(password).digest()
    mask = hashlib.sha256(hashlib.sha256(stage1).digest() + scramble).digest()
    return bytes(a ^ b for a, b in zip(stage1, mask))


def handshake_v10(version, connection_id, scramble, capabilities, plugin, charset=45, status=2):
    """Protocol::HandshakeV10; MariaDB's extended capabilities in the last 4 reserved bytes."""
    out = b"\x0a" + cstr(version) + le32(connection_id) + scramble[:8] + b"\0"
    out += le16(capabilities) + bytes([charset]) + le16(status) + le16(capabilities >> 16)
    out += bytes([len(scramble) + 1 if capabilities & CLIENT_PLUGIN_AUTH else 0])
    out += b"\0" * 6 + le32(capabilities >> 32)
    if capabilities & CLIENT_SECURE_CONNECTION:
        part2 = scramble[8:] + b"\0"
        out += part2 + b"\0" * max(0, 13 - len(part2))
    if capabilities & CLIENT_PLUGIN_AUTH:
        out += cstr(plugin)
    return out


def client_fixed(capabilities, max_packet=1 << 24, charset=45):
    return le32(capabilities) + le32(max_packet) + bytes([charset]) + b"\0" * 19 + le32(capabilities >> 32)


def handshake_response(capabilities, user, auth, database=None, plugin=None, attributes=None):
    """Protocol::HandshakeResponse41, the auth response encoded as the capabilities say."""
    out = client_fixed(capabilities) + cstr(user)
    if capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA:
        out += lenenc_str(auth)
    elif capabilities & CLIENT_SECURE_CONNECTION:
        out += bytes([len(auth)]) + auth
    else:
        out += auth + b"\0"
    if database is not None:
        out += cstr(database)
    if plugin is not None:
        out += cstr(plugin)
    if attributes is not None:
        out += lenenc_str(b"".join(lenenc_str(k) + lenenc_str(v) for k, v in attributes))
    return out


def ok_payload(status, affected=0, insert_id=0, warnings=0, header=0x00, info=b"", state=None):
    """OK_Packet as a server writes it under CLIENT_SESSION_TRACK (info left out when empty)."""
    out = bytes([header]) + lenenc(affected) + lenenc(insert_id) + le16(status) + le16(warnings)
    if state is not None:
        out += lenenc_str(info) + lenenc_str(state)
    elif info:
        out += lenenc_str(info)
    return out


def err_payload(code, sql_state, message):
    return b"\xff" + le16(code) + b"#" + sql_state.encode() + message.encode()


def eof_payload(status, warnings=0):
    return b"\xfe" + le16(warnings) + le16(status)


def column_definition(name):
    """Protocol::ColumnDefinition41, a VAR_STRING column."""
    return (lenenc_str("def") + lenenc_str("") + lenenc_str("t") + lenenc_str("t") + lenenc_str(name) +
            lenenc_str(name) + b"\x0c" + le16(45) + le32(1024) + b"\xfd" + le16(0) + b"\0" + le16(0))


def text_row(values):
    return b"".join(b"\xfb" if v is None else lenenc_str(v) for v in values)


def prepare_ok(statement_id, columns, params):
    return b"\x00" + le32(statement_id) + le16(columns) + le16(params) + b"\0" + le16(0)


class Exchange:
    """Packets of a command phase, for mysql_response_tracker: records of a direction byte
    (1 client, 0 server) and a packet; sequence ids restart at each command."""

    def __init__(self, flags):
        self.data = bytes([flags])
        self.sequence = 0

    def command(self, code, argument=b""):
        self.sequence = 0
        return self.client(bytes([code]) + argument)

    def client(self, payload):
        self.data += b"\x01" + my_packet(payload, self.sequence)
        self.sequence += 1
        return self

    def server(self, *payloads):
        for payload in payloads:
            self.data += b"\x00" + my_packet(payload, self.sequence)
            self.sequence += 1
        return self

    def result_set(self, columns, rows, status, deprecate_eof):
        self.server(lenenc(len(columns)), *[column_definition(c) for c in columns])
        if not deprecate_eof:
            self.server(eof_payload(status & ~SERVER_MORE_RESULTS_EXISTS))
        self.server(*[text_row(r) for r in rows])
        return self.server(ok_payload(status, header=0xFE) if deprecate_eof else eof_payload(status))


# Flags byte of mysql_response_tracker: 1 CLIENT_DEPRECATE_EOF, 2 MARIADB_CLIENT_PROGRESS,
# 4 starts in autocommit, 8 starts in a transaction.
TRACK_CLASSIC, TRACK_DEPRECATE, TRACK_PROGRESS, TRACK_AUTOCOMMIT = 0, 1, 2, 4


def mysql_packet():
    mariadb = handshake_v10("5.5.5-10.11.6-MariaDB-sluice", 7, MY_SCRAMBLE,
                            CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                            CLIENT_DEPRECATE_EOF | MARIADB_CLIENT_PROGRESS, "mysql_native_password")
    response = handshake_response(CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH,
                                  "app", native_scramble(), plugin="mysql_native_password")
    return {
        "login": my_packet(mariadb, 0) + my_packet(response, 1) + my_packet(ok_payload(2), 2),
        "query_result": (my_packet(b"\x03SELECT 1", 0) + my_packet(lenenc(1), 1) +
                         my_packet(column_definition("1"), 2) + my_packet(eof_payload(2), 3) +
                         my_packet(text_row([b"1"]), 4) + my_packet(eof_payload(2), 5)),
        "empty_packets": my_packet(b"", 0) + my_packet(b"", 1) + my_packet(b"\x0e", 0),
        "lenenc_boundaries": my_packet(lenenc(250) + lenenc(251) + lenenc(0xFFFF) + lenenc(0x10000) +
                                       lenenc(0xFFFFFF) + lenenc(0x1000000) + lenenc_str("x" * 251), 3),
        "out_of_order": my_packet(b"\x0e", 0) + my_packet(ok_payload(2), 5),
        "claims_more_than_sent": le24(1000) + b"\x00" + b"\x03SELECT",
        "over_small_cap": my_packet(b"x" * 60, 0) + my_packet(b"y", 1),
        "null_and_invalid_lenenc": my_packet(b"\xfb\xff\xfc\x01", 0),
    }


def mysql_handshake_response():
    lenenc_caps = (CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                   CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS |
                   CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_SESSION_TRACK | CLIENT_DEPRECATE_EOF)
    attributes = [("_client_name", "libmariadb"), ("_client_version", "3.3.8"), ("_os", "Linux"),
                  ("_pid", "4242"), ("program_name", "mysql")]
    secure = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_WITH_DB
    mariadb_caps = lenenc_caps | MARIADB_CLIENT_PROGRESS | MARIADB_CLIENT_STMT_BULK_OPERATIONS
    return {
        "native_lenenc_attributes": handshake_response(lenenc_caps, "app", native_scramble(), "shop",
                                                        "mysql_native_password", attributes),
        "sha2_lenenc": handshake_response(lenenc_caps, "app", sha2_scramble(), "shop", "caching_sha2_password", []),
        "secure_connection": handshake_response(secure, "app", native_scramble(), "shop", "mysql_native_password"),
        "nul_terminated_auth": handshake_response(CLIENT_PROTOCOL_41 | CLIENT_CONNECT_WITH_DB, "old",
                                                  b"scrambled", "shop"),
        "connector_j_no_database": handshake_response(secure | CLIENT_CONNECT_ATTRS, "app", b""),
        "mariadb_extended": handshake_response(mariadb_caps, "maria", native_scramble(), "", "client_ed25519", []),
        "ssl_request": client_fixed(CLIENT_PROTOCOL_41 | CLIENT_SSL | CLIENT_SECURE_CONNECTION),
        "framed_response": my_packet(handshake_response(secure, "app", native_scramble(), "shop",
                                                        "mysql_native_password"), 1),
        "framed_ssl_request": my_packet(client_fixed(CLIENT_PROTOCOL_41 | CLIENT_SSL), 1),
        "framed_ssl_then_response": my_packet(client_fixed(secure | CLIENT_SSL), 1) +
                                    my_packet(handshake_response(secure | CLIENT_SSL, "app", native_scramble(),
                                                                 "shop", "mysql_native_password"), 2),
        # Over TLS a caching_sha2_password client is asked for its password in clear (seq 4).
        "framed_ssl_then_sha2_full_authentication": my_packet(client_fixed(secure | CLIENT_SSL), 1) +
                                                    my_packet(handshake_response(secure | CLIENT_SSL, "app",
                                                                                 sha2_scramble(), "shop",
                                                                                 "caching_sha2_password"), 2) +
                                                    my_packet(MY_PASSWORD + b"\0", 4),
        "framed_sha2_then_switch_answer": my_packet(handshake_response(lenenc_caps, "app", sha2_scramble(), "shop",
                                                                       "caching_sha2_password", []), 1) +
                                          my_packet(native_scramble(), 3),
        "framed_native_then_switch_answer": my_packet(handshake_response(secure, "app", native_scramble(), "shop",
                                                                         "mysql_native_password"), 1) +
                                            my_packet(sha2_scramble(), 3),
        "protocol_320": le16(CLIENT_SECURE_CONNECTION) + le24(1 << 24) + b"app\0scramble",
        "attributes_too_long": handshake_response(lenenc_caps, "app", b"", "db", "p") + b"\x40\x03key",
    }


def mysql_server_handshake():
    mariadb_caps = (CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
                    CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS |
                    CLIENT_TRANSACTIONS | CLIENT_MULTI_RESULTS | CLIENT_SESSION_TRACK | CLIENT_DEPRECATE_EOF |
                    MARIADB_CLIENT_PROGRESS | MARIADB_CLIENT_STMT_BULK_OPERATIONS)
    mysql8_caps = 0xDFFFFFFF
    mariadb = handshake_v10("5.5.5-10.11.6-MariaDB-1:10.11.6+maria~deb12", 31, MY_SCRAMBLE, mariadb_caps,
                            "mysql_native_password")
    mysql8 = handshake_v10("8.0.36", 12, b"0123456789abcdefghij", mysql8_caps, "caching_sha2_password", charset=255)
    return {
        "mariadb_10_11": mariadb,
        "mysql_8_sha2": mysql8,
        "no_plugin_auth": handshake_v10("5.1.73", 3, MY_SCRAMBLE, CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION,
                                        ""),
        "pre_41_short": b"\x0a" + cstr("4.0.27") + le32(1) + b"12345678\0" + le16(0x0200),
        "plugin_name_without_nul": handshake_v10("5.5.8", 1, MY_SCRAMBLE, mariadb_caps,
                                                 "mysql_native_password")[:-1],
        "auth_switch_native": b"\xfe" + cstr("mysql_native_password") + MY_SCRAMBLE + b"\0",
        "auth_switch_ed25519": b"\xfe" + cstr("client_ed25519") + bytes(range(32)),
        "auth_more_fast_ok": b"\x01\x03",
        "auth_more_full": b"\x01\x04",
        "old_auth_switch": b"\xfe",
        "ok_login": ok_payload(SERVER_STATUS_AUTOCOMMIT),
        "ok_session_state": ok_payload(SERVER_STATUS_AUTOCOMMIT | SERVER_SESSION_STATE_CHANGED, info=b"",
                                       state=b"\x01\x05\x04shop"),
        "err_access_denied": err_payload(1045, "28000", "Access denied for user 'app'@'localhost' (using password: YES)"),
        "err_without_sqlstate": b"\xff" + le16(1130) + b"Host '10.0.0.1' is not allowed to connect",
        # Whole logins, framed, for the connector's machine (mysql::ServerLogin).
        "login_native": my_packet(mariadb, 0) + my_packet(ok_payload(SERVER_STATUS_AUTOCOMMIT), 2),
        "login_sha2_fast": my_packet(mysql8, 0) + my_packet(b"\x01\x03", 2) +
                           my_packet(ok_payload(SERVER_STATUS_AUTOCOMMIT), 3),
        "login_sha2_full": my_packet(mysql8, 0) + my_packet(b"\x01\x04", 2),
        "login_switch_native": my_packet(mysql8, 0) +
                               my_packet(b"\xfe" + cstr("mysql_native_password") + MY_SCRAMBLE + b"\0", 2) +
                               my_packet(ok_payload(SERVER_STATUS_AUTOCOMMIT), 4),
        "login_denied": my_packet(mariadb, 0) + my_packet(err_payload(1045, "28000", "Access denied"), 2),
        "login_refused_early": my_packet(b"\xff" + le16(1040) + b"Too many connections", 0),
    }


def mysql_response_tracker():
    a, intx, more = SERVER_STATUS_AUTOCOMMIT, SERVER_STATUS_IN_TRANS, SERVER_MORE_RESULTS_EXISTS
    classic, deprecate = TRACK_CLASSIC | TRACK_AUTOCOMMIT, TRACK_DEPRECATE | TRACK_AUTOCOMMIT
    binary_row = b"\x00\x00" + le32(1)
    seeds = {
        "ping_ok": Exchange(classic).command(COM_PING).server(ok_payload(a)),
        "begin_commit": Exchange(classic).command(COM_QUERY, b"BEGIN").server(ok_payload(a | intx))
        .command(COM_QUERY, b"COMMIT").server(ok_payload(a)),
        "text_result_classic": Exchange(classic).command(COM_QUERY, b"SELECT a, b FROM t")
        .result_set(["a", "b"], [[b"1", None], [b"", b"x"]], a, False),
        "text_result_deprecate_eof": Exchange(deprecate).command(COM_QUERY, b"SELECT a FROM t")
        .result_set(["a"], [[b"1"], [None]], a | intx, True),
        "multi_results": Exchange(classic).command(COM_QUERY, b"SELECT 1; DO 1; SELECT 2")
        .result_set(["1"], [[b"1"]], a | more, False).server(ok_payload(a | more))
        .result_set(["2"], [[b"2"]], a, False),
        "error_in_rows": Exchange(deprecate).command(COM_QUERY, b"SELECT slow()")
        .server(lenenc(1), column_definition("x"), text_row([b"1"]),
                err_payload(1317, "70100", "Query execution was interrupted")),
        "error_autocommit_off": Exchange(TRACK_CLASSIC).command(COM_QUERY, b"INSERT dup")
        .server(err_payload(1062, "23000", "Duplicate entry")),
        "prepare_execute_classic": Exchange(classic).command(COM_STMT_PREPARE, b"SELECT ? + 1")
        .server(prepare_ok(1, 1, 1), column_definition("?"), eof_payload(a), column_definition("x"), eof_payload(a))
        .command(COM_STMT_EXECUTE, le32(1) + b"\x00" + le32(1) + b"\x00\x01\x08\x00" + struct.pack("<q", 41))
        .server(lenenc(1), column_definition("x"), eof_payload(a), binary_row, eof_payload(a))
        .command(COM_STMT_CLOSE, le32(1)),
        "prepare_deprecate_eof": Exchange(deprecate).command(COM_STMT_PREPARE, b"SELECT ?, ?")
        .server(prepare_ok(2, 2, 2), *[column_definition("?")] * 4),
        "cursor_and_fetch": Exchange(classic).command(COM_STMT_EXECUTE, le32(1) + b"\x01" + le32(1))
        .server(lenenc(1), column_definition("x"), eof_payload(a | SERVER_STATUS_CURSOR_EXISTS))
        .command(COM_STMT_FETCH, le32(1) + le32(10))
        .server(binary_row, binary_row, eof_payload(a | SERVER_STATUS_CURSOR_EXISTS | SERVER_STATUS_LAST_ROW_SENT)),
        "local_infile": Exchange(classic).command(COM_QUERY, b"LOAD DATA LOCAL INFILE 'f' INTO TABLE t")
        .server(b"\xfbf").client(b"1,2\n3,4\n").client(b"").server(ok_payload(a, affected=2)),
        "change_user": Exchange(deprecate).command(COM_CHANGE_USER, b"bob\0\x14" + native_scramble())
        .server(b"\xfe" + cstr("caching_sha2_password") + MY_SCRAMBLE + b"\0")
        .client(sha2_scramble()).server(b"\x01\x03", ok_payload(a)),
        "statistics_field_list": Exchange(classic).command(COM_STATISTICS).server(b"Uptime: 5  Threads: 1")
        .command(COM_FIELD_LIST, b"t\0").server(column_definition("a"), eof_payload(a)),
        "pipelined": Exchange(deprecate).command(COM_STMT_PREPARE, b"SELECT ?")
        .command(COM_STMT_EXECUTE, b"\xff\xff\xff\xff\x00\x01\x00\x00\x00")
        .server(prepare_ok(1, 1, 1), column_definition("?"), column_definition("x"))
        .server(lenenc(1), column_definition("x"), binary_row, ok_payload(a, header=0xFE)),
        "progress_reports": Exchange(TRACK_PROGRESS | TRACK_AUTOCOMMIT).command(COM_QUERY, b"ALTER TABLE t ENGINE=InnoDB")
        .server(b"\xff\xff\xff\x01\x01\x02\x10\x27\x00\x05stage", ok_payload(a)),
        "no_response_commands": Exchange(classic).command(COM_STMT_SEND_LONG_DATA, le32(1) + le16(0) + b"data")
        .command(COM_STMT_RESET, le32(1)).server(ok_payload(a)).command(COM_QUIT),
        "set_option_eof": Exchange(classic).command(COM_SET_OPTION, le16(0)).server(eof_payload(a)),
        "unsolicited": Exchange(classic).server(err_payload(4031, "HY000", "inactivity")),
        "binlog_dump": Exchange(classic).command(COM_BINLOG_DUMP, le32(4) + le16(0) + le32(1)).server(b"\x00event"),
    }
    return {name: exchange.data for name, exchange in seeds.items()}


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


def mysql_use_statement():
    return {
        "bare": b"USE app",
        "quoted": b" use `my db` ; ",
        "two_statements": b"USE a; SELECT 1",
        "inner_backtick": b"USE `a`b`",
        "tab_and_dollar": b"use\tshop_$1\n",
    }


def mysql_kill_statement():
    return {
        "kill_query": b"KILL QUERY 42",
        "kill_connection": b" kill connection 7 ; ",
        "kill_hard": b"KILL HARD QUERY 9",
        "kill_user": b"KILL USER app",
        "kill_query_id": b"KILL QUERY ID 12",
        "two_statements": b"KILL 1; SELECT 1",
        "process_kill": b"\x0c\x2a\x00\x00\x00",
    }


def mysql_change_user():
    attributes = lenenc_str(lenenc_str(b"_client_name") + lenenc_str(b"libmariadb"))
    full = (b"alice\x00" + bytes([20]) + b"\x11" * 20 + b"app2\x00" + b"\x2d\x00" +
            b"mysql_native_password\x00" + attributes)
    return {
        "connector_c": b"\x07" + full,
        "old_style": b"\x00" + b"bob\x00secret\x00app\x00",
        "no_tail": b"\x01" + b"bob\x00\x00\x00",
        "overlong_auth": b"\x07" + b"alice\x00\xc8" + b"\x11" * 20,
    }


def mysql_statement_packets():
    def execute(stmt_id, flags, params, bound):
        body = bytes([0x17]) + le32(stmt_id) + bytes([flags]) + le32(1)
        if params:
            body += bytes((params + 7) // 8) + bytes([1 if bound else 0])
            if bound:
                body += b"\x08\x00" * params
            body += b"\x07" * (8 * params)
        return bytes([params]) + body
    return {
        "execute_bound": execute(1, 0, 2, True),
        "execute_unbound": execute(3, 0, 2, False),
        "execute_cursor": execute(2, 1, 1, True),
        "execute_no_params": execute(4, 0, 0, False),
        "last_statement": execute(0xFFFFFFFF, 0, 9, False),
        "close": bytes([0, 0x19]) + le32(5),
        "long_data": bytes([1, 0x18]) + le32(6) + b"\x00\x00" + b"data",
        "prepare_ok": bytes([2, 0]) + le32(1) + b"\x01\x00\x02\x00\x00\x00\x00",
        "prepare_oks": bytes([3]) + le32(1) + le32(1) + le32(0) + le32(0xFFFFFFFF) + le32(2),
    }


def mysql_session_statement():
    texts = ["SET @x = 1", "SET sql_mode = 'ANSI_QUOTES'", "SET NAMES latin1", "CREATE TEMPORARY TABLE t (v INT)",
             "SELECT GET_LOCK('a', 1)", "LOCK TABLES t WRITE", "SELECT SQL_CALC_FOUND_ROWS * FROM t", "XA START 'x'",
             "PREPARE s FROM 'SELECT 1'", "SELECT '@a', `b@c` -- @d\n/* @e */ /*!40101 @f */",
             "SET @@session.autocommit = 0, LOCAL time_zone := '+01:00'", "SET TRANSACTION READ ONLY",
             "SELECT 1; SET x = 2", "SELECT 'it''s \\' still"]
    return {f"text_{i}": text.encode() for i, text in enumerate(texts)}


# --- HBA addresses and auth_query rows --------------------------------------------------

def hba_cidr():
    texts = ["10.0.0.0/8", "::1/128", "0.0.0.0/0", "192.168.1.128/25", "2001:db8::/32",
             "::ffff:10.0.0.0/104", "10.0.0.1/8", "fe80::1%eth0", "127.0.0.1", "::/0", "10.0.0.0/033"]
    return {f"address_{i}": text.encode() for i, text in enumerate(texts)}


def pg_auth_query_row():
    rows = {
        "verifier": [b"app", ("SCRAM-SHA-256$4096:" + SALT_B64 + "$a:b").encode()],
        "null_password": [b"app", None],
        "no_columns": [],
        "empty_values": [b"", b""],
        "widest": [b"x"] * 16,
    }
    return {name: data_row(values)[5:] for name, values in rows.items()}


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
    "mysql_packet": mysql_packet,
    "mysql_handshake_response": mysql_handshake_response,
    "mysql_server_handshake": mysql_server_handshake,
    "mysql_response_tracker": mysql_response_tracker,
    "mysql_use_statement": mysql_use_statement,
    "mysql_kill_statement": mysql_kill_statement,
    "mysql_change_user": mysql_change_user,
    "mysql_statement_packets": mysql_statement_packets,
    "mysql_session_statement": mysql_session_statement,
    "pg_sql_lexer": pg_sql_lexer,
    "pg_statement_messages": pg_statement_messages,
    "hba_cidr": hba_cidr,
    "pg_auth_query_row": pg_auth_query_row,
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


MYSQL_WORDS = ["mysql_native_password", "caching_sha2_password", "client_ed25519", "sha256_password",
               "mysql_clear_password", "def", "_client_name", "_os", "5.5.5-", "MariaDB", "#HY000", "#28000"]
MYSQL_BYTES = {"lenenc_null": b"\xfb", "lenenc2": b"\xfc", "lenenc3": b"\xfd", "lenenc8": b"\xfe",
               "err": b"\xff", "full_packet": b"\xff\xff\xff", "eof": b"\xfe\x00\x00\x02\x00",
               "ok": b"\x00\x00\x00\x02\x00", "more_results": b"\x0a\x00", "in_trans": b"\x03\x00",
               "cursor": b"\x42\x00", "progress": b"\xff\xff\xff", "protocol_41": le32(CLIENT_PROTOCOL_41 |
               CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)}


def mysql_dictionary():
    lines = [dict_entry(w.encode()) for w in MYSQL_WORDS]
    lines += [f"{name}={dict_entry(raw)}" for name, raw in MYSQL_BYTES.items()]
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
    "mysql_use_statement": (["USE ", "use", "`", ";", " ", "\t", "$", "_"], {}),
    "mysql_kill_statement": (["KILL ", "QUERY ", "CONNECTION ", "HARD ", "SOFT ", "ID ", "USER ", ";", " ", "\t",
                              "4294967295", "0"], {}),
    "mysql_session_statement": (["SET ", "SESSION ", "LOCAL ", "GLOBAL ", "@", "@@", "@@session.", "NAMES ",
                                 "CHARACTER SET ", "TRANSACTION ", "CREATE ", "TEMPORARY ", "TABLE ", "GET_LOCK(",
                                 "LOCK ", "FOUND_ROWS()", "SQL_CALC_FOUND_ROWS ", "PREPARE ", "XA ", "HANDLER ",
                                 "=", ":=", ",", ";", "(", ")", "'", "`", "\"", "--", "#", "/*", "*/", "/*!", "\n"], {}),
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
    for target in ("mysql_packet", "mysql_handshake_response", "mysql_server_handshake", "mysql_response_tracker",
                   "mysql_change_user", "mysql_statement_packets"):
        (HERE / "dict" / f"{target}.dict").write_text(mysql_dictionary())


if __name__ == "__main__":
    main()
