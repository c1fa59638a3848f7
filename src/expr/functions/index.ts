// Every built-in function, registered by importing its family. The rest of spate imports this
// module (for the side effect) and looks functions up through registry.ts.
import './string.js';
import './regexp.js';
import './math.js';
import './datetime.js';
import './json.js';
import './json-path.js';
import './collection.js';
import './conditional.js';
import './hash.js';
import './aggregates.js';

export {
  lookupScalar, lookupAggregate, isAggregateName, knownFunctionNames, GENERATOR_NAMES,
} from './registry.js';
export type { ScalarFunctionDef, AggregateFunctionDef, BoundAggregate, BindContext } from './registry.js';
import './avro.js';
