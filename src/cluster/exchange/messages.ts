// Small shared pieces of the exchange's wire format: control messages, and the marker that
// turns a split descriptor into a row a source actor can carry.
import type { Message } from '../../actors/messages.js';
import type { Row } from '../../data/row.js';
import type { ChannelMessage } from './channel.js';

const SPLIT = '$split';

/** A split descriptor as a row on the driver's data plane (between the source actor and its scatter). */
export function splitRow(split: unknown): Row {
  return { [SPLIT]: split };
}

export function splitOfRow(row: Row): unknown {
  return row[SPLIT];
}

/** The channel form of a watermark, barrier or End. */
export function controlMessage(msg: Exclude<Message, { type: 'chunk' }>): ChannelMessage {
  switch (msg.type) {
    case 'watermark': return { t: 'wm', ms: msg.ms };
    case 'barrier': return { t: 'barrier', epoch: msg.epoch, ts: msg.batchTimestampMs };
    case 'end': return { t: 'end' };
  }
}
