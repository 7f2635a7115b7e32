package health

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"time"

	"github.com/rs/zerolog"
)

// Server limits. Probes and scrapes are small and quick; these only stop a
// slow or idle client from holding a connection.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 15 * time.Second // > the 2 s readiness check and any scrape
	idleTimeout       = 60 * time.Second
	maxHeaderBytes    = 16 << 10
	shutdownTimeout   = 5 * time.Second
)

// ServeListener serves h on ln until ctx ends, then shuts down gracefully.
// It returns nil after a clean shutdown, or the error that stopped it. The
// caller opens ln (so a busy address fails start-up before anything
// connects); ServeListener closes it.
func ServeListener(ctx context.Context, ln net.Listener, h http.Handler, logger zerolog.Logger) error {
	logger = logger.With().Str("component", "health").Logger()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          log.New(logger, "", 0), // net/http's own complaints (TLS probes, bad requests),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}

	// The serving goroutine is owned here: Serve waits for it on every path.
	done := make(chan error, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- fmt.Errorf("health server panicked: %v", r)
			}
		}()
		done <- srv.Serve(ln)
	}()
	logger.Info().Str("addr", ln.Addr().String()).Msg("health and metrics listening")

	select {
	case err := <-done:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("health server: %w", err)
	case <-ctx.Done():
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		_ = srv.Close() // stragglers after the grace period
	}
	if serr := <-done; serr != nil && !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("health server shutdown: %w", err)
	}
	logger.Info().Msg("health server stopped")
	return nil
}
