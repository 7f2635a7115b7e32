// Package audit records one structured event per decision the bot makes:
// who asked, where, about which conference and targets, why, and how it
// ended. Events go to the main log and, optionally, to an append-only
// JSON-lines file that survives restarts.
package audit

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Entry is one decision. The bot records it as is (bot.AuditEntry is an
// alias of this type), and so does the console.
type Entry struct {
	Action     string   // kick | list | click | denied | invalid | busy
	User       string   // Slack user ID of the caller (never a display name)
	Channel    string   // Slack channel ID
	Conference string   // conference ID
	Targets    []string // participant IDs (or the targets as typed, when unresolved)
	Reason     string   // the moderator's reason, or why the request was refused
	Outcome    string   // e.g. done, partial, failed, denied, invalid_input, queue_full
	RequestIDs []string // Huawei X-Request-IDs of the calls made
	Duration   time.Duration
	ErrorKind  string // meeting.Kind of a failure, if any
}

// MarshalZerologObject writes the documented fields.
func (e Entry) MarshalZerologObject(ev *zerolog.Event) {
	ev.Str("event", "audit").
		Str("action", e.Action).
		Str("user", e.User).
		Str("channel", e.Channel).
		Str("conference", e.Conference).
		Strs("targets", nonNil(e.Targets)).
		Str("reason", e.Reason).
		Str("outcome", e.Outcome).
		Strs("request_ids", nonNil(e.RequestIDs)).
		Int64("duration_ms", e.Duration.Milliseconds()).
		Str("error_kind", e.ErrorKind)
}

// nonNil keeps empty lists as [] rather than null, so consumers need not
// handle both.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// auditMessage is the msg of every audit event, for grepping.
const auditMessage = "decision"

// Logger writes audit events. It is safe for concurrent use.
type Logger struct {
	log zerolog.Logger

	mu     sync.Mutex // serialises file writes and Close
	file   *os.File   // nil when no AUDIT_FILE, or after Close
	toFile zerolog.Logger
}

// NewLogOnly returns a Logger that writes to log only.
func NewLogOnly(log zerolog.Logger) *Logger { return &Logger{log: log} }

// New returns a Logger writing to log and, if path is not empty, appending
// to the file at path (created 0600 if missing; existing lines are kept).
func New(log zerolog.Logger, path string) (*Logger, error) {
	l := &Logger{log: log}
	if path == "" {
		return l, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit file: %w", err)
	}
	l.file = f
	// Always JSON with a timestamp, whatever LOG_FORMAT says: the file is
	// for machines and for after-the-fact review.
	l.toFile = zerolog.New(fileWriter{f: f, log: log}).With().Timestamp().Logger()
	return l, nil
}

// fileWriter reports a failed write (disk full, file removed from under a
// read-only mount…) in the main log instead of zerolog's bare stderr line.
type fileWriter struct {
	f   *os.File
	log zerolog.Logger
}

func (w fileWriter) Write(p []byte) (int, error) {
	n, err := w.f.Write(p)
	if err != nil {
		w.log.Error().Err(err).Str("file", w.f.Name()).Msg("audit file write failed; the event is in this log only")
		return len(p), nil // reported; zerolog need not print it again
	}
	return n, nil
}

// Record writes e. Audit events are written whatever LOG_LEVEL is (they
// carry level "info" but are never filtered out). A failed file write is
// reported in the main log; the event itself is still there.
func (l *Logger) Record(e Entry) {
	l.log.Log().Str(zerolog.LevelFieldName, zerolog.InfoLevel.String()).EmbedObject(e).Msg(auditMessage)

	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return
	}
	// zerolog emits each event with one Write, and O_APPEND puts it at the
	// end even if another process appends too.
	l.toFile.Log().Str(zerolog.LevelFieldName, zerolog.InfoLevel.String()).EmbedObject(e).Msg(auditMessage)
}

// Close flushes and closes the audit file. Records after Close go to the
// main log only. Close is idempotent.
func (l *Logger) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.file == nil {
		return nil
	}
	f := l.file
	l.file = nil
	return errors.Join(f.Sync(), f.Close())
}
