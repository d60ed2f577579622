package cmd

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/mfactl/mfactl/graph"
	"github.com/mfactl/mfactl/methods/verify"
)

// Parsers of what people type for the emulated second factor: key presses
// (--keys), security-question answers (--answers) and a security-question
// file (enroll questions --file). Each refuses bad input with a message
// that never repeats the input (it may be a PIN or an answer).

// maxAnswers bounds --answers; the policy allows at most 20 questions.
const maxAnswers = 20

// maxAnswerBytes bounds one answer (the engine's own limit on raw input).
const maxAnswerBytes = 4096

// parseKeys checks the keys pressed in a call: digits, * and #, each entry
// ended by # ("#", "12345678#", "0#", "#2048#"); spaces are ignored. It
// returns the keys without spaces.
func parseKeys(s string) (string, error) {
	if _, err := verify.ParseDTMF(s); err != nil {
		return "", fmt.Errorf("--keys: %s: press digits, * and #, and end with # (\"#\" to approve, \"PIN#\" for a PIN call, \"0#\" to report fraud)",
			strings.TrimPrefix(err.Error(), verify.ErrDTMF.Error()+": "))
	}
	return strings.ReplaceAll(s, " ", ""), nil
}

// parseAnswers reads --answers: a JSON array of strings, or answers
// separated by semicolons (write \; for a semicolon inside an answer and
// \\ for a backslash). Surrounding spaces are trimmed; none may be empty.
func parseAnswers(s string) ([]string, error) {
	if len(s) > maxAnswers*(maxAnswerBytes+2) {
		return nil, errors.New("--answers is far too long")
	}
	var out []string
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "[") {
		dec := json.NewDecoder(strings.NewReader(t))
		if err := dec.Decode(&out); err != nil {
			return nil, errors.New(`--answers: not a JSON array of strings (write it like ["Paris","Rex"], or Paris;Rex)`)
		}
		if dec.More() {
			return nil, errors.New("--answers: give one JSON array")
		}
	} else {
		var cur strings.Builder
		for i := 0; i < len(s); i++ {
			switch c := s[i]; {
			case c == '\\' && i+1 < len(s) && (s[i+1] == ';' || s[i+1] == '\\'):
				cur.WriteByte(s[i+1])
				i++
			case c == ';':
				out = append(out, cur.String())
				cur.Reset()
			default:
				cur.WriteByte(c)
			}
		}
		out = append(out, cur.String())
	}
	if len(out) == 0 || len(out) > maxAnswers {
		return nil, fmt.Errorf("--answers: give 1 to %d answers, one per question asked, in order", maxAnswers)
	}
	for i, a := range out {
		a = strings.TrimSpace(a)
		switch {
		case a == "":
			return nil, fmt.Errorf("--answers: answer %d is empty", i+1)
		case len(a) > maxAnswerBytes || !utf8.ValidString(a):
			return nil, fmt.Errorf("--answers: answer %d is not valid text of at most %d bytes", i+1, maxAnswerBytes)
		}
		out[i] = a
	}
	return out, nil
}

// maxQuestionsFile bounds a questions file.
const maxQuestionsFile = 64 << 10

// parseQuestionsFile reads security questions with their answers: a JSON
// array of {"question","answer"} objects, or lines "question | answer"
// (blank lines and lines starting with # are skipped). The policy (3-5
// questions, answer lengths, no repeats) is the mock's to check.
func parseQuestionsFile(data []byte) ([]graph.QuestionAnswer, error) {
	if len(data) > maxQuestionsFile {
		return nil, fmt.Errorf("the questions file is larger than %d KB", maxQuestionsFile>>10)
	}
	if !utf8.Valid(data) {
		return nil, errors.New("the questions file is not UTF-8 text")
	}
	var out []graph.QuestionAnswer
	if t := bytes.TrimSpace(data); bytes.HasPrefix(t, []byte("[")) {
		dec := json.NewDecoder(bytes.NewReader(t))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&out); err != nil {
			return nil, errors.New(`the questions file is not a JSON array of {"question": ..., "answer": ...} objects`)
		}
		if dec.More() {
			return nil, errors.New("the questions file must hold one JSON array")
		}
	} else {
		for n, line := range strings.Split(string(data), "\n") {
			line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			q, a, ok := strings.Cut(line, "|")
			if !ok {
				return nil, fmt.Errorf("line %d of the questions file is not \"question | answer\"", n+1)
			}
			out = append(out, graph.QuestionAnswer{Question: strings.TrimSpace(q), Answer: strings.TrimSpace(a)})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("the questions file has no question")
	}
	if len(out) > maxAnswers {
		return nil, fmt.Errorf("the questions file has %d questions; the policy allows at most %d", len(out), maxAnswers)
	}
	for i, qa := range out {
		if strings.TrimSpace(qa.Question) == "" || strings.TrimSpace(qa.Answer) == "" {
			return nil, fmt.Errorf("question %d of the questions file has an empty question or answer", i+1)
		}
	}
	return out, nil
}
