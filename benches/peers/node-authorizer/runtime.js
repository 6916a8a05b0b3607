// A minimal Lambda Runtime API client (what the Node.js managed runtime does around a handler):
// GET /next, call the handler, POST the response or the error; forever. For the benchmarks only.
const http = require('http');
const { handler } = require('./index');

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
const base = '/2018-06-01/runtime/invocation';

const request = (method, path, body) =>
  new Promise((resolve, reject) => {
    const req = http.request({ host, port, method, path, agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    if (body !== undefined) {
      req.setHeader('content-type', 'application/json');
      req.end(body);
    } else {
      req.end();
    }
  });

(async () => {
  for (;;) {
    const next = await request('GET', `${base}/next`);
    const id = next.headers['lambda-runtime-aws-request-id'];
    try {
      const result = await handler(JSON.parse(next.body), {});
      await request('POST', `${base}/${id}/response`, JSON.stringify(result));
    } catch (err) {
      const error = JSON.stringify({ errorType: 'Error', errorMessage: err.message });
      await request('POST', `${base}/${id}/error`, error);
    }
  }
})();
