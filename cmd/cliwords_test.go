package cmd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// cliWordsAllowed are the Go files outside cmd/ whose string literals may
// name an mfactl command, and why. Every other layer states codes and
// facts, and cmd phrases the command to run.
var cliWordsAllowed = map[string]string{
	// The Factory's construction is the CLI's wiring (GitHub CLI keeps it
	// in pkg/cmd/factory): its sign-in and --endpoint errors are the
	// CLI's own words.
	"internal/factory/default.go": "the CLI's wiring",
	// Generates docs/permissions.md, a page of the CLI's documentation.
	"internal/permissions/markdown.go": "writes the CLI's documentation",
}

// TestNoCLIWordsBelowCmd fails when a Go file outside cmd/ (tests aside)
// holds a string literal that names an mfactl command ("mfactl token
// delete ..."): lower layers return codes and facts, cmd speaks the CLI.
func TestNoCLIWordsBelowCmd(t *testing.T) {
	// The commands are the verbs' full paths ("mfactl token delete",
	// "mfactl verify"): "the mfactl mock" names the server, not a command.
	ios, _, _, _ := iostreams.Test()
	var verbs []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.HasParent() && (!c.HasSubCommands() || c.Runnable() && c.Parent().HasParent()) {
			verbs = append(verbs, regexp.QuoteMeta(c.CommandPath()))
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(NewCmdRoot(factory.New(ios, "test")))
	cliWords := regexp.MustCompile(`\b(` + strings.Join(verbs, "|") + `)\b`)
	root := ".."
	seen := map[string]bool{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "cmd" || strings.HasPrefix(d.Name(), ".") && rel != "." || d.Name() == "testdata" || d.Name() == "vendor" {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(rel, ".go") || strings.HasSuffix(rel, "_test.go") {
			return nil
		}
		if _, ok := cliWordsAllowed[rel]; ok {
			seen[rel] = true
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err == nil && cliWords.MatchString(s) {
				t.Errorf("%s: %q names an mfactl command: return a code or fact and let cmd phrase the command", rel, s)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for rel := range cliWordsAllowed {
		if !seen[rel] {
			t.Errorf("cliWordsAllowed names %s, which is not a Go file of the module", rel)
		}
	}
}
