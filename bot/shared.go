package bot

// Shared state (issue 15). With several replicas, what must be shared
// comes in through options, each an interface owned here that redisstate's
// (and memstate's) types satisfy: WithDeduper, WithLockTimers, and the
// others beside the code that uses them. Without them the bot keeps all of
// it in its own memory, for one replica.
//
// When the store does not answer, nothing that needs it falls back to this
// replica's memory where that could do something twice: see each option
// for what is refused and what goes on.

// StateMetrics is an optional part of Metrics: failed calls to the shared
// state store, by what the bot was doing. metrics.Metrics implements it.
type StateMetrics interface {
	StateError(op string)
}

// stateError logs and counts a failed call to the shared state store. The
// error is the store's own, which never holds the REDIS_URL's password.
func (b *Bot) stateError(op string, err error) {
	b.log.Warn().Err(err).Str("op", op).Msg("shared state store failed")
	if m, ok := b.metrics.(StateMetrics); ok {
		m.StateError(op)
	}
}
