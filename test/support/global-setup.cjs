module.exports = async () => {
  await require('./services.cjs').start();
};
