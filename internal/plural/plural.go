// Package plural writes counted nouns in English ("1 user", "2 users",
// "1 entry", "3 entries"): the one helper every message with a count goes
// through, so none says "1 attempts left".
package plural

import (
	"strconv"
	"strings"
)

// Count is n followed by the noun, singular when n is 1 (or -1) and plural
// otherwise: Count(1, "attempt") is "1 attempt", Count(0, "user") "0 users".
// A noun of several words is pluralised on its last word ("hardware
// token" -> "hardware tokens"); a noun followed by a qualifier is better
// written as Count(n, "token") + " not activated".
func Count(n int, singular string) string {
	return strconv.Itoa(n) + " " + Noun(n, singular)
}

// Noun is the singular when n is 1 (or -1), else the plural.
func Noun(n int, singular string) string {
	if n == 1 || n == -1 {
		return singular
	}
	return Plural(singular)
}

// irregular are the plurals the suffix rules get wrong, among the nouns
// mfactl counts.
var irregular = map[string]string{
	"this": "these", "that": "those", "is": "are", "was": "were", "has": "have",
	"key": "keys", "day": "days", "survey": "surveys", "person": "people",
	"child": "children", "datum": "data", "its": "their",
}

// Plural is the English plural of a singular noun (of its last word).
func Plural(singular string) string {
	i := strings.LastIndexByte(singular, ' ') + 1
	head, w := singular[:i], singular[i:]
	lower := strings.ToLower(w)
	if p, ok := irregular[lower]; ok {
		return head + matchCase(w, p)
	}
	switch {
	case w == "":
		return singular
	case strings.HasSuffix(lower, "s"), strings.HasSuffix(lower, "x"), strings.HasSuffix(lower, "z"),
		strings.HasSuffix(lower, "ch"), strings.HasSuffix(lower, "sh"):
		return singular + matchCase(w[len(w)-1:], "es")
	case len(lower) > 1 && lower[len(lower)-1] == 'y' && !strings.ContainsRune("aeiou", rune(lower[len(lower)-2])):
		return head + w[:len(w)-1] + matchCase(w[len(w)-1:], "ies")
	}
	return singular + matchCase(w[len(w)-1:], "s")
}

// matchCase writes s in upper case when like is all upper case ("TAP" ->
// "TAPs" stays mixed: only an all-caps word of more than one letter counts).
func matchCase(like, s string) string {
	if len(like) > 1 && like == strings.ToUpper(like) && like != strings.ToLower(like) {
		return strings.ToUpper(s)
	}
	return s
}
