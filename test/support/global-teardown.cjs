module.exports = async () => {
  require('./services.cjs').stop();
};
