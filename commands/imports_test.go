package commands_test

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestCoreImports holds the core to its boundary (issue 12): it never
// depends on slack-go, directly or through another package, and does not
// import net/http itself (the meeting package, whose types it uses, does).
func TestCoreImports(t *testing.T) {
	list := func(args ...string) []string {
		t.Helper()
		out, err := exec.Command("go", append([]string{"list"}, args...)...).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", strings.Join(args, " "), err)
		}
		return strings.Fields(string(out))
	}
	for _, dep := range list("-deps", ".") {
		if strings.HasPrefix(dep, "github.com/slack-go/") {
			t.Errorf("commands depends on %s; Slack belongs in bot/slackui", dep)
		}
	}
	imports := list("-f", `{{join .Imports " "}}`, ".")
	if slices.Contains(imports, "net/http") {
		t.Errorf("commands imports net/http; HTTP belongs in the meeting client and the adapters")
	}
	if len(imports) == 0 || !slices.Contains(imports, "github.com/kickbot/kickbot/meeting") {
		t.Errorf("go list found imports %v; the check is not looking at commands", imports)
	}
}
