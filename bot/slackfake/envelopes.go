package slackfake

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// envelope is one Socket Mode envelope; frame is marshalled once and reused by Redeliver.
type envelope struct {
	id, typ      string
	payload      any // kept for RedeliverAsNew
	retryAttempt int
	frame        []byte
	sent         time.Time // latest write to a socket
	deliveries   int
}

// Slash describes a slash command invocation. Empty fields get Slack-like defaults:
// Command "/kick", UserName from UserID, ChannelName "general" ("directmessage" for D…
// channels), TeamID the server's team.
type Slash struct {
	Command, Text                      string
	UserID, UserName                   string
	ChannelID, ChannelName             string
	TeamID, TeamDomain                 string
	TriggerID                          string
	EnterpriseID                       string
	IsEnterpriseInstall                bool
	RetryAttempt                       int    // envelope retry_attempt (Slack sends 0)
	RetryReason                        string // envelope retry_reason ("" on a first delivery)
	ResponseURLOverride, TokenOverride string
}

// Action describes a click on a button in a message (block_actions).
type Action struct {
	UserID, UserName       string
	TeamID                 string
	ChannelID, ChannelName string
	// MessageTS is the ts of the message holding the button; ThreadTS its thread (if a reply).
	MessageTS, ThreadTS string
	IsEphemeral         bool // ephemeral messages come without a message object
	// MessageText/MessageBlocks override the message object; by default it is the current
	// version of the message the bot posted at (ChannelID, MessageTS), if any.
	MessageText   string
	MessageBlocks json.RawMessage
	ActionID      string
	BlockID       string
	Value         string
	Text          string // button label; default "Button"
	Style         string // "primary" | "danger" | ""
	TriggerID     string
}

// SlashCommand queues a slash_commands envelope built like Slack's (every payload field a JSON
// string) and returns its envelope ID. It is written to a socket as soon as one is connected.
func (s *Server) SlashCommand(c Slash) string {
	if c.Command == "" {
		c.Command = "/kick"
	}
	if c.UserName == "" {
		c.UserName = strings.ToLower(c.UserID)
	}
	if c.ChannelName == "" {
		c.ChannelName = "general"
		if strings.HasPrefix(c.ChannelID, "D") {
			c.ChannelName = "directmessage"
		}
	}
	if c.TeamID == "" {
		c.TeamID = s.cfg.teamID
	}
	if c.TeamDomain == "" {
		c.TeamDomain = s.cfg.teamDomain
	}
	token := c.TokenOverride
	if token == "" {
		token = "fake-verification-token"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextEnvelopeIDLocked()
	if c.TriggerID == "" {
		c.TriggerID = fmt.Sprintf("%d.%s.fake", 1000+s.state.envSeq, id)
	}
	respURL := c.ResponseURLOverride
	if respURL == "" {
		respURL = s.newResponseURLLocked(id, c.ChannelID, c.UserID)
	}
	s.learnLocked(c.UserID, c.UserName, c.ChannelID, c.ChannelName)
	payload := map[string]string{
		"token":                 token,
		"team_id":               c.TeamID,
		"team_domain":           c.TeamDomain,
		"channel_id":            c.ChannelID,
		"channel_name":          c.ChannelName,
		"user_id":               c.UserID,
		"user_name":             c.UserName,
		"command":               c.Command,
		"text":                  c.Text,
		"api_app_id":            s.cfg.appID,
		"is_enterprise_install": fmt.Sprint(c.IsEnterpriseInstall),
		"response_url":          respURL,
		"trigger_id":            c.TriggerID,
	}
	if c.EnterpriseID != "" {
		payload["enterprise_id"] = c.EnterpriseID
	}
	s.enqueueLocked(id, "slash_commands", payload, true, c.RetryAttempt, c.RetryReason)
	return id
}

// BlockAction queues an interactive envelope carrying a block_actions payload for one button
// click and returns its envelope ID.
func (s *Server) BlockAction(a Action) string {
	if a.UserName == "" {
		a.UserName = strings.ToLower(a.UserID)
	}
	if a.TeamID == "" {
		a.TeamID = s.cfg.teamID
	}
	if a.Text == "" {
		a.Text = "Button"
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextEnvelopeIDLocked()
	if a.TriggerID == "" {
		a.TriggerID = fmt.Sprintf("%d.%s.fake", 1000+s.state.envSeq, id)
	}
	if a.ChannelName == "" {
		if ch, ok := s.state.channels[a.ChannelID]; ok {
			a.ChannelName = ch.Name
		} else {
			a.ChannelName = "general"
		}
	}
	s.learnLocked(a.UserID, a.UserName, a.ChannelID, a.ChannelName)

	container := map[string]any{
		"type":         "message",
		"message_ts":   a.MessageTS,
		"channel_id":   a.ChannelID,
		"is_ephemeral": a.IsEphemeral,
	}
	if a.ThreadTS != "" {
		container["thread_ts"] = a.ThreadTS
	}
	action := map[string]any{
		"action_id": a.ActionID,
		"block_id":  a.BlockID,
		"type":      "button",
		"value":     a.Value,
		"text":      map[string]any{"type": "plain_text", "text": a.Text, "emoji": true},
		"action_ts": s.nextTSLocked(),
	}
	if a.Style != "" {
		action["style"] = a.Style
	}
	payload := map[string]any{
		"type":                  "block_actions",
		"user":                  map[string]any{"id": a.UserID, "username": a.UserName, "name": a.UserName, "team_id": a.TeamID},
		"api_app_id":            s.cfg.appID,
		"token":                 "fake-verification-token",
		"container":             container,
		"trigger_id":            a.TriggerID,
		"team":                  map[string]any{"id": a.TeamID, "domain": s.cfg.teamDomain},
		"enterprise":            nil,
		"is_enterprise_install": false,
		"channel":               map[string]any{"id": a.ChannelID, "name": a.ChannelName},
		"state":                 map[string]any{"values": map[string]any{}},
		"response_url":          s.newResponseURLLocked(id, a.ChannelID, a.UserID),
		"actions":               []any{action},
	}
	if !a.IsEphemeral {
		payload["message"] = s.actionMessageLocked(a)
	}
	s.enqueueLocked(id, "interactive", payload, true, 0, "")
	return id
}

// actionMessageLocked is the message object of a block_actions payload: the override if given,
// else the current version of the posted message, else a bare message. The message becomes
// known to chat.update/getPermalink, since Slack only sends clicks for messages that exist.
func (s *Server) actionMessageLocked(a Action) map[string]any {
	key := msgKey{a.ChannelID, a.MessageTS}
	cur, known := s.state.posted[key]
	if !known {
		cur = &Message{Method: "chat.postMessage", Channel: a.ChannelID, TS: a.MessageTS, ThreadTS: a.ThreadTS}
		s.state.posted[key] = cur
	}
	text, blocks := cur.Text, cur.Blocks
	if a.MessageText != "" || a.MessageBlocks != nil {
		text, blocks = a.MessageText, a.MessageBlocks
	}
	msg := map[string]any{
		"type":    "message",
		"subtype": "bot_message",
		"user":    s.cfg.botUserID,
		"bot_id":  s.cfg.botID,
		"app_id":  s.cfg.appID,
		"team":    s.cfg.teamID,
		"ts":      a.MessageTS,
		"text":    text,
	}
	if a.ThreadTS != "" {
		msg["thread_ts"] = a.ThreadTS
	}
	if len(blocks) > 0 {
		msg["blocks"] = blocks
	}
	return msg
}

// Redeliver queues the identical envelope again (same envelope_id, same payload), as Slack does
// when it retries. It reports false for an unknown envelope ID.
func (s *Server) Redeliver(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	env, ok := s.state.envelopes[envelopeID]
	if !ok {
		return false
	}
	s.state.pending = append(s.state.pending, env)
	s.state.wakeLinksLocked()
	return true
}

// RedeliverAsNew queues the same slash command or interaction again under a NEW envelope ID,
// with retry_attempt one more than the original's and retry_reason set (e.g. "timeout"), as
// Slack has been seen to do. The payload is identical: same trigger_id, same response_url (its
// uses are shared with the original). It returns the new envelope ID, or false for an unknown
// envelope ID.
func (s *Server) RedeliverAsNew(envelopeID, reason string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	env, ok := s.state.envelopes[envelopeID]
	if !ok || env.id == "" {
		return "", false
	}
	id := s.nextEnvelopeIDLocked()
	s.enqueueLocked(id, env.typ, env.payload, true, env.retryAttempt+1, reason)
	return id, true
}

// SendRaw queues an arbitrary text frame (for malformed-frame fault tests). It has no envelope
// ID and is never acked.
func (s *Server) SendRaw(frame []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.pending = append(s.state.pending, &envelope{frame: append([]byte(nil), frame...)})
	s.state.wakeLinksLocked()
}

// Pending is how many envelopes are waiting for a socket.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.state.pending)
}

// Deliveries is how many times the envelope was written to a socket.
func (s *Server) Deliveries(envelopeID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if env, ok := s.state.envelopes[envelopeID]; ok {
		return env.deliveries
	}
	return 0
}

func (s *Server) nextEnvelopeIDLocked() string {
	s.state.envSeq++
	// Slack's envelope IDs are UUIDs; keep the shape but make them readable and unique.
	return fmt.Sprintf("%08x-fake-4e00-8000-%012d", s.state.envSeq, s.state.envSeq)
}

func (s *Server) enqueueLocked(id, typ string, payload any, acceptsResponse bool, retryAttempt int, retryReason string) {
	frame, err := json.Marshal(map[string]any{
		"envelope_id":              id,
		"type":                     typ,
		"payload":                  payload,
		"accepts_response_payload": acceptsResponse,
		"retry_attempt":            retryAttempt,
		"retry_reason":             retryReason,
	})
	if err != nil {
		// Only maps of strings and raw JSON go in; a failure here is a bug in the fake.
		s.state.problems = append(s.state.problems, "marshal envelope: "+err.Error())
		return
	}
	env := &envelope{id: id, typ: typ, payload: payload, retryAttempt: retryAttempt, frame: frame}
	s.state.envelopes[id] = env
	s.state.pending = append(s.state.pending, env)
	s.state.wakeLinksLocked()
}

// learnLocked remembers users and channels seen in payloads so users.info and
// conversations.info can answer for them, like the real workspace would.
func (s *Server) learnLocked(userID, userName, channelID, channelName string) {
	if userID != "" {
		if _, ok := s.state.users[userID]; !ok {
			s.state.users[userID] = User{ID: userID, Name: userName, RealName: userName}
		}
	}
	if channelID != "" {
		if _, ok := s.state.channels[channelID]; !ok {
			s.state.channels[channelID] = Channel{
				ID: channelID, Name: channelName,
				IsPrivate: strings.HasPrefix(channelID, "G"), IsIM: strings.HasPrefix(channelID, "D"),
			}
		}
	}
}
