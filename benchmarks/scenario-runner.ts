// Runs one scenario in this process and prints its result as a `RESULT {json}` line.
import { scenarios } from './scenarios/index.js';

const [name, scaleText] = process.argv.slice(2);
const scenario = scenarios.find((s) => s.name === name);
if (!scenario) {
  process.stderr.write(`unknown scenario ${name}; known: ${scenarios.map((s) => s.name).join(', ')}\n`);
  process.exit(2);
}
const result = await scenario.run(Number(scaleText ?? '1'));
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
