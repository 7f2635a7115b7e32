// Package redisstate keeps the state several kickbot replicas must share in
// Redis: de-duplication keys, per-user rate limits, disconnect claims and
// their results, posted lists and their click claims, auto-unlock timers,
// meeting control tokens, watcher leases and Slack's rate-limit state.
//
// Each part is a small type with the semantics of today's in-memory one;
// the packages that use them (bot, commands, meeting) own the interfaces.
// Values are opaque bytes where the caller owns the encoding; the only
// kickbot package this one uses is state, whose values and errors memstate
// (the in-memory backend) returns too.
//
// Every call is bounded by a short timeout of its own and fails with an
// error that matches ErrUnavailable when Redis cannot answer: callers fail
// closed (nothing that needs a claim is done) and never fall back to
// per-replica memory. Every key carries the store's prefix and a TTL.
//
// A single Redis server (or a managed primary) is assumed: several scripts
// touch more than one key, which Redis Cluster would refuse across slots.
//
// # Keys
//
// Every key starts with the prefix (KICK_REDIS_PREFIX, default "kickbot:")
// and carries a TTL. Sizes are Redis's MEMORY USAGE on 7.0 (TestKeySizes).
//
//	key                                   TTL                        size
//	dedupe:<envelope or command id>       the dedupe TTL             ~104 B
//	rate:<limiter>:<user>                 ≤ 1 min (refill time)      ~104 B
//	claim:<conference>:<pid>              DefaultClaimTTL (2m)       ~184 B, while a disconnect runs
//	claim:<conference>:<pid>:result:<tok> 2 min                      ~232 B + the result
//	list:<id>  hash {v, d}                bot.ListRetention (24h)        the encoding × ~1.15 (bot's: 50 people ~4.5 KB; 3,000 ~110 KB, gzipped)
//	list:k-<id>  hash {v, d}              bot.ListRetention (24h)        a hold's or uninvited list's record: a few KB
//	lists      zset of list ids           24h, refreshed by Put      ~50 B a list
//	click:<conference>/<pid>  hash        bot.ListRetention (24h)        ~184 B per participant acted on (and admit/, sweep/, hold/ keys alike)
//	timers:<name>, :firing, :data         latest due + 24h           ~500 B per timer
//	ctoken:<conference>                   until the token expires    ~184 B per meeting + its WebSocket URL and subject (meeting's value; the token in clear)
//	lease:ctoken-renew:<conference>       30 s, while renewing       ~170 B
//	lease:watch:<conference>              the watcher's lease TTL    ~168 B per watched meeting
//	slack:hold:<bucket>                   the Retry-After            ~104 B
//	slack:budget:<bucket>                 ≤ every × burst            ~104 B
//
// # When Redis is down
//
// Each call is bounded (WithOpTimeout, default 1 s; dial 500 ms; no
// retries) and returns an error matching ErrUnavailable; nothing falls back
// to memory. Deduper.FirstTime alone answers true on failure (dropping the
// envelope would lose a command without a word; the claim that follows
// fails closed) and reports the error to its onErr.
package redisstate
