// A real OpenID Provider for scopegate's tests: panva/oidc-provider on 127.0.0.1 (random port),
// client-credentials grant, RFC 9068 JWT access tokens for one resource (resource indicators).
//
// Prints one line `@scopegate {"issuer": "..."}` when ready (other output may interleave). Commands on stdin:
//   rotate  -> replaces the signing key (the old one leaves the JWKS); prints `@scopegate {"rotated": "<kid>"}`
import http from 'node:http';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import readline from 'node:readline';
import Provider from 'oidc-provider';

const RESOURCE = 'https://api.example.com';

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), alg: 'RS256', use: 'sig' };
}

function provider(issuer, key) {
  const p = new Provider(issuer, {
    clients: [
      {
        client_id: 'svc',
        client_secret: 'svc-secret-0123456789',
        grant_types: ['client_credentials'],
        redirect_uris: [],
        response_types: [],
        token_endpoint_auth_method: 'client_secret_post',
      },
    ],
    jwks: { keys: [key] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'read write',
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 300,
          jwt: { sign: { alg: 'RS256' } },
        }),
      },
    },
  });
  p.on('server_error', (ctx, err) => console.error('oidc-provider error:', err));
  return p;
}

const server = http.createServer();
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;
let handler = provider(issuer, signingKey()).callback();
server.on('request', (req, res) => handler(req, res));
console.log('@scopegate ' + JSON.stringify({ issuer }));

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'rotate') {
    const key = signingKey();
    handler = provider(issuer, key).callback();
    console.log('@scopegate ' + JSON.stringify({ rotated: key.kid }));
  }
});
// The test ends by closing stdin (or killing the process).
process.stdin.on('end', () => process.exit(0));
