/**
 * GCRA, the generic cell rate algorithm, over one or more buckets at once. A bucket holds
 * one number, the theoretical arrival time (TAT) of its next request: each request moves it
 * one emission interval (window / requests) on; a request is refused when that would put it
 * more than a whole window ahead of now. So a client may burst the whole limit, then gets
 * one request per interval, and an idle bucket expires by itself.
 *
 * A request charged to several buckets (a login: its client address and its target email)
 * is allowed only if every bucket allows it, and then moves them all; a refused request
 * moves none. A guard bucket (an address's failure budget) is only read: while it would
 * refuse one more failure, the request is refused without charging anything.
 */

export interface Limit {
  /** Requests allowed per window, all of them at once as a burst. */
  readonly requests: number;
  readonly windowSeconds: number;
}

export interface Decision {
  readonly allowed: boolean;
  /** The limit that decided: the route class's, or the failure budget's when `overFailureBudget`. */
  readonly limit: Limit;
  readonly remaining: number;
  /** Milliseconds until the next request would be allowed (0 when allowed). */
  readonly retryAfterMs: number;
  /** Milliseconds until the whole burst is available again. */
  readonly resetMs: number;
  /** Refused because the client's address has used up its budget of failed authentications. */
  readonly overFailureBudget: boolean;
}

/**
 * The algorithm in one Lua script, so check-and-update is atomic across every gateway
 * replica, on Redis's clock so replicas' clocks do not matter, in one round trip however
 * many buckets. The keys of one call must live on one Redis node: true of the platform's
 * ElastiCache replication group (cluster mode off); cluster mode would need hash tags.
 *
 * A call may ask for several requests at once (a replica's lease, rate-limit.ts): it is
 * granted as many as every bucket can admit now, at most those asked for, and each bucket
 * moves one interval per request granted; it is refused only when not even one fits. Asking
 * for one is the plain algorithm.
 *
 * KEYS: the buckets, then the guard bucket when ARGV[3] > 0.
 * ARGV: interval ms, window ms, the guard's interval ms (0: no guard), the guard's window ms,
 * requests wanted (at least 1).
 * Returns { allowed 0|1, remaining, retry after ms, reset ms, refused by the guard 0|1, granted }.
 */
export const gcraSource = `
local interval = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local guard_interval = tonumber(ARGV[3])
local wanted = tonumber(ARGV[5])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
local n = #KEYS
if guard_interval > 0 then
  local tat = tonumber(redis.call('GET', KEYS[n]) or '0')
  local open_at = tat + guard_interval - tonumber(ARGV[4])
  if now < open_at then
    return { 0, 0, math.ceil(open_at - now), math.ceil(tat - now), 1, 0 }
  end
  n = n - 1
end
local tats = {}
local granted, retry, reset = wanted, 0, 0
for i = 1, n do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if tat < now then tat = now end
  tats[i] = tat
  -- A request fits while its TAT, one interval on, stays within a window of now.
  granted = math.min(granted, math.floor((now + window - tat) / interval))
  if now < tat + interval - window then retry = math.max(retry, tat + interval - window - now) end
  reset = math.max(reset, tat - now)
end
if granted < 1 then
  return { 0, 0, math.ceil(retry), math.ceil(reset), 0, 0 }
end
local remaining = math.huge
for i = 1, n do
  local next_tat = tats[i] + granted * interval
  redis.call('SET', KEYS[i], tostring(next_tat), 'PX', math.ceil(next_tat - now))
  remaining = math.min(remaining, math.floor((window - (next_tat - now)) / interval))
end
return { 1, remaining, 0, math.ceil(reset + granted * interval), 0, granted }
`;

/** The same algorithm in process, for the local fail mode and unit tests: the buckets' new TATs with the decision. */
export function gcra(
  tatsMs: readonly (number | undefined)[],
  nowMs: number,
  limit: Limit,
): Decision & { tatsMs: number[] } {
  const interval = (limit.windowSeconds * 1000) / limit.requests;
  const window = limit.windowSeconds * 1000;
  const tats = tatsMs.map((tat) => Math.max(tat ?? 0, nowMs));
  const retry = Math.max(0, ...tats.map((tat) => tat + interval - window - nowMs));
  const reset = Math.max(0, ...tats.map((tat) => tat - nowMs));
  if (retry > 0) return refusal(limit, retry, reset, tats);
  return {
    allowed: true,
    limit,
    remaining: Math.min(...tats.map((tat) => Math.floor((window - (tat + interval - nowMs)) / interval))),
    retryAfterMs: 0,
    resetMs: Math.ceil(reset + interval),
    overFailureBudget: false,
    tatsMs: tats.map((tat) => tat + interval),
  };
}

const refusal = (
  limit: Limit,
  retryMs: number,
  resetMs: number,
  tatsMs: number[],
  overFailureBudget = false,
) => ({
  allowed: false,
  limit,
  remaining: 0,
  retryAfterMs: Math.ceil(retryMs),
  resetMs: Math.ceil(resetMs),
  overFailureBudget,
  tatsMs,
});

/** The guard in process: a refusal while the bucket at `tatMs` would refuse one more failure. */
export function guardRefusal(tatMs: number | undefined, nowMs: number, budget: Limit): Decision | undefined {
  const decision = gcra([tatMs], nowMs, budget);
  return decision.allowed ? undefined : refusal(budget, decision.retryAfterMs, decision.resetMs, [], true);
}
