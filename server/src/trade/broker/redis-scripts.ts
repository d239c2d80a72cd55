import { LuaScript } from '../../redis/lua-script.js';

/**
 * Numbers, stores and announces one event atomically: de-duplication by event id, the topic's
 * epoch (created when missing, which also drops counters and history older than it), INCR of
 * the sequence, XADD to the bounded history with the seq as entry id, the state change, and
 * PUBLISH (SPUBLISH on a cluster) to the topic's channel. Every key and the channel are of one
 * topic and share its hash tag: on a cluster, the script runs on the topic's shard. With a state field limit, the fields with
 * the lowest names go while the state has more (the oldest bars of a bars topic). With an expected
 * epoch and seq, nothing is stored unless the topic is still there (returns [2, '']); such a
 * conditional store also records its writer (a key of its own, kept for a day), and with "after own
 * write" requires the topic's last conditional store to be that writer's.
 * KEYS: seq, epoch, history, state, then dedupe for an event with an id and writer for a
 *       conditional store (each left out otherwise: on a cluster every declared key, even '', must
 *       be in the topic's slot)
 * ARGV: envelope JSON without seq and epoch, candidate epoch, history length, state field (or ''),
 *       state value (or '' to delete), dedupe TTL seconds, topic, channel, state field limit (or ''),
 *       expected epoch (or ''), expected seq, PUBLISH or SPUBLISH, index in KEYS of the dedupe key
 *       (or ''), index of the writer key (or ''), writer, '1' to require the last writer's to be it
 * Returns [isNew (1/0), envelope JSON].
 *
 * Declared a write script (`#!lua`, Redis 7 script flags, without `no-writes` or `allow-oom`):
 * Redis then refuses it before it starts while writes are refused (OOM under `noeviction`,
 * READONLY replica, MISCONF, CLUSTERDOWN), so that nothing is half-stored. Without flags Redis
 * checks memory only at a script's first write, and this script's first write can be PERSIST,
 * which never counts as growing memory: every later write would then pass the cap.
 */
export const PUBLISH_SCRIPT = new LuaScript(`#!lua
local dedupeKey = ARGV[13] ~= '' and KEYS[tonumber(ARGV[13])]
local writerKey = ARGV[14] ~= '' and KEYS[tonumber(ARGV[14])]
if dedupeKey then
  local existing = redis.call('GET', dedupeKey)
  if existing then return {0, existing} end
end
local epoch = redis.call('GET', KEYS[2])
if ARGV[10] ~= '' then
  if epoch ~= ARGV[10] or tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[11]) then return {2, ''} end
  if ARGV[16] == '1' and redis.call('GET', writerKey) ~= ARGV[15] then return {2, ''} end
end
if not epoch then
  epoch = ARGV[2]
  redis.call('SET', KEYS[2], epoch)
  redis.call('DEL', KEYS[1], KEYS[3])
else
  -- An epoch created by a read expires unless events come: from the first event on it stays.
  redis.call('PERSIST', KEYS[2])
end
local seq = redis.call('INCR', KEYS[1])
local envelope = '{"seq":' .. seq .. ',"epoch":' .. cjson.encode(epoch) .. ',' .. string.sub(ARGV[1], 2)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], seq .. '-0', 'e', envelope)
if ARGV[4] ~= '' then
  if ARGV[5] == '' then redis.call('HDEL', KEYS[4], ARGV[4]) else redis.call('HSET', KEYS[4], ARGV[4], ARGV[5]) end
  if ARGV[9] ~= '' then
    local excess = redis.call('HLEN', KEYS[4]) - tonumber(ARGV[9])
    if excess > 0 then
      local names = redis.call('HKEYS', KEYS[4])
      table.sort(names)
      for i = 1, excess do redis.call('HDEL', KEYS[4], names[i]) end
    end
  end
end
if dedupeKey then redis.call('SET', dedupeKey, envelope, 'EX', ARGV[6]) end
if writerKey then redis.call('SET', writerKey, ARGV[15], 'EX', 86400) end
redis.call(ARGV[12], ARGV[8], envelope)
return {1, envelope}
`);

/**
 * The start of the scripts that read a topic's position: its epoch (created when missing) and
 * seq. An epoch created here, for a topic without events, expires after ARGV[2] seconds unless an
 * event comes, so that reading topics nobody publishes to does not grow Redis without bound.
 * KEYS: seq, epoch, history, ... ARGV: candidate epoch, seconds. Leaves `epoch` and `seq` set.
 */
const READ_POSITION = `
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch, 'EX', ARGV[2])
  redis.call('DEL', KEYS[1], KEYS[3])
end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
`;

/**
 * Reads a topic's position (READ_POSITION) and state in one step.
 * KEYS: seq, epoch, history, state. ARGV: candidate epoch, seconds. Returns [epoch, seq, flat state].
 */
export const SNAPSHOT_SCRIPT = new LuaScript(`${READ_POSITION}
return {epoch, seq, redis.call('HGETALL', KEYS[4])}
`);

/**
 * A topic's position (READ_POSITION) and its last event: what a node that derives events goes on from.
 * KEYS: seq, epoch, history. ARGV: candidate epoch, seconds. Returns [epoch, seq, last history entry or nil].
 */
export const LAST_EVENT_SCRIPT = new LuaScript(`${READ_POSITION}
return {epoch, seq, redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)[1]}
`);

/**
 * Every event after a position up to the topic's seq, or why they cannot be replayed. The
 * history keeps the last `history length` events: XADD trims it approximately (whole stream
 * nodes), so it may hold more, but a replay never reaches further back than that length, as with
 * the in-memory broker, and never answers part of the missed events.
 * KEYS: seq, epoch, history. ARGV: epoch, seq after which to read, history length.
 * Returns ['events', epoch, seq, [envelope JSON...]] or ['reset', reason].
 */
export const HISTORY_SCRIPT = new LuaScript(`
local epoch = redis.call('GET', KEYS[2])
if (not epoch) or epoch ~= ARGV[1] then return {'reset', 'epoch_changed'} end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[2])
if since > seq then return {'reset', 'ahead_of_server'} end
if since == seq then return {'events', epoch, seq, {}} end
if seq - since > tonumber(ARGV[3]) then return {'reset', 'history_gone'} end
local entries = redis.call('XRANGE', KEYS[3], (since + 1) .. '-0', '+', 'COUNT', seq - since)
if #entries ~= seq - since or tonumber(string.match(entries[1][1], '^(%d+)')) ~= since + 1 then return {'reset', 'history_gone'} end
local events = {}
for i, entry in ipairs(entries) do events[i] = entry[2][2] end
return {'events', epoch, seq, events}
`);
