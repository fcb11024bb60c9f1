import { EngineError } from '../../core/errors.js';
import { TARGET_FLAGS, targetOf } from '../broker-target.js';
import { positionals, UsageError, type CommandContext, type CommandSpec, type Flags } from '../command.js';
import { withGroupAdmin, type GroupAdmin, type GroupView, type PartitionOffset } from '../group-admin.js';
import { planPartitionReset, type PartitionReset, type ResetTo } from '../offset-reset.js';
import { formatTable } from '../output.js';

/**
 * `brook groups …`: list consumer groups, describe one (members, committed offsets, log end
 * offsets, lag) and reset its committed offsets the way Kafka's kafka-consumer-groups tool does
 * (a dry run unless --execute; only while the group has no members).
 */
const JSON_FLAG = { type: 'boolean', describe: 'print JSON for scripts' } as const;

function oneGroup(context: CommandContext, spec: CommandSpec): string {
  const [groupId] = positionals(context, spec, 1);
  if (groupId === undefined || groupId === '') throw new UsageError(spec.name, 'give a group id');
  return groupId;
}

// ------------------------------------------------------------------------------------------------
// list

export const groupsList: CommandSpec = {
  name: 'groups list',
  summary: 'List consumer groups with their state (groups known only by committed offsets show as Empty).',
  flags: { json: JSON_FLAG, ...TARGET_FLAGS },
  async run(context) {
    positionals(context, groupsList, 0);
    const groups = await withGroupAdmin(targetOf(groupsList.name, context.flags), { write: false }, (admin) => admin.listGroups());
    if (context.flags.boolean('json')) {
      context.print(JSON.stringify(groups));
      return 0;
    }
    if (groups.length === 0) {
      context.print('No consumer groups.');
      return 0;
    }
    const rows = groups.map((group) => [group.groupId, group.state, group.protocolType === '' ? null : group.protocolType]);
    for (const line of formatTable(['GROUP', 'STATE', 'PROTOCOL-TYPE'], rows)) context.print(line);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// describe

interface OffsetRow {
  readonly topic: string;
  readonly partition: number;
  readonly committedOffset: number | null;
  readonly logEndOffset: number | null;
  readonly lag: number | null;
  readonly memberId: string | null;
}

interface GroupDescription extends GroupView {
  readonly offsets: ReadonlyArray<OffsetRow>;
}

const partitionKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** Committed partitions and assigned ones, each with its log end offset and lag. */
async function offsetRows(admin: GroupAdmin, group: GroupView, committed: ReadonlyArray<PartitionOffset>): Promise<OffsetRow[]> {
  const owners = new Map<string, string>();
  const wanted = new Map<string, Set<number>>();
  const want = (topic: string, partition: number): void => void wanted.set(topic, (wanted.get(topic) ?? new Set()).add(partition));
  for (const member of group.members) {
    for (const entry of member.assigned ?? []) {
      for (const partition of entry.partitions) {
        owners.set(partitionKey(entry.topic, partition), member.memberId);
        want(entry.topic, partition);
      }
    }
  }
  const commits = new Map(committed.map((entry) => [partitionKey(entry.topic, entry.partition), entry.offset]));
  for (const entry of committed) want(entry.topic, entry.partition);
  const rows: OffsetRow[] = [];
  for (const topic of [...wanted.keys()].sort()) {
    const partitions = [...wanted.get(topic)!].sort((left, right) => left - right);
    // A topic deleted since the commit has no log end offset any more.
    const bounds = await admin.bounds(topic, partitions).catch(() => null);
    for (const partition of partitions) {
      const key = partitionKey(topic, partition);
      const committedOffset = commits.get(key) ?? null;
      const logEndOffset = bounds?.get(partition)?.logEndOffset ?? null;
      const lag = committedOffset === null || logEndOffset === null ? null : logEndOffset - committedOffset;
      rows.push({ topic, partition, committedOffset, logEndOffset, lag, memberId: owners.get(key) ?? null });
    }
  }
  return rows;
}

async function describeGroup(admin: GroupAdmin, groupId: string): Promise<GroupDescription> {
  const group = await admin.describeGroup(groupId);
  const committed = await admin.committedOffsets(groupId);
  if (group.state === 'Dead' && committed.length === 0) {
    throw new EngineError('GROUP_ID_NOT_FOUND', `consumer group "${groupId}" does not exist (no members, no committed offsets): brook groups list shows the groups`);
  }
  return { ...group, offsets: await offsetRows(admin, group, committed) };
}

function printDescription(print: (line: string) => void, group: GroupDescription): void {
  const protocol = group.protocol === '' ? '' : `  Protocol: ${group.protocol}`;
  print(`Group: ${group.groupId}  State: ${group.state}  ProtocolType: ${group.protocolType === '' ? '-' : group.protocolType}${protocol}  Members: ${group.members.length}`);
  print('');
  print('Members:');
  if (group.members.length === 0) print('  (none: no consumer is in the group)');
  else {
    const rows = group.members.map((member) => [
      member.memberId,
      member.clientId,
      member.host,
      member.assigned === null ? 'unknown' : member.assigned.map((entry) => `${entry.topic}:${entry.partitions.join(',')}`).join(' ') || '(none)',
    ]);
    for (const line of formatTable(['MEMBER-ID', 'CLIENT-ID', 'HOST', 'ASSIGNED-PARTITIONS'], rows)) print(`  ${line}`);
  }
  print('');
  print('Offsets:');
  if (group.offsets.length === 0) {
    print('  (none: the group has committed no offsets)');
    return;
  }
  const rows = group.offsets.map((row) => [row.topic, row.partition, row.committedOffset, row.logEndOffset, row.lag, row.memberId]);
  for (const line of formatTable(['TOPIC', 'PARTITION', 'COMMITTED-OFFSET', 'LOG-END-OFFSET', 'LAG', 'MEMBER-ID'], rows)) print(`  ${line}`);
}

export const groupsDescribe: CommandSpec = {
  name: 'groups describe',
  summary: "A consumer group's state, protocol and members (client id, host, assigned partitions), then per partition its committed offset, the log end offset and the lag.",
  positionals: '<group>',
  flags: { json: JSON_FLAG, ...TARGET_FLAGS },
  async run(context) {
    const groupId = oneGroup(context, groupsDescribe);
    const group = await withGroupAdmin(targetOf(groupsDescribe.name, context.flags), { write: false }, (admin) => describeGroup(admin, groupId));
    if (context.flags.boolean('json')) context.print(JSON.stringify(group));
    else printDescription(context.print, group);
    return 0;
  },
};

// ------------------------------------------------------------------------------------------------
// reset-offsets

const SCENARIOS = ['to-earliest', 'to-latest', 'to-offset', 'to-datetime', 'shift-by'] as const;

function resetTo(flags: Flags): ResetTo {
  const command = groupsResetOffsets.name;
  const given = SCENARIOS.filter((name) => flags.has(name));
  if (given.length !== 1) {
    const what = given.length === 0 ? 'no target' : `${given.map((name) => `--${name}`).join(' and ')}`;
    throw new UsageError(command, `${what}: give exactly one of ${SCENARIOS.map((name) => `--${name}`).join(', ')}`);
  }
  switch (given[0]!) {
    case 'to-earliest':
      return { kind: 'earliest' };
    case 'to-latest':
      return { kind: 'latest' };
    case 'to-offset':
      return { kind: 'offset', offset: flags.integer('to-offset', 0, 0) };
    case 'shift-by':
      return { kind: 'shift-by', delta: flags.integer('shift-by', 0, Number.MIN_SAFE_INTEGER) };
    case 'to-datetime': {
      const text = flags.required('to-datetime');
      const timestampMs = Date.parse(text);
      if (!Number.isFinite(timestampMs)) {
        throw new UsageError(command, `--to-datetime ${text} is invalid: use an ISO 8601 time such as 2024-06-01T12:00:00Z (without a zone it is local time)`);
      }
      return { kind: 'datetime', timestampMs };
    }
  }
}

/** `--topic orders` (every partition) or `--topic orders:0,2`. */
async function scope(admin: GroupAdmin, flags: Flags, committed: ReadonlyArray<PartitionOffset>): Promise<Map<string, number[]>> {
  const command = groupsResetOffsets.name;
  const topics = flags.list('topic');
  const all = flags.boolean('all-topics');
  if (topics.length > 0 === all) throw new UsageError(command, 'give --topic <topic> (repeatable) or --all-topics, one of the two');
  const out = new Map<string, number[]>();
  if (all) {
    for (const entry of committed) out.set(entry.topic, [...(out.get(entry.topic) ?? []), entry.partition]);
    if (out.size === 0) throw new EngineError('GROUP_ID_NOT_FOUND', 'the group has no committed offsets, so --all-topics means nothing: name topics with --topic');
    return out;
  }
  for (const spec of topics) {
    const [topic = '', list] = spec.split(':');
    const count = await admin.partitionCount(topic);
    const partitions = list === undefined ? Array.from({ length: count }, (_, index) => index) : list.split(',').map(Number);
    for (const partition of partitions) {
      if (!Number.isSafeInteger(partition) || partition < 0 || partition >= count) {
        throw new UsageError(command, `--topic ${spec}: topic "${topic}" has partitions 0..${count - 1}`);
      }
    }
    out.set(topic, [...new Set([...(out.get(topic) ?? []), ...partitions])].sort((left, right) => left - right));
  }
  return out;
}

async function plan(admin: GroupAdmin, groupId: string, flags: Flags, to: ResetTo): Promise<PartitionReset[]> {
  const group = await admin.describeGroup(groupId);
  if (group.state !== 'Empty' && group.state !== 'Dead') {
    throw new EngineError(
      'NON_EMPTY_GROUP',
      `group "${groupId}" has ${group.members.length} active member${group.members.length === 1 ? '' : 's'} (state ${group.state}): stop its consumers first; offsets can be reset only while a group has no members`,
    );
  }
  const committed = await admin.committedOffsets(groupId);
  const current = new Map(committed.map((entry) => [partitionKey(entry.topic, entry.partition), entry.offset]));
  const resets: PartitionReset[] = [];
  for (const [topic, partitions] of await scope(admin, flags, committed)) {
    const bounds = await admin.bounds(topic, partitions);
    const times = to.kind === 'datetime' ? await admin.offsetsForTime(topic, partitions, to.timestampMs) : null;
    for (const partition of partitions) {
      const { logStartOffset, logEndOffset } = bounds.get(partition)!;
      resets.push(
        planPartitionReset(to, {
          topic,
          partition,
          current: current.get(partitionKey(topic, partition)) ?? null,
          logStartOffset,
          logEndOffset,
          offsetForTime: times?.get(partition) ?? null,
        }),
      );
    }
  }
  return resets;
}

export const groupsResetOffsets: CommandSpec = {
  name: 'groups reset-offsets',
  summary: "Move a consumer group's committed offsets. Prints the plan (current → new offset) and changes nothing unless --execute is given; refused while the group has active members. Targets are clamped to [log start, log end].",
  positionals: '<group>',
  flags: {
    topic: { type: 'string', multiple: true, valueName: 'topic[:p,p…]', describe: 'a topic to reset (all its partitions, or those listed)' },
    'all-topics': { type: 'boolean', describe: 'every partition the group has committed offsets for' },
    'to-earliest': { type: 'boolean', describe: 'to the log start offset' },
    'to-latest': { type: 'boolean', describe: 'to the log end offset' },
    'to-offset': { type: 'string', valueName: 'n', describe: 'to this offset' },
    'to-datetime': { type: 'string', valueName: 'ISO-time', describe: 'to the first offset with a timestamp at or after this time' },
    'shift-by': { type: 'string', valueName: 'n', describe: 'by n from the committed offset (negative: --shift-by=-n)' },
    execute: { type: 'boolean', describe: 'commit the new offsets (without it: a dry run)' },
    ...TARGET_FLAGS,
  },
  details: 'Example: brook groups reset-offsets billing --topic orders --to-datetime 2024-06-01T00:00:00Z --execute',
  async run(context) {
    const groupId = oneGroup(context, groupsResetOffsets);
    const { flags, print } = context;
    const to = resetTo(flags);
    const execute = flags.boolean('execute');
    const target = targetOf(groupsResetOffsets.name, flags);
    const resets = await withGroupAdmin(target, { write: execute }, async (admin) => {
      const planned = await plan(admin, groupId, flags, to);
      if (execute) await admin.commit(groupId, planned.map((entry) => ({ topic: entry.topic, partition: entry.partition, offset: entry.target })));
      return planned;
    });
    const notes = resets.some((entry) => entry.note !== null);
    const rows = resets.map((entry) => [groupId, entry.topic, entry.partition, entry.current, entry.target, ...(notes ? [entry.note ?? ''] : [])]);
    for (const line of formatTable(['GROUP', 'TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET', ...(notes ? ['NOTE'] : [])], rows)) print(line);
    print(execute ? `Committed ${resets.length} offset${resets.length === 1 ? '' : 's'} for group ${groupId}.` : 'Dry run: nothing changed. Add --execute to commit these offsets.');
    return 0;
  },
};
