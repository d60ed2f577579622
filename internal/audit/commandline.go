package audit

import (
	"regexp"
	"strings"
)

// Redacted stands in for a secret in a recorded command line.
const Redacted = "[REDACTED]"

// secretFlag matches the names of flags whose values are secrets: tokens,
// client secrets, passwords, one-time codes, PINs, security answers, seeds
// and keys.
var secretFlag = regexp.MustCompile(`(?i)(token|secret|password|passphrase|code|pin|answer|seed|key)s?$`)

// IsSecretFlag reports whether the value of flag name (without dashes) is
// a secret that must not be recorded.
func IsSecretFlag(name string) bool { return secretFlag.MatchString(name) }

// CommandLine renders argv as a shell would read it, with the values of
// secret flags replaced by [REDACTED]. takesValue says whether a flag
// (long name, or one-letter short name) consumes the next argument when
// it is not written --flag=value; flags it does not know are treated as
// switches, so a following argument is kept.
func CommandLine(argv []string, takesValue func(name string) bool, isSecret func(name string) bool) string {
	out := make([]string, 0, len(argv))
	redactNext := false
	for i, a := range argv {
		if redactNext {
			out = append(out, Redacted)
			redactNext = false
			continue
		}
		if i == 0 || a == "-" || !strings.HasPrefix(a, "-") {
			out = append(out, shellQuote(a))
			continue
		}
		if a == "--" {
			out = append(out, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case hasValue && isSecret(name):
			out = append(out, shellQuote(a[:len(a)-len(value)]+Redacted))
		case !hasValue && isSecret(name) && takesValue(name):
			out = append(out, shellQuote(a))
			redactNext = true
		default:
			out = append(out, shellQuote(a))
		}
	}
	return strings.Join(out, " ")
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s == "" {
		return "''"
	}
	if strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("@%+=:,./-_[]", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
