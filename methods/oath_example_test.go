package methods_test

import (
	"fmt"
	"time"

	"github.com/mfactl/mfactl/methods"
)

// Hardware token activation and "token check": the mock keeps the key and
// the state on the token record and saves the state each returns.
func ExampleOATHKey_Resync() {
	secret, err := methods.ParseOATHSecret("2234567abcdef2234567abcdef") // as in an Entra CSV
	if err != nil {
		panic(err)
	}
	token := methods.OATHKey{Type: methods.OATHTOTP, Secret: secret, Algorithm: methods.OATHSHA1, Digits: 6, Period: 60}
	now := time.Date(2026, 11, 23, 9, 0, 30, 0, time.UTC)

	// Activation: the code the token shows now.
	code, _ := token.Code(now)
	activated, _ := token.Validate(code, now, methods.OATHState{}, methods.DefaultTOTPWindow)
	fmt.Println("activation:", activated.Verdict)

	// Months later the token's clock runs 7 minutes fast: its codes are
	// outside the window until two consecutive codes resynchronise it.
	later := now.Add(90 * 24 * time.Hour)
	a, _ := token.Code(later.Add(6 * time.Minute))
	b, _ := token.Code(later.Add(7 * time.Minute))
	fmt.Println("before resync:", must(token.Validate(b, later, activated.State, methods.DefaultTOTPWindow)).Verdict)
	synced, err := token.Resync(a, b, later, activated.State, methods.DefaultResyncWindow)
	fmt.Println("resync:", synced.Verdict, "drift", time.Duration(synced.State.Drift)*time.Minute, err)

	next, _ := token.Code(later.Add(8 * time.Minute))
	fmt.Println("next sign-in:", must(token.Validate(next, later.Add(time.Minute), synced.State, methods.DefaultTOTPWindow)).Verdict)
	// Output:
	// activation: accepted
	// before resync: wrong
	// resync: accepted drift 7m0s <nil>
	// next sign-in: accepted
}

func must(r methods.OATHResult, err error) methods.OATHResult {
	if err != nil {
		panic(err)
	}
	return r
}
