package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/chzyer/readline"
)

const consolePrompt = "kickbot> "

// consoleLine is one line typed at the console. A line longer than
// maxConsoleLine keeps only its start in text; dropped counts the rest.
type consoleLine struct {
	text    string
	dropped int
}

// lineSource prompts for and reads one line at a time.
type lineSource interface {
	next() (consoleLine, error) // io.EOF when the person is done
	close()
}

// newLineSource gives a terminal line editing and history (Up arrow), as in
// the consoles of errbot and hubot; anything else (a pipe, a file, a test)
// is read as plain lines, so scripts keep working.
func newLineSource(stdin io.Reader, stdout io.Writer) lineSource {
	if f, ok := stdin.(*os.File); ok && f == os.Stdin && readline.IsTerminal(int(f.Fd())) {
		// History is kept for the session only: it holds participant IDs
		// and reasons, which have no business in a file.
		rl, err := readline.NewEx(&readline.Config{Prompt: consolePrompt, Stdout: stdout, HistoryLimit: 500})
		if err == nil {
			return editedLines{rl: rl}
		}
	}
	return &plainLines{r: bufio.NewReaderSize(stdin, 4096), prompt: stdout}
}

type editedLines struct{ rl *readline.Instance }

func (e editedLines) next() (consoleLine, error) {
	line, err := e.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return consoleLine{}, io.EOF // Ctrl-C at the prompt leaves, as before line editing
	}
	return consoleLine{text: line}, err
}

func (e editedLines) close() { _ = e.rl.Close() }

// plainLines reads lines of any length: bufio.Scanner stopped at the first
// line over 64 KiB, and the console ended silently with it (issue 16).
type plainLines struct {
	r      *bufio.Reader
	prompt io.Writer
}

func (p *plainLines) next() (consoleLine, error) {
	fmt.Fprint(p.prompt, consolePrompt)
	var l consoleLine
	var buf []byte
	for {
		chunk, err := p.r.ReadSlice('\n')
		if err == nil {
			chunk = trimEOL(chunk)
		}
		keep := min(len(chunk), maxConsoleLine-len(buf))
		buf = append(buf, chunk[:keep]...) // a copy: chunk is reused by the next read
		l.dropped += len(chunk) - keep
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && len(buf) == 0 && l.dropped == 0 {
			return consoleLine{}, err
		}
		break
	}
	l.text = string(buf)
	return l, nil
}

func (p *plainLines) close() {}

func trimEOL(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}
