package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/kickbot/kickbot/internal/jsonscan"
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
//
// It also bounds each exchange, reply included, by timeout, as
// http.Client.Timeout would: set on a client whose transport is not an
// *http.Transport, that timeout costs a goroutine, a timer and two channels
// per request (net/http's setRequestCancel), four times per kick. Here it
// is a context deadline, and none at all when the caller's context ends
// sooner (the outbox gives every post one).
type dropEcho struct {
	next    http.RoundTripper
	timeout time.Duration // 0: none
}

func (d dropEcho) RoundTrip(req *http.Request) (*http.Response, error) {
	var cancel context.CancelFunc
	if dl, ok := req.Context().Deadline(); d.timeout > 0 && (!ok || time.Until(dl) > d.timeout) {
		var ctx context.Context
		ctx, cancel = context.WithTimeout(req.Context(), d.timeout)
		req = req.WithContext(ctx)
	}
	resp, err := d.next.RoundTrip(req)
	if cancel != nil {
		if err != nil {
			cancel()
			return resp, err
		}
		// The deadline holds until the reply is read and closed.
		resp.Body = readCloser{resp.Body, closeThen{resp.Body, cancel}}
	}
	if err != nil || resp.StatusCode != http.StatusOK || !echoes(req.URL.Path) {
		return resp, err
	}
	body, err := readReply(resp)
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

// readReply reads up to maxEchoReply+1 bytes of resp's body: into one
// buffer of the announced length when there is one (io.ReadAll grows its
// buffer from 512 bytes, four allocations for a 4 KB echo).
func readReply(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= maxEchoReply {
		body := make([]byte, n)
		got, err := io.ReadFull(resp.Body, body)
		return body[:got], err
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxEchoReply+1))
}

// echoes says whether a Web API method's reply echoes the message.
func echoes(path string) bool {
	return strings.HasSuffix(path, "/chat.postMessage") || strings.HasSuffix(path, "/chat.update")
}

// withoutMessage returns a JSON object without its top-level "message"
// field, or b unchanged if b is not an object or has none. It finds the
// field by skipping over the others' values without decoding them (a
// json.Unmarshal into a map and back cost 30 µs per reply, 5% of kickbot's
// CPU per watched kick); slack-go decodes and checks what is left.
func withoutMessage(b []byte) []byte {
	i := jsonscan.SkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return b
	}
	i++
	cutFrom, cutTo := -1, -1
	comma := -1 // position of the comma before the current member, if any
	for n := 0; ; n++ {
		i = jsonscan.SkipSpace(b, i)
		if n == 0 && i < len(b) && b[i] == '}' {
			return b // {}
		}
		key := i
		j, ok := jsonscan.SkipString(b, i)
		if !ok {
			return b
		}
		i = jsonscan.SkipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return b
		}
		if i, ok = jsonscan.SkipValue(b, jsonscan.SkipSpace(b, i+1)); !ok {
			return b
		}
		end := i
		i = jsonscan.SkipSpace(b, i)
		if i >= len(b) {
			return b
		}
		if cutFrom < 0 && string(b[key:j]) == `"message"` {
			switch {
			case b[i] == ',':
				cutFrom, cutTo = key, i+1 // the member and the comma after it
			case comma >= 0:
				cutFrom, cutTo = comma, end // the last member and the comma before it
			default:
				cutFrom, cutTo = key, end // the only member
			}
		}
		switch b[i] {
		case ',':
			comma = i
			i++
			continue
		case '}':
			if jsonscan.SkipSpace(b, i+1) != len(b) || cutFrom < 0 {
				return b
			}
			return append(b[:cutFrom], b[cutTo:]...) // in place: b is the caller's
		}
		return b
	}
}

type readCloser struct {
	io.Reader
	io.Closer
}

// closeThen closes c, then calls then.
type closeThen struct {
	c    io.Closer
	then func()
}

func (c closeThen) Close() error {
	err := c.c.Close()
	c.then()
	return err
}
