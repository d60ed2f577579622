// Command mfactl-docs writes mfactl's generated documentation from the Cobra
// command tree: the Markdown command reference checked in under
// docs/reference (a test keeps it current), and, for release archives, man
// pages and shell completions.
//
//	go run ./cmd/mfactl-docs -md docs/reference
//	go run ./cmd/mfactl-docs -man dist/man -completions dist/completions
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/mfactl/mfactl/cmd"
)

func main() {
	md := flag.String("md", "", "write the Markdown command reference into `dir`")
	man := flag.String("man", "", "write man pages into `dir`")
	comp := flag.String("completions", "", "write bash, zsh, fish and PowerShell completions into `dir`")
	date := flag.String("date", "", "date stamped on man pages, RFC 3339 or YYYY-MM-DD (default: SOURCE_DATE_EPOCH, else today)")
	flag.Parse()
	if *md == "" && *man == "" && *comp == "" {
		fmt.Fprintln(os.Stderr, "mfactl-docs: nothing to do: give -md DIR, -man DIR and/or -completions DIR")
		os.Exit(2)
	}
	if err := run(*md, *man, *comp, *date); err != nil {
		fmt.Fprintln(os.Stderr, "mfactl-docs:", err)
		os.Exit(1)
	}
}

func run(md, man, comp, date string) error {
	if md != "" {
		if err := cmd.GenerateMarkdown(md); err != nil {
			return err
		}
	}
	if man != "" {
		when, err := manDate(date)
		if err != nil {
			return err
		}
		if err := cmd.GenerateMan(man, when); err != nil {
			return err
		}
	}
	if comp != "" {
		return cmd.GenerateCompletions(comp)
	}
	return nil
}

func manDate(s string) (time.Time, error) {
	if s == "" {
		if epoch := os.Getenv("SOURCE_DATE_EPOCH"); epoch != "" {
			var sec int64
			if _, err := fmt.Sscan(epoch, &sec); err != nil {
				return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q is not a number of seconds", epoch)
			}
			return time.Unix(sec, 0).UTC(), nil
		}
		return time.Now().UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("-date %q is neither RFC 3339 nor YYYY-MM-DD", s)
}
