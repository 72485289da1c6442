import type { PoolClient } from './pool.ts'

/**
 * Records a CloudEvent (by `source` and `id`) in the processor's inbox inside the caller's
 * transaction. Returns false when it is already there: the event was committed before and this is
 * a redelivery. A concurrent delivery of the same event waits on the primary key until the first
 * commits, then also gets false.
 */
export async function recordInboxEvent(
  client: PoolClient,
  source: string,
  id: string
): Promise<boolean> {
  const { rowCount } = await client.query({
    text: 'INSERT INTO processed_events (source, id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    values: [source, id],
  })
  return rowCount === 1
}
