/**
 * Event vocabulary of Skytrail.
 *
 * - event: a CloudEvent; its `type` names the schema of its `data`, which stays `unknown` until
 *   that schema has checked it.
 * - states event: one OpenSky poll's state vectors for one partition bucket, emitted by the
 *   producer (type {@link OPENSKY_STATES_EVENT_TYPE}).
 * - raw Kafka event: a Kafka record that was not a CloudEvent, wrapped by KafkaSource
 *   (type {@link KAFKA_RECORD_EVENT_TYPE}); its data is the record value as written.
 * - inbox: the `processed_events` table; a redelivered event (same source and id) is skipped.
 * - DLS: the dead-letter sink, where Knative sends events answered with a final 4xx.
 * - tick: a PingSource event ({@link PING_EVENT_TYPE}) that drives the producer and the sweeper.
 */

/** The producer's event: data is an OpenSky `states/all` envelope for a subset of aircraft. */
export const OPENSKY_STATES_EVENT_TYPE = 'dev.skytrail.opensky.states.v1'

/**
 * What KafkaSource makes of a record that is not a CloudEvent, such as the JSON the original
 * Python producer wrote. `id` is `partition:<p>/offset:<o>`, stable across redeliveries.
 */
export const KAFKA_RECORD_EVENT_TYPE = 'dev.knative.kafka.event'

/** A PingSource tick. */
export const PING_EVENT_TYPE = 'dev.knative.sources.ping'

/** Alerts the sweeper raises and clears. */
export const ALERT_RAISED_EVENT_TYPE = 'dev.skytrail.pipeline.alert.raised.v1'
export const ALERT_CLEARED_EVENT_TYPE = 'dev.skytrail.pipeline.alert.cleared.v1'

export const FLIGHT_RAW_DATA_TOPIC = 'flight_raw_data'

/** CloudEvent extension attributes the pipeline reads or writes. */
export const EXTENSION = Object.freeze({
  /** The Kafka record key, which is the producer's bucket: one aircraft, one partition. */
  partitionKey: 'partitionkey',
  /** Added by KafkaSource to every delivery since Knative 1.13. */
  kafkaPartition: 'knativekafkapartition',
  kafkaOffset: 'knativekafkaoffset',
})
