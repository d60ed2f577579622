package cmd

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"

	"github.com/mfactl/mfactl/internal/factory"
	"github.com/mfactl/mfactl/internal/iostreams"
)

// docsRoot builds the command tree for documentation: a factory that is
// never used to run anything, and no generation stamp, so the output depends
// on the commands alone and CI can check that the checked-in reference is
// current.
func docsRoot() *cobra.Command {
	ios, _, _, _ := iostreams.Test()
	root := NewCmdRoot(factory.New(ios, "docs"))
	root.DisableAutoGenTag = true
	return root
}

// GenerateMarkdown writes the command reference, one Markdown page per
// command (mfactl.md, mfactl_user_show.md, ...), into dir.
func GenerateMarkdown(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return doc.GenMarkdownTreeCustom(docsRoot(), dir, func(string) string { return "" }, func(name string) string {
		return strings.TrimSuffix(name, filepath.Ext(name)) + ".md"
	})
}

// GenerateMan writes section-1 man pages for every command into dir. date
// stamps the pages (a release passes its commit date, so a rebuild of the
// same commit gives the same pages).
func GenerateMan(dir string, date time.Time) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return doc.GenManTree(docsRoot(), &doc.GenManHeader{Title: "MFACTL", Section: "1", Source: "mfactl", Manual: "mfactl manual", Date: &date}, dir)
}

// GenerateCompletions writes the shell completion scripts (mfactl.bash,
// mfactl.zsh, mfactl.fish, mfactl.ps1) into dir.
func GenerateCompletions(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := docsRoot()
	for _, sh := range []struct {
		file string
		gen  func(*bytes.Buffer) error
	}{
		{"mfactl.bash", func(b *bytes.Buffer) error { return root.GenBashCompletionV2(b, true) }},
		{"mfactl.zsh", func(b *bytes.Buffer) error { return root.GenZshCompletion(b) }},
		{"mfactl.fish", func(b *bytes.Buffer) error { return root.GenFishCompletion(b, true) }},
		{"mfactl.ps1", func(b *bytes.Buffer) error { return root.GenPowerShellCompletionWithDesc(b) }},
	} {
		var b bytes.Buffer
		if err := sh.gen(&b); err != nil {
			return fmt.Errorf("%s: %w", sh.file, err)
		}
		if err := os.WriteFile(filepath.Join(dir, sh.file), b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}
