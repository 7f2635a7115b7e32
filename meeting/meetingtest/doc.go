// Package meetingtest is a stateful, in-process simulator of the part of the
// Huawei Cloud Meeting REST API that kickbot uses (docs/meeting-api.md §12): App ID
// and account authentication, confDetail, the meeting control token,
// realTimeInfo and the bulk hang-up — the keep-out controls (§14a,
// keepout.go): lock, move to the waiting room (one or many), admit — and the
// conference WebSocket (§15a, ws.go): wsToken, Subscribe, notify frames,
// heartbeats. Lock state and the waiting room are one state, changed alike
// by REST calls and by driver methods, and announced on the WebSocket.
//
// It serves real HTTP on loopback (httptest), so the real meeting client, the
// bot's end-to-end tests, load tests and `kickbot console` all talk to it the
// way they would talk to Huawei. State is seeded by code (AddApp,
// AddConference(...).Host(...), Sample) rather than fixture files, and can be
// changed while requests run (Join, Leave, End, FailNext, RateLimit...).
//
// Where Huawei's docs are silent, each plausible behaviour has a switch, so
// clients are tested against all of them: strict or lenient hang-up of an
// unknown pid (WithStrictHangUp), how a bad or stale control token is
// refused (WithControlAuthFailure, WithEndedFailure), a call applied whose
// reply is then lost or spoiled (Fault.Applied), malformed rosters
// (Fault.Roster), masked phone numbers (WithMaskedPhones) and gateway
// throttling without Retry-After (Throttle), and the keep-out switches listed
// in keepout.go.
//
// The simulator never logs and never records a secret: Call records hold no
// token, password, app key or Authorization value, and the bodies of the two
// authentication calls are dropped.
//
// One trap worth knowing when using Fault.CloseConn: Go's http.Transport
// silently retries an idempotent request (GET) once when a reused keep-alive
// connection closes before any response byte. A single CloseConn fault on a
// GET over a reused connection can therefore be invisible to the caller; use
// n >= 2, a POST endpoint, or a client with keep-alives disabled when the test
// must see the network error.
package meetingtest
