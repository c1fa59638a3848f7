// Sessions without a master run on two worker threads (jest project local[2]).
process.env.SPATE_MASTER = 'local[2]';
