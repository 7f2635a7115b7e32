package slackui

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kickbot/kickbot/commands"
)

// checkSlackLimits fails the test if msg breaks a Block Kit limit Slack
// enforces (https://api.slack.com/reference/block-kit) or carries markup that could ping or
// mention anyone other than the <@U…>/<#C…> mentions kickbot itself writes.
// It returns the size of the message's JSON.
func checkSlackLimits(t testing.TB, msg Message) int {
	t.Helper()
	raw, err := json.Marshal(struct {
		Text   string `json:"text"`
		Blocks any    `json:"blocks"`
	}{msg.Text, msg.Blocks})
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var doc struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if doc.Text == "" {
		t.Errorf("message has no fallback text")
	}
	checkMarkup(t, "text", doc.Text)
	if n := len(doc.Blocks); n == 0 || n > MaxBlocks {
		t.Errorf("message has %d blocks; want 1..%d", n, MaxBlocks)
	}
	blockIDs := map[string]bool{}
	for i, b := range doc.Blocks {
		where := fmt.Sprintf("block %d (%v)", i, b["type"])
		if id, _ := b["block_id"].(string); id != "" {
			if len(id) > 255 || blockIDs[id] {
				t.Errorf("%s: block_id %q too long or repeated", where, id)
			}
			blockIDs[id] = true
		}
		switch b["type"] {
		case "section":
			checkText(t, where+" text", b["text"], maxSectionRunes)
			if acc, ok := b["accessory"].(map[string]any); ok {
				checkElement(t, where+" accessory", acc)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxContextElements {
				t.Errorf("%s: %d elements", where, len(els))
			}
			for _, e := range els {
				checkText(t, where+" element", e, maxSectionRunes)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > maxActionElements {
				t.Errorf("%s: %d elements; want 1..%d", where, len(els), maxActionElements)
			}
			actionIDs := map[string]bool{}
			for _, e := range els {
				el := e.(map[string]any)
				id, _ := el["action_id"].(string)
				if actionIDs[id] {
					t.Errorf("%s: action_id %q repeated in one block", where, id)
				}
				actionIDs[id] = true
				checkElement(t, where+" element", el)
			}
		case "input":
			checkText(t, where+" label", b["label"], 2000)
			if el, ok := b["element"].(map[string]any); ok {
				checkElement(t, where+" element", el)
			}
		case "divider", "header":
		default:
			t.Errorf("%s: unexpected block type", where)
		}
	}
	return len(raw)
}

func checkElement(t testing.TB, where string, el map[string]any) {
	t.Helper()
	if id, _ := el["action_id"].(string); id == "" || len(id) > 255 {
		t.Errorf("%s: action_id %q", where, id)
	}
	switch el["type"] {
	case "button":
		checkText(t, where+" button text", el["text"], maxButtonTextRunes)
		if v, _ := el["value"].(string); len(v) > 2000 {
			t.Errorf("%s: button value is %d bytes", where, len(v))
		}
		if c, ok := el["confirm"].(map[string]any); ok {
			checkText(t, where+" confirm title", c["title"], 100)
			checkText(t, where+" confirm text", c["text"], maxConfirmText)
			checkText(t, where+" confirm button", c["confirm"], 30)
			checkText(t, where+" deny button", c["deny"], 30)
		}
	case "plain_text_input":
		if v, _ := el["initial_value"].(string); utf8.RuneCountInString(v) > 3000 {
			t.Errorf("%s: initial value too long", where)
		}
	default:
		t.Errorf("%s: unexpected element type %v", where, el["type"])
	}
}

func checkText(t testing.TB, where string, obj any, max int) {
	t.Helper()
	m, ok := obj.(map[string]any)
	if !ok {
		t.Errorf("%s: missing text object", where)
		return
	}
	s, _ := m["text"].(string)
	if n := utf8.RuneCountInString(s); n == 0 || n > max {
		t.Errorf("%s: %d characters; want 1..%d", where, n, max)
	}
	checkMarkup(t, where, s)
}

// ourMarkup is the only <…> markup kickbot writes: user and channel
// mentions by ID, dates, and https links.
var ourMarkup = regexp.MustCompile(`^<(@[A-Z0-9]+|#[A-Z0-9]+|!date\^\d+\^[^|<>]*\|[^<>]*|https://[^|<> ]+\|[^<>]*)>$`)

var anyMarkup = regexp.MustCompile(`<[^>]*>?`)

func checkMarkup(t testing.TB, where, s string) {
	t.Helper()
	for _, m := range anyMarkup.FindAllString(s, -1) {
		if !ourMarkup.MatchString(m) {
			t.Errorf("%s: unescaped markup %q in %q", where, m, commands.Clip(s, 200))
		}
	}
	// Every & must start one of the three entities Escape writes.
	for i := strings.IndexByte(s, '&'); i >= 0; {
		rest := s[i:]
		if !strings.HasPrefix(rest, "&amp;") && !strings.HasPrefix(rest, "&lt;") && !strings.HasPrefix(rest, "&gt;") {
			t.Errorf("%s: bare & in %q", where, commands.Clip(rest, 40))
			break
		}
		j := strings.IndexByte(s[i+1:], '&')
		if j < 0 {
			break
		}
		i += 1 + j
	}
}
