// Warm TOKEN events through the handler in one process (keys fetched by the first event):
// prints {"median_ns": ..., "events": N}. Usage: node bench.js EVENT_JSON_FILE [N]
const fs = require('fs');
const { handler } = require('./index');

(async () => {
  const event = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const n = Number(process.argv[3] || 2000);
  const first = await handler(event);
  if (first.policyDocument.Statement[0].Effect !== 'Allow') throw new Error('not allowed');
  for (let i = 0; i < 200; i++) await handler(event);
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    JSON.stringify(await handler(JSON.parse(JSON.stringify(event))));
    times.push(Number(process.hrtime.bigint() - t0));
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({ median_ns: times[Math.floor(n / 2)], events: n }));
})();
