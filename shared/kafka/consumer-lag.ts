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

/** An int64 offset string; negative values (kafkajs's -1) mean "no offset". */
function parseOffset(text: string): number | null {
  const value = Number(text)
  if (!Number.isSafeInteger(value)) {
    throw new Error(`unexpected Kafka offset ${JSON.stringify(text)}`)
  }
  return value < 0 ? null : value
}
