package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// maxEchoReply bounds the reply dropEcho reads whole: chat.postMessage's
// echo of the largest message Slack accepts (50 blocks of up to 3,000
// characters each, escaped) stays well under it. A bigger reply is passed
// on untouched.
const maxEchoReply = 4 << 20

// dropEcho is the Slack Web API transport: the replies of chat.postMessage
// and chat.update echo the whole message, Block Kit and all, which slack-go
// decodes into a slack.Message that kickbot never reads (PostMessageContext
// and UpdateMessageContext return only the channel, ts and text). Decoding
// those blocks was 12% of kickbot's CPU per kick on a watched meeting. The
// reply reaches slack-go without its "message" field; every other field
// (ok, error, channel, ts, warnings, response_metadata) is kept as sent.
type dropEcho struct{ next http.RoundTripper }

func (d dropEcho) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := d.next.RoundTrip(req)
	if err != nil || resp.StatusCode != http.StatusOK || !echoes(req.URL.Path) {
		return resp, err
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxEchoReply+1))
	if err != nil || len(body) > maxEchoReply {
		// Let slack-go read what there is, as it would have.
		resp.Body = readCloser{io.MultiReader(bytes.NewReader(body), resp.Body), resp.Body}
		return resp, nil
	}
	_ = resp.Body.Close()
	body = withoutMessage(body)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.Header.Del("Content-Length")
	return resp, nil
}

// echoes says whether a Web API method's reply echoes the message.
func echoes(path string) bool {
	return strings.HasSuffix(path, "/chat.postMessage") || strings.HasSuffix(path, "/chat.update")
}

// withoutMessage returns a JSON object without its top-level "message"
// field, or b unchanged if b is not an object or has none.
func withoutMessage(b []byte) []byte {
	var top map[string]json.RawMessage
	if json.Unmarshal(b, &top) != nil {
		return b
	}
	if _, ok := top["message"]; !ok {
		return b
	}
	delete(top, "message")
	out, err := json.Marshal(top)
	if err != nil {
		return b
	}
	return out
}

type readCloser struct {
	io.Reader
	io.Closer
}
