package commands

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kickbot/kickbot/meeting"
)

// Meeting is what the kick use case needs from the meeting service;
// *meeting.Client satisfies it.
type Meeting interface {
	Roster(ctx context.Context, conferenceID string) (*meeting.Roster, error)
	Disconnect(ctx context.Context, conferenceID string, ids []string) (*meeting.DisconnectResult, error)
}

// Kick is one authorised request to disconnect participants.
type Kick struct {
	Actor      string // Slack user ID of whoever asked
	Channel    string // channel ID where it was asked
	Conference string
	Reason     string
	Targets    []Target
}

// Result is what happened to one target.
type Result int

// Results. They start at 1 so that a zero TargetOutcome never reads as
// "disconnected".
const (
	ResultGone         Result = iota + 1 // disconnected, and absent from the roster read afterwards
	ResultStillPresent                   // the call succeeded but the participant is still listed
	ResultNotFound                       // the target matched nobody
	ResultRefused                        // host or co-host: never disconnected
	ResultFailed                         // the disconnect call failed
	ResultAmbiguous                      // the target matched several participants: not guessed
	ResultUnconfirmed                    // the call was accepted but the roster could not be re-read: they may be gone
	ResultPhoneHidden                    // a phone number that matched nobody in a roster that masks numbers
)

var resultNames = map[Result]string{
	ResultGone:         "gone",
	ResultStillPresent: "still_present",
	ResultNotFound:     "not_found",
	ResultRefused:      "refused",
	ResultFailed:       "failed",
	ResultAmbiguous:    "ambiguous",
	ResultUnconfirmed:  "unconfirmed",
	ResultPhoneHidden:  "phone_hidden",
}

// String is a stable snake_case name, fit for metrics labels and logs.
func (r Result) String() string {
	if s, ok := resultNames[r]; ok {
		return s
	}
	return "unknown"
}

// TargetOutcome is the result for one target. Participant is nil when the
// target matched nobody or several people. Detail is a plain-text sentence
// for the user when there is more to say.
type TargetOutcome struct {
	Target      Target
	Participant *meeting.Participant
	Result      Result
	Detail      string
	By          string // Slack user ID of whoever's request disconnected them, when not this one's
}

// Status summarises a whole command.
type Status int

// Statuses, starting at 1 so that a zero Outcome never reads as done.
const (
	StatusDone        Status = iota + 1 // every target disconnected
	StatusPartial                       // some disconnected, some not (or not confirmed)
	StatusFailed                        // something was to be disconnected, and nobody was
	StatusNothingToDo                   // no target could be disconnected; no call was made
)

var statusNames = map[Status]string{
	StatusDone:        "done",
	StatusPartial:     "partial",
	StatusFailed:      "failed",
	StatusNothingToDo: "nothing_to_do",
}

// String is a stable snake_case name, fit for metrics labels and logs.
func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return "unknown"
}

// Outcome is the full result of one kick, for rendering and the audit log.
// Err is for logs; UserMessage is what the moderator is told about it.
type Outcome struct {
	Kick        Kick
	Subject     string // meeting subject, when known
	Status      Status
	Targets     []TargetOutcome // in the order the targets were typed
	Err         error
	UserMessage string
	RequestIDs  []string // Huawei X-Request-IDs of the disconnect call(s)
	Started     time.Time
	Finished    time.Time
}

// Gone counts the targets that were disconnected.
func (o Outcome) Gone() int { return o.count(ResultGone) }

// Disconnected reports whether this kick disconnected participant pid.
func (o Outcome) Disconnected(pid string) bool {
	for _, t := range o.Targets {
		if t.Result == ResultGone && t.Participant != nil && t.Participant.ID == pid {
			return true
		}
	}
	return false
}

func (o Outcome) count(r Result) int {
	n := 0
	for _, t := range o.Targets {
		if t.Result == r {
			n++
		}
	}
	return n
}

// Service runs the kick use case against a meeting service.
type Service struct {
	Meeting Meeting
	Claims  *Claims          // nil: no claims (each kick calls the meeting for all its targets)
	Now     func() time.Time // nil: time.Now
	// BatchStall is how long a running batch of kicks holds the next batch
	// for its meeting back (see Kick); 0: 250 ms. Tests that line kicks up
	// behind a held call set it long.
	BatchStall time.Duration

	lanes lanes // Kick's per-meeting batches
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Plan reads the live roster and resolves the kick's targets against it.
// Nothing is disconnected. UserMessage(err) explains a failure.
func (s *Service) Plan(ctx context.Context, k Kick) (*meeting.Roster, Resolution, error) {
	r, err := s.List(ctx, k.Conference)
	if err != nil {
		return nil, Resolution{}, err
	}
	r, res := s.freshIfUnmatched(ctx, k.Conference, r, k.Targets)
	if res == nil {
		return r, Resolve(r, k.Targets), nil
	}
	return r, res[0], nil
}

// FreshRosters is implemented by a Meeting whose Roster may answer from a
// cache (the live roster kept from the conference WebSocket): FreshRoster
// reads the meeting itself.
type FreshRosters interface {
	FreshRoster(ctx context.Context, conferenceID string) (*meeting.Roster, error)
}

// HeldRosters is implemented by a Meeting that holds some rosters itself
// (the live roster of a watched meeting) and can lend one instead of
// handing out a copy: ReadRoster calls fn with conference's roster, which
// holds still while fn runs and must not be kept, and reports false without
// calling fn when it holds none that is current. Its Attendees are not
// filled in.
type HeldRosters interface {
	ReadRoster(conferenceID string, fn func(*meeting.Roster)) bool
}

// resolveAll resolves each list of targets (one per kick) against
// conference's roster. A held roster is used as lent when every target
// resolves to exactly one participant: the roster returned then carries
// its header (conference, subject, time) and no participants. Otherwise the
// roster is read (List, then a fresh read for an unmatched target) and
// returned whole, for the caller to show candidates from.
func (s *Service) resolveAll(ctx context.Context, conference string, targets [][]Target) (*meeting.Roster, []Resolution, error) {
	if hr, ok := s.Meeting.(HeldRosters); ok {
		var header *meeting.Roster
		out := make([]Resolution, 0, len(targets))
		hr.ReadRoster(conference, func(r *meeting.Roster) {
			for _, ts := range targets {
				res := Resolve(r, ts)
				if len(res.NotFound)+len(res.PhoneHidden)+len(res.Ambiguous) > 0 {
					return
				}
				out = append(out, res)
			}
			header = &meeting.Roster{ConferenceID: r.ConferenceID, Subject: r.Subject, ReadAt: r.ReadAt}
		})
		if header != nil {
			return header, out, nil
		}
	}
	r, err := s.List(ctx, conference)
	if err != nil {
		return nil, nil, err
	}
	r, resolved := s.freshIfUnmatched(ctx, conference, r, targets...)
	if resolved == nil {
		resolved = make([]Resolution, len(targets))
		for i, ts := range targets {
			resolved[i] = Resolve(r, ts)
		}
	}
	return r, resolved, nil
}

// freshIfUnmatched returns r, or a roster read from the meeting itself when
// r may be a cache and leaves some target unmatched: someone who joined a
// moment ago is not yet in a live roster, and its lag must never turn into
// "not found". When it resolved every list of targets against the roster
// it returns, it returns those resolutions too (one per list, in order), so
// a batch of a thousand kicks does not resolve them all twice; otherwise
// nil.
func (s *Service) freshIfUnmatched(ctx context.Context, conference string, r *meeting.Roster, targets ...[]Target) (*meeting.Roster, []Resolution) {
	fr, ok := s.Meeting.(FreshRosters)
	if !ok {
		return r, nil
	}
	out := make([]Resolution, 0, len(targets))
	for _, ts := range targets {
		res := Resolve(r, ts)
		if len(res.NotFound)+len(res.PhoneHidden) == 0 {
			out = append(out, res)
			continue
		}
		if f, err := fr.FreshRoster(ctx, conference); err == nil && f != nil {
			return f, nil
		}
		return r, nil // the cached one is still the best there is
	}
	return r, out
}

// Execute disconnects res.Kick with one bulk call and reports every target.
// With nothing kickable it makes no call and reports StatusNothingToDo.
func (s *Service) Execute(ctx context.Context, k Kick, roster *meeting.Roster, res Resolution) Outcome {
	o := s.startOutcome(k, roster, res)
	if len(res.Kick) == 0 {
		return s.finishOutcome(o, false)
	}
	own, theirs, waits := res.Kick, []Match(nil), []*claim(nil)
	if s.Claims != nil {
		own, theirs, waits = s.Claims.partition(ctx, k.Conference, k.Actor, res.Kick)
	}
	if len(own) > 0 {
		dr, err := s.Meeting.Disconnect(ctx, k.Conference, matchIDs(own))
		recordDisconnect(&o, own, dr, err)
		if s.Claims != nil {
			s.Claims.release(ctx, k.Conference, own, o.Targets[len(o.Targets)-len(own):])
		}
	}
	s.Claims.addShared(ctx, &o, theirs, waits)
	return s.finishOutcome(o, true)
}

// startOutcome begins k's outcome with the targets that are settled
// without a call: protected, not found, hidden phone, ambiguous.
func (s *Service) startOutcome(k Kick, roster *meeting.Roster, res Resolution) Outcome {
	o := Outcome{Kick: k, Started: s.now()}
	if roster != nil {
		o.Subject = roster.Subject
	}
	for _, m := range res.Protected {
		o.Targets = append(o.Targets, TargetOutcome{Target: m.Target, Participant: participant(m.Participant),
			Result: ResultRefused, Detail: protectedDetail(m.Participant)})
	}
	for _, t := range res.NotFound {
		o.Targets = append(o.Targets, TargetOutcome{Target: t, Result: ResultNotFound})
	}
	for _, t := range res.PhoneHidden {
		o.Targets = append(o.Targets, TargetOutcome{Target: t, Result: ResultPhoneHidden, Detail: detailPhoneHidden})
	}
	for _, a := range res.Ambiguous {
		o.Targets = append(o.Targets, TargetOutcome{Target: a.Target, Result: ResultAmbiguous,
			Detail: "matches " + plural(len(a.Candidates), "participant", "participants") + "; use the participant ID"})
	}
	return o
}

// recordDisconnect adds the outcome of a disconnect call (its result dr
// and error err, possibly shared with other kicks) for this kick's own
// matches.
func recordDisconnect(o *Outcome, own []Match, dr *meeting.DisconnectResult, err error) {
	if err != nil {
		o.Err = &conferenceError{conference: o.Kick.Conference, err: err}
		o.UserMessage = UserMessage(o.Err)
	}
	o.RequestIDs = requestIDs(dr, err)
	for _, m := range own {
		o.Targets = append(o.Targets, kickOutcome(m, dr, o.UserMessage))
	}
}

// finishOutcome puts the targets in typed order and sets the status; a
// kick that had nobody to disconnect (kicked false) is StatusNothingToDo.
func (s *Service) finishOutcome(o Outcome, kicked bool) Outcome {
	if !kicked {
		o.Status = StatusNothingToDo
		o.Targets = inTypedOrder(o.Kick.Targets, o.Targets)
		o.Finished = s.now()
		return o
	}
	o.Targets = inTypedOrder(o.Kick.Targets, o.Targets)
	switch gone := o.Gone(); {
	case gone == len(o.Targets):
		o.Status = StatusDone
	case gone == 0 && o.count(ResultUnconfirmed) == 0:
		o.Status = StatusFailed
		if o.UserMessage == "" {
			o.UserMessage = "The meeting service accepted the request, but nobody left meeting " + o.Kick.Conference + "."
		}
	default:
		o.Status = StatusPartial
	}
	o.Finished = s.now()
	return o
}

func matchIDs(ms []Match) []string {
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.Participant.ID
	}
	return ids
}

// kickOutcome reads one kicked participant's fate from the confirming
// roster: gone is disconnected, whatever the call's answer was (the meeting
// client settles lost and 5xx answers from the roster). Still listed after
// a failed call is a failure, with the reason. If the call may have been
// applied and no roster could be read, it is "not confirmed", never failed.
func kickOutcome(m Match, dr *meeting.DisconnectResult, failure string) TargetOutcome {
	to := TargetOutcome{Target: m.Target, Participant: participant(m.Participant)}
	id := m.Participant.ID
	switch {
	case dr != nil && slices.Contains(dr.Gone, id):
		to.Result = ResultGone
	case dr != nil && slices.Contains(dr.StillPresent, id) && failure != "":
		to.Result = ResultFailed
		to.Detail = failure
	case dr != nil && slices.Contains(dr.StillPresent, id):
		to.Result = ResultStillPresent
		to.Detail = "the meeting still lists them after the disconnect call"
	case dr != nil && dr.After == nil && len(dr.RequestIDs) > 0:
		// The hang-up was accepted but the confirming roster read failed:
		// saying "failed, try again" would be false (they are most likely
		// gone), so say what is known.
		to.Result = ResultUnconfirmed
		to.Detail = "the meeting accepted the disconnect, but kickbot could not check whether they left; check the meeting before trying again"
	case dr != nil && dr.After == nil && dr.MaybeApplied:
		to.Result = ResultUnconfirmed
		to.Detail = detailAnswerLost
	case failure != "":
		to.Result = ResultFailed
		to.Detail = failure
	default:
		to.Result = ResultFailed
		to.Detail = "kickbot could not confirm whether they left; check the meeting"
	}
	return to
}

func protectedDetail(p meeting.Participant) string {
	if p.Host {
		return "the host is never disconnected"
	}
	return "co-hosts are never disconnected"
}

func participant(p meeting.Participant) *meeting.Participant { return &p }

// inTypedOrder sorts outcomes into the order the targets were typed.
func inTypedOrder(typed []Target, outs []TargetOutcome) []TargetOutcome {
	pos := make(map[Target]int, len(typed))
	for i, t := range typed {
		if _, dup := pos[t]; !dup {
			pos[t] = i
		}
	}
	rank := func(t Target) int {
		if i, ok := pos[t]; ok {
			return i
		}
		return len(typed)
	}
	slices.SortStableFunc(outs, func(a, b TargetOutcome) int { return rank(a.Target) - rank(b.Target) })
	return outs
}

// requestIDs collects Huawei's request IDs of the disconnect call(s) and of
// a failed call, without repeats.
func requestIDs(dr *meeting.DisconnectResult, err error) []string {
	var ids []string
	if dr != nil {
		for _, id := range dr.RequestIDs {
			if id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	var me *meeting.Error
	if errors.As(err, &me) && me.RequestID != "" && !slices.Contains(ids, me.RequestID) {
		ids = append(ids, me.RequestID)
	}
	return ids
}

// conferenceError remembers which meeting a failure concerns, so that
// UserMessage can name it.
type conferenceError struct {
	conference string
	err        error
}

func (e *conferenceError) Error() string { return "meeting " + e.conference + ": " + e.err.Error() }
func (e *conferenceError) Unwrap() error { return e.err }
