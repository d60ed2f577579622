package mock

import (
	"os"
	"strings"
	"testing"
)

// The README documents the demo tenant; keep it true.
func TestREADMEListsEveryDemoUser(t *testing.T) {
	b, err := os.ReadFile("../docs/mock.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, u := range DemoUsers() {
		row := "| `" + u.UPN + "` | " + u.Story + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README lacks the row %s", row)
		}
	}
	for _, tok := range newTokenTable("", DemoDomain).infos() {
		if !strings.Contains(readme, "`"+tok.Token+"`") {
			t.Errorf("README lacks token %s", tok.Token)
		}
	}
}
