// What both node driver programs share: the command line, the queries' expected values and how
// they report (see ../README.md). CommonJS, so the ES-module postgres.js program can import it.
'use strict';

function args(modes) {
  const argv = process.argv.slice(2);
  if ((argv.length !== 3 && argv.length !== 4) || !modes.includes(argv[0])) {
    console.error(`usage: ${process.argv[1]} ${modes.join('|')} CLIENTS ITERATIONS [DEADLINE_SECONDS]`);
    process.exit(64);
  }
  return {
    mode: argv[0],
    clients: Number(argv[1]),
    iterations: Number(argv[2]),
    deadline: argv.length === 4 ? Number(argv[3]) : 60,
  };
}

// Prints the failure and ends the whole process at once (other clients may be stuck).
function fail(message, code = 1) {
  process.stdout.write(`FAIL ${message}\n`, () => process.exit(code));
}

function check(client, iteration, what, got, want) {
  if (got !== want) {
    throw new Error(`iteration ${iteration}: ${what}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`);
  }
}

const expectedInt = (client, iteration) => iteration * 2 + client;
const expectedText = (client, iteration) => `${iteration}/${client}`;

// Runs runClient(client, done) for every client at once; prints `ok <checks>` or fails with
// the first error, or after the deadline.
async function runAll({ clients, deadline }, runClient) {
  const done = new Array(clients).fill(0);
  const timer = setTimeout(
    () => fail(`deadline of ${deadline} s passed; checks done per client: ${JSON.stringify(done)}`, 2),
    deadline * 1000);
  const runs = [];
  for (let client = 0; client < clients; client++) {
    runs.push(runClient(client, done).catch((error) => {
      fail(`client ${client} after ${done[client]} checks: ${error.message}${error.code ? ` (code ${error.code})` : ''}`);
      return new Promise(() => {});  // never settles: fail() is ending the process
    }));
  }
  await Promise.all(runs);
  clearTimeout(timer);
  console.log(`ok ${done.reduce((a, b) => a + b, 0)}`);
}

module.exports = { args, fail, check, expectedInt, expectedText, runAll };
