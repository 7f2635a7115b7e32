package main

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/kickbot/kickbot/bot"
	"github.com/kickbot/kickbot/commands"
	"github.com/kickbot/kickbot/config"
	"github.com/kickbot/kickbot/meeting"
	"github.com/kickbot/kickbot/metrics"
	"github.com/kickbot/kickbot/redisstate"
)

// sharedState is the wiring of the state replicas share: with REDIS_URL,
// options that put it in Redis; without, none (everything stays in this
// process's memory, for one replica, exactly as before).
type sharedState struct {
	store   *redisstate.Store // nil: memory
	meeting []meeting.Option
	claims  *commands.Claims
	bot     []bot.Option
}

// openState opens Redis when cfg.RedisURL is set and says at start which
// backend is used. It does not wait for Redis: a Redis that does not answer
// yet makes /readyz 503 and refuses what needs it, until it answers.
func openState(ctx context.Context, cfg config.Config, log zerolog.Logger, m *metrics.Metrics) (*sharedState, error) {
	raw := cfg.RedisURL.Reveal()
	if raw == "" {
		log.Info().Msg("state: memory (one replica)")
		return &sharedState{claims: commands.NewClaims()}, nil
	}
	rs, err := redisstate.Open(raw, redisstate.WithPrefix(cfg.RedisPrefix))
	if err != nil {
		return nil, err // redisstate.Open's error never holds the password
	}
	// go-redis logs through a global logger of its own (to stderr, in its
	// own format): route it into ours, with the password scrubbed.
	redis.SetLogger(redisLogger{log: log.With().Str("component", "redis").Logger(), secrets: urlSecrets(raw)})
	host := redisHost(raw)
	log.Info().Str("redis", host).Str("prefix", rs.Prefix()).
		Msgf("state: redis %s prefix %s (shared by every replica with this prefix)", host, rs.Prefix())
	pctx, cancel := context.WithTimeout(ctx, startupTimeout)
	if err := rs.Ping(pctx); err != nil && ctx.Err() == nil {
		log.Warn().Err(err).Msg("Redis does not answer yet: kicks and clicks are refused ('state store unavailable') and /readyz answers 503 until it does")
	}
	cancel()

	onErr := func(op string) func(error) {
		return func(err error) {
			log.Warn().Err(err).Str("op", op).Msg("shared state store failed")
			m.StateError(op)
		}
	}
	return &sharedState{
		store:   rs,
		meeting: []meeting.Option{meeting.WithControlTokenCache(rs.Tokens())},
		claims:  commands.NewClaims(commands.WithClaimStore(rs.Claims(redisstate.DefaultClaimTTL), redisstate.DefaultClaimTTL)),
		bot: []bot.Option{
			// FirstTime answers true when Redis fails (bounded at 250 ms,
			// before the ack): the claim that follows fails closed.
			bot.WithDeduper(rs.Deduper(bot.DefaultDedupeTTL, onErr("dedupe"))),
			bot.WithLockTimers(rs.Timers("unlock", redisstate.DefaultFireLease)),
			bot.WithRateLimits(func(name string, perMinute int) bot.RateLimiter { return rs.Limiter(name, perMinute) }),
			bot.WithSlackLimits(rs.Slack()),
			bot.WithWatchLeases(rs.Leases("watch")),
			bot.WithSharedLists(rs.Lists(bot.ListRetention, bot.DefaultMaxLists, 0), rs.Clicks(bot.ListRetention)),
		},
	}, nil
}

// close closes the store (after the bot stopped).
func (s *sharedState) close(log zerolog.Logger) {
	if s.store == nil {
		return
	}
	if err := s.store.Close(); err != nil {
		log.Debug().Err(err).Msg("closing the Redis connections")
	}
}

// StateReady is /readyz's state check (health.StateChecks): "" without a
// store, so the memory backend adds nothing to /readyz.
func (s *sharedState) StateReady(ctx context.Context) (string, error) {
	if s == nil || s.store == nil {
		return "", nil
	}
	return s.store.Name(), s.store.Ping(ctx)
}

// redisLogger is go-redis's logger (redis.SetLogger) writing to zerolog.
// go-redis may quote addresses and server replies; the URL and its
// password are scrubbed all the same.
type redisLogger struct {
	log     zerolog.Logger
	secrets []string
}

func (l redisLogger) Printf(_ context.Context, format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	for _, s := range l.secrets {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	l.log.Warn().Msg(msg)
}

// urlSecrets are the strings of a Redis URL that must never be logged: the
// URL itself and its password.
func urlSecrets(raw string) []string {
	out := []string{raw}
	// The password as written in the URL (still escaped)…
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		if i := strings.LastIndex(rest, "@"); i >= 0 {
			if _, p, ok := strings.Cut(rest[:i], ":"); ok && p != "" {
				out = append(out, p)
			}
		}
	}
	// …and as Redis receives it, in the forms a logger may print.
	if u, err := url.Parse(raw); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok && p != "" {
			out = append(out, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	return out
}

// redisHost is the host:port of a Redis URL, without user or password.
func redisHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(unparsed)"
	}
	return u.Scheme + "://" + u.Host
}
