// Placeholder replaced below once services are wired.
module.exports = async () => {};
