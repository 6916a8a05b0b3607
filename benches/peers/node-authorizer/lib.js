// The logic of Auth0's sample Lambda authorizer `jwt-rsa-aws-custom-authorizer` (lib.js),
// written by hand for scopegate's benchmarks: see NOTICE.md. Not scopegate code.
const jwksClient = require('jwks-rsa');
const jwt = require('jsonwebtoken');
const util = require('util');

const getPolicyDocument = (effect, resource) => ({
  Version: '2012-10-17',
  Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: resource }],
});

// The Bearer token of a TOKEN event.
const getToken = (params) => {
  if (!params.type || params.type !== 'TOKEN') {
    throw new Error('Expected "event.type" parameter to have value "TOKEN"');
  }
  const tokenString = params.authorizationToken;
  if (!tokenString) {
    throw new Error('Expected "event.authorizationToken" parameter to be set');
  }
  const match = tokenString.match(/^Bearer (.*)$/);
  if (!match || match.length < 2) {
    throw new Error('Invalid Authorization token: it does not match "Bearer .*"');
  }
  return match[1];
};

const jwtOptions = {
  audience: process.env.AUDIENCE,
  issuer: process.env.TOKEN_ISSUER,
};

const client = jwksClient({
  cache: true,
  rateLimit: true,
  jwksRequestsPerMinute: 10,
  jwksUri: process.env.JWKS_URI,
});
const getSigningKey = util.promisify(client.getSigningKey);

module.exports.authenticate = (params) => {
  const token = getToken(params);
  const decoded = jwt.decode(token, { complete: true });
  if (!decoded || !decoded.header || !decoded.header.kid) {
    throw new Error('invalid token');
  }
  return getSigningKey(decoded.header.kid)
    .then((key) => jwt.verify(token, key.publicKey || key.rsaPublicKey, jwtOptions))
    .then((claims) => ({
      principalId: claims.sub,
      policyDocument: getPolicyDocument('Allow', params.methodArn),
      context: { scope: claims.scope },
    }));
};
