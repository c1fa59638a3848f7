// Registers every built-in connector (each module registers itself on import).
import './memory/memory-source.js';
import './memory/memory-sink.js';
import './console/console-sink.js';
import './foreach/foreach-batch-sink.js';
import './foreach/foreach-sink.js';
import './socket/socket-source.js';
import './rate/rate-source.js';
import './rate/rate-micro-batch-source.js';
import './file/provider.js';
import './kafka/provider.js';
