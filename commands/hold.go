package commands

import (
	"context"
	"errors"
	"maps"

	"github.com/kickbot/kickbot/meeting"
)

// KeepOut is what hold and admit need from the meeting service beyond
// Meeting; *meeting.Client satisfies it. It is a separate interface so that
// a Meeting without a waiting room (a test double of the kick use case)
// still works for kicks: Hold and Admit then fail with a plain message.
type KeepOut interface {
	MoveToWaitingRoom(ctx context.Context, conferenceID string, pids []string) (*meeting.MoveResult, error)
	Admit(ctx context.Context, conferenceID, id string) (*meeting.AdmitResult, error)
	AdmitAll(ctx context.Context, conferenceID string) (*meeting.AdmitResult, error)
}

// errNoWaitingRoom: the Service's Meeting has no waiting-room calls.
var errNoWaitingRoom = errors.New("this meeting service cannot move people to the waiting room")

func (s *Service) keepOut(conference string) (KeepOut, error) {
	if ko, ok := s.Meeting.(KeepOut); ok {
		return ko, nil
	}
	return nil, &conferenceError{conference: conference, err: errNoWaitingRoom}
}

// Hold moves k's targets to the waiting room. Targets are resolved exactly
// as for a kick (ID, phone, quoted name; never guessed; the host and
// co-hosts refused). A hold with an ambiguous target moves nobody and
// returns its Resolution with a zero Outcome, for the caller to show the
// candidates; err is a failed roster read. In the Outcome, ResultGone means
// "moved to the waiting room" (HoldSummary and HoldOutcomeLine say so).
func (s *Service) Hold(ctx context.Context, k Kick) (*meeting.Roster, Resolution, Outcome, error) {
	ko, err := s.keepOut(k.Conference)
	if err != nil {
		return nil, Resolution{}, Outcome{}, err
	}
	roster, res, err := s.Plan(ctx, k)
	if err != nil {
		return nil, Resolution{}, Outcome{}, err
	}
	if len(res.Ambiguous) > 0 {
		return roster, res, Outcome{}, nil
	}
	o := s.startOutcome(k, roster, res)
	for i := range o.Targets {
		if o.Targets[i].Result == ResultRefused {
			o.Targets[i].Detail = "the host and co-hosts are never moved to the waiting room"
		}
	}
	if len(res.Kick) == 0 {
		return roster, res, s.finishOutcome(o, false), nil
	}
	mr, err := ko.MoveToWaitingRoom(ctx, k.Conference, matchIDs(res.Kick))
	if err != nil {
		o.Err = &conferenceError{conference: k.Conference, err: err}
		o.UserMessage = UserMessage(o.Err)
		o.RequestIDs = requestIDs(nil, err)
	} else {
		o.RequestIDs = mr.RequestIDs
	}
	for _, m := range res.Kick {
		o.Targets = append(o.Targets, holdOutcome(m, mr, o.UserMessage))
	}
	o = s.finishOutcome(o, true)
	if o.Status == StatusFailed && o.Err == nil {
		o.UserMessage = "The meeting service accepted the request, but nobody was moved to the waiting room of meeting " + k.Conference + "."
	}
	return roster, res, o, nil
}

// holdOutcome reads one target's fate from the move's per-pid outcome.
func holdOutcome(m Match, mr *meeting.MoveResult, failure string) TargetOutcome {
	to := TargetOutcome{Target: m.Target, Participant: participant(m.Participant), Result: ResultFailed, Detail: failure}
	if mr == nil {
		return to
	}
	for _, mo := range mr.Outcomes {
		if mo.ID != m.Participant.ID {
			continue
		}
		switch mo.Status {
		case meeting.MoveDone:
			to.Result, to.Detail = ResultGone, ""
		case meeting.MoveNotOnline:
			to.Result, to.Detail = ResultNotFound, "no longer in the meeting (they left, or are already in the waiting room)"
		case meeting.MoveStillPresent:
			to.Result, to.Detail = ResultStillPresent, "the meeting still lists them after the move; is the waiting room enabled for this meeting?"
		case meeting.MoveUnconfirmed:
			to.Result, to.Detail = ResultUnconfirmed, "the meeting accepted the move, but kickbot could not check it; look at the waiting room before trying again"
		default:
			to.Result = ResultFailed
			if mo.Err != nil {
				to.Detail = UserMessage(&conferenceError{conference: mr.ConferenceID, err: mo.Err})
			}
		}
	}
	return to
}

// Waiting lists who a hold may have put in the waiting room (moved, or
// accepted but not confirmed): the people an Admit button is offered for.
func (o Outcome) Waiting() []meeting.Participant {
	var ps []meeting.Participant
	for _, t := range o.Targets {
		if t.Participant != nil && (t.Result == ResultGone || t.Result == ResultUnconfirmed) {
			ps = append(ps, *t.Participant)
		}
	}
	return ps
}

// holdPhrase tells a hold's results as a kick's are told, but for the
// people it moved.
var holdPhrase = func() map[Result]string {
	p := maps.Clone(resultPhrase)
	p[ResultGone] = "moved to the waiting room"
	return p
}()

// HoldOutcomeLine is "✅ *Jane Doe* · +8613800000000 — moved to the waiting room".
func HoldOutcomeLine(t TargetOutcome, m Markup) string { return outcomeLineWith(t, m, holdPhrase) }

// HoldCounts is "2 moved to the waiting room, 1 not found".
func HoldCounts(o Outcome) string { return countsWith(o, holdPhrase) }

// HoldSummary is the one-sentence result of a hold.
func HoldSummary(o Outcome, m Markup) string { return summaryWith(o, m, holdWords) }

var holdWords = outcomeWords{phrase: holdPhrase, verb: "Moved", where: "of %s to the waiting room",
	nobody: "Nobody was moved to the waiting room of %s", failed: "Could not move anyone in %s to the waiting room"}

// AdmitResult is what became of an Admit.
type AdmitResult int

// Admit results, from 1 so that a zero AdmitOutcome never reads as done.
const (
	AdmitDone      AdmitResult = iota + 1 // the meeting let them in
	AdmitAlreadyIn                        // not waiting, but online: let in already
	AdmitRefused                          // the meeting did not know the ID as waiting
	AdmitFailed                           // the call failed
)

var admitNames = map[AdmitResult]string{AdmitDone: "admitted", AdmitAlreadyIn: "already_in", AdmitRefused: "refused", AdmitFailed: "failed"}

// String is a stable snake_case name, fit for metrics labels and logs.
func (r AdmitResult) String() string {
	if s, ok := admitNames[r]; ok {
		return s
	}
	return "unknown"
}

// AdmitOutcome is the result of admitting one person (or, with All, the
// whole waiting room). UserMessage is set for AdmitRefused and AdmitFailed.
type AdmitOutcome struct {
	Actor, Conference string
	Person            meeting.Participant // who they were before the move; zero with All
	All               bool
	Result            AdmitResult
	UserMessage       string
	Err               error
	RequestID         string
}

// PersonAdmitter is a Meeting that can admit a person by who they are: a
// watched meeting knows the waiting-room ID WaitingListNotify gave them.
// Admit uses it when the Meeting has it.
type PersonAdmitter interface {
	AdmitPerson(ctx context.Context, conferenceID string, p meeting.Participant) (*meeting.AdmitResult, error)
}

// Admit lets p back in from the waiting room: by their waiting-room ID
// where the Meeting knows it (PersonAdmitter), else by the participant ID p
// had before the move. Whether Huawei accepts that ID (rather than the
// waiting-room ID only the conference WebSocket gives) is UNCONFIRMED: a
// refusal is AdmitRefused, with a message that says what to do instead.
func (s *Service) Admit(ctx context.Context, actor, conference string, p meeting.Participant) AdmitOutcome {
	o := AdmitOutcome{Actor: actor, Conference: conference, Person: p}
	ko, err := s.keepOut(conference)
	if err != nil {
		return admitFailed(o, err)
	}
	var ar *meeting.AdmitResult
	if pa, ok := s.Meeting.(PersonAdmitter); ok {
		ar, err = pa.AdmitPerson(ctx, conference, p)
	} else {
		ar, err = ko.Admit(ctx, conference, p.ID)
	}
	switch {
	case err == nil && ar.AlreadyIn:
		o.Result, o.RequestID = AdmitAlreadyIn, ar.RequestID
	case err == nil:
		o.Result, o.RequestID = AdmitDone, ar.RequestID
	case meeting.KindOf(err) == meeting.KindParticipantNotFound:
		o.Result, o.Err = AdmitRefused, &conferenceError{conference: conference, err: err}
		o.RequestID = firstRequestID(err)
		o.UserMessage = "The meeting did not accept the participant ID " + DisplayName(p.Name) +
			" had before the move (it may have given them a new ID in the waiting room, or they left it). Nothing changed: " +
			"admit them from the waiting room in the Huawei Cloud Meeting app."
	default:
		return admitFailed(o, err)
	}
	return o
}

// AdmitAll lets everyone in the meeting's waiting room in, not only the
// people one hold moved.
func (s *Service) AdmitAll(ctx context.Context, actor, conference string) AdmitOutcome {
	o := AdmitOutcome{Actor: actor, Conference: conference, All: true}
	ko, err := s.keepOut(conference)
	if err != nil {
		return admitFailed(o, err)
	}
	ar, err := ko.AdmitAll(ctx, conference)
	if err != nil {
		return admitFailed(o, err)
	}
	o.Result, o.RequestID = AdmitDone, ar.RequestID
	return o
}

func admitFailed(o AdmitOutcome, err error) AdmitOutcome {
	var ce *conferenceError
	if !errors.As(err, &ce) {
		err = &conferenceError{conference: o.Conference, err: err}
	}
	o.Result, o.Err, o.UserMessage, o.RequestID = AdmitFailed, err, UserMessage(err), firstRequestID(err)
	return o
}

func firstRequestID(err error) string {
	if ids := requestIDs(nil, err); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// AdmitLine is the sentence for an admit's outcome, e.g.
// "↩️ @U1 let Jane Doe back in from the waiting room of meeting 914083136."
func AdmitLine(o AdmitOutcome, m Markup) string {
	who := m.Mention(o.Actor)
	ref := "meeting " + m.Escape(o.Conference)
	name := m.Bold(m.Escape(DisplayName(o.Person.Name)))
	if o.All {
		name = "everyone waiting"
	}
	switch o.Result {
	case AdmitDone:
		return "↩️ " + who + " let " + name + " back in from the waiting room of " + ref + "."
	case AdmitAlreadyIn:
		return "↩️ " + name + " is already back in " + ref + " (" + who + " clicked Admit)."
	case AdmitRefused:
		return "⚠️ " + who + " could not admit " + name + " back into " + ref + ": " + m.Escape(o.UserMessage)
	}
	return "❌ " + who + " could not admit " + name + " back into " + ref + ": " + m.Escape(o.UserMessage)
}
