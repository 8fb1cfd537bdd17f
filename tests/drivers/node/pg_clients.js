// node-postgres clients (see ../README.md). Mode `named`: both queries are named queries
// ({name, text, values}), which node-postgres prepares once per connection under that name and
// then only binds: every client uses the names q1 and q2, with a client-specific text for q1.
'use strict';
const { Client } = require('pg');
const { args, check, expectedInt, expectedText, runAll } = require('./common.js');

async function runClient(client, done, iterations) {
  // Connection parameters come from the PG* environment.
  const conn = new Client({ connectionTimeoutMillis: 10000 });
  await conn.connect();
  try {
    for (let iteration = 0; iteration < iterations; iteration++) {
      await conn.query('BEGIN');
      let result = await conn.query({ name: 'q1', text: `SELECT $1::int * 2 + ${client} AS v`, values: [iteration] });
      check(client, iteration, 'int query', result.rows[0].v, expectedInt(client, iteration));
      result = await conn.query({ name: 'q2', text: "SELECT $1::text || '/' || $2::text AS v", values: [`${iteration}`, `${client}`] });
      check(client, iteration, 'text query', result.rows[0].v, expectedText(client, iteration));
      await conn.query('COMMIT');
      done[client] += 2;
    }
  } finally {
    await conn.end();
  }
}

const options = args(['named']);
runAll(options, (client, done) => runClient(client, done, options.iterations));
