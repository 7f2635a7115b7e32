package meeting

import (
	"encoding/base64"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kickbot/kickbot/secret"
)

func TestSocketURL(t *testing.T) {
	const q = "?confID=914083136&tmpToken=tok"
	for _, c := range []struct {
		name, base, override, wsURL, want string
	}{
		{"host from wsURL", "https://api.example", "", "wss://ws.example", "wss://ws.example" + pathWebSocket + q},
		{"full URL not doubled", "https://api.example", "", "wss://ws.example" + pathWebSocket, "wss://ws.example" + pathWebSocket + q},
		{"no scheme", "https://api.example", "", "ws.example:443", "wss://ws.example:443" + pathWebSocket + q},
		{"https as wss", "https://api.example", "", "https://ws.example/", "wss://ws.example" + pathWebSocket + q},
		{"never plaintext under https", "https://api.example", "", "ws://ws.example", "wss://ws.example" + pathWebSocket + q},
		{"plain http simulator", "http://127.0.0.1:9", "", "ws://127.0.0.1:9", "ws://127.0.0.1:9" + pathWebSocket + q},
		{"no wsURL: the API host", "https://api.example", "", "", "wss://api.example" + pathWebSocket + q},
		{"override wins", "https://api.example", "wss://other.example", "wss://ws.example", "wss://other.example" + pathWebSocket + q},
		{"query kept", "https://api.example", "", "wss://ws.example/x?region=1", "wss://ws.example/x" + pathWebSocket + "?confID=914083136&region=1&tmpToken=tok"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := socketURL(c.base, c.override, c.wsURL, "914083136", "tok")
			if err != nil || got != c.want {
				t.Errorf("socketURL = %q, %v; want %q", got, err, c.want)
			}
		})
	}
	for _, bad := range []string{"ftp://x.example", "wss://"} {
		if u, err := socketURL("https://api.example", "", bad, "1", "t"); err == nil {
			t.Errorf("socketURL(%q) = %q, want an error", bad, u)
		}
	}
}

func TestSubscribeMessage(t *testing.T) {
	b, err := subscribeMessage("914083136", secret.New("ctl-token"))
	if err != nil {
		t.Fatal(err)
	}
	var m struct{ Sequence, Action, Data string }
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	var d struct {
		SubscribeType []string
		ConfToken     string
		ConferenceID  string
	}
	if err := json.Unmarshal([]byte(m.Data), &d); err != nil {
		t.Fatalf("data is not a JSON-encoded object: %q", m.Data)
	}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("ctl-token"))
	if m.Action != "Subscribe" || len(m.Sequence) < 20 || len(m.Sequence) > 30 || d.ConfToken != want ||
		d.ConferenceID != "914083136" || len(d.SubscribeType) != 4 {
		t.Errorf("subscribe %+v data %+v", m, d)
	}
}

// The shapes §15 leaves open decode alike.
func TestDecodeFrameShapes(t *testing.T) {
	obj := `[{"pid":"p1","mode":0,"pinfoMap":{"NAME":"A","TEL":"+1","STATE":"0","MUTE":1,"ROLE":"1","ADDTIME":"1764061200000","CLICENT_LOGIN_TYPE":"mobile","ANONYMOUS":"1"}}]`
	str, _ := json.Marshal(obj)
	for name, raw := range map[string]string{
		"data as array":  `{"action":"ParticipantsNotify","msgMode":"0","data":` + obj + `}`,
		"data as string": `{"action":"ParticipantsNotify","msgMode":0,"data":` + string(str) + `}`,
	} {
		t.Run(name, func(t *testing.T) {
			f, err := decodeFrame([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			items, err := decodeList(f.payload())
			if err != nil || len(items) != 1 {
				t.Fatalf("items %+v, %v", items, err)
			}
			l := newPList(0)
			ch := l.apply(items, f.MsgMode == 0, nil)
			if len(ch.joined) != 1 {
				t.Fatalf("change %+v", ch)
			}
			p, roleHost := ch.joined[0], l.host[0]
			if p.Name != "A" || p.Phone != "+1" || !p.Muted || p.Device != "Mobile" || !p.Anonymous ||
				!p.JoinedAt.Equal(time.UnixMilli(1764061200000)) || !roleHost {
				t.Errorf("participant %+v (roleHost %v)", p, roleHost)
			}
		})
	}
}

func TestIncrementalKeepsUnchangedFields(t *testing.T) {
	l := newPList(0)
	l.apply(mustItems(t, `[{"pid":"p1","pinfoMap":{"NAME":"A","TEL":"+1","ADDTIME":5}},{"pid":"p2","pinfoMap":{"NAME":"B"}}]`), true, nil)
	ch := l.apply(mustItems(t, `[{"pid":"p1","mode":0,"pinfoMap":{"MUTE":"1"}},{"pid":"p2","mode":1},{"pid":"p3","pinfoMap":{"NAME":"C"}}]`), false, nil)
	if len(ch.updated) != 1 || len(ch.left) != 1 || len(ch.joined) != 1 {
		t.Fatalf("change %+v", ch)
	}
	p, ok := l.get("p1")
	if !ok || p.Name != "A" || p.Phone != "+1" || !p.Muted || p.JoinedAt.UnixMilli() != 5 {
		t.Errorf("p1 after a MUTE-only delta: %+v", p)
	}
	if i, _ := l.find("p3"); len(l.ps) != 2 || l.ps[1].ID != "p3" || i != 1 {
		t.Errorf("list after remove: %+v, p3 found at %d", l.ps, i)
	}
	if _, ok := l.get("p2"); ok {
		t.Errorf("p2 found after remove")
	}
	// A full list drops who is absent and keeps what it does not repeat.
	ch = l.apply(mustItems(t, `[{"pid":"p3"}]`), true, nil)
	if len(ch.left) != 1 || ch.left[0].ID != "p1" || len(l.ps) != 1 || l.ps[0].Name != "C" {
		t.Errorf("after a full list: change %+v, list %+v", ch, l.ps)
	}
}

func mustItems(t *testing.T, s string) []listItem {
	t.Helper()
	items, err := decodeList(json.RawMessage(s))
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func TestDecodeOtherShapes(t *testing.T) {
	d, err := decodeDynamic(json.RawMessage(`[{"lock":"1","waitingRoomState":1,"state":"Destroyed"}]`))
	if err != nil || d.Lock.v != 1 || d.WaitingRoomState.v != 1 || !strings.EqualFold(d.State.v, "destroyed") {
		t.Errorf("dynamic as array: %+v, %v", d, err)
	}
	items := mustItems(t, `{"participantID":"w1","name":"Flat","phone":"+2"}`)
	l := newPList(0)
	if ch := l.apply(items, true, nil); len(ch.joined) != 1 || ch.joined[0].Name != "Flat" || ch.joined[0].Phone != "+2" {
		t.Errorf("flat waiting item: %+v", ch)
	}
	if rc := subscribeReturnCode(json.RawMessage(`{"returnCode":"0"}`)); rc != 0 {
		t.Errorf("returnCode as string: %d", rc)
	}
	if rc := subscribeReturnCode(json.RawMessage(`{}`)); rc == 0 {
		t.Error("a reply without returnCode counts as success")
	}
	if _, err := decodeList(json.RawMessage(`"nope"`)); err == nil {
		t.Error("a string list decoded")
	}
}

// flexInt reads numbers and numeric strings as strconv.ParseInt does (its
// allocation-free path must not change what a frame says).
func TestFlexIntAgreesWithParseInt(t *testing.T) {
	for _, in := range []string{`0`, `1`, `-1`, `"007"`, `1764061200000`, `999999999999999999`,
		`9223372036854775807`, `-9223372036854775808`, `"0"`, `" 12 "`, `"-3"`, `"+4"`, `""`, `"-"`, `"1e3"`,
		`1.5`, `"12a"`, `"\u0031"`, `true`, `false`, `null`, `"9223372036854775807"`} {
		var got flexInt
		if err := json.Unmarshal([]byte(in), &got); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		want := flexInt(0)
		s := in
		if u, err := strconv.Unquote(in); err == nil {
			s = strings.TrimSpace(u)
		}
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			want = flexInt(n)
		} else if x, err := strconv.ParseFloat(s, 64); err == nil {
			want = flexInt(x)
		} else if in == `true` {
			want = 1
		}
		if got != want {
			t.Errorf("%s read as %d, want %d", in, got, want)
		}
	}
}
