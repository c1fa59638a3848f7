// The running counters behind ClusterWorker.status(): rows per source partition and per key
// group add up over epochs; a loop's failing steps count in a row and reset on a success.
import { WorkerCounters } from '../../../src/cluster/group/worker-status.js';

describe('a cluster worker\'s counters', () => {
  it('adds up the rows of each stage-one and key-group task', () => {
    const c = new WorkerCounters();
    c.stageOne('lines', 0, 10);
    c.stageOne('lines', 0, 5);
    c.stageOne('clicks', 0, 7);
    c.stageTwo(3, 20, 4);
    c.stageTwo(3, 2, 1);
    expect(c.rowsRead('lines', 0)).toBe(15);
    expect(c.rowsRead('clicks', 0)).toBe(7);
    expect(c.rowsRead('lines', 1)).toBe(0);
    expect(c.rowsOf(3)).toEqual({ rowsIn: 22, rowsOut: 5 });
    expect(c.rowsOf(4)).toEqual({ rowsIn: 0, rowsOut: 0 });
  });

  it('counts the failing steps of the worse loop in a row, reset by a step that succeeds', () => {
    const c = new WorkerCounters();
    expect(c.failingSteps).toBe(0);
    c.stepEnded('tasks', 'Connection is closed.');
    c.stepEnded('tasks', 'Connection is closed.');
    c.stepEnded('coordinator', 'lease refused');
    c.stepEnded('coordinator', null);
    expect(c.failingSteps).toBe(2);
    expect(c.lastFailure).toBe('coordinator: lease refused');
    c.stepEnded('tasks', null);
    expect(c.failingSteps).toBe(0);
  });
});
