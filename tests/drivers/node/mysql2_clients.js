// node mysql2 clients (see ../README.md, MySQL programs). Modes:
//   query    conn.query: parameters escaped into the text (COM_QUERY)
//   execute  conn.execute: binary prepared statements (COM_STMT_PREPARE / EXECUTE), closed with
//            conn.unprepare at the end of each iteration
// Before the clients start: a wrong password must give 1045 and an unknown database 1049
// (UNKNOWN_DATABASE_ERROR: MariaDB itself answers 1044 to a user without global privileges).
'use strict';
const mysql = require('mysql2/promise');
const { args, check, fail, runAll } = require('./common.js');

const TABLE = 'driver_rows_mysql2';

// A connection from the MYSQL_* environment, with `overrides` (password, database).
function connect(overrides = {}) {
  return mysql.createConnection({
    host: process.env.MYSQL_HOST,
    port: Number(process.env.MYSQL_TCP_PORT),
    user: process.env.MYSQL_USER,
    password: process.env.MYSQL_PWD,
    database: process.env.MYSQL_DATABASE,
    connectTimeout: 10000,
    supportBigNumbers: true,
    ...overrides,
  });
}

async function expectLoginError(code, overrides) {
  let conn;
  try {
    conn = await connect(overrides);
  } catch (error) {
    if (error.errno !== code) throw new Error(`login with ${JSON.stringify(overrides)}: expected ${code}, got ${error.errno} ${error.message}`);
    return;
  }
  await conn.end();
  throw new Error(`login with ${JSON.stringify(overrides)}: expected error ${code}, it succeeded`);
}

// Four compared values: two parameterized queries, a committed row, a rolled-back one.
async function runIteration(conn, run, client, iteration) {
  const intSql = `SELECT ? * 2 + ${client} AS v`;
  let [rows] = await run(intSql, [iteration]);
  check(client, iteration, 'int query', Number(rows[0].v), iteration * 2 + client);
  [rows] = await run("SELECT CONCAT(?, '/', ?) AS v", [`${iteration}`, `${client}`]);
  check(client, iteration, 'text query', rows[0].v, `${iteration}/${client}`);
  await conn.beginTransaction();
  await run(`INSERT INTO ${TABLE} VALUES (?, ?, ?)`, [client, iteration, `c${client}i${iteration}`]);
  await conn.commit();
  [rows] = await run(`SELECT label FROM ${TABLE} WHERE client = ? AND iteration = ?`, [client, iteration]);
  check(client, iteration, 'committed row', rows.length === 1 ? rows[0].label : null, `c${client}i${iteration}`);
  await conn.beginTransaction();
  await run(`INSERT INTO ${TABLE} VALUES (?, ?, 'rolled back')`, [client, -1 - iteration]);
  await conn.rollback();
  [rows] = await run(`SELECT COUNT(*) AS n FROM ${TABLE} WHERE client = ? AND iteration = ?`, [client, -1 - iteration]);
  check(client, iteration, 'rolled-back row', Number(rows[0].n), 0);
}

async function runClient(mode, client, done, iterations) {
  const conn = await connect();
  const prepared = new Set();
  const run = mode === 'execute'
    ? (sql, values) => { prepared.add(sql); return conn.execute(sql, values); }
    : (sql, values) => conn.query(sql, values);
  try {
    for (let iteration = 0; iteration < iterations; iteration++) {
      await runIteration(conn, run, client, iteration);
      // Closing its statements lets a transaction pool give the backend to another client.
      for (const sql of prepared) conn.unprepare(sql);
      prepared.clear();
      done[client] += 4;
    }
  } finally {
    await conn.end();
  }
}

async function main() {
  const options = args(['query', 'execute']);
  await expectLoginError(1045, { password: `${process.env.MYSQL_PWD}-wrong` });
  await expectLoginError(Number(process.env.UNKNOWN_DATABASE_ERROR || 1049), { database: 'no_such_database' });
  const setup = await connect();
  await setup.query(`CREATE TABLE IF NOT EXISTS ${TABLE} (client INT NOT NULL, iteration INT NOT NULL, ` +
                    'label VARCHAR(64) NOT NULL, PRIMARY KEY (client, iteration)) ENGINE=InnoDB');
  await setup.query(`DELETE FROM ${TABLE}`);
  await setup.end();
  await runAll(options, (client, done) => runClient(options.mode, client, done, options.iterations));
}

main().catch((error) => fail(`${error.message}${error.code ? ` (code ${error.code})` : ''}`));
