// Union of several streams: rows pass through; the runtime aligns the inputs' barriers and
// takes the minimum of their watermarks.
import type { OperatorLogic } from '../actors/operator.js';

export function unionOperator(): OperatorLogic {
  return {
    name: 'union',
    stores: [],
    process(rows, _input, ctx) {
      ctx.emit(rows);
    },
  };
}
