// The transactional writer and its epoch markers live with the Kafka connector, which also
// writes from the worker threads of master('local[N]') with them.
export { EPOCH_HEADER, KafkaOutput, MarkerReader, markerTopicName } from '../../connectors/kafka/transactional-output.js';
export type { EpochMarker } from '../../connectors/kafka/transactional-output.js';
