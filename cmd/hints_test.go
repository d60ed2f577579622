package cmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/mfactl/mfactl/graph"
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
