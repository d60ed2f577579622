package verify

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/mfactl/mfactl/internal/plural"
)

// QuestionAnswer is one security question with the user's answer, as
// entered at registration.
type QuestionAnswer struct {
	Question string
	Answer   string
}

// String never shows the answer.
func (q QuestionAnswer) String() string { return q.Question + " [answer redacted]" }

// Format prints String for every verb, so %#v cannot show the answer.
func (q QuestionAnswer) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, q.String()) }

// maxQuestionInput bounds raw question and answer input before any work.
const maxQuestionInput = 4096

// normalizeAnswer is what is hashed and compared: surrounding space
// trimmed, inner runs of white space made one space and, unless the policy
// is case-sensitive, lower case. People type "Springfield " or "new  york"
// a year after registering; Entra does not publish its rule.
func normalizeAnswer(s string, caseSensitive bool) string {
	s = strings.Join(strings.Fields(s), " ")
	if !caseSensitive {
		s = strings.ToLower(s)
	}
	return s
}

// normalizeQuestion is how duplicate questions are recognised.
func normalizeQuestion(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// CheckQuestions applies the SSPR security-question rules (MS-SECQ): not
// for admins; between ToRegister and Max questions; each question non-empty
// and at most QuestionMaxLength characters (custom questions); each answer
// AnswerMinLength to AnswerMaxLength characters; no question twice and no
// answer reused. Errors are *Error (ReasonNotAllowed for admins,
// ReasonPolicy otherwise) and name positions, never answers.
func CheckQuestions(qs []QuestionAnswer, admin bool, p QuestionPolicy) error {
	if admin {
		return newError(ReasonNotAllowed, "", "security questions are not available to administrators", "register another method")
	}
	policy := func(format string, args ...any) error {
		return newError(ReasonPolicy, "", fmt.Sprintf(format, args...), "")
	}
	if len(qs) < p.ToRegister || len(qs) > p.Max {
		if p.ToRegister == p.Max {
			return policy("register exactly %d security questions, not %d", p.ToRegister, len(qs))
		}
		return policy("register %d to %d security questions, not %d", p.ToRegister, p.Max, len(qs))
	}
	questions := make([]string, 0, len(qs))
	answers := make([]string, 0, len(qs))
	for i, qa := range qs {
		n := i + 1
		if len(qa.Question) > maxQuestionInput || len(qa.Answer) > maxQuestionInput {
			return policy("question %d or its answer is far too long", n)
		}
		if !utf8.ValidString(qa.Question) || !utf8.ValidString(qa.Answer) {
			return policy("question %d or its answer is not valid text", n)
		}
		if hasControl(qa.Question) || hasControl(qa.Answer) {
			return policy("question %d or its answer contains control characters", n)
		}
		q := normalizeQuestion(qa.Question)
		switch l := utf8.RuneCountInString(strings.TrimSpace(qa.Question)); {
		case q == "":
			return policy("question %d is empty", n)
		case l > p.QuestionMaxLength:
			return policy("question %d has %d characters, at most %d are allowed", n, l, p.QuestionMaxLength)
		}
		if slices.Contains(questions, q) {
			return policy("question %d is asked twice", n)
		}
		questions = append(questions, q)
		a := normalizeAnswer(qa.Answer, p.CaseSensitive)
		if l := utf8.RuneCountInString(a); l < p.AnswerMinLength || l > p.AnswerMaxLength {
			return policy("the answer to question %d must have %d to %d characters", n, p.AnswerMinLength, p.AnswerMaxLength)
		}
		// Reuse is judged case-insensitively even when answers are
		// compared exactly: "Paris" and "paris" are the same answer.
		if dup := strings.ToLower(a); slices.Contains(answers, dup) {
			return policy("the answer to question %d repeats another answer", n)
		} else {
			answers = append(answers, dup)
		}
	}
	return nil
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\t' })
}

// RegisterQuestions replaces the user's security questions after checking
// the policy. Answers are stored as PBKDF2 hashes of their normalised
// form; admins cannot read them (MS-SECQ). Open security-question
// challenges are canceled, as they point into the old list.
func (e *Engine) RegisterQuestions(userID string, admin bool, qs []QuestionAnswer) error {
	if userID == "" {
		return errInvalid("a user id is required")
	}
	now := e.clock()
	if err := CheckQuestions(qs, admin, e.cfg.Questions); err != nil {
		if lerr := e.logAttempt(now, userID, ActionRegisterQuestions, nil, ReasonOf(err)); lerr != nil {
			return lerr
		}
		return err
	}
	stored := make([]RegisteredQuestion, 0, len(qs))
	for _, qa := range qs {
		h, err := hashPBKDF2(e.rand, normalizeAnswer(qa.Answer, e.cfg.Questions.CaseSensitive), e.cfg.Hash)
		if err != nil {
			return err
		}
		stored = append(stored, RegisteredQuestion{Question: strings.Join(strings.Fields(qa.Question), " "), Answer: h})
	}
	if err := e.supersede(userID, now, func(c Challenge) bool { return c.Method == MethodQuestions }); err != nil {
		return err
	}
	return e.updateUser(userID, now, ActionRegisterQuestions, func(u *UserState) { u.Questions, u.QuestionsSetAt = stored, now })
}

// RemoveQuestions deletes the user's security questions.
func (e *Engine) RemoveQuestions(userID string) error {
	now := e.clock()
	if err := e.supersede(userID, now, func(c Challenge) bool { return c.Method == MethodQuestions }); err != nil {
		return err
	}
	return e.updateUser(userID, now, ActionRemoveQuestions, func(u *UserState) { u.Questions, u.QuestionsSetAt = nil, time.Time{} })
}

// pickQuestions chooses ToReset of the user's questions at random (a
// partial Fisher-Yates shuffle), shown in registration order.
func (e *Engine) pickQuestions(u *UserState, c *Challenge) error {
	idx := make([]int, len(u.Questions))
	for i := range idx {
		idx[i] = i
	}
	k := e.cfg.Questions.ToReset
	for i := range k {
		j, err := e.randUint64n(uint64(len(idx) - i))
		if err != nil {
			return err
		}
		idx[i], idx[i+int(j)] = idx[i+int(j)], idx[i]
	}
	picked := slices.Clone(idx[:k])
	slices.Sort(picked)
	c.QuestionIndexes = picked
	c.Questions = make([]string, k)
	for i, q := range picked {
		c.Questions[i] = u.Questions[q].Question
	}
	return nil
}

// AnswerQuestions answers a security-question challenge: one answer per
// question asked, in order. All must be right to pass; which one was wrong
// is not revealed. Every answer is hashed whatever the others gave, so the
// time taken does not tell either.
func (e *Engine) AnswerQuestions(id string, answers []string) (Result, error) {
	now := e.clock()
	c, u, err := e.inputChallenge(id, now, ActionAnswers, MethodQuestions)
	if err != nil {
		return Result{Challenge: c}, err
	}
	if len(answers) != len(c.Questions) {
		return e.malformed(&u, &c, now, ActionAnswers, fmt.Sprintf("answer all %s", plural.Count(len(c.Questions), "question")))
	}
	for _, a := range answers {
		if strings.TrimSpace(a) == "" || len(a) > maxQuestionInput {
			return e.malformed(&u, &c, now, ActionAnswers, "every answer must be filled in")
		}
	}
	all := true
	for i, qi := range c.QuestionIndexes {
		if qi >= len(u.Questions) || u.Questions[qi].Question != c.Questions[i] {
			return Result{Challenge: c}, errInvalid("the registered questions changed during the challenge")
		}
		ok, err := u.Questions[qi].Answer.Matches(normalizeAnswer(answers[i], e.cfg.Questions.CaseSensitive))
		if err != nil {
			return Result{Challenge: c}, err
		}
		all = all && ok
	}
	if !all {
		return Result{Challenge: c}, e.wrongInput(&u, &c, ReasonWrongCode, "one or more answers are wrong", now, ActionAnswers)
	}
	if err := e.succeed(&u, &c, now, ActionAnswers); err != nil {
		return Result{}, err
	}
	return Result{Challenge: c}, nil
}
