// pgjdbc clients (see ../README.md). Mode `prepared`: each client runs one PreparedStatement per
// query ITERATIONS times; from the 5th run on (prepareThreshold, default 5) pgjdbc switches to a
// named server-side statement (S_1, S_2, ... in every connection alike). Transactions are
// committed after every iteration. Compiled with DriverProgram.java (the harness does it once):
//   javac -d CLASSES DriverProgram.java Clients.java
//   java -cp /usr/share/java/postgresql.jar:CLASSES Clients prepared CLIENTS ITERATIONS [DEADLINE]
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;

public class Clients {
    public static void main(String[] args) throws Exception {
        DriverProgram.Arguments arguments = DriverProgram.arguments("Clients", args, List.of("prepared"));
        DriverProgram.runThreads(arguments, client -> runClient(client, arguments.iterations()));
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

    static void runClient(int client, int iterations) throws SQLException {
        try (Connection conn = connect()) {
            conn.setAutoCommit(false);
            // A client-specific constant in the first text, the same text in every client in the second.
            try (PreparedStatement intQuery = conn.prepareStatement("SELECT ?::int * 2 + " + client);
                 PreparedStatement textQuery = conn.prepareStatement("SELECT ?::text || '/' || ?::text")) {
                for (int iteration = 0; iteration < iterations; iteration++) {
                    intQuery.setInt(1, iteration);
                    Object got = DriverProgram.single(intQuery);
                    DriverProgram.check(client, iteration, "int query", got, iteration * 2 + client);
                    textQuery.setString(1, Integer.toString(iteration));
                    textQuery.setString(2, Integer.toString(client));
                    got = DriverProgram.single(textQuery);
                    DriverProgram.check(client, iteration, "text query", got, iteration + "/" + client);
                    conn.commit();
                }
            }
        }
    }
}
