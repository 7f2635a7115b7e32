package config

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// envNames are the variables kickbot reads: Config's envconfig tags, plus
// NAME_FILE for each secret.
func envNames() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if tag := t.Field(i).Tag.Get("envconfig"); tag != "" {
			names[tag] = true
		}
	}
	for _, v := range secretsOf(&Config{}, false) {
		names[v.name+"_FILE"] = true
	}
	return names
}

// The deployment examples are what an operator copies: a variable kickbot
// does not read would be silently ignored there, and a grace period shorter
// than the drain would kill accepted work.
func TestDeploymentExamplesUseKnownVariables(t *testing.T) {
	known := envNames()
	setting := regexp.MustCompile(`^\s+(?:- \{name: |- name: )?([A-Z][A-Z0-9_]+)(?::|, value:)`)
	for _, file := range []string{"docker-compose.yml", "deploy/kubernetes/kickbot.yaml"} {
		var seen []string
		for _, l := range yamlLines(readRepoFile(t, file)) {
			if m := setting.FindStringSubmatch(l); m != nil {
				seen = append(seen, m[1])
				if !known[m[1]] {
					t.Errorf("%s sets %s, which kickbot does not read", file, m[1])
				}
			}
		}
		if !strings.Contains(strings.Join(seen, " "), "REDIS_URL") {
			t.Errorf("%s does not set REDIS_URL (or REDIS_URL_FILE): its replicas would not share state", file)
		}
	}
}

func TestKubernetesExampleOutlastsTheDrain(t *testing.T) {
	doc := readRepoFile(t, "deploy/kubernetes/kickbot.yaml")
	m := regexp.MustCompile(`terminationGracePeriodSeconds: (\d+)`).FindStringSubmatch(doc)
	if m == nil {
		t.Fatal("no terminationGracePeriodSeconds")
	}
	grace, _ := strconv.Atoi(m[1])
	drain := Defaults().DrainTimeout
	if d := regexp.MustCompile(`KICK_DRAIN_TIMEOUT: "([^"]+)"`).FindStringSubmatch(doc); d != nil {
		var err error
		if drain, err = time.ParseDuration(d[1]); err != nil {
			t.Fatal(err)
		}
	}
	// The exit comes within the drain plus about 5 s (README).
	if time.Duration(grace)*time.Second < drain+5*time.Second {
		t.Errorf("terminationGracePeriodSeconds %d is not longer than KICK_DRAIN_TIMEOUT %s plus 5 s", grace, drain)
	}
	for _, want := range []string{"replicas: 2", "kind: PodDisruptionBudget", "path: /healthz", "path: /readyz", "_FILE"} {
		if !strings.Contains(doc, want) {
			t.Errorf("deploy/kubernetes/kickbot.yaml lacks %q", want)
		}
	}
}
