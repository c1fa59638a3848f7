// jest's global setup: starts the servers the tests use (services.ts, loaded through tsx, which
// resolves the `.js` import suffixes of our TypeScript sources as jest's moduleNameMapper does).
const { require: load } = require('tsx/cjs/api');

module.exports = async (globalConfig) => {
  await load('./services.ts', __filename).startServices(globalConfig);
};
