// Asks the suite's Spark session (oracle.py, started by the globalSetup) to run a case.
import { connect } from 'node:net';
import type { RunResult } from './compare.js';

export interface OracleRequest {
  /** The file under test/conformance/cases (without `.py`) and the function in it. */
  readonly module: string;
  readonly case: string;
  readonly streams: Record<string, { readonly path: string; readonly schema: string }>;
  readonly statics: Record<string, { readonly path: string; readonly schema: string }>;
  readonly kafka?: Record<string, { readonly bootstrap: string; readonly topic: string; readonly maxOffsetsPerTrigger: number }>;
  readonly checkpoint: string;
  readonly outputMode: string;
  /** Spark settings for this query only (`spark.sql.streaming.multipleWatermarkPolicy`). */
  readonly conf: Record<string, string>;
}

export interface OracleResult extends RunResult {
  readonly seconds: number;
}

export function oracleAddress(): { host: string; port: number; token: string } {
  const address = process.env['SPATE_ORACLE'];
  const token = process.env['SPATE_ORACLE_TOKEN'];
  if (!address || !token) {
    throw new Error('no Spark oracle: run the conformance suite with `npm run test:spark` (its globalSetup starts Spark)');
  }
  const [host, port] = address.split(':');
  return { host: host!, port: Number(port), token };
}

export function runInSpark(request: OracleRequest): Promise<OracleResult> {
  return send(request) as Promise<OracleResult>;
}

/** Sends one request line and resolves with the reply line, or rejects with Spark's error. */
function send(request: OracleRequest): Promise<unknown> {
  const { host, port, token } = oracleAddress();
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    let buf = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${JSON.stringify({ ...request, token })}\n`));
    socket.on('data', (d: string) => { buf += d; });
    socket.on('error', reject);
    socket.on('end', () => {
      let reply: { error?: string; trace?: string };
      try {
        reply = JSON.parse(buf) as typeof reply;
      } catch {
        reject(new Error(`the Spark oracle closed the connection without a reply (${buf.slice(0, 200)})`));
        return;
      }
      if (reply.error) reject(new Error(`Spark: ${reply.error}\n${reply.trace ?? ''}`));
      else resolve(reply);
    });
  });
}
