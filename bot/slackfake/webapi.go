package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

const maxBodySize = 4 << 20

// handleWebAPI serves every /{method} except apps.connections.open. Order: scripted faults,
// token, rate limit, then the method itself.
func (s *Server) handleWebAPI(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	r.Body = http.MaxBytesReader(w, r.Body, maxBodySize)
	formErr := r.ParseForm()
	rec, finish := s.startCall(w, method, r.Form.Get("channel"))
	defer finish()
	w = rec
	if !s.prelude(w, r, method, r.Form.Get("channel")) {
		return
	}
	if formErr != nil {
		writeError(w, "invalid_form_data")
		return
	}
	if e := s.checkBotToken(r); e != "" {
		writeError(w, e)
		return
	}
	if !s.limit(w, method, r.Form.Get("channel")) {
		return
	}
	switch method {
	case "auth.test":
		writeJSON(w, map[string]any{
			"ok": true, "url": "https://" + s.cfg.teamDomain + ".fake.slack/", "team": "Fake Team",
			"user": "kickbot", "team_id": s.cfg.teamID, "user_id": s.cfg.botUserID, "bot_id": s.cfg.botID,
		})
	case "chat.postMessage", "chat.postEphemeral":
		s.chatPost(w, r, method)
	case "chat.update":
		s.chatUpdate(w, r)
	case "chat.getPermalink":
		s.chatPermalink(w, r)
	case "usergroups.users.list":
		s.usergroupMembers(w, r)
	case "users.info":
		s.usersInfo(w, r)
	case "conversations.info":
		s.conversationsInfo(w, r)
	default:
		writeError(w, "unknown_method")
	}
}

// checkBotToken returns a Slack error string, or "" when the request carries the bot token
// (form field "token" or Authorization: Bearer).
func (s *Server) checkBotToken(r *http.Request) string {
	tok := r.PostForm.Get("token")
	if tok == "" {
		tok, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	switch tok {
	case "":
		return "not_authed"
	case s.cfg.botToken:
		return ""
	case s.cfg.appToken:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}

// writeMessageError answers a message validation error; invalid_blocks carries Slack's details.
func writeMessageError(w http.ResponseWriter, e string, details []string) {
	if len(details) == 0 {
		writeError(w, e)
		return
	}
	noteError(w, e)
	msgs := make([]string, len(details))
	for i, d := range details {
		msgs[i] = "[ERROR] " + d
	}
	writeJSON(w, map[string]any{
		"ok": false, "error": e, "errors": details,
		"response_metadata": map[string]any{"messages": msgs},
	})
}

func (s *Server) chatPost(w http.ResponseWriter, r *http.Request, method string) {
	f := r.PostForm
	channel, text, threadTS := f.Get("channel"), f.Get("text"), f.Get("thread_ts")
	_, hasBlocks := f["blocks"]
	blocks, e, details := checkMessage(text, f.Get("blocks"), hasBlocks)
	switch {
	case e != "":
	case channel == "":
		e = "channel_not_found"
	case text == "" && len(blocks) == 0:
		e = "no_text"
	case method == "chat.postEphemeral" && f.Get("user") == "":
		e = "user_not_found"
	}
	if e != "" {
		writeMessageError(w, e, details)
		return
	}

	s.mu.Lock()
	if s.state.notInChannel[channel] {
		s.mu.Unlock()
		writeError(w, "not_in_channel")
		return
	}
	// A channel the bot can post in exists; conversations.info should know it.
	s.learnLocked("", "", channel, channel)
	ts := s.nextTSLocked()
	m := Message{
		Method: method, Channel: channel, TS: ts, ThreadTS: threadTS, Text: text,
		User: f.Get("user"), ReplyBroadcast: f.Get("reply_broadcast") == "true", Blocks: blocks, At: s.now(),
	}
	s.state.messages = append(s.state.messages, m)
	if method == "chat.postMessage" {
		cur := m
		cur.postedAt = m.At
		s.state.posted[msgKey{channel, ts}] = &cur
	}
	s.state.notifyLocked()
	s.mu.Unlock()

	if method == "chat.postEphemeral" {
		writeJSON(w, map[string]any{"ok": true, "message_ts": ts})
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts, "message": s.messageObject(m)})
}

func (s *Server) chatUpdate(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	channel, ts, text := f.Get("channel"), f.Get("ts"), f.Get("text")
	_, hasText := f["text"]
	_, hasBlocks := f["blocks"]
	blocks, e, details := checkMessage(text, f.Get("blocks"), hasBlocks)
	if e != "" {
		writeMessageError(w, e, details)
		return
	}

	s.mu.Lock()
	key := msgKey{channel, ts}
	cur, known := s.state.posted[key]
	now := s.now()
	switch {
	case s.state.notInChannel[channel]:
		e = "not_in_channel"
	case channel == "" || ts == "" || !known:
		e = "message_not_found"
	case s.state.updateErrs[key] != "":
		e = s.state.updateErrs[key]
	case s.state.foreign[key]:
		e = "cant_update_message"
	case s.cfg.editWindow > 0 && !cur.postedAt.IsZero() && now.Sub(cur.postedAt) > s.cfg.editWindow:
		e = "edit_window_closed"
	case !hasText && !hasBlocks:
		e = "no_text"
	}
	if e != "" {
		s.mu.Unlock()
		writeError(w, e)
		return
	}
	// Slack keeps what an update leaves out; blocks=[] removes every block.
	if hasText {
		cur.Text = text
	}
	if hasBlocks {
		cur.Blocks = blocks
		if len(blocks) > 0 && string(blocks) == "[]" {
			cur.Blocks = nil
		}
	}
	cur.At = now
	m := Message{Method: "chat.update", Channel: channel, TS: ts, ThreadTS: cur.ThreadTS, Text: text, Blocks: blocks, At: cur.At}
	s.state.messages = append(s.state.messages, m)
	result := *cur
	s.state.notifyLocked()
	s.mu.Unlock()

	writeJSON(w, map[string]any{"ok": true, "channel": channel, "ts": ts, "text": result.Text, "message": s.messageObject(result)})
}

func (s *Server) messageObject(m Message) map[string]any {
	o := map[string]any{
		"type": "message", "subtype": "bot_message", "user": s.cfg.botUserID, "bot_id": s.cfg.botID,
		"app_id": s.cfg.appID, "team": s.cfg.teamID, "text": m.Text, "ts": m.TS,
	}
	if m.ThreadTS != "" {
		o["thread_ts"] = m.ThreadTS
	}
	if len(m.Blocks) > 0 {
		o["blocks"] = m.Blocks
	}
	return o
}

func (s *Server) chatPermalink(w http.ResponseWriter, r *http.Request) {
	channel, ts := r.Form.Get("channel"), r.Form.Get("message_ts")
	s.mu.Lock()
	m, ok := s.state.posted[msgKey{channel, ts}]
	var thread string
	if ok && m.ThreadTS != "" && m.ThreadTS != ts {
		thread = m.ThreadTS
	}
	s.mu.Unlock()
	if !ok {
		writeError(w, "message_not_found")
		return
	}
	link := permalinkBase + url.PathEscape(channel) + "/p" + strings.ReplaceAll(ts, ".", "")
	if thread != "" {
		link += "?thread_ts=" + thread + "&cid=" + url.QueryEscape(channel)
	}
	writeJSON(w, map[string]any{"ok": true, "channel": channel, "permalink": link})
}

// Permalink is the permalink chat.getPermalink returns for (channel, ts) of a top-level message.
func Permalink(channel, ts string) string {
	return permalinkBase + channel + "/p" + strings.ReplaceAll(ts, ".", "")
}

func (s *Server) usergroupMembers(w http.ResponseWriter, r *http.Request) {
	id := r.Form.Get("usergroup")
	s.mu.Lock()
	members, ok := s.state.usergroups[id]
	members = append([]string{}, members...)
	s.mu.Unlock()
	if !ok {
		writeError(w, "no_such_subteam")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "users": members})
}

func (s *Server) usersInfo(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	u, ok := s.state.users[r.Form.Get("user")]
	s.mu.Unlock()
	if !ok {
		writeError(w, "user_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "user": map[string]any{
		"id": u.ID, "team_id": s.cfg.teamID, "name": u.Name, "real_name": u.RealName, "deleted": u.Deleted,
		"is_admin": u.IsAdmin, "is_owner": u.IsOwner, "is_bot": u.IsBot, "is_restricted": u.IsRestricted,
		"is_ultra_restricted": u.IsUltraRestricted,
		"profile":             map[string]any{"real_name": u.RealName, "display_name": u.Name},
	}})
}

func (s *Server) conversationsInfo(w http.ResponseWriter, r *http.Request) {
	id := r.Form.Get("channel")
	s.mu.Lock()
	c, ok := s.state.channels[id]
	member := !s.state.notInChannel[id]
	s.mu.Unlock()
	if !ok {
		writeError(w, "channel_not_found")
		return
	}
	writeJSON(w, map[string]any{"ok": true, "channel": map[string]any{
		"id": c.ID, "name": c.Name, "is_channel": !c.IsPrivate && !c.IsIM, "is_group": c.IsPrivate,
		"is_im": c.IsIM, "is_private": c.IsPrivate || c.IsIM, "is_member": member, "created": 1600000000,
	}})
}

// newResponseURLLocked mints the response_url of one envelope.
func (s *Server) newResponseURLLocked(envelopeID, channel, user string) string {
	s.state.respURLs[envelopeID] = &responseURL{envelopeID: envelopeID, channel: channel, user: user, created: s.now()}
	return s.http.URL + "/response/" + envelopeID
}

// handleResponseURL records a post to an envelope's response_url as Message{Method:"response_url"}.
func (s *Server) handleResponseURL(w http.ResponseWriter, r *http.Request) {
	const method = "response_url"
	rec, finish := s.startCall(w, method, "")
	defer finish()
	w = rec
	if !s.prelude(w, r, method, "") || !s.limit(w, method, "") {
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodySize))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	var msg struct {
		Text            string          `json:"text"`
		ThreadTS        string          `json:"thread_ts"`
		Blocks          json.RawMessage `json:"blocks"`
		ResponseType    string          `json:"response_type"`
		ReplaceOriginal bool            `json:"replace_original"`
		DeleteOriginal  bool            `json:"delete_original"`
	}
	if err := json.Unmarshal(body, &msg); err != nil {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = io.WriteString(w, `{"ok":false,"error":"invalid_payload"}`)
		return
	}
	if string(msg.Blocks) == "null" {
		msg.Blocks = nil
	}
	blocks, e, details := checkMessage(msg.Text, string(msg.Blocks), msg.Blocks != nil)
	if e == "" && msg.Text == "" && blocks == nil && !msg.DeleteOriginal {
		e = "no_text"
	}

	s.mu.Lock()
	ru, ok := s.state.respURLs[r.PathValue("id")]
	switch {
	case !ok:
		e = "invalid_url"
	case s.cfg.responseURLLifetime > 0 && s.now().Sub(ru.created) > s.cfg.responseURLLifetime:
		e = "expired_url"
	case s.cfg.maxResponseURLUses > 0 && ru.uses >= s.cfg.maxResponseURLUses:
		e = "used_url"
	}
	if e != "" {
		s.mu.Unlock()
		noteError(w, e)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		status := http.StatusBadRequest
		if e == "invalid_url" || e == "used_url" || e == "expired_url" {
			status = http.StatusNotFound
		}
		w.WriteHeader(status)
		body := map[string]any{"ok": false, "error": e}
		if len(details) > 0 {
			body["errors"] = details
		}
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	ru.uses++
	s.state.messages = append(s.state.messages, Message{
		Method: method, Channel: ru.channel, User: ru.user, EnvelopeID: ru.envelopeID,
		ThreadTS: msg.ThreadTS, Text: msg.Text, Blocks: blocks, ResponseType: msg.ResponseType,
		ReplaceOriginal: msg.ReplaceOriginal, DeleteOriginal: msg.DeleteOriginal, At: s.now(),
	})
	s.state.notifyLocked()
	s.mu.Unlock()
	writeJSON(w, map[string]any{"ok": true})
}

// nextTSLocked returns a unique, increasing Slack-style timestamp ("1700000000.000100").
func (s *Server) nextTSLocked() string {
	s.state.tsSeq++
	micros := int64(1700000000_000000) + 100*s.state.tsSeq
	return fmt.Sprintf("%d.%06d", micros/1e6, micros%1e6)
}
