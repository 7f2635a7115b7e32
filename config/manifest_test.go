package config

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The repository has no YAML parser, so these checks read the deployment
// files line by line. They guard what an operator would otherwise find out
// only after creating the Slack app or building the image.

func readRepoFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("../" + name)
	if err != nil {
		t.Fatalf("reading %s: %v", name, err)
	}
	return string(b)
}

// yamlLines returns the manifest's lines without comments or blank lines.
func yamlLines(doc string) []string {
	var out []string
	for l := range strings.SplitSeq(doc, "\n") {
		if i := strings.Index(l, "#"); i >= 0 && strings.TrimSpace(l[:i]) == "" {
			continue // whole-line comment
		}
		if strings.TrimSpace(l) != "" {
			out = append(out, strings.TrimRight(l, " "))
		}
	}
	return out
}

func TestManifest(t *testing.T) {
	lines := yamlLines(readRepoFile(t, "slack-app-manifest.yaml"))
	has := func(re string) bool {
		r := regexp.MustCompile(re)
		return slices.ContainsFunc(lines, r.MatchString)
	}
	for _, want := range []string{
		`^\s+socket_mode_enabled: true$`,
		`^\s+is_enabled: true$`, // interactivity: Disconnect buttons
		`^\s+- command: /kick$`,
		`^\s+description: \S`,
		`^\s+usage_hint: "<meeting ID> \[participant … \| lock \[10m\] \| unlock \| hold … \| uninvited \| watch\] \[-- reason\] \| help"$`,
		`^\s+should_escape: false$`,
		`^\s+display_name: kickbot$`,
		`^\s+always_online: true$`,
	} {
		if !has(want) {
			t.Errorf("slack-app-manifest.yaml has no line matching %s", want)
		}
	}
	if has(`^\s+(request_)?url:`) {
		t.Error("slack-app-manifest.yaml sets a URL; under Socket Mode there must be none")
	}

	// Bot scopes: exactly what the bot uses.
	var scopes []string
	in := false
	for _, l := range lines {
		trimmed := strings.TrimSpace(l)
		switch {
		case trimmed == "bot:":
			in = true
		case in && strings.HasPrefix(trimmed, "- "):
			scopes = append(scopes, strings.TrimPrefix(trimmed, "- "))
		case in:
			in = false
		}
	}
	slices.Sort(scopes)
	if want := []string{"chat:write", "commands", "usergroups:read"}; !slices.Equal(scopes, want) {
		t.Errorf("manifest bot scopes = %v, want %v", scopes, want)
	}
}

func TestDockerfile(t *testing.T) {
	df := readRepoFile(t, "Dockerfile")
	for _, want := range []string{
		"FROM golang:1.26 AS build",
		"CGO_ENABLED=0",
		"-trimpath",
		`-ldflags "-s -w -X main.version=${VERSION}"`,
		"ARG VERSION",
		"FROM gcr.io/distroless/static-debian12:nonroot",
		"USER nonroot",
		"EXPOSE 8080",
		`CMD ["/kickbot", "healthcheck"]`,
		`ENTRYPOINT ["/kickbot"]`,
	} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	// -X main.version silently does nothing if the variable is gone.
	if main := readRepoFile(t, "cmd/kickbot/main.go"); !regexp.MustCompile(`(?m)^var version = `).MatchString(main) {
		t.Error("cmd/kickbot/main.go has no `var version = …` for -X main.version to set")
	}
	// .env must never reach the build context.
	if di := readRepoFile(t, ".dockerignore"); !slices.Contains(strings.Fields(di), ".env") {
		t.Error(".dockerignore does not exclude .env")
	}
}
