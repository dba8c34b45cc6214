// Starts the telegram-test-api Bot API emulator for the end-to-end tests.
// Usage: node emulator.js PORT
// Prints "EMULATOR READY <url>" once it listens, so the Python harness knows when to go on.
// An unhandled promise rejection (e.g. a webhook target that is down) would kill the emulator
// silently mid-test; it is printed as "EMULATOR ERROR ..." instead, and the harness fails the
// test that caused it.
'use strict';
const TelegramServer = require('telegram-test-api');

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node emulator.js PORT');
  process.exit(2);
}

process.on('unhandledRejection', (reason) => {
  console.error(`EMULATOR ERROR unhandled rejection: ${reason && reason.stack ? reason.stack : reason}`);
});

const server = new TelegramServer({ port, host: '127.0.0.1', storeTimeout: 600 });
server.start().then(() => {
  console.log(`EMULATOR READY ${server.config.apiURL}`);
}, (error) => {
  console.error(`EMULATOR ERROR cannot start: ${error}`);
  process.exit(1);
});

const stop = () => { server.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
