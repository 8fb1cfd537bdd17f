// postgres.js clients (see ../README.md). Mode `prepare`: `prepare: true`, so every query is a
// named server-side statement; each client has its own one-connection instance (max: 1), and
// runs each iteration inside sql.begin (BEGIN ... COMMIT).
import postgres from 'postgres';
import common from './common.js';

const { args, check, expectedInt, expectedText, runAll } = common;

async function runClient(client, done, iterations) {
  // Connection parameters come from the PG* environment.
  const sql = postgres({ max: 1, prepare: true, ssl: false, connect_timeout: 10, onnotice: () => {} });
  try {
    for (let iteration = 0; iteration < iterations; iteration++) {
      await sql.begin(async (tx) => {
        // sql.unsafe keeps the client-specific constant in the statement text itself.
        const [first] = await tx.unsafe(`SELECT $1::int * 2 + ${client} AS v`, [iteration], { prepare: true });
        check(client, iteration, 'int query', first.v, expectedInt(client, iteration));
        const [second] = await tx`SELECT ${`${iteration}`}::text || '/' || ${`${client}`}::text AS v`;
        check(client, iteration, 'text query', second.v, expectedText(client, iteration));
      });
      done[client] += 2;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

const options = args(['prepare']);
await runAll(options, (client, done) => runClient(client, done, options.iterations));
