// Sessions without a master run on four worker threads (jest project local[4]).
process.env.SPATE_MASTER = 'local[4]';
