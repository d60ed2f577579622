package cmd

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/mock"
)

// Every Advice graph can name has a hint here, and the hint reaches the
// error through any wrapping.
func TestAdviceHints(t *testing.T) {
	for _, a := range []graph.Advice{graph.AdviceNoSuchMethod, graph.AdviceNotEmulator, graph.AdviceNoSuchToken,
		graph.AdviceSerialNotInInventory, graph.AdviceNoTokenEmulator, graph.AdviceMethodGone} {
		t.Run(string(a), func(t *testing.T) {
			ge := &graph.Error{Op: "op", Status: 404, Advice: a}
			err := withAdviceHint(fmt.Errorf("wrapped: %w", ge))
			if ge.Hint == "" || ge.Hint != adviceHints[a] || !strings.Contains(ge.Hint, "mfactl") {
				t.Errorf("hint %q", ge.Hint)
			}
			if graph.AdviceOf(err) != a {
				t.Errorf("AdviceOf = %q", graph.AdviceOf(err))
			}
		})
	}
	ge := &graph.Error{Status: 404, Advice: graph.AdviceMethodGone, Hint: "kept"}
	_ = withAdviceHint(ge)
	if ge.Hint != "kept" {
		t.Errorf("an existing hint was replaced: %q", ge.Hint)
	}
}

// seedResult embeds the mock's stats; its JSON keeps the flat shape and
// order `mock seed -o json` always printed.
func TestSeedResultJSON(t *testing.T) {
	b, err := json.Marshal(seedResult{State: "s.db", Seed: 7, Day: "2026-01-02", SynthStats: mock.SynthStats{Users: 1, Members: 2,
		Guests: 3, Disabled: 4, Admins: 5, WithoutMFA: 6, Methods: 7, HardwareTokens: 8}, Seconds: 1.5, StoreBytes: 9})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"state":"s.db","seed":7,"day":"2026-01-02","users":1,"members":2,"guests":3,"disabled":4,"admins":5,"withoutMfa":6,"methods":7,"hardwareTokens":8,"seconds":1.5,"storeBytes":9}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}
