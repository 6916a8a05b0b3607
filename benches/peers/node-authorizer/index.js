// The sample's handler (index.js): an Allow policy, or the error "Unauthorized".
const lib = require('./lib');

module.exports.handler = async (event) => {
  try {
    return await lib.authenticate(event);
  } catch (err) {
    throw new Error('Unauthorized');
  }
};
