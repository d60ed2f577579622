package verify_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/mfactl/mfactl/methods"
	"github.com/mfactl/mfactl/methods/verify"
)

// An SMS sign-in as the mock drives it: start, read the emulated phone's
// outbox, submit a wrong code, then the right one. In the mock each call
// runs in its own transaction, with engine.WithStore(txStore).
func Example() {
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	engine, err := verify.New(verify.NewMemStore(), verify.DefaultConfig(),
		verify.WithClock(func() time.Time { return now }),
		verify.WithRand(rand.NewChaCha8([32]byte{1})))
	if err != nil {
		panic(err)
	}
	res, err := engine.Start(verify.StartRequest{
		UserID: "alice", Method: verify.MethodSMS, Transaction: "signin-1",
		Credential: verify.Credential{MethodID: methods.MobilePhoneID, PhoneNumber: "+1 4255550100", PhoneType: methods.PhoneMobile},
	})
	if err != nil {
		panic(err)
	}
	fmt.Println("challenge:", res.Challenge.State, "until", res.Challenge.ExpiresAt.Format(time.TimeOnly))

	outbox, _ := engine.Messages("alice")
	text := outbox[0].Text
	code := strings.Fields(text)[3]
	fmt.Println("phone shows:", strings.Replace(text, code, "<code>", 1))

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	_, err = engine.SubmitCode(res.Challenge.ID, wrong, nil)
	fmt.Println("wrong code:", verify.ReasonOf(err), "exit", verify.ExitCode(err))
	fmt.Println("  ", err)

	now = now.Add(30 * time.Second)
	res, err = engine.SubmitCode(res.Challenge.ID, code, nil)
	fmt.Println("right code:", res.Challenge.State, "exit", verify.ExitCode(err))
	// Output:
	// challenge: sent until 09:03:00
	// phone shows: Use verification code <code> for Microsoft authentication.
	// wrong code: wrongCode exit 1
	//    wrong code; 2 attempts left; check it and try again
	// right code: verified exit 0
}

// A push with number matching: the sign-in screen shows the number, the
// emulated device types it.
func ExampleEngine_ApprovePush() {
	engine, _ := verify.New(verify.NewMemStore(), verify.DefaultConfig(),
		verify.WithClock(func() time.Time { return time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC) }),
		verify.WithRand(rand.NewChaCha8([32]byte{2})))
	res, _ := engine.Start(verify.StartRequest{UserID: "alice", Method: verify.MethodPush,
		Credential: verify.Credential{MethodID: "authenticator-1"}})
	shown := res.Challenge.Number // on the sign-in screen only

	pending, _ := engine.PendingPushes("alice") // what the device lists
	fmt.Println("pending on the device:", len(pending))

	res, err := engine.ApprovePush(pending[0].ChallengeID, shown)
	fmt.Println(res.Challenge.State, verify.ChallengeError(res.Challenge), err)
	// Output:
	// pending on the device: 1
	// verified <nil> <nil>
}
