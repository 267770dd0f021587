/**
 * What a scheduled run does while an earlier scheduled run of the same DAG is still queued or running
 * (Temporal's overlap policies). `buffer_all` is the default: no data interval is lost and runs of one
 * schedule never overlap, so an incremental load always sees its predecessor's result.
 */
export type OverlapPolicy = 'skip' | 'buffer_one' | 'buffer_all' | 'cancel_previous' | 'allow';

export const OVERLAP_POLICIES: readonly OverlapPolicy[] = [
  'skip',
  'buffer_one',
  'buffer_all',
  'cancel_previous',
  'allow',
];

export const DEFAULT_OVERLAP_POLICY: OverlapPolicy = 'buffer_all';
