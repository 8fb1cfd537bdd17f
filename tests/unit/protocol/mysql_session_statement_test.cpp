// What a MySQL client's COM_QUERY does to its session (session_statement.hpp, sql_tokens.hpp).
#include <catch2/catch.hpp>

#include "sluice/protocol/mysql/collations.hpp"
#include "sluice/protocol/mysql/session_statement.hpp"
#include "sluice/protocol/mysql/sql_tokens.hpp"

using namespace sluice::mysql;

namespace {
SessionPin pin_of(std::string_view sql) { return read_query_effects(sql).pin; }
std::optional<std::string> setting_of(std::string_view sql) { return read_query_effects(sql).setting; }
}  // namespace

TEST_CASE("the tokeniser skips comments and keeps strings opaque", "[mysql_statements][mysql_session_state]") {
  const auto tokens = tokenize_sql("SELECT '@a;' , `b@c` -- @d\n # @e\n /* @f */ @g @@h /*!40101 @i */");
  std::vector<std::string_view> texts;
  for (const auto& token : tokens) texts.push_back(token.text);
  CHECK(texts == std::vector<std::string_view>{"SELECT", "'@a;'", ",", "`b@c`", "@g", "@@h", "@i"});
  CHECK(tokens[4].kind == TokenKind::user_variable);
  CHECK(tokens[5].kind == TokenKind::system_variable);
  CHECK(tokens[0].is("SELECT"));
  CHECK_FALSE(tokens[1].is("SELECT"));
  CHECK(tokenize_sql("SELECT 'it''s \\' still'").size() == 2);
  CHECK(tokenize_sql("'unterminated").size() == 1);
}

TEST_CASE("a text longer than the inline token space is read whole, and key words fold ASCII only",
          "[mysql_statements][mysql_session_state]") {
  std::string many = "SELECT 1";
  for (int i = 0; i < 200; ++i) many += ", " + std::to_string(i);
  many += ", @late";
  const auto tokens = tokenize_sql(many);
  CHECK(tokens.size() == 2 + 2 * 200 + 2);
  CHECK(tokens.back().text == "@late");
  CHECK(pin_of(many) == SessionPin::user_variables);  // the token past the inline space still counts
  CHECK(tokenize_sql("sElEcT")[0].is("SELECT"));
  CHECK_FALSE(tokenize_sql("SELECT\xc3\xa9")[0].is("SELECTE"));  // a non-ASCII byte folds to nothing
  CHECK(tokenize_sql("_x$1\xe9 y")[0].text == "_x$1\xe9");       // word characters, high bytes included
  CHECK(tokenize_sql("a\vb").size() == 2);                        // every ASCII space separates
}

TEST_CASE("the cheap test before tokenising finds a key word however it is written", "[mysql_statements]") {
  CHECK(spells("select 1; kIlL 5", "KILL"));
  CHECK(spells("/*!uSe*/ shop", "USE"));
  CHECK(spells("'KILL'", "KILL"));  // in a string too: the tokeniser decides
  CHECK_FALSE(spells("SELECT c FROM sbtest1 WHERE id=1", "USE"));
  CHECK_FALSE(spells("KIL L", "KILL"));
  CHECK_FALSE(spells("KIL", "KILL"));
  CHECK_FALSE(spells("\xcb\xc9\xcc\xcc", "KILL"));  // bytes whose low bits spell it are not letters
}

TEST_CASE("state that cannot move pins, by kind", "[mysql_statements][mysql_session_state]") {
  CHECK(pin_of("SET @x = 1") == SessionPin::user_variables);
  CHECK(pin_of("SELECT @x := 5") == SessionPin::user_variables);
  CHECK(pin_of("select id into @last from t") == SessionPin::user_variables);
  CHECK(pin_of("CREATE TEMPORARY TABLE t (v INT)") == SessionPin::temporary_tables);
  CHECK(pin_of("create or replace temporary table t (v int)") == SessionPin::temporary_tables);
  CHECK(pin_of("SELECT GET_LOCK('a', 10)") == SessionPin::get_lock);
  CHECK(pin_of("LOCK TABLES t WRITE") == SessionPin::lock_tables);
  CHECK(pin_of("FLUSH TABLES WITH READ LOCK") == SessionPin::lock_tables);
  CHECK(pin_of("SELECT SQL_CALC_FOUND_ROWS * FROM t LIMIT 1") == SessionPin::found_rows);
  CHECK(pin_of("SELECT FOUND_ROWS()") == SessionPin::found_rows);
  CHECK(pin_of("PREPARE s FROM 'SELECT 1'") == SessionPin::sql_prepare);
  CHECK(pin_of("EXECUTE s") == SessionPin::sql_prepare);
  CHECK(pin_of("DEALLOCATE PREPARE s") == SessionPin::sql_prepare);
  CHECK(pin_of("XA START 'x'") == SessionPin::xa);
  CHECK(pin_of("HANDLER t OPEN") == SessionPin::handler);
  CHECK(pin_of("SELECT 1; SET @y = 2") == SessionPin::user_variables);
  CHECK(pin_of("/*!40101 SET @OLD = @@SQL_MODE */") == SessionPin::user_variables);
  CHECK(to_string(SessionPin::temporary_tables) == "temporary_tables");
}

TEST_CASE("what does not pin: plain statements, strings, comments, system variables",
          "[mysql_statements][mysql_session_state]") {
  CHECK(pin_of("SELECT 'a@b', `x@y` FROM t WHERE c = \"@z\"") == SessionPin::none);
  CHECK(pin_of("SELECT 1 /* @x */ -- @y") == SessionPin::none);
  CHECK(pin_of("SELECT @@version, @@session.sql_mode") == SessionPin::none);
  CHECK(pin_of("CREATE TABLE temporary_things (v INT)") == SessionPin::none);
  CHECK(pin_of("SELECT found_rows FROM stats") == SessionPin::none);
  CHECK(pin_of("INSERT INTO locks VALUES (1)") == SessionPin::none);
  CHECK(pin_of("") == SessionPin::none);
}

TEST_CASE("a lone SET of session variables follows the client", "[mysql_statements][mysql_session_state]") {
  CHECK(setting_of("SET sql_mode = 'ANSI_QUOTES'") == "sql_mode");
  CHECK(setting_of("set session time_zone='+01:00';") == "time_zone");
  CHECK(setting_of("SET @@session.autocommit = 0") == "autocommit");
  CHECK(setting_of("SET @@SQL_MODE = CONCAT(@@sql_mode, ',ANSI'), LOCAL wait_timeout := 5") == "sql_mode,wait_timeout");
  CHECK(setting_of("SET NAMES utf8mb4 COLLATE utf8mb4_bin") == "names");
  CHECK(setting_of("SET CHARACTER SET latin1") == "names");
  // One variable per characteristic: an isolation level and an access mode sent apart both follow.
  CHECK(setting_of("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED") == "transaction_isolation");
  CHECK(setting_of("SET SESSION TRANSACTION READ ONLY") == "transaction_read_only");
  CHECK(setting_of("set session transaction isolation level serializable, read write") ==
        "transaction_isolation,transaction_read_only");
  // Not session state: nothing to follow, nothing pinned.
  CHECK_FALSE(setting_of("SET GLOBAL max_connections = 10"));
  CHECK(pin_of("SET GLOBAL max_connections = 10") == SessionPin::none);
  CHECK_FALSE(setting_of("SET STATEMENT max_statement_time=1 FOR SELECT 1"));
  CHECK(pin_of("SET PASSWORD = PASSWORD('x')") == SessionPin::none);
}

TEST_CASE("a SET Sluice cannot follow pins", "[mysql_statements][mysql_session_state]") {
  // SET TRANSACTION: for the next transaction only, held until it ends rather than pinned.
  CHECK(pin_of("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE") == SessionPin::none);
  CHECK(read_query_effects("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE").next_transaction);
  CHECK(read_query_effects("set transaction read only").next_transaction);
  CHECK_FALSE(read_query_effects("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED").next_transaction);
  CHECK(pin_of("SET TRANSACTION READ ONLY; SELECT 1") == SessionPin::session_variables);
  CHECK(pin_of("SET ROLE admin") == SessionPin::session_variables);
  CHECK(pin_of("SET sql_mode = ''; SELECT 1") == SessionPin::session_variables);
  CHECK(pin_of("SET x") == SessionPin::session_variables);
  CHECK(pin_of("SET") == SessionPin::session_variables);
  // SET STATEMENT's variables last one statement, but a SET inside it changes the session.
  CHECK(pin_of("SET STATEMENT max_statement_time=10 FOR SET time_zone='+09:00'") == SessionPin::session_variables);
  CHECK(pin_of("SET STATEMENT max_statement_time=1 FOR SELECT 1") == SessionPin::none);
  // Spent by the next statement: replayed after a move, they would be spent again.
  CHECK(pin_of("SET insert_id = 7709592") == SessionPin::session_variables);
  CHECK(pin_of("SET @@session.INSERT_ID = 5") == SessionPin::session_variables);
  CHECK(pin_of("SET last_insert_id = 5, time_zone = '+00:00'") == SessionPin::session_variables);
  CHECK(pin_of("SET rand_seed1 = 1, rand_seed2 = 2") == SessionPin::session_variables);
  CHECK(pin_of("SET timestamp = 1700000000") == SessionPin::none);
}

TEST_CASE("session settings replace by key, keep order, and are bounded", "[mysql_statements][mysql_session_state]") {
  SessionSettings settings;
  CHECK(settings.record("sql_mode", "SET sql_mode = 'A'"));
  CHECK(settings.record("time_zone", "SET time_zone = '+01:00'"));
  CHECK(settings.record("sql_mode", "SET sql_mode = 'B'"));
  CHECK(settings.statements() == std::vector<std::string>{"SET time_zone = '+01:00'", "SET sql_mode = 'B'"});
  settings.clear();
  CHECK(settings.statements().empty());
  for (std::size_t i = 0; i < SessionSettings::kMaxSettings; ++i) CHECK(settings.record(std::to_string(i), "SET x=1"));
  CHECK_FALSE(settings.record("one more", "SET y=1"));
}

TEST_CASE("a USE among other statements and a CALL are flagged: their effects are not followed",
          "[mysql_statements][mysql_session_state]") {
  CHECK(read_query_effects("USE shop").uses_schema);
  CHECK(read_query_effects("SELECT 1; use other").uses_schema);
  CHECK_FALSE(read_query_effects("SELECT 'USE x' FROM used").uses_schema);
  CHECK(read_query_effects("CALL refresh_totals(3)").calls_routine);
  CHECK(read_query_effects("/* job */ call p()").calls_routine);
  CHECK(read_query_effects("SELECT 1; CALL p(@out)").calls_routine);  // pinned too, and still flagged
  CHECK_FALSE(read_query_effects("SELECT recall FROM calls").calls_routine);
}

TEST_CASE("LOAD DATA LOCAL INFILE and several statements are told apart", "[mysql_statements]") {
  CHECK(read_query_effects("LOAD DATA LOCAL INFILE '/tmp/x' INTO TABLE t").local_infile);
  CHECK(read_query_effects("load data low_priority local infile 'x' into table t").local_infile);
  CHECK(read_query_effects("LOAD XML LOCAL INFILE 'x' INTO TABLE t").local_infile);
  CHECK_FALSE(read_query_effects("LOAD DATA INFILE '/tmp/x' INTO TABLE t").local_infile);
  CHECK_FALSE(read_query_effects("SELECT 'LOAD DATA LOCAL INFILE'").local_infile);
  CHECK(read_query_effects("SELECT 1; SELECT 2").statement_count == 2);
  CHECK(read_query_effects("SELECT 1;").statement_count == 1);
  CHECK(read_query_effects("SELECT ';'").statement_count == 1);
}

TEST_CASE("a stored program's definition and a compound block are one statement, as MariaDB parses them",
          "[mysql_statements][mysql_session_state]") {
  // Definitions: their bodies run later, so nothing in them pins or counts now.
  const auto procedure = read_query_effects(
      "CREATE DEFINER=`root`@`localhost` PROCEDURE bump(IN n INT) BEGIN SET @last = n; "
      "UPDATE counters SET v = v + n; SELECT GET_LOCK('x', 1); END");
  CHECK(procedure.statement_count == 1);
  CHECK(procedure.pin == SessionPin::none);
  CHECK(read_query_effects("CREATE OR REPLACE TRIGGER t BEFORE INSERT ON x FOR EACH ROW BEGIN SET NEW.a = 1; "
                           "SET NEW.b = 2; END")
            .statement_count == 1);
  CHECK(read_query_effects("create function f(a int) returns int deterministic begin declare b int; "
                           "set b = a * 2; return b; end")
            .statement_count == 1);
  CHECK(read_query_effects("CREATE EVENT e ON SCHEDULE EVERY 1 DAY DO BEGIN DELETE FROM a; DELETE FROM b; END")
            .statement_count == 1);
  // Blocks run now: one statement, and what they may set is not followed.
  const auto block = read_query_effects("BEGIN NOT ATOMIC DECLARE x INT; SET x = 1; SELECT x; END");
  CHECK(block.statement_count == 1);
  CHECK(block.pin == SessionPin::session_variables);
  CHECK(read_query_effects("IF (SELECT 1) THEN SELECT 2; END IF").statement_count == 1);
  CHECK(read_query_effects("BEGIN NOT ATOMIC CALL p(); END").calls_routine);
  // Not compound: a transaction's BEGIN, a table, IF() as a function, a statement before a definition.
  CHECK(read_query_effects("BEGIN; SELECT 1").statement_count == 2);
  CHECK(read_query_effects("CREATE TABLE procedure_log (a INT); SELECT 1").statement_count == 2);
  CHECK(read_query_effects("DROP PROCEDURE IF EXISTS p; CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END")
            .statement_count == 2);
}

TEST_CASE("a SET that reads a system variable builds on the SETs before it", "[mysql_statements][mysql_session_state]") {
  CHECK(read_query_effects("SET sql_mode = CONCAT(@@sql_mode, ',NO_ZERO_DATE')").setting_reads_variables);
  CHECK(read_query_effects("SET @@session.auto_increment_increment = @@auto_increment_increment + 3")
            .setting_reads_variables);
  CHECK_FALSE(read_query_effects("SET sql_mode = 'ANSI_QUOTES'").setting_reads_variables);

  SessionSettings settings;
  CHECK(settings.record("sql_mode", "SET sql_mode='ANSI_QUOTES'"));
  CHECK_FALSE(settings.cumulative());
  CHECK(settings.record("sql_mode", "SET sql_mode=CONCAT(@@sql_mode, ',NO_ZERO_DATE')", true));
  CHECK(settings.cumulative());
  CHECK(settings.statements() ==
        std::vector<std::string>{"SET sql_mode='ANSI_QUOTES'", "SET sql_mode=CONCAT(@@sql_mode, ',NO_ZERO_DATE')"});
  // A plain SET of the same variable replaces every one before it.
  CHECK(settings.record("sql_mode", "SET sql_mode='TRADITIONAL'"));
  CHECK(settings.statements() == std::vector<std::string>{"SET sql_mode='TRADITIONAL'"});
  settings.clear();
  CHECK_FALSE(settings.cumulative());
}

TEST_CASE("a backslash read under every sql_mode and character set the text may be in", "[mysql_statements][mysql_session_state]") {
  // NO_BACKSLASH_ESCAPES (here server-wide, so no SET says so): the string ends at the second
  // quote and a user variable and a lock follow it.
  CHECK(pin_of("SELECT 'a\\', @v := 7, GET_LOCK('nbe',0), 'b'") == SessionPin::user_variables);
  // ANSI_QUOTES: "..." is an identifier, in which a backslash escapes nothing.
  CHECK(pin_of("SELECT 1 AS \"a\\\", @qv := 1, '\"'") == SessionPin::user_variables);
  // sjis / big5: 0x95 0x5C is one character, not a character and a backslash.
  const std::string sjis = "SELECT '\x95\x5c', @secret := 'A', GET_LOCK('lockA',0)";
  // Read with 0x5C as a backslash the string never ends; the other readings see what follows it.
  CHECK(pin_of(sjis) == SessionPin::user_variables);
  CHECK(read_query_effects(sjis, true).pin == SessionPin::user_variables);
  CHECK(tokenize_sql("SELECT '\x95\x5c', 1", LexRules{.two_byte_characters = true}).size() == 4);
  CHECK(tokenize_sql("SELECT '\x95\x5c', 1").size() == 2);
  CHECK(tokenize_sql("SELECT 'a\\', 1", LexRules{.backslash_escapes = false}).size() == 4);
  CHECK(tokenize_sql("SELECT \"a\\\", 1", LexRules{.ansi_quotes = true}).size() == 4);
  const std::string sjis_set = "SELECT '\x95\x5c'; SET time_zone='+05:00'; SELECT '\x95\x5c'";
  CHECK(read_query_effects(sjis_set, true).pin == SessionPin::session_variables);
  // Readings that agree leave the text as it was: escaped quotes, backslashes in plain strings.
  CHECK(pin_of("SELECT 'it\\'s', \"a\\\"b\" FROM t WHERE p LIKE 'x\\_%'") == SessionPin::none);
  CHECK(setting_of("SET time_zone = 'Europe\\/Paris'") == "time_zone");
  CHECK(read_query_effects("INSERT INTO t VALUES ('a\\'; b')").statement_count == 1);
  CHECK(has_two_byte_characters("sjis"));
  CHECK_FALSE(has_two_byte_characters("utf8mb4"));
  CHECK(names_two_byte_charset("SET NAMES 'SJIS'"));
  CHECK_FALSE(names_two_byte_charset("SET NAMES utf8mb4"));
}

TEST_CASE("what a query does to the transaction: SAVEPOINT, its end, and statements that start none",
          "[mysql_statements][mysql_session_state]") {
  CHECK(read_query_effects("SAVEPOINT sa_savepoint_1").opens_savepoint);
  CHECK(read_query_effects("/* orm */ savepoint `sp`").opens_savepoint);
  CHECK_FALSE(read_query_effects("RELEASE SAVEPOINT sp").opens_savepoint);
  CHECK(read_query_effects("COMMIT").ends_transaction);
  CHECK(read_query_effects("rollback work").ends_transaction);
  CHECK_FALSE(read_query_effects("ROLLBACK TO SAVEPOINT sp").ends_transaction);
  CHECK_FALSE(read_query_effects("ROLLBACK WORK TO sp").ends_transaction);
  // MariaDB begins no transaction for these, so a SET TRANSACTION before them still waits.
  CHECK(read_query_effects("select 1").touches_no_table);
  CHECK(read_query_effects("SELECT NOW(), @@tx_isolation").touches_no_table);
  CHECK(read_query_effects("DO 1").touches_no_table);
  CHECK(read_query_effects("SHOW VARIABLES LIKE 'tx%'").touches_no_table);
  CHECK_FALSE(read_query_effects("SELECT * FROM t").touches_no_table);
  CHECK_FALSE(read_query_effects("select 1; select a from t").touches_no_table);
  CHECK_FALSE(read_query_effects("INSERT INTO t VALUES (1)").touches_no_table);
  CHECK_FALSE(read_query_effects("START TRANSACTION").touches_no_table);
  CHECK_FALSE(read_query_effects("").touches_no_table);
}

TEST_CASE("the look before tokenising: plain queries skip the tokens and read the same", "[mysql_statements][plain]") {
  for (const std::string_view sql :
       {"SELECT c FROM sbtest1 WHERE id=5432", "select 1", "  SELECT NOW();  ", "INSERT INTO t VALUES (1, 'a')",
        "update t set a = 'x' where id = 3", "DELETE FROM t WHERE id = 1", "REPLACE INTO t VALUES (2)",
        "WITH a AS (SELECT 1) SELECT * FROM a", "SELECT * FROM$t", "SELECT 1get_lock(2)", "SELECT DISTINCT c FROM sbtest1 WHERE id BETWEEN 1 AND 99 ORDER BY c"}) {
    CAPTURE(sql);
    const auto plain = plain_query_effects(sql);
    REQUIRE(plain);
    const auto tokenized = read_query_effects_tokenized(sql);
    CHECK(plain->statement_count == 1);
    CHECK(tokenized.statement_count == 1);
    CHECK(plain->pin == SessionPin::none);
    CHECK(tokenized.pin == SessionPin::none);
    CHECK(plain->touches_no_table == tokenized.touches_no_table);
  }
  CHECK(plain_query_effects("SELECT 1")->touches_no_table);
  CHECK_FALSE(plain_query_effects("SELECT c FROM t")->touches_no_table);
  CHECK_FALSE(plain_query_effects("INSERT INTO t VALUES (1)")->touches_no_table);

  for (const std::string_view sql :
       {"SET NAMES utf8", "USE db", "KILL 3", "CALL p()", "COMMIT", "BEGIN", "SAVEPOINT a", "LOAD DATA LOCAL INFILE 'f' INTO TABLE t",
        "LOCK TABLES t READ", "CREATE TEMPORARY TABLE t (a int)", "SELECT @a", "SELECT @@sql_mode", "SELECT GET_LOCK('a', 1)",
        "SELECT SQL_CALC_FOUND_ROWS * FROM t", "select found_rows()", "SELECT 1; SELECT 2", "SELECT 1; -- c",
        "/*!40101 SET @a = 1 */ SELECT 1", "select: loop select 1; end loop",
        "SELECT a FROM t WHERE b = 'x'", "SELECT a /* c */ FROM t", "SELECT a FROM `t`", "SELECT 'from'", ""}) {
    CAPTURE(sql);
    CHECK_FALSE(plain_query_effects(sql));
  }
  // Where FROM is code cannot be told with quotes about, but without FROM it is never there.
  CHECK(plain_query_effects("SELECT 'a', \"b\" -- c")->touches_no_table);
}
