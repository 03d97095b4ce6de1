'use strict';
// Loaded into an api or worker process by the capacity benchmark (`node --require`), never by the
// application itself: counts the statements the process sends to PostgreSQL, at the driver (every
// statement of Prisma's adapter and of raw pg goes through pg.Client#query, BEGIN and COMMIT
// included), so that the count needs no server-side extension. On request it also records the
// statements' text and parameters, for EXPLAIN. The benchmark asks over the IPC channel:
//   { capacity: 'counters' }       -> { capacity, statements, transactionControl, implicitTransactions, cpuMicros }
//   { capacity: 'capture', on }    -> starts or stops recording; stopping answers { capacity, captured: [...] }
const pg = require('pg');

const counters = { statements: 0, transactionControl: 0, implicitTransactions: 0 };
let captured;

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(config, values, callback) {
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text === 'string') {
    counters.statements += 1;
    const control = /^\s*(BEGIN|START TRANSACTION|COMMIT|ROLLBACK|END)\b/i.exec(text)?.[1]?.toUpperCase();
    if (control) {
      counters.transactionControl += 1;
      this.capacityInTransaction = control === 'BEGIN' || control === 'START TRANSACTION';
    } else if (!this.capacityInTransaction) {
      // PostgreSQL counts a statement outside BEGIN ... COMMIT as a transaction of its own.
      counters.implicitTransactions += 1;
    }
    if (captured) {
      const parameters = Array.isArray(values) ? values : config?.values;
      captured.push({ text, values: (parameters ?? []).map((value) => (typeof value === 'bigint' ? value.toString() : value)) });
    }
  }
  return query.call(this, config, values, callback);
};

process.on('message', (message) => {
  if (!message || typeof message.capacity !== 'string' || !process.send) return;
  if (message.capacity === 'counters') {
    const cpu = process.cpuUsage();
    process.send({ capacity: 'counters', ...counters, cpuMicros: cpu.user + cpu.system });
  } else if (message.capacity === 'capture') {
    if (message.on) {
      captured = [];
      process.send({ capacity: 'capture', captured: [] });
    } else {
      process.send({ capacity: 'capture', captured: captured ?? [] });
      captured = undefined;
    }
  }
});
