// What every Java driver program shares (python/common.py's counterpart): its command line, how
// it runs a thread per client and reports, and the JDBC helpers that are the same for every
// driver (see ../README.md). Only java.sql is used here; the driver comes from the class path.
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

public final class DriverProgram {
    public record Arguments(String mode, int clients, int iterations, double deadlineSeconds) {}

    // One client's whole run; its checks are counted by check().
    public interface ClientRun {
        void run(int client) throws Exception;
    }

    private static AtomicIntegerArray done = new AtomicIntegerArray(0);

    private DriverProgram() {}

    // MODE CLIENTS ITERATIONS [DEADLINE_SECONDS], or exit 64 with the usage.
    public static Arguments arguments(String program, String[] args, List<String> modes) {
        if ((args.length != 3 && args.length != 4) || !modes.contains(args[0])) {
            String usage = "usage: " + program + " " + String.join("|", modes);
            System.err.println(usage + " CLIENTS ITERATIONS [DEADLINE_SECONDS]");
            System.exit(64);
        }
        double deadline = args.length == 4 ? Double.parseDouble(args[3]) : 60.0;
        return new Arguments(args[0], Integer.parseInt(args[1]), Integer.parseInt(args[2]), deadline);
    }

    // Prints the failure and ends the whole process at once (other clients may be stuck).
    public static void fail(String message, int code) {
        System.out.println("FAIL " + message);
        System.out.flush();
        Runtime.getRuntime().halt(code);
    }

    // Fails on a wrong value; counts a right one as one of the client's checks.
    public static void check(int client, int iteration, String what, Object got, Object want) {
        if (!want.equals(got)) {
            fail("client " + client + " iteration " + iteration + ": " + what + ": expected " + want + ", got " + got,
                 1);
        }
        done.incrementAndGet(client);
    }

    // Runs `body` on a thread per client and prints `ok <checks>`, or fails naming the checks
    // each client had done when the deadline passed, or at the first error of any client.
    public static void runThreads(Arguments arguments, ClientRun body) throws InterruptedException {
        done = new AtomicIntegerArray(arguments.clients());
        Thread[] threads = new Thread[arguments.clients()];
        for (int c = 0; c < threads.length; c++) {
            final int client = c;
            threads[c] = new Thread(() -> {
                try {
                    body.run(client);
                } catch (Exception error) {  // any driver or server error fails the run, with its message
                    fail("client " + client + " after " + done.get(client) + " checks: " + error, 1);
                }
            });
            threads[c].setDaemon(true);
            threads[c].start();
        }
        long end = System.nanoTime() + (long) (arguments.deadlineSeconds() * 1e9);
        for (Thread thread : threads) {
            thread.join(Math.max(1, (end - System.nanoTime()) / 1_000_000));
            if (thread.isAlive()) {
                fail("deadline of " + arguments.deadlineSeconds() + " s passed; checks done per client: " + done, 2);
            }
        }
        int total = 0;
        for (int c = 0; c < threads.length; c++) total += done.get(c);
        System.out.println("ok " + total);
        System.exit(0);
    }

    // The first value of the first row ("no row" if there is none).
    public static Object single(PreparedStatement statement) throws SQLException {
        try (ResultSet rows = statement.executeQuery()) {
            return rows.next() ? rows.getObject(1) : "no row";
        }
    }

    public static Object single(Statement statement, String sql) throws SQLException {
        try (ResultSet rows = statement.executeQuery(sql)) {
            return rows.next() ? rows.getObject(1) : "no row";
        }
    }

    // An integer of any JDBC type as a Long, so that it compares with a long; anything else as it is.
    public static Object asLong(Object value) {
        return value instanceof Number number ? (Object) number.longValue() : value;
    }
}
