// jest's global teardown: stops what the global setup started.
const { require: load } = require('tsx/cjs/api');

module.exports = () => {
  load('./services.ts', __filename).stopServices();
};
