// The `spate` executable: runs the CLI and exits with its code (even if something else, such as
// a client that would not close, still holds the event loop).
import { main } from './cli.js';

const code = await main(process.argv.slice(2));
process.exit(code);
