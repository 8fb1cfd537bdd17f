// MariaDB Connector/J clients (see ../README.md, MySQL programs). Every connection sets
// useServerPrepStmts=true, so PreparedStatements are binary (COM_STMT_PREPARE / EXECUTE).
// Modes:
//   prepared      each client runs three server-side PreparedStatements ITERATIONS times: an int
//                 query with a client-specific text, a text query shared by all, and a row
//                 inserted then read back by its key (3 checks an iteration)
//   transactions  autocommit off: a row committed is there, a row rolled back is not (2 checks)
//   batch         executeBatch of 40 INSERTs with getGeneratedKeys (the driver pipelines them all
//                 before reading an answer): 40 update counts of 1, 40 keys, each key reading back
//                 that client's own row (3 checks)
//   interrupt     CLIENTS pairs, a victim and a bystander on connections of their own. The
//                 bystander runs SELECT SLEEP(4); meanwhile the victim's SELECT SLEEP(10) is ended
//                 three times: as a PreparedStatement by setQueryTimeout(1) (the driver's timer
//                 sends KILL QUERY <its connection id> on a new connection: error 1317), as a
//                 Statement by setQueryTimeout(1) (the driver prefixes SET STATEMENT
//                 max_statement_time=1 FOR, MariaDB ends it: 1969), and as a Statement by cancel()
//                 from another thread after 0.5 s (KILL QUERY again: 1317). Each must throw
//                 SQLTimeoutException about then, the bystander must get 0 (its SLEEP not
//                 interrupted) after its full 4 s, and the victim must then run SELECT 1 (5 checks)
// Before the clients start: a wrong password must fail with 1045 and an unknown database with
// UNKNOWN_DATABASE_ERROR (MariaDB itself answers 1044 to a user without global privileges).
// Compiled with DriverProgram.java (the harness does it once):
//   javac -d CLASSES DriverProgram.java MariadbClients.java
//   java -cp /usr/share/java/mariadb-java-client.jar:CLASSES MariadbClients MODE CLIENTS ITERATIONS [DEADLINE]
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

public class MariadbClients {
    // One iteration of a mode, on the client's own connection.
    interface Iteration {
        void run(Connection conn, int client, int iteration) throws Exception;
    }

    private static final List<String> MODES = List.of("prepared", "transactions", "batch", "interrupt");
    private static final double LONG_QUERY_SECONDS = 4.0;  // the bystander's SLEEP
    // The SQLTimeoutException's error code says which way the query was ended: by KILL QUERY, or
    // by MariaDB itself (max_statement_time, from the driver's SET STATEMENT ... FOR prefix).
    private static final int ER_QUERY_INTERRUPTED = 1317;
    private static final int ER_STATEMENT_TIMEOUT = 1969;

    // How the victim's SELECT SLEEP(10) is sent and ended, when, and with which error code.
    record Interruption(String what, boolean serverPrepared, boolean byCancel, double afterSeconds, int wantedError) {}

    private static final List<Interruption> INTERRUPTIONS = List.of(
            new Interruption("server-prepared SLEEP, setQueryTimeout(1)", true, false, 1.0, ER_QUERY_INTERRUPTED),
            new Interruption("text SLEEP, setQueryTimeout(1)", false, false, 1.0, ER_STATEMENT_TIMEOUT),
            new Interruption("text SLEEP, cancel() after 0.5 s", false, true, 0.5, ER_QUERY_INTERRUPTED));

    public static void main(String[] args) throws Exception {
        DriverProgram.Arguments arguments = DriverProgram.arguments("MariadbClients", args, MODES);
        expectLoginError(1045, password() + "-wrong", database());
        expectLoginError(Integer.parseInt(System.getenv().getOrDefault("UNKNOWN_DATABASE_ERROR", "1049")), password(),
                         "no_such_database");
        prepareTables();
        Iteration body = switch (arguments.mode()) {
            case "prepared" -> MariadbClients::prepared;
            case "transactions" -> MariadbClients::transactions;
            case "batch" -> MariadbClients::batch;
            default -> MariadbClients::interruptions;
        };
        DriverProgram.runThreads(arguments, client -> {
            try (Connection conn = connect(password(), database())) {
                for (int iteration = 0; iteration < arguments.iterations(); iteration++) {
                    body.run(conn, client, iteration);
                }
            }
        });
    }

    // Connection parameters from the MariaDB client environment, so no password is on the command line.
    static String password() {
        return System.getenv("MYSQL_PWD");
    }

    static String database() {
        return System.getenv("MYSQL_DATABASE");
    }

    static Connection connect(String password, String database) throws SQLException {
        String url = "jdbc:mariadb://" + System.getenv("MYSQL_HOST") + ":" + System.getenv("MYSQL_TCP_PORT") + "/"
                + database;
        Properties properties = new Properties();
        properties.setProperty("user", System.getenv("MYSQL_USER"));
        properties.setProperty("password", password);
        properties.setProperty("useServerPrepStmts", "true");
        // Plain TCP, said outright: Sluice's MySQL listener has no client TLS yet (2.x's default too).
        properties.setProperty("useSsl", "false");
        properties.setProperty("connectTimeout", "10000");
        properties.setProperty("socketTimeout", "30000");
        return DriverManager.getConnection(url, properties);
    }

    static void expectLoginError(int code, String password, String database) {
        String what = "login to " + database + ": expected error " + code;
        try {
            connect(password, database).close();
            DriverProgram.fail(what + ", it succeeded", 1);
        } catch (SQLException error) {
            if (error.getErrorCode() != code) DriverProgram.fail(what + ", got " + error, 1);
        }
    }

    static void prepareTables() throws SQLException {
        try (Connection conn = connect(password(), database()); Statement statement = conn.createStatement()) {
            for (String table : List.of("connj_prepared", "connj_transactions")) {
                statement.execute("CREATE TABLE IF NOT EXISTS " + table + " (client INT NOT NULL, "
                        + "iteration INT NOT NULL, label VARCHAR(64) NOT NULL, PRIMARY KEY (client, iteration)) "
                        + "ENGINE=InnoDB");
                statement.execute("DELETE FROM " + table);
            }
            statement.execute("CREATE TABLE IF NOT EXISTS connj_batch (id INT AUTO_INCREMENT PRIMARY KEY, "
                    + "client INT NOT NULL, label VARCHAR(64) NOT NULL) ENGINE=InnoDB");
            statement.execute("DELETE FROM connj_batch");
        }
    }

    static String label(int client, int iteration) {
        return "c" + client + "i" + iteration;
    }

    // Four server-side statements; the driver keeps them (cachePrepStmts), so from the second
    // iteration on it sends only COM_STMT_EXECUTE, on whichever backend the pool hands out.
    static void prepared(Connection conn, int client, int iteration) throws SQLException {
        try (PreparedStatement intQuery = conn.prepareStatement("SELECT ? * 2 + " + client);
             PreparedStatement textQuery = conn.prepareStatement("SELECT CONCAT(?, '/', ?)");
             PreparedStatement insert = conn.prepareStatement("INSERT INTO connj_prepared VALUES (?, ?, ?)");
             PreparedStatement select = conn.prepareStatement(
                     "SELECT label FROM connj_prepared WHERE client = ? AND iteration = ?")) {
            intQuery.setInt(1, iteration);
            Object got = DriverProgram.asLong(DriverProgram.single(intQuery));
            DriverProgram.check(client, iteration, "int query", got, (long) iteration * 2 + client);
            textQuery.setString(1, Integer.toString(iteration));
            textQuery.setString(2, Integer.toString(client));
            got = DriverProgram.single(textQuery);
            DriverProgram.check(client, iteration, "text query", got, iteration + "/" + client);
            insert.setInt(1, client);
            insert.setInt(2, iteration);
            insert.setString(3, label(client, iteration));
            insert.executeUpdate();
            select.setInt(1, client);
            select.setInt(2, iteration);
            got = DriverProgram.single(select);
            DriverProgram.check(client, iteration, "row read back", got, label(client, iteration));
        }
    }

    // A row committed, one rolled back, both counted: 1 and 0.
    static void transactions(Connection conn, int client, int iteration) throws SQLException {
        conn.setAutoCommit(false);
        try (PreparedStatement insert = conn.prepareStatement("INSERT INTO connj_transactions VALUES (?, ?, ?)");
             PreparedStatement count = conn.prepareStatement(
                     "SELECT COUNT(*) FROM connj_transactions WHERE client = ? AND iteration = ?")) {
            insert.setInt(1, client);
            insert.setInt(2, iteration);
            insert.setString(3, label(client, iteration));
            insert.executeUpdate();
            conn.commit();
            insert.setInt(2, -1 - iteration);
            insert.setString(3, "rolled back");
            insert.executeUpdate();
            conn.rollback();
            count.setInt(1, client);
            count.setInt(2, iteration);
            Object committed = DriverProgram.asLong(DriverProgram.single(count));
            DriverProgram.check(client, iteration, "committed rows", committed, 1L);
            count.setInt(2, -1 - iteration);
            Object rolledBack = DriverProgram.asLong(DriverProgram.single(count));
            DriverProgram.check(client, iteration, "rolled-back rows", rolledBack, 0L);
            conn.commit();
        } finally {
            conn.setAutoCommit(true);
        }
    }

    // Forty rows in one executeBatch; each generated key must name this client's row, in order.
    static void batch(Connection conn, int client, int iteration) throws SQLException {
        final int rows = 40;
        long[] keys = new long[rows];
        String insertSql = "INSERT INTO connj_batch (client, label) VALUES (?, ?)";
        try (PreparedStatement insert = conn.prepareStatement(insertSql, Statement.RETURN_GENERATED_KEYS)) {
            for (int row = 0; row < rows; row++) {
                insert.setInt(1, client);
                insert.setString(2, label(client, iteration) + "r" + row);
                insert.addBatch();
            }
            int[] counts = insert.executeBatch();
            int[] ones = new int[rows];
            Arrays.fill(ones, 1);
            DriverProgram.check(client, iteration, "update counts", Arrays.toString(counts), Arrays.toString(ones));
            int found = 0;
            try (ResultSet generated = insert.getGeneratedKeys()) {
                while (generated.next() && found < rows) keys[found++] = generated.getLong(1);
            }
            DriverProgram.check(client, iteration, "generated keys", found, rows);
        }
        StringBuilder labels = new StringBuilder();
        String selectSql = "SELECT label FROM connj_batch WHERE id = ? AND client = ?";
        try (PreparedStatement select = conn.prepareStatement(selectSql)) {
            for (long key : keys) {
                select.setLong(1, key);
                select.setInt(2, client);
                labels.append(DriverProgram.single(select)).append(' ');
            }
        }
        StringBuilder want = new StringBuilder();
        for (int row = 0; row < rows; row++) want.append(label(client, iteration)).append('r').append(row).append(' ');
        DriverProgram.check(client, iteration, "rows of the generated keys " + Arrays.toString(keys), labels.toString(),
                            want.toString());
    }

    static double secondsSince(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    // Runs the victim's SELECT SLEEP(10) on `statement`, ended as `how` says; it must throw
    // SQLTimeoutException about then.
    static void interruptVictim(int client, int iteration, Statement statement, Interruption how) throws Exception {
        CompletableFuture<Void> canceller = CompletableFuture.completedFuture(null);
        if (how.byCancel()) {
            canceller = CompletableFuture.runAsync(() -> {
                try {
                    Thread.sleep((long) (how.afterSeconds() * 1000));
                    statement.cancel();
                } catch (Exception error) {
                    DriverProgram.fail("client " + client + ": cancel(): " + error, 1);
                }
            });
        } else {
            statement.setQueryTimeout((int) how.afterSeconds());
        }
        long start = System.nanoTime();
        Object result;
        try {
            result = statement instanceof PreparedStatement prepared
                    ? DriverProgram.single(prepared) : DriverProgram.single(statement, "SELECT SLEEP(10)");
        } catch (SQLTimeoutException expected) {
            result = "SQLTimeoutException " + expected.getErrorCode();
        }
        double took = secondsSince(start);
        canceller.get();
        DriverProgram.check(client, iteration, how.what() + " (ended after " + took + " s)", result,
                            "SQLTimeoutException " + how.wantedError());
        // Well before the bystander's query ends: the KILL did not wait for a backend behind it.
        // The lower bound is loose: MariaDB's own max_statement_time has been seen ending a
        // 1 s statement after 0.7 s on a loaded machine (direct, no Sluice); the error checked
        // above already says the timeout or cancel ended it.
        if (took < how.afterSeconds() * 0.5 || took > how.afterSeconds() + 1.2) {
            DriverProgram.fail("client " + client + " iteration " + iteration + ": " + how.what() + " ended after "
                    + took + " s, expected about " + how.afterSeconds(), 1);
        }
    }

    static void interruptions(Connection victim, int client, int iteration) throws Exception {
        try (Connection bystanderConnection = connect(password(), database());
             Statement bystander = bystanderConnection.createStatement()) {
            long start = System.nanoTime();
            CompletableFuture<Object> longQuery = CompletableFuture.supplyAsync(() -> {
                try {
                    return DriverProgram.single(bystander, "SELECT SLEEP(" + LONG_QUERY_SECONDS + ")");
                } catch (SQLException error) {
                    return error.toString();
                }
            });
            Thread.sleep(300);  // the bystander's query is running before the victim's start
            for (Interruption how : INTERRUPTIONS) {
                try (Statement sleep = how.serverPrepared() ? victim.prepareStatement("SELECT SLEEP(?)")
                                                            : victim.createStatement()) {
                    if (sleep instanceof PreparedStatement prepared) prepared.setInt(1, 10);
                    interruptVictim(client, iteration, sleep, how);
                }
            }
            // All three ended while the bystander's query ran, on the other backend of the pool.
            if (longQuery.isDone()) DriverProgram.fail("the bystander's query ended before the victim's were ended", 1);
            try (Statement after = victim.createStatement()) {
                Object one = DriverProgram.asLong(DriverProgram.single(after, "SELECT 1"));
                DriverProgram.check(client, iteration, "the victim's SELECT 1 afterwards", one, 1L);
            }
            // SLEEP returns 0 when it ran its full time, 1 when it was interrupted.
            Object value = DriverProgram.asLong(longQuery.get());
            double took = secondsSince(start);
            String what = "the bystander's SLEEP(" + LONG_QUERY_SECONDS + ") after " + took + " s";
            DriverProgram.check(client, iteration, what, value, 0L);
            if (took < LONG_QUERY_SECONDS - 0.1) DriverProgram.fail(what + ": too soon", 1);
        }
    }
}
