// pgjdbc clients (see ../README.md). Mode `prepared`: each client runs one PreparedStatement per
// query ITERATIONS times; from the 5th run on (prepareThreshold, default 5) pgjdbc switches to a
// named server-side statement (S_1, S_2, ... in every connection alike). Transactions are
// committed after every iteration. Run with the source launcher, no build step:
//   java -cp /usr/share/java/postgresql.jar Clients.java prepared CLIENTS ITERATIONS [DEADLINE]
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicIntegerArray;

public class Clients {
    private static AtomicIntegerArray done;

    public static void main(String[] args) throws Exception {
        if ((args.length != 3 && args.length != 4) || !args[0].equals("prepared")) {
            System.err.println("usage: Clients prepared CLIENTS ITERATIONS [DEADLINE_SECONDS]");
            System.exit(64);
        }
        int clients = Integer.parseInt(args[1]);
        int iterations = Integer.parseInt(args[2]);
        double deadline = args.length == 4 ? Double.parseDouble(args[3]) : 60.0;
        done = new AtomicIntegerArray(clients);
        Thread[] threads = new Thread[clients];
        for (int c = 0; c < clients; c++) {
            final int client = c;
            threads[c] = new Thread(() -> runClient(client, iterations));
            threads[c].setDaemon(true);
            threads[c].start();
        }
        long end = System.nanoTime() + (long) (deadline * 1e9);
        for (Thread thread : threads) {
            thread.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            if (thread.isAlive()) fail("deadline of " + deadline + " s passed; checks done per client: " + done, 2);
        }
        int total = 0;
        for (int c = 0; c < clients; c++) total += done.get(c);
        System.out.println("ok " + total);
        System.exit(0);
    }

    // Prints the failure and ends the whole process at once (other clients may be stuck).
    static void fail(String message, int code) {
        System.out.println("FAIL " + message);
        System.out.flush();
        Runtime.getRuntime().halt(code);
    }

    // Connection parameters from the libpq environment, so no password is on the command line.
    static Connection connect() throws SQLException {
        String url = "jdbc:postgresql://" + System.getenv("PGHOST") + ":" + System.getenv("PGPORT") + "/"
                + System.getenv("PGDATABASE");
        Properties properties = new Properties();
        properties.setProperty("user", System.getenv("PGUSER"));
        properties.setProperty("password", System.getenv("PGPASSWORD"));
        properties.setProperty("sslmode", "disable");
        properties.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(url, properties);
    }

    static void check(int client, int iteration, String what, Object got, Object want) {
        if (!want.equals(got)) {
            fail("client " + client + " iteration " + iteration + ": " + what + ": expected " + want + ", got " + got, 1);
        }
    }

    static Object single(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) return "no row";
            return rows.getObject(1);
        }
    }

    static void runClient(int client, int iterations) {
        try (Connection conn = connect()) {
            conn.setAutoCommit(false);
            // A client-specific constant in the first text, the same text in every client in the second.
            try (PreparedStatement intQuery = conn.prepareStatement("SELECT ?::int * 2 + " + client);
                 PreparedStatement textQuery = conn.prepareStatement("SELECT ?::text || '/' || ?::text")) {
                for (int iteration = 0; iteration < iterations; iteration++) {
                    intQuery.setInt(1, iteration);
                    check(client, iteration, "int query", single(intQuery), iteration * 2 + client);
                    textQuery.setString(1, Integer.toString(iteration));
                    textQuery.setString(2, Integer.toString(client));
                    check(client, iteration, "text query", single(textQuery), iteration + "/" + client);
                    conn.commit();
                    done.addAndGet(client, 2);
                }
            }
        } catch (Exception error) {  // any driver or server error fails the run, with its message
            fail("client " + client + " after " + done.get(client) + " checks: " + error, 1);
        }
    }
}
