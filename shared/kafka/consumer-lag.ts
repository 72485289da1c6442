import type { Admin } from 'kafkajs'

/** How far one partition's consumer group position is behind the end of the partition. */
export interface PartitionLag {
  partition: number
  /** The group's committed offset (next record to consume); null when it never committed. */
  committed: number | null
  /** Log-start offset: the oldest record Kafka still holds. */
  start: number
  /** Log-end (high-water) offset: the offset the next produced record will get. */
  end: number
  /** Records still to consume: `end - max(committed, start)`, never negative. */
  lag: number
}

export interface ConsumerLag {
  groupId: string
  topic: string
  /** Sum of the partitions' lag. */
  total: number
  /** Every partition of the topic, by partition number. */
  partitions: PartitionLag[]
}

/** Offsets as kafkajs returns them: int64 values as decimal strings, -1 for "none". */
export interface TopicPartitionOffsets {
  partition: number
  low: string
  high: string
}
export interface GroupPartitionOffset {
  partition: number
  offset: string
}

/**
 * Lag per partition from the topic's offsets and the group's committed offsets. A partition the
 * group never committed counts from the log start (everything Kafka holds is unconsumed); so
 * does a committed offset that retention already deleted, because the consumer can only resume at
 * the log start. A committed offset past the end (topic recreated) counts as no lag.
 */
export function computeConsumerLag(
  { groupId, topic }: { groupId: string; topic: string },
  topicOffsets: TopicPartitionOffsets[],
  groupOffsets: GroupPartitionOffset[]
): ConsumerLag {
  const committedByPartition = new Map(
    groupOffsets.map(({ partition, offset }) => [partition, parseOffset(offset)])
  )
  const partitions = topicOffsets
    .map(({ partition, low, high }): PartitionLag => {
      const start = parseOffset(low) ?? 0
      const end = parseOffset(high) ?? start
      const committed = committedByPartition.get(partition) ?? null
      const position = Math.max(committed ?? start, start)
      return { partition, committed, start, end, lag: Math.max(0, end - position) }
    })
    .sort((a, b) => a.partition - b.partition)
  return {
    groupId,
    topic,
    total: partitions.reduce((sum, { lag }) => sum + lag, 0),
    partitions,
  }
}

/**
 * Reads the topic's log-start and log-end offsets and the group's committed offsets with a
 * connected kafkajs admin, and computes the lag. Read-only: it never commits or resets offsets.
 */
export async function fetchConsumerLag(
  admin: Admin,
  { groupId, topic }: { groupId: string; topic: string }
): Promise<ConsumerLag> {
  const [topicOffsets, groupOffsets] = await Promise.all([
    admin.fetchTopicOffsets(topic),
    admin.fetchOffsets({ groupId, topics: [topic] }),
  ])
  const partitions = groupOffsets.find((entry) => entry.topic === topic)?.partitions ?? []
  return computeConsumerLag({ groupId, topic }, topicOffsets, partitions)
}

/** DescribeGroups' state for a group the coordinator does not know. */
const GROUP_STATE_DEAD = 'Dead'

/**
 * The group has no committed offset on any partition of the topic, so there is no position to
 * measure lag from: counting from the log start would report everything Kafka holds as lag. Most
 * often the group name is wrong (Kafka does not know it: state `Dead`), or the consumer has not
 * committed yet.
 */
export class NoCommittedOffsetsError extends Error {
  override name = 'NoCommittedOffsetsError'
  /** The coordinator's state for the group: `Dead` when it does not exist, else `Empty`, `Stable`... */
  readonly groupState: string

  constructor({
    groupId,
    topic,
    groupState,
  }: {
    groupId: string
    topic: string
    groupState: string
  }) {
    super(
      groupState === GROUP_STATE_DEAD
        ? `consumer group ${groupId} does not exist: it has no committed offsets on ${topic}`
        : `consumer group ${groupId} (${groupState}) has no committed offsets on ${topic} yet`
    )
    this.groupState = groupState
  }
}

/**
 * fetchConsumerLag for alerting on: throws NoCommittedOffsetsError, naming the group's state, when
 * the group has committed nothing on the topic (a misspelt group would otherwise raise a lag alert
 * for the whole topic).
 */
export async function fetchCommittedConsumerLag(
  admin: Admin,
  ids: { groupId: string; topic: string }
): Promise<ConsumerLag> {
  const lag = await fetchConsumerLag(admin, ids)
  if (lag.partitions.some(({ committed }) => committed !== null)) {
    return lag
  }
  const { groups } = await admin.describeGroups([ids.groupId])
  const groupState = groups.find(({ groupId }) => groupId === ids.groupId)?.state ?? 'Unknown'
  throw new NoCommittedOffsetsError({ ...ids, groupState })
}

/** An int64 offset string; negative values (kafkajs's -1) mean "no offset". */
function parseOffset(text: string): number | null {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new Error(`unexpected Kafka offset ${JSON.stringify(text)}`)
  }
  return value < 0 ? null : value
}
